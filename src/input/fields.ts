import { StoError } from "../errors";

/**
 * How a caller names the fields of a service's request. Services name a field by its property
 * name (`checkpointId`); the CLI names it by its flag (`--checkpoint-id`), so that a message says
 * what the user typed, while a program calling the service reads the property it set.
 */
export type FieldNamer = (field: string) => string;

/** A service's own names: the property names. */
export const propertyNames: FieldNamer = (field) => field;

/** A message or warning that may name fields of the request, rendered with the caller's names. */
export type FieldText = string | ((name: FieldNamer) => string);

export function renderFieldText(text: FieldText, name: FieldNamer = propertyNames): string {
  return typeof text === "string" ? text : text(name);
}

/**
 * Bad input in one field of a service's request. A plain `problem` reads `field: problem`; a
 * function lays the message out itself (when it names the field elsewhere, or several fields).
 * The message as constructed uses the property names; `renamed` gives the same error in the
 * CLI's words.
 */
export class InputError extends StoError {
  readonly field: string;
  private readonly text: (name: FieldNamer) => string;
  private readonly detailTexts: readonly FieldText[];

  constructor(field: string, problem: FieldText, options: { exitCode?: number; details?: readonly FieldText[] } = {}) {
    const text = typeof problem === "string" ? (name: FieldNamer) => `${name(field)}: ${problem}` : problem;
    const details = options.details ?? [];
    super(text(propertyNames), options.exitCode, details.map((detail) => renderFieldText(detail)));
    this.name = "InputError";
    this.field = field;
    this.text = text;
    this.detailTexts = details;
  }

  /** The same error with the fields named by `name` (the CLI's flags). */
  renamed(name: FieldNamer): StoError {
    return new StoError(
      this.text(name),
      this.exitCode,
      this.detailTexts.map((detail) => renderFieldText(detail, name)),
    );
  }
}
