import fs from "node:fs";
import path from "node:path";
import { StoError } from "./errors";

const MiB = 1024 * 1024;

/**
 * How large each kind of input file may be. Generous for real use (a million-row distribution is
 * about 100 MB), small enough that a wrong path — /dev/zero, a disk image, a log — is refused at
 * once instead of filling the memory.
 */
export const INPUT_FILE_LIMITS = {
  configuration: 1 * MiB,
  keystore: 1 * MiB,
  "identity file": 256 * MiB,
  "distribution CSV": 256 * MiB,
  "transaction file": 256 * MiB,
  "ABI file": 512 * MiB,
  document: 1024 * MiB,
} as const;

export type InputFileKind = keyof typeof INPUT_FILE_LIMITS;

/**
 * Reads a file the user named, whole: only a regular file (not a device, a pipe or a directory),
 * and only up to the limit of its kind. Every refusal is one line naming the file.
 */
export function readInputFile(file: string, kind: InputFileKind, label = file): Buffer {
  const limit = INPUT_FILE_LIMITS[kind];
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    throw new StoError(`${label}: cannot read the ${kind} (${describeFileError(error)})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      throw new StoError(`${label}: not a regular file (${stat.isDirectory() ? "a directory" : "a device, pipe or socket"}); give the ${kind} as a file`);
    }
    if (stat.size > limit) {
      throw new StoError(`${label}: ${megabytes(stat.size)} is more than a ${kind} may be (${megabytes(limit)})`);
    }
    // Read until the end, whatever the size said (the file may grow meanwhile), never past the limit.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(stat.size - length, 64 * 1024), 16 * MiB));
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(read === chunk.length ? chunk : chunk.subarray(0, read));
      length += read;
      if (length > limit) throw new StoError(`${label}: more than a ${kind} may be (${megabytes(limit)})`);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
  } catch (error) {
    if (error instanceof StoError) throw error;
    throw new StoError(`${label}: cannot read the ${kind} (${describeFileError(error)})`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Like readInputFile, as UTF-8 text. */
export function readInputText(file: string, kind: InputFileKind, label = file): string {
  return readInputFile(file, kind, label).toString("utf8");
}

/**
 * Writes a file the user asked for (a report, an export): readable by its owner only, since it
 * holds names, e-mails or transactions; a missing directory, a directory in the way, a full disk
 * or a read-only place are one line each.
 */
export function writeOutputFile(file: string, content: string | Buffer, label = file): void {
  try {
    fs.writeFileSync(file, content, { mode: 0o600 });
    // writeFileSync keeps the mode of a file that exists: an overwritten report becomes private too.
    fs.chmodSync(file, 0o600);
  } catch (error) {
    throw new StoError(`${label}: cannot write (${describeFileError(error)})`);
  }
}

/**
 * Writes `file` a piece at a time as `produce` hands them over, waiting while the disk is behind:
 * into a private temporary file beside it, renamed over `file` only once complete, so that a
 * failure half-way (or a kill) never leaves half a document under the file's name.
 */
export async function writeOutputFileStreamed(file: string, produce: (write: (text: string) => Promise<void>) => Promise<void>, label = file): Promise<void> {
  const fail = (error: unknown) => new StoError(`${label}: cannot write (${describeFileError(error)})`);
  let existing: fs.Stats | undefined;
  try {
    existing = fs.statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    throw fail(error);
  }
  if (existing?.isDirectory()) throw fail(Object.assign(new Error("is a directory"), { code: "EISDIR" }));
  // A device or a pipe (/dev/stdout, a FIFO) is written as it is: renaming a temporary file over it
  // would replace the device node itself (as root, /dev/full became a regular file).
  const direct = existing !== undefined && !existing.isFile();
  const temporary = direct ? file : path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
  let stream: fs.WriteStream;
  try {
    stream = fs.createWriteStream(temporary, { mode: 0o600, flags: "w" });
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", reject);
    });
  } catch (error) {
    throw fail(error);
  }
  let failure: unknown;
  stream.on("error", (error) => {
    failure ??= error;
  });
  try {
    await produce(async (text) => {
      if (failure !== undefined) throw fail(failure);
      if (!stream.write(text)) await new Promise<void>((resolve) => stream.once("drain", () => resolve()));
    });
    try {
      await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      if (failure !== undefined) throw failure;
      if (!direct) {
        fs.renameSync(temporary, file);
        fs.chmodSync(file, 0o600);
      }
    } catch (error) {
      throw fail(error);
    }
  } catch (error) {
    stream.destroy();
    if (!direct) fs.rmSync(temporary, { force: true });
    throw error;
  }
}

export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOSPC":
      return "the disk is full";
    case "EDQUOT":
      return "the disk quota is exceeded";
    case "EROFS":
      return "the file system is read-only";
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

function megabytes(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(bytes >= 10 * MiB ? 0 : 1)} MB` : `${bytes} bytes`;
}
