/**
 * EIP-55 checksummed addresses, fast. ethers' getAddress hashes through @noble/hashes' general
 * Keccak (a new sponge object, byte conversions and hex round trips per call): about 15-20 µs per
 * address, which made checksumming the largest cost of preparing a 10,000-row distribution and
 * of printing a 10,000-holder cap table. The checksum hashes exactly 40 ASCII bytes, one block of
 * Keccak-256, so a single permutation on a reused state does it in about 1-2 µs, once compiled:
 * the permutation runs in WebAssembly (src/chain/keccak-wasm.ts), which needs no warm-up, and in
 * JavaScript where WebAssembly is not available.
 * test/chain/checksum.test.ts compares with ethers on random and edge-case addresses.
 */

import { sharedWasmKeccak } from "./keccak-wasm";

// Keccak-f[1600] round constants, split into low and high 32-bit halves.
const RC_LO = new Int32Array([
  0x00000001, 0x00008082, 0x0000808a, 0x80008000, 0x0000808b, 0x80000001, 0x80008081, 0x00008009, 0x0000008a, 0x00000088, 0x80008009,
  0x8000000a, 0x8000808b, 0x0000008b, 0x00008089, 0x00008003, 0x00008002, 0x00000080, 0x0000800a, 0x8000000a, 0x80008081, 0x00008080,
  0x80000001, 0x80008008,
]);
const RC_HI = new Int32Array([
  0x00000000, 0x00000000, 0x80000000, 0x80000000, 0x00000000, 0x00000000, 0x80000000, 0x80000000, 0x00000000, 0x00000000, 0x00000000,
  0x00000000, 0x00000000, 0x80000000, 0x80000000, 0x80000000, 0x80000000, 0x80000000, 0x00000000, 0x80000000, 0x80000000, 0x80000000,
  0x00000000, 0x80000000,
]);

/** Lanes as [low, high] 32-bit halves: lane i is state[2i] (bits 0-31) and state[2i+1]. */
const state = new Int32Array(50);

/**
 * Keccak-f[1600]. The steps of one round (theta, rho and pi, chi, iota) are unrolled over the 25
 * lanes, as fast JavaScript Keccak implementations do: with the loops and their index tables this
 * ran at about 25 µs per permutation, unrolled it takes about 1 µs. Lane i is (x, y) = (i % 5,
 * i / 5); rho rotates lane i left by [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41,
 * 45, 15, 21, 8, 18, 2, 61, 56, 14][i] and pi moves it to (y, 2x + 3y); b<2j> and b<2j+1> are the
 * low and high halves of lane j after both.
 *
 * The round is a function of its own, called 24 times, rather than the body of the loop: V8 then
 * compiles the large body once, while a loop around it was compiled twice (a regular and an
 * on-stack-replacement compilation of about 50 ms each on a loaded machine), and the calls made
 * meanwhile ran interpreted. Checksumming 10,000 addresses in a fresh process took a third less CPU.
 */
function permute(s: Int32Array): void {
  for (let round = 0; round < 24; round++) keccakRound(s, round);
}

