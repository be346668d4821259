import { InputError } from "./fields";

/** Free text that goes on chain or into notes: not empty, bounded, one line. */
export function validateText(value: string, field: string, maxLength: number): void {
  if (value.trim() === "") throw new InputError(field, "must not be empty");
  if (value.length > maxLength) throw new InputError(field, `longer than ${maxLength} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InputError(field, "contains control characters");
}
