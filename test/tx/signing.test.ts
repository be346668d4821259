import { Transaction, Wallet, dataSlice, decodeRlp } from "ethers";
import { describe, expect, it } from "vitest";
import { signFields, signWithEthers, type UnsignedFields } from "../../src/tx/signatures";
import { seededRandom } from "../helpers/random";

const wallet = new Wallet("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");

/** Fields over the edges of each number's encoding: zero, one byte, many bytes; calls, transfers of value, deployments. */
function randomFields(random: () => number, type: 0 | 2): UnsignedFields {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const big = () => pick([0n, 1n, 127n, 128n, 255n, 256n, 10n ** 9n, 2n ** 64n - 1n, BigInt(Math.floor(random() * 2 ** 48)) * 10n ** 9n]);
  const data = pick(["0x", "0x00", "0xa9059cbb" + "00".repeat(12) + "22".repeat(20) + "00".repeat(31) + "05", `0x${"ab".repeat(Math.floor(random() * 600))}`, `0x${"cd".repeat(Math.floor(random() * 70_000))}`]);
  return {
    chainId: pick([1, 137, 31337, 11155111]),
    nonce: pick([0, 1, 127, 128, 255, 256, 65_535, Math.floor(random() * 1_000_000)]),
    to: pick([null, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x0000000000000000000000000000000000000001", "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"]),
    data,
    value: big(),
    gasLimit: pick([21_000n, 54_178n, 30_000_000n]),
    type,
    ...(type === 0 ? { gasPrice: big() } : feeCaps(big(), big())),
  };
}

/** EIP-1559 caps: the priority fee at most the max fee. */
function feeCaps(a: bigint, b: bigint): Pick<UnsignedFields, "maxFeePerGas" | "maxPriorityFeePerGas"> {
  return a >= b ? { maxFeePerGas: a, maxPriorityFeePerGas: b } : { maxFeePerGas: b, maxPriorityFeePerGas: a };
}

describe("signFields encodes the transaction itself", () => {
  it("makes the same bytes and hash as ethers' Transaction, for legacy (EIP-155) and EIP-1559 transactions", () => {
    const random = seededRandom(19);
    for (let round = 0; round < 300; round++) {
      const fields = randomFields(random, round % 2 === 0 ? 0 : 2);
      const direct = signFields(wallet, fields);
      expect(direct).toEqual(signWithEthers(wallet, fields));
      // And the bytes decode to what was asked, signed by the account.
      const decoded = Transaction.from(direct.raw);
      expect(decoded.from).toBe(wallet.address);
      expect([decoded.type, decoded.nonce, decoded.to?.toLowerCase() ?? null, decoded.data, decoded.value, decoded.chainId]).toEqual([
        fields.type,
        fields.nonce,
        fields.to?.toLowerCase() ?? null,
        fields.data,
        fields.value,
        BigInt(fields.chainId),
      ]);
      expect(decoded.hash).toBe(direct.hash);
    }
  });

  // RLP numbers are minimal: an r or s whose first byte is zero is encoded without it (31 bytes),
  // as ethers does; a 32-byte r or s would make bytes that nodes refuse as non-canonical (and a
  // different hash). Signatures are deterministic (RFC 6979): these nonces give an r or s with a
  // leading zero byte for this key and these fields, found by trying nonces in turn, asserted below.
  it("encodes an r or s with leading zero bytes minimally, for legacy and EIP-1559 transactions", () => {
    const cases: { type: 0 | 2; nonce: number; part: "r" | "s"; zeros: number }[] = [
      { type: 0, nonce: 56, part: "r", zeros: 1 },
      { type: 0, nonce: 46, part: "s", zeros: 1 },
      { type: 2, nonce: 418, part: "r", zeros: 1 },
      { type: 2, nonce: 1, part: "s", zeros: 1 },
    ];
    for (const { type, nonce, part, zeros } of cases) {
      const fields: UnsignedFields = {
        chainId: 1,
        nonce,
        to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        data: "0x",
        value: 1n,
        gasLimit: 21_000n,
        type,
        ...(type === 0 ? { gasPrice: 10n ** 9n } : { maxFeePerGas: 2n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n }),
      };
      const reference = signWithEthers(wallet, fields);
      const signature = Transaction.from(reference.raw).signature;
      const value = signature?.[part] ?? "";
      // The case is what it says: the 32-byte value starts with `zeros` zero bytes, and no more.
      expect(value.slice(2, 2 + 2 * zeros)).toBe("00".repeat(zeros));
      expect(value.slice(2 + 2 * zeros, 4 + 2 * zeros)).not.toBe("00");
      const direct = signFields(wallet, fields);
      expect(direct).toEqual(reference);
      // The item in the bytes: the value without its leading zero bytes.
      const items = decodeRlp(type === 2 ? dataSlice(direct.raw, 1) : direct.raw) as string[];
      const item = items[(type === 2 ? 10 : 7) + (part === "s" ? 1 : 0)];
      expect(item).toBe(`0x${value.slice(2 + 2 * zeros)}`);
      expect(item.length).toBe(2 + 2 * (32 - zeros));
      expect(Transaction.from(direct.raw).from).toBe(wallet.address);
    }
  });

  // Kills the type check of the EIP-1559 encoding (`fields.type === 2` forced true, or `||` for
  // `&&` around it): a legacy transaction that also carries fee caps is still encoded as legacy.
  it("a legacy transaction given fee caps as well: encoded as legacy, with its gas price", () => {
    const fields: UnsignedFields = {
      chainId: 1,
      nonce: 3,
      to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      data: "0x",
      value: 1n,
      gasLimit: 21_000n,
      type: 0,
      gasPrice: 7n * 10n ** 9n,
      maxFeePerGas: 9n * 10n ** 9n,
      maxPriorityFeePerGas: 10n ** 9n,
    };
    const direct = signFields(wallet, fields);
    expect(direct).toEqual(signWithEthers(wallet, fields));
    const decoded = Transaction.from(direct.raw);
    expect([decoded.type, decoded.gasPrice, decoded.from]).toEqual([0, 7n * 10n ** 9n, wallet.address]);
  });

  // Kills the legacy encoding's conditions (`fields.gasPrice !== undefined` and `fields.chainId > 0`
  // forced true, `>= 0`): a legacy transaction without a price, or without a chain id (pre-EIP-155,
  // v = 27 or 28), is left to ethers, and signed as ethers signs it.
  it("a legacy transaction without a gas price or a chain id: signed as ethers signs it", () => {
    const fields: UnsignedFields = { chainId: 1, nonce: 5, to: wallet.address, data: "0x", value: 0n, gasLimit: 21_000n, type: 0 };
    expect(signFields(wallet, fields)).toEqual(signWithEthers(wallet, fields));
    const preEip155 = signFields(wallet, { ...fields, chainId: 0, gasPrice: 10n ** 9n });
    expect(preEip155).toEqual(signWithEthers(wallet, { ...fields, chainId: 0, gasPrice: 10n ** 9n }));
    expect([Transaction.from(preEip155.raw).chainId, Transaction.from(preEip155.raw).from]).toEqual([0n, wallet.address]);
  });

  // Kills the address pattern without `^` or `$` (an address of 21 bytes signed) and the legacy
  // encoding taken for an EIP-1559 transaction that carries a gas price (`||` for `&&`).
  it("refuses a malformed recipient, or a priority fee above the max fee, rather than signing it", () => {
    const fields: UnsignedFields = { chainId: 1, nonce: 0, to: "0x1234", data: "0x", value: 0n, gasLimit: 21_000n, type: 2, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n };
    expect(() => signFields(wallet, fields)).toThrow(/not an address/);
    expect(() => signFields(wallet, { ...fields, type: 0, gasPrice: 1n })).toThrow(/not an address/);
    expect(() => signFields(wallet, { ...fields, to: `0x${"11".repeat(21)}` })).toThrow(/not an address/);
    expect(() => signFields(wallet, { ...fields, to: `0x00${wallet.address}` })).toThrow(/not an address/);
    expect(() => signFields(wallet, { ...fields, to: wallet.address, maxPriorityFeePerGas: 3n })).toThrow(/priorityFee cannot be more than maxFee/);
    expect(() => signFields(wallet, { ...fields, to: wallet.address, maxPriorityFeePerGas: 3n, gasPrice: 1n })).toThrow(/priorityFee cannot be more than maxFee/);
  });
});
