import { ExitCode, StoError } from "../errors";

/** What Etherscan-compatible APIs answer: status "1" for success, "0" otherwise, and a result text. */
interface ApiAnswer {
  status: string;
  message: string;
  result: string;
}

export interface VerificationRequest {
  contractAddress: string;
  /** The solc standard-JSON input, serialised. */
  sourceCode: string;
  /** `contracts/Payout.sol:Payout` */
  contractName: string;
  /** `v0.8.28+commit.7893614a` */
  compilerVersion: string;
  /** ABI-encoded constructor arguments, hex without 0x. */
  constructorArguments: string;
}

export type SubmitOutcome =
  | { kind: "submitted"; guid: string }
  | { kind: "already-verified"; message: string }
  /** The explorer has not indexed the contract yet, or asks us to slow down: try again later. */
  | { kind: "retry"; message: string }
  | { kind: "rejected"; message: string };

export type StatusOutcome = { kind: "pending"; message: string } | { kind: "verified"; message: string } | { kind: "failed"; message: string };

/**
 * A client of the Etherscan contract-verification API (also offered by Blockscout and other
 * explorers): `verifysourcecode` with standard-JSON input, then `checkverifystatus` polling.
 * Etherscan's v2 API serves every chain from one URL and needs `chainid`; it is always sent.
 * The API key travels in the request only: it is never part of an error message.
 */
export class EtherscanClient {
  constructor(
    private readonly apiUrl: string,
    private readonly apiKey: string,
    private readonly chainId: number,
    private readonly timeoutMs = 30_000,
  ) {}

  async submit(request: VerificationRequest): Promise<SubmitOutcome> {
    const body = new URLSearchParams({
      apikey: this.apiKey,
      module: "contract",
      action: "verifysourcecode",
      chainid: String(this.chainId),
      contractaddress: request.contractAddress,
      sourceCode: request.sourceCode,
      codeformat: "solidity-standard-json-input",
      contractname: request.contractName,
      compilerversion: request.compilerVersion,
      // Etherscan's historical misspelling is the name it reads; newer docs and Blockscout use the
      // correct one. Both are sent.
      constructorArguements: request.constructorArguments,
      constructorArguments: request.constructorArguments,
    });
    const answer = await this.call(this.url({}), { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
    if (answer.status === "1" && answer.result) return { kind: "submitted", guid: answer.result };
    const text = answer.result || answer.message;
    if (/already verified/i.test(text)) return { kind: "already-verified", message: text };
    if (/unable to locate contract ?code|rate limit|try again/i.test(text)) return { kind: "retry", message: text };
    return { kind: "rejected", message: text };
  }

  async checkStatus(guid: string): Promise<StatusOutcome> {
    const answer = await this.call(this.url({ apikey: this.apiKey, module: "contract", action: "checkverifystatus", guid }), { method: "GET" });
    const text = answer.result || answer.message;
    if (/pending|in queue/i.test(text)) return { kind: "pending", message: text };
    if (answer.status === "1" || /^pass\b|already verified/i.test(text)) return { kind: "verified", message: text };
    if (/rate limit/i.test(text)) return { kind: "pending", message: text };
    return { kind: "failed", message: text };
  }

  /** The API URL with `chainid` and the given query parameters. */
  private url(query: Record<string, string>): string {
    const url = new URL(this.apiUrl);
    url.searchParams.set("chainid", String(this.chainId));
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url.toString();
  }

  private async call(url: string, init: RequestInit): Promise<ApiAnswer> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new StoError(`verification API ${this.apiUrl} unreachable: ${this.redact(describe(error))}`, ExitCode.Network);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new StoError(`verification API ${this.apiUrl} answered HTTP ${response.status}: ${this.redact(text.slice(0, 200))}`, ExitCode.Network);
    }
    try {
      const json = JSON.parse(text) as Partial<ApiAnswer>;
      return { status: String(json.status ?? ""), message: String(json.message ?? ""), result: typeof json.result === "string" ? json.result : JSON.stringify(json.result ?? "") };
    } catch {
      throw new StoError(`verification API ${this.apiUrl} did not answer JSON: ${this.redact(text.slice(0, 200))}`, ExitCode.Network);
    }
  }

  /** Whatever a server or a network error says, the key is not repeated. */
  private redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join("[redacted]") : text;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
