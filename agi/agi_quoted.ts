// Copyright the @pyst/asterisk authors. MIT license.

/**
 * An AGI argument that is always sent in double quotes, even when it needs
 * none — e.g. escape digits (`"#"`, `""`). Build it with
 * {@linkcode agiQuoted}.
 *
 * @example Forcing quotes on escape digits
 * ```ts
 * import { AgiQuoted, agiQuoted, formatAgiCommand } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const digits = agiQuoted("#");
 * assert.ok(digits instanceof AgiQuoted);
 * assert.equal(formatAgiCommand("SAY DIGITS", ["123", digits]), 'SAY DIGITS 123 "#"\n');
 * ```
 */
export class AgiQuoted {
  /** The argument's text, before quoting and escaping. */
  readonly value: string;

  /**
   * Wraps a value; prefer {@linkcode agiQuoted}.
   *
   * @param value The argument's text.
   */
  constructor(value: string) {
    this.value = value;
  }
}

/**
 * Marks an argument to be sent in double quotes whatever it holds, with `\`
 * and `"` escaped as Asterisk's `parse_args` reads them.
 *
 * @param value The argument's text.
 * @returns The marked argument.
 * @throws {TypeError} If `value` is not a string.
 *
 * @example Escape digits are always quoted
 * ```ts
 * import { agiQuoted, formatAgiCommand } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatAgiCommand("SAY DIGITS", [123, agiQuoted("#")]), 'SAY DIGITS 123 "#"\n');
 * assert.equal(formatAgiCommand("STREAM FILE", ["beep", agiQuoted("")]), 'STREAM FILE beep ""\n');
 * ```
 */
export function agiQuoted(value: string): AgiQuoted {
  if (typeof value !== "string") {
    throw new TypeError(
      `Cannot quote AGI argument: expected a string, got ${typeof value}`,
    );
  }
  return new AgiQuoted(value);
}
