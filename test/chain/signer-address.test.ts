import { Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { addressOfKey, loadSigner } from "../../src/chain/signer";
import { resolveConfig } from "../../src/config/resolve";
import { seededBytes, seededRandom, testSeed } from "../helpers/random";

// Every draw below comes from this seed (logged; STO_TEST_SEED replays it).
const SEED = testSeed("signer-address.test.ts");
/** secp256k1's group order: valid private keys are 1 … N − 1. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const hex = (value: bigint) => `0x${value.toString(16).padStart(64, "0")}`;

describe("the address of a private key without a Wallet", () => {
  it("is the Wallet's address for random keys and the extremes of the valid range", () => {
    const next = seededRandom(SEED);
    const keys = [1n, 2n, N - 1n, N - 2n, 2n ** 255n].map(hex);
    for (let i = 0; i < 200; i++) keys.push(`0x${seededBytes(next, 32).toString("hex")}`);
    for (const key of keys) {
      if (BigInt(key) === 0n || BigInt(key) >= N) continue;
      expect(addressOfKey(key)).toBe(new Wallet(key).address);
      expect(addressOfKey(key.slice(2).toUpperCase())).toBe(new Wallet(key).address);
    }
  });

  it("is undefined for what is not a valid key, so the Wallet reports it as before", () => {
    for (const key of [hex(0n), hex(N), hex(N + 1n), `0x${"f".repeat(64)}`, "0x1234", `0x${"g".repeat(64)}`]) {
      expect(addressOfKey(key)).toBeUndefined();
    }
  });

  it("gives a signer whose Wallet, made when first used, signs for the same address", async () => {
    const key = `0x${seededBytes(seededRandom(SEED), 32).toString("hex")}`;
    const config = resolveConfig({ ethereumPrivateKey: key, network: "local" }, {});
    const signer = await loadSigner(config, () => undefined);
    expect(signer.isDevelopmentKey).toBe(false);
    expect(signer.address).toBe(new Wallet(key).address);
    expect(signer.wallet).toBe(signer.wallet);
    expect(signer.wallet.address).toBe(signer.address);
  });
});
