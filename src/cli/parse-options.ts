import { verifiedChecksumAddress } from "../chain/checksum";
import { StoError } from "../errors";
import { truncate } from "../config/resolve";

/** Validates an address option (any case; a mixed-case one must have a valid EIP-55 checksum) and checksums it. */
export function parseAddressOption(value: string, option: string): string {
  const text = value.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new StoError(`${option}: "${truncate(value)}" is not an Ethereum address (0x and 40 hex digits)`);
  }
  const address = verifiedChecksumAddress(text);
  if (address === undefined) {
    throw new StoError(`${option}: "${text}" has a wrong checksum (mixed case must follow EIP-55; all lowercase skips the check)`);
  }
  return address;
}

/** A block number option: a non-negative integer. */
export function parseBlockOption(value: string, option: string): number {
  const text = value.trim();
  if (!/^[0-9]{1,15}$/.test(text)) throw new StoError(`${option}: "${truncate(value)}" is not a block number`);
  return Number(text);
}

/** A non-negative integer option with an upper bound. */
export function parseCountOption(value: string, option: string, min: number, max: number): number {
  const text = value.trim();
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new StoError(`${option}: "${truncate(value)}" is not a whole number from ${min} to ${max}`);
  }
  return Number(text);
}