/** One round of Keccak-f[1600] on `s` (see permute). */
function keccakRound(s: Int32Array, round: number): void {
  const c0 = s[0] ^ s[10] ^ s[20] ^ s[30] ^ s[40];
  const c1 = s[1] ^ s[11] ^ s[21] ^ s[31] ^ s[41];
  const c2 = s[2] ^ s[12] ^ s[22] ^ s[32] ^ s[42];
  const c3 = s[3] ^ s[13] ^ s[23] ^ s[33] ^ s[43];
  const c4 = s[4] ^ s[14] ^ s[24] ^ s[34] ^ s[44];
  const c5 = s[5] ^ s[15] ^ s[25] ^ s[35] ^ s[45];
  const c6 = s[6] ^ s[16] ^ s[26] ^ s[36] ^ s[46];
  const c7 = s[7] ^ s[17] ^ s[27] ^ s[37] ^ s[47];
  const c8 = s[8] ^ s[18] ^ s[28] ^ s[38] ^ s[48];
  const c9 = s[9] ^ s[19] ^ s[29] ^ s[39] ^ s[49];
  const dl0 = c8 ^ ((c2 << 1) | (c3 >>> 31));
  const dh0 = c9 ^ ((c3 << 1) | (c2 >>> 31));
  const dl1 = c0 ^ ((c4 << 1) | (c5 >>> 31));
  const dh1 = c1 ^ ((c5 << 1) | (c4 >>> 31));
  const dl2 = c2 ^ ((c6 << 1) | (c7 >>> 31));
  const dh2 = c3 ^ ((c7 << 1) | (c6 >>> 31));
  const dl3 = c4 ^ ((c8 << 1) | (c9 >>> 31));
  const dh3 = c5 ^ ((c9 << 1) | (c8 >>> 31));
  const dl4 = c6 ^ ((c0 << 1) | (c1 >>> 31));
  const dh4 = c7 ^ ((c1 << 1) | (c0 >>> 31));
  const a0l = s[0] ^ dl0;
  const a0h = s[1] ^ dh0;
  const b0 = a0l;
  const b1 = a0h;
  const a1l = s[2] ^ dl1;
  const a1h = s[3] ^ dh1;
  const b20 = (a1l << 1) | (a1h >>> 31);
  const b21 = (a1h << 1) | (a1l >>> 31);
  const a2l = s[4] ^ dl2;
  const a2h = s[5] ^ dh2;
  const b40 = (a2h << 30) | (a2l >>> 2);
  const b41 = (a2l << 30) | (a2h >>> 2);
  const a3l = s[6] ^ dl3;
  const a3h = s[7] ^ dh3;
  const b10 = (a3l << 28) | (a3h >>> 4);
  const b11 = (a3h << 28) | (a3l >>> 4);
  const a4l = s[8] ^ dl4;
  const a4h = s[9] ^ dh4;
  const b30 = (a4l << 27) | (a4h >>> 5);
  const b31 = (a4h << 27) | (a4l >>> 5);
  const a5l = s[10] ^ dl0;
  const a5h = s[11] ^ dh0;
  const b32 = (a5h << 4) | (a5l >>> 28);
  const b33 = (a5l << 4) | (a5h >>> 28);
  const a6l = s[12] ^ dl1;
  const a6h = s[13] ^ dh1;
  const b2 = (a6h << 12) | (a6l >>> 20);
  const b3 = (a6l << 12) | (a6h >>> 20);
  const a7l = s[14] ^ dl2;
  const a7h = s[15] ^ dh2;
  const b22 = (a7l << 6) | (a7h >>> 26);
  const b23 = (a7h << 6) | (a7l >>> 26);
  const a8l = s[16] ^ dl3;
  const a8h = s[17] ^ dh3;
  const b42 = (a8h << 23) | (a8l >>> 9);
  const b43 = (a8l << 23) | (a8h >>> 9);
  const a9l = s[18] ^ dl4;
  const a9h = s[19] ^ dh4;
  const b12 = (a9l << 20) | (a9h >>> 12);
  const b13 = (a9h << 20) | (a9l >>> 12);
  const a10l = s[20] ^ dl0;
  const a10h = s[21] ^ dh0;
  const b14 = (a10l << 3) | (a10h >>> 29);
  const b15 = (a10h << 3) | (a10l >>> 29);
  const a11l = s[22] ^ dl1;
  const a11h = s[23] ^ dh1;
  const b34 = (a11l << 10) | (a11h >>> 22);
  const b35 = (a11h << 10) | (a11l >>> 22);
  const a12l = s[24] ^ dl2;
  const a12h = s[25] ^ dh2;
  const b4 = (a12h << 11) | (a12l >>> 21);
  const b5 = (a12l << 11) | (a12h >>> 21);
  const a13l = s[26] ^ dl3;
  const a13h = s[27] ^ dh3;
  const b24 = (a13l << 25) | (a13h >>> 7);
  const b25 = (a13h << 25) | (a13l >>> 7);
  const a14l = s[28] ^ dl4;
  const a14h = s[29] ^ dh4;
  const b44 = (a14h << 7) | (a14l >>> 25);
  const b45 = (a14l << 7) | (a14h >>> 25);
  const a15l = s[30] ^ dl0;
  const a15h = s[31] ^ dh0;
  const b46 = (a15h << 9) | (a15l >>> 23);
  const b47 = (a15l << 9) | (a15h >>> 23);
  const a16l = s[32] ^ dl1;
  const a16h = s[33] ^ dh1;
  const b16 = (a16h << 13) | (a16l >>> 19);
  const b17 = (a16l << 13) | (a16h >>> 19);
  const a17l = s[34] ^ dl2;
  const a17h = s[35] ^ dh2;
  const b36 = (a17l << 15) | (a17h >>> 17);
  const b37 = (a17h << 15) | (a17l >>> 17);
  const a18l = s[36] ^ dl3;
  const a18h = s[37] ^ dh3;
  const b6 = (a18l << 21) | (a18h >>> 11);
  const b7 = (a18h << 21) | (a18l >>> 11);
  const a19l = s[38] ^ dl4;
  const a19h = s[39] ^ dh4;
  const b26 = (a19l << 8) | (a19h >>> 24);
  const b27 = (a19h << 8) | (a19l >>> 24);
  const a20l = s[40] ^ dl0;
  const a20h = s[41] ^ dh0;
  const b28 = (a20l << 18) | (a20h >>> 14);
  const b29 = (a20h << 18) | (a20l >>> 14);
  const a21l = s[42] ^ dl1;
  const a21h = s[43] ^ dh1;
  const b48 = (a21l << 2) | (a21h >>> 30);
  const b49 = (a21h << 2) | (a21l >>> 30);
  const a22l = s[44] ^ dl2;
  const a22h = s[45] ^ dh2;
  const b18 = (a22h << 29) | (a22l >>> 3);
  const b19 = (a22l << 29) | (a22h >>> 3);
  const a23l = s[46] ^ dl3;
  const a23h = s[47] ^ dh3;
  const b38 = (a23h << 24) | (a23l >>> 8);
  const b39 = (a23l << 24) | (a23h >>> 8);
  const a24l = s[48] ^ dl4;
  const a24h = s[49] ^ dh4;
  const b8 = (a24l << 14) | (a24h >>> 18);
  const b9 = (a24h << 14) | (a24l >>> 18);
  s[0] = b0 ^ (~b2 & b4);
  s[1] = b1 ^ (~b3 & b5);
  s[2] = b2 ^ (~b4 & b6);
  s[3] = b3 ^ (~b5 & b7);
  s[4] = b4 ^ (~b6 & b8);
  s[5] = b5 ^ (~b7 & b9);
  s[6] = b6 ^ (~b8 & b0);
  s[7] = b7 ^ (~b9 & b1);
  s[8] = b8 ^ (~b0 & b2);
  s[9] = b9 ^ (~b1 & b3);
  s[10] = b10 ^ (~b12 & b14);
  s[11] = b11 ^ (~b13 & b15);
  s[12] = b12 ^ (~b14 & b16);
  s[13] = b13 ^ (~b15 & b17);
  s[14] = b14 ^ (~b16 & b18);
  s[15] = b15 ^ (~b17 & b19);
  s[16] = b16 ^ (~b18 & b10);
  s[17] = b17 ^ (~b19 & b11);
  s[18] = b18 ^ (~b10 & b12);
  s[19] = b19 ^ (~b11 & b13);
  s[20] = b20 ^ (~b22 & b24);
  s[21] = b21 ^ (~b23 & b25);
  s[22] = b22 ^ (~b24 & b26);
  s[23] = b23 ^ (~b25 & b27);
  s[24] = b24 ^ (~b26 & b28);
  s[25] = b25 ^ (~b27 & b29);
  s[26] = b26 ^ (~b28 & b20);
  s[27] = b27 ^ (~b29 & b21);
  s[28] = b28 ^ (~b20 & b22);
  s[29] = b29 ^ (~b21 & b23);
  s[30] = b30 ^ (~b32 & b34);
  s[31] = b31 ^ (~b33 & b35);
  s[32] = b32 ^ (~b34 & b36);
  s[33] = b33 ^ (~b35 & b37);
  s[34] = b34 ^ (~b36 & b38);
  s[35] = b35 ^ (~b37 & b39);
  s[36] = b36 ^ (~b38 & b30);
  s[37] = b37 ^ (~b39 & b31);
  s[38] = b38 ^ (~b30 & b32);
  s[39] = b39 ^ (~b31 & b33);
  s[40] = b40 ^ (~b42 & b44);
  s[41] = b41 ^ (~b43 & b45);
  s[42] = b42 ^ (~b44 & b46);
  s[43] = b43 ^ (~b45 & b47);
  s[44] = b44 ^ (~b46 & b48);
  s[45] = b45 ^ (~b47 & b49);
  s[46] = b46 ^ (~b48 & b40);
  s[47] = b47 ^ (~b49 & b41);
  s[48] = b48 ^ (~b40 & b42);
  s[49] = b49 ^ (~b41 & b43);
  s[0] ^= RC_LO[round];
  s[1] ^= RC_HI[round];
}


