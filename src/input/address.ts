import { verifiedChecksumAddress } from "../chain/checksum";
import { InputError } from "./fields";

/** A checksummed address, or why the text is not one. */
export type AddressCheck = { address: string } | { reason: string };

/**
 * Checks an address typed by a user: 0x and 40 hex digits, and when written in mixed case, a valid
 * EIP-55 checksum (all-lowercase and all-uppercase carry no checksum and are accepted, as ethers
 * does). One checksum computation per address: this runs for every row of large CSV files.
 */
export function checkAddress(value: string): AddressCheck {
  const text = value.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) return { reason: "not an Ethereum address" };
  const address = verifiedChecksumAddress(text);
  return address === undefined ? { reason: "not an Ethereum address (its mixed-case checksum is wrong)" } : { address };
}

/** Validates and checksums an address given by the user in the request's `field`. */
export function parseAddress(value: string, field: string): string {
  const checked = checkAddress(value);
  if ("address" in checked) return checked.address;
  const shown: string = value.trim();
  throw new InputError(field, `"${shown.slice(0, 50)}" is ${checked.reason}`);
}

/** A comma-separated list of addresses (empty parts skipped), each validated and checksummed. */
export function parseAddressList(value: string | undefined, field: string): string[] {
  return (value ?? "")
    .split(",")
    .filter((part) => part.trim() !== "")
    .map((part) => parseAddress(part, field));
}
