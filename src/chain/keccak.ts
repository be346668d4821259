import { getBytes, keccak256 } from "ethers";
import { sharedWasmKeccak } from "./keccak-wasm";

/** Keccak-256's rate: the bytes absorbed per permutation. */
const RATE = 136;

/**
 * Keccak-256 of bytes, with the permutation in WebAssembly (src/chain/keccak-wasm.ts): what signing
 * hashes twice per transaction, tens of kilobytes for a batch of 200 transfers. ethers' hash (in
 * JavaScript, from hex) took about 1.5 ms for 26 kB once warm and several times that in a fresh
 * process. Where WebAssembly is not available, ethers' hash. test/chain/keccak.test.ts compares the two.
 */
export function keccak256Bytes(data: Uint8Array): Uint8Array {
  const wasm = sharedWasmKeccak();
  if (wasm === undefined) return getBytes(keccak256(data));
  const state = wasm.state;
  state.fill(0);
  let offset = 0;
  for (; data.length - offset >= RATE; offset += RATE) {
    for (let index = 0; index < RATE; index++) state[index] ^= data[offset + index];
    wasm.permute();
  }
  const rest = data.length - offset;
  for (let index = 0; index < rest; index++) state[index] ^= data[offset + index];
  // Keccak's padding (not SHA-3's): 0x01 after the message, 0x80 in the block's last byte.
  state[rest] ^= 0x01;
  state[RATE - 1] ^= 0x80;
  wasm.permute();
  return state.slice(0, 32);
}