/** Keccak-256's rate: the bytes absorbed per permutation. */
const RATE = 136;

/** The 200-byte state of keccak256Bytes where WebAssembly is not available. */
const fallbackState = new Uint8Array(200);

/**
 * Keccak-256 (the original Keccak padding, as Ethereum uses) of `input`, on the WebAssembly
 * permutation where it is available: what signing hashes twice per transaction, tens of kilobytes
 * for a batch of 200 transfers (ethers' hash, in JavaScript from hex, took about 1.5 ms for 26 kB
 * once warm and several times that in a fresh process).
 */
export function keccak256Bytes(input: Uint8Array): Uint8Array {
  const wasm = sharedWasmKeccak();
  const bytes = wasm ? wasm.state : fallbackState;
  const permuteState = wasm ? wasm.permute : () => permuteInJavaScript(fallbackState);
  bytes.fill(0);
  let offset = 0;
  for (; input.length - offset >= RATE; offset += RATE) {
    for (let i = 0; i < RATE; i++) bytes[i] ^= input[offset + i];
    permuteState();
  }
  const rest = input.length - offset;
  for (let i = 0; i < rest; i++) bytes[i] ^= input[offset + i];
  // Keccak's padding (not SHA-3's): 0x01 after the message, 0x80 in the block's last byte.
  bytes[rest] ^= 0x01;
  bytes[RATE - 1] ^= 0x80;
  permuteState();
  return bytes.slice(0, 32);
}

