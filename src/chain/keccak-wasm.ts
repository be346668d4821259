/**
 * Keccak-f[1600] as a small WebAssembly function, for the EIP-55 checksum of many addresses in a
 * fresh process (src/chain/checksum.ts). The JavaScript permutation is fast once V8 has optimized
 * it, but that takes a compilation of its large body (about 50 ms on a loaded machine) during which
 * the first thousand or so hashes run interpreted at about 50 µs each: most of the cost of
 * checksumming a 10,000-row distribution file. WebAssembly is compiled before it runs, at once
 * (the module is about 3 kB), with native 64-bit lanes and rotations.
 *
 * The module is generated here, instruction by instruction, rather than shipped as a binary: it
 * is the textbook round (theta, rho and pi, chi, iota) on 25 local i64 lanes, unrolled, in a loop
 * of 24 rounds. Memory: the state's 200 bytes at offset 0 (lane i at 8i, little-endian, as
 * Keccak's byte order is), the 24 round constants at offset 256. test/chain/checksum.test.ts
 * compares it with the JavaScript permutation and with ethers.
 */

/** The state in memory: write the block into bytes 0-199, call permute(), read the hash from bytes 0-31. */
export interface WasmKeccak {
  state: Uint8Array;
  permute(): void;
}

const ROUND_CONSTANTS = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n, 0x000000000000808bn, 0x0000000080000001n,
  0x8000000080008081n, 0x8000000000008009n, 0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n,
  0x000000000000800an, 0x800000008000000an, 0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];

/** Rotation of lane i = x + 5y (rho). */
const ROTATIONS = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

const CONSTANTS_OFFSET = 256;

// Opcodes used.
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I64_CONST = 0x42;
const I64_LOAD = 0x29;
const I64_STORE = 0x37;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_LT_U = 0x49;
const I64_AND = 0x83;
const I64_XOR = 0x85;
const I64_ROTL = 0x89;
const LOOP = 0x03;
const BR_IF = 0x0d;
const END = 0x0b;
const EMPTY_BLOCK = 0x40;

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128 of a small integer (the constants here: -1 to 256). */
function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}

/** The body of permute(): locals 0-24 the lanes a, 25-49 b, 50-54 c, 55-59 d (i64), 60 the round (i32). */
function permuteBody(): number[] {
  const a = (i: number) => i;
  const b = (i: number) => 25 + i;
  const c = (x: number) => 50 + x;
  const d = (x: number) => 55 + x;
  const round = 60;
  const code: number[] = [];
  const get = (local: number) => code.push(LOCAL_GET, ...uleb(local));
  const set = (local: number) => code.push(LOCAL_SET, ...uleb(local));

  for (let i = 0; i < 25; i++) {
    code.push(I32_CONST, 0, I64_LOAD, 3, ...uleb(8 * i));
    set(a(i));
  }
  code.push(LOOP, EMPTY_BLOCK);
  // Theta: the column parities c, then d[x] = c[x-1] ^ rotl(c[x+1], 1), applied below with rho.
  for (let x = 0; x < 5; x++) {
    get(a(x));
    for (let y = 1; y < 5; y++) {
      get(a(x + 5 * y));
      code.push(I64_XOR);
    }
    set(c(x));
  }
  for (let x = 0; x < 5; x++) {
    get(c((x + 4) % 5));
    get(c((x + 1) % 5));
    code.push(I64_CONST, 1, I64_ROTL, I64_XOR);
    set(d(x));
  }
  // Rho and pi: lane (x, y), theta applied, rotated, goes to (y, 2x + 3y).
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const i = x + 5 * y;
      get(a(i));
      get(d(x));
      code.push(I64_XOR);
      if (ROTATIONS[i] !== 0) code.push(I64_CONST, ...sleb(ROTATIONS[i]), I64_ROTL);
      set(b(y + 5 * ((2 * x + 3 * y) % 5)));
    }
  }
  // Chi: a[x, y] = b[x, y] ^ (~b[x + 1, y] & b[x + 2, y]).
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      get(b(x + 5 * y));
      get(b(((x + 1) % 5) + 5 * y));
      code.push(I64_CONST, ...sleb(-1), I64_XOR);
      get(b(((x + 2) % 5) + 5 * y));
      code.push(I64_AND, I64_XOR);
      set(a(x + 5 * y));
    }
  }
  // Iota: the round's constant into lane 0.
  get(a(0));
  get(round);
  code.push(I32_CONST, 3, I32_SHL, I64_LOAD, 3, ...uleb(CONSTANTS_OFFSET), I64_XOR);
  set(a(0));
  // Next round while round + 1 < 24.
  get(round);
  code.push(I32_CONST, 1, I32_ADD);
  set(round);
  get(round);
  code.push(I32_CONST, 24, I32_LT_U, BR_IF, 0, END);

  for (let i = 0; i < 25; i++) {
    code.push(I32_CONST, 0);
    get(a(i));
    code.push(I64_STORE, 3, ...uleb(8 * i));
  }
  code.push(END);
  return code;
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

/** The module's bytes: one memory (exported as "m") and permute (exported as "p"). */
export function keccakModuleBytes(): Uint8Array {
  const name = (text: string) => [...uleb(text.length), ...Buffer.from(text, "utf8")];
  // Locals: 60 i64 (0x7e), 1 i32 (0x7f).
  const body = [...uleb(2), ...uleb(60), 0x7e, ...uleb(1), 0x7f, ...permuteBody()];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 0, 0]), // one type: () -> ()
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, 1]), // one memory of one page
    ...section(7, [2, ...name("m"), 0x02, 0, ...name("p"), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** What is used of the WebAssembly API (the compiler's library here declares none). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { m: { buffer: ArrayBuffer }; p: () => void } };
}

/** The WebAssembly permutation, or undefined where WebAssembly is not available (then JavaScript does it). */
export function loadWasmKeccak(): WasmKeccak | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return undefined;
  try {
    const { exports } = new api.Instance(new api.Module(keccakModuleBytes()));
    const constants = new DataView(exports.m.buffer, CONSTANTS_OFFSET);
    ROUND_CONSTANTS.forEach((constant, index) => constants.setBigUint64(8 * index, constant, true));
    return { state: new Uint8Array(exports.m.buffer, 0, 200), permute: exports.p };
  } catch {
    return undefined;
  }
}

let shared: WasmKeccak | null | undefined;

/**
 * The process's one instance (made on first use, not when the module loads: most commands never
 * hash), or undefined where WebAssembly is not available. Its users run synchronously, each
 * filling and reading the state in one go, so they share it.
 */
export function sharedWasmKeccak(): WasmKeccak | undefined {
  shared ??= loadWasmKeccak() ?? null;
  return shared ?? undefined;
}
