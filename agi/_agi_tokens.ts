// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Splitting the tail of an AGI status line into `key=value` tokens and free
 * words. Shared by the reply decoder and SPEECH RECOGNIZE, whose `textN="…"`
 * values are quoted and may hold spaces and parentheses.
 *
 * @module
 */

/** The tokens of an AGI status-line tail. */
export interface AgiTokens {
  /** `key=value` tokens but `endpos`, in order (quotes around a value removed). */
  fields: Record<string, string>;
  /** The value of the `endpos=` token, if any. */
  endpos: string | undefined;
  /** Every other word, in order. */
  words: string[];
}

const SPACE = 0x20;
const QUOTE = 0x22;
const EQUALS = 0x3d;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Splits `text` from `from` on spaces into `key=value` tokens and words. A
 * value that starts with `"` runs to the next `"`, spaces included (Asterisk
 * does not escape it).
 */
export function parseAgiTokens(text: string, from = 0): AgiTokens {
  const fields: Record<string, string> = {};
  const words: string[] = [];
  let endpos: string | undefined;
  const length = text.length;
  let i = from;
  while (i < length) {
    while (i < length && text.charCodeAt(i) === SPACE) i++;
    if (i >= length) break;
    const start = i;
    let equals = -1;
    while (i < length && text.charCodeAt(i) !== SPACE) {
      if (equals === -1 && text.charCodeAt(i) === EQUALS) {
        equals = i;
        if (text.charCodeAt(i + 1) === QUOTE) {
          const close = text.indexOf('"', i + 2);
          i = close === -1 ? length : close + 1;
          continue;
        }
      }
      i++;
    }
    const key = equals > start ? text.slice(start, equals) : "";
    if (key !== "" && key !== "__proto__" && KEY.test(key)) {
      let value = text.slice(equals + 1, i);
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
        value = value.slice(1, -1);
      }
      if (key === "endpos") endpos = value;
      else fields[key] = value;
    } else {
      words.push(text.slice(start, i));
    }
  }
  return { fields, words, endpos };
}
