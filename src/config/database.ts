import { StoError } from "../errors";
import { Secret } from "./secrets";

/** Which audit database a command uses: the SQLite file (the default) or a PostgreSQL server. */
export type DatabaseTarget =
  | { engine: "sqlite"; file: string }
  | {
      engine: "postgresql";
      /** The URL as given, credentials included: only the client ever sees it. */
      url: Secret;
      /** The URL with its password (and any secret parameter) masked: the only form ever printed. */
      display: string;
    };

/** Query parameters of a libpq URL that hold or point at a credential. */
const SECRET_PARAMETERS = new Set(["password", "sslpassword", "sslkey", "passfile"]);

/**
 * Parses a PostgreSQL connection URL (`postgresql://user[:password]@host[:port]/database`). The
 * error messages never repeat the URL's password: they show the masked form or nothing.
 */
export function parseDatabaseUrl(value: string, origin: string): DatabaseTarget & { engine: "postgresql" } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StoError(`${origin}: not a URL; give postgresql://user@host:port/database (value not shown)`);
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new StoError(`${origin}: ${url.protocol.replace(/:$/, "")} URLs are not supported; give postgresql://user@host:port/database (value not shown)`);
  }
  const display = maskDatabaseUrl(url);
  if (url.hostname === "" && !url.searchParams.has("host")) throw new StoError(`${origin}: ${display}: no host`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (database === "" || database.includes("/")) throw new StoError(`${origin}: ${display}: name one database after the host (postgresql://user@host:port/database)`);
  return { engine: "postgresql", url: new Secret(value), display };
}

/** The URL with its password and secret parameters replaced by ***. */
export function maskDatabaseUrl(url: URL): string {
  const masked = new URL(url.href);
  if (masked.password !== "") masked.password = "***";
  for (const key of [...masked.searchParams.keys()]) {
    if (SECRET_PARAMETERS.has(key.toLowerCase())) masked.searchParams.set(key, "***");
  }
  return masked.href.replace(/%2A%2A%2A/g, "***");
}

/** How a database is named in messages: the file, or the masked URL. */
export function describeTarget(target: DatabaseTarget): string {
  return target.engine === "sqlite" ? target.file : target.display;
}

/**
 * Removes a URL's password and secret parameters from any text (a driver's error message), in
 * case it repeats what it was given.
 */
export function scrubCredentials(text: string, url: Secret): string {
  let parsed: URL;
  try {
    parsed = new URL(url.reveal());
  } catch {
    return text;
  }
  const secrets = [parsed.password, decodeURIComponent(parsed.password)];
  for (const [key, value] of parsed.searchParams) if (SECRET_PARAMETERS.has(key.toLowerCase())) secrets.push(value);
  let scrubbed = text.split(url.reveal()).join(maskDatabaseUrl(parsed));
  for (const secret of secrets) if (secret.length > 0) scrubbed = scrubbed.split(secret).join("***");
  return scrubbed;
}
