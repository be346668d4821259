import { StoError, type FieldNamer, type FieldText } from "../errors";

export { propertyNames, renderFieldText, type FieldNamer, type FieldText } from "../errors";

/**
 * Bad input in one field of a service's request. A plain `problem` reads `field: problem`; a
 * function lays the message out itself (when it names the field elsewhere, or several fields).
 * The message as constructed uses the property names; `renamed` gives the same error in the
 * CLI's words.
 */
export class InputError extends StoError {
  readonly field: string;

  constructor(field: string, problem: FieldText, options: { exitCode?: number; details?: readonly FieldText[] } = {}) {
    const text = typeof problem === "string" ? (name: FieldNamer) => `${name(field)}: ${problem}` : problem;
    super(text, options.exitCode, options.details ?? []);
    this.name = "InputError";
    this.field = field;
  }
}
