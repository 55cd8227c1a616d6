// Copyright the @pyst/asterisk authors. MIT license.
import { checkAgiLine, what } from "./_check_agi_line.ts";
import { AgiQuoted } from "./agi_quoted.ts";

export { AgiQuoted, agiQuoted } from "./agi_quoted.ts";

/**
 * One AGI command argument: a string (quoted only when it must be), a finite
 * number (written as is), or an {@linkcode AgiQuoted} (always quoted).
 */
export type AgiArgument = string | number | AgiQuoted;

/** Most words (command words and arguments) `parse_args` keeps: `MAX_ARGS` - 1. */
const MAX_WORDS = 127;
const NEEDS_QUOTES = /[\s"\\]/;
const FORBIDDEN = /[\r\n\0]/;

/**
 * Formats one AGI command line the way Asterisk's `parse_args` (res_agi.c)
 * reads it back: the command words as given, then each argument separated by
 * a space. A string argument is wrapped in `"…"` when it is empty or holds
 * whitespace, `"` or `\`, with `\` and `"` escaped by a backslash; an
 * {@linkcode AgiQuoted} argument is always wrapped.
 *
 * @param command The command words, e.g. `"GET VARIABLE"`.
 * @param args The arguments, in order.
 * @returns The line, ending in `\n`.
 * @throws {TypeError} On CR, LF or NUL anywhere (AGI cannot carry them), a
 * command that is empty or starts with `failure`, a number that is not
 * finite, more than 127 words, or a line over Asterisk's 8191-byte buffer.
 *
 * @example Quoting only where needed
 * ```ts
 * import { formatAgiCommand } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatAgiCommand("SET VARIABLE", ["ORACLE_QUOTED", 'a "quoted" word']),
 *   'SET VARIABLE ORACLE_QUOTED "a \\"quoted\\" word"\n',
 * );
 * assert.equal(formatAgiCommand("GET DATA", ["beep", 300, 2]), "GET DATA beep 300 2\n");
 * assert.throws(() => formatAgiCommand("VERBOSE", ["two\nlines"]), TypeError);
 * ```
 */
export function formatAgiCommand(
  command: string,
  args: readonly AgiArgument[] = [],
): string {
  if (typeof command !== "string") {
    throw new TypeError(
      `Cannot format AGI command: expected a string, got ${typeof command}`,
    );
  }
  let line = command;
  for (let index = 0; index < args.length; index++) {
    line += " " + formatArgument(args[index], index, command);
  }
  checkAgiLine(line, "format");
  // Each command word is at least one character: count them only when the
  // total could exceed the limit.
  if (args.length + command.length > MAX_WORDS) {
    const words = command.split(/[ \t]+/).filter((word) => word !== "").length +
      args.length;
    if (words > MAX_WORDS) {
      throw new TypeError(
        `${
          what("format", command)
        }: ${words} words exceed Asterisk's ${MAX_WORDS}`,
      );
    }
  }
  return line + "\n";
}

function formatArgument(
  arg: AgiArgument | undefined,
  index: number,
  command: string,
): string {
  if (typeof arg === "number") {
    if (!Number.isFinite(arg)) {
      throw new TypeError(
        `${
          what("format", command)
        }: argument ${index} is ${arg}, not a finite number`,
      );
    }
    return String(arg);
  }
  let quote: boolean;
  let text: string;
  if (arg instanceof AgiQuoted) {
    quote = true;
    text = arg.value;
  } else if (typeof arg === "string") {
    quote = arg === "" || NEEDS_QUOTES.test(arg);
    text = arg;
  } else {
    throw new TypeError(
      `${
        what("format", command)
      }: argument ${index} must be a string, number or AgiQuoted, got ${typeof arg}`,
    );
  }
  const bad = FORBIDDEN.exec(text);
  if (bad !== null) {
    const name = bad[0] === "\r" ? "CR" : bad[0] === "\n" ? "LF" : "NUL";
    throw new TypeError(
      `${
        what("format", command)
      }: argument ${index} contains ${name}, which AGI cannot carry`,
    );
  }
  return quote ? `"${text.replace(/["\\]/g, "\\$&")}"` : text;
}