/** The characters of the result: "0x", then the 40 digits (reused: the checksum runs on one thread). */
const characters = new Uint16Array(42);
characters[0] = 0x30; // 0
characters[1] = 0x78; // x

/**
 * The EIP-55 form of `address` (0x and 40 hex digits in any case). Does not check an existing
 * mixed-case checksum: compare the result with the input for that (see verifiedChecksumAddress).
 */
export function checksumAddress(address: string): string {
  if (address.length !== 42 || address.charCodeAt(0) !== 0x30 || address.charCodeAt(1) !== 0x78) {
    throw new Error(`not an address: ${address.slice(0, 50)}`);
  }
  for (let i = 0; i < 40; i++) {
    let code = address.charCodeAt(i + 2);
    if (code >= 0x41 && code <= 0x46) code += 0x20; // A-F to a-f
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66))) throw new Error(`not an address: ${address.slice(0, 50)}`);
    characters[i + 2] = code;
  }
  const wasm = sharedWasmKeccak();
  if (wasm) {
    // The 40 lowercase ASCII digits are the whole message, padded, in the first block.
    const bytes = wasm.state;
    bytes.fill(0);
    for (let i = 0; i < 40; i++) bytes[i] = characters[i + 2];
    bytes[40] = 0x01;
    bytes[135] = 0x80;
    wasm.permute();
    for (let i = 0; i < 40; i++) {
      if (characters[i + 2] < 0x61) continue;
      // Nibble i of the hash: byte i >> 1, high nibble for even i. A letter goes uppercase at 8 or more.
      const byte = bytes[i >> 1];
      const nibble = i & 1 ? byte & 0x0f : byte >> 4;
      if (nibble >= 8) characters[i + 2] -= 0x20;
    }
  } else {
    state.fill(0);
    for (let i = 0; i < 40; i++) state[i >> 2] |= characters[i + 2] << (8 * (i & 3));
    state[10] ^= 0x01;
    state[33] ^= 0x80 << 24;
    permute(state);
    for (let i = 0; i < 40; i++) {
      if (characters[i + 2] < 0x61) continue;
      const byte = (state[i >> 3] >>> (8 * ((i >> 1) & 3))) & 0xff;
      const nibble = i & 1 ? byte & 0x0f : byte >> 4;
      if (nibble >= 8) characters[i + 2] -= 0x20;
    }
  }
  // apply takes any array-like; the typing wants number[].
  return String.fromCharCode.apply(null, characters as unknown as number[]);
}

/** The JavaScript permutation of a 200-byte state: keccak256Bytes without WebAssembly, and tests against the WebAssembly one. */
export function permuteInJavaScript(bytes: Uint8Array): void {
  const lanes = new Int32Array(50);
  for (let i = 0; i < 200; i++) lanes[i >> 2] |= bytes[i] << (8 * (i & 3));
  permute(lanes);
  for (let i = 0; i < 200; i++) bytes[i] = (lanes[i >> 2] >>> (8 * (i & 3))) & 0xff;
}

/**
 * The EIP-55 form of text that is 0x and 40 hex digits, or undefined when it is written in mixed
 * case with a wrong checksum. All-lowercase and all-uppercase carry no checksum and are accepted,
 * as ethers' getAddress does.
 */
export function verifiedChecksumAddress(text: string): string | undefined {
  const address = checksumAddress(text);
  if (address !== text && isMixedCase(text)) return undefined;
  return address;
}

/** Whether the 40 digits after 0x hold both lowercase and uppercase letters (a loop: the regex it replaces backtracked). */
function isMixedCase(address: string): boolean {
  let lower = false;
  let upper = false;
  for (let i = 2; i < address.length; i++) {
    const code = address.charCodeAt(i);
    if (code >= 0x61 && code <= 0x66) lower = true;
    else if (code >= 0x41 && code <= 0x46) upper = true;
  }
  return lower && upper;
}
