// Copyright the @pyst/asterisk authors. MIT license.

/**
 * Most words Asterisk keeps from one command line (`MAX_ARGS` of 128 minus
 * the terminating slot); further words are dropped with a warning.
 */
const MAX_WORDS = 127;

/**
 * Splits an AGI command line into words exactly as Asterisk's `parse_args`
 * in `res_agi.c` does: space and TAB separate words outside quotes; `"`
 * toggles quoting and, right after whitespace, starts a word (so `""` is an
 * empty word); `\` makes the next character literal (`\n` is the letter `n`);
 * a quote inside a word only toggles the mode (`ab"c d"e` is `abc de`); at
 * most 127 words are kept. The line must not contain its line feed.
 *
 * @param line One command line without its trailing LF.
 * @returns The words, command words included (`["STREAM", "FILE", "beep", ""]`).
 *
 * @example Quotes, escapes and an empty argument
 * ```ts
 * import { parseAgiCommandLine } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   parseAgiCommandLine('SET VARIABLE X "a \\"quoted\\" word"'),
 *   ["SET", "VARIABLE", "X", 'a "quoted" word'],
 * );
 * assert.deepEqual(parseAgiCommandLine('STREAM FILE beep ""'), [
 *   "STREAM",
 *   "FILE",
 *   "beep",
 *   "",
 * ]);
 * assert.deepEqual(parseAgiCommandLine('ab"c d"e'), ["abc de"]);
 * ```
 */
export function parseAgiCommandLine(line: string): string[] {
  const words: string[] = [];
  let current = "";
  let open = false; // a word has been started and not yet ended
  let quoted = false;
  let escaped = false;
  let whitespace = true;
  const startWord = (): boolean => {
    if (words.length + (open ? 1 : 0) >= MAX_WORDS) return false;
    if (open) words.push(current);
    current = "";
    open = true;
    whitespace = false;
    return true;
  };
  for (const char of line) {
    if (char === '"' && !escaped) {
      quoted = !quoted;
      if (quoted && whitespace) startWord();
      continue;
    }
    if ((char === " " || char === "\t") && !quoted && !escaped) {
      whitespace = true;
      continue;
    }
    if (char === "\\" && !escaped) {
      escaped = true;
      continue;
    }
    // An ordinary character (or an escaped one).
    escaped = false;
    if (whitespace && !startWord()) continue;
    current += char;
  }
  if (open) words.push(current);
  return words;
}
