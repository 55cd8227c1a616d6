// Copyright the @pyst/asterisk authors. MIT license.
// Character helpers that behave like the C routines Asterisk's config loader
// uses: "blank" means any character below 33 (`ast_strip`), and name
// comparisons fold ASCII letters only (`strcasecmp` in the C locale).

/** Index of the first non-blank character in `s[from, to)`, or `to`. */
export function skipBlanks(s: string, from: number, to: number): number {
  while (from < to && s.charCodeAt(from) < 33) from++;
  return from;
}

/** One past the last non-blank character in `s[from, to)`, or `from`. */
export function trimBlanksEnd(s: string, from: number, to: number): number {
  while (to > from && s.charCodeAt(to - 1) < 33) to--;
  return to;
}

/** `s` without leading and trailing characters below 33. */
export function stripBlanks(s: string): string {
  const start = skipBlanks(s, 0, s.length);
  const end = trimBlanksEnd(s, start, s.length);
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

const UPPER_RUNS = /[A-Z]+/g;

/** Lower-cases ASCII letters only, like `strcasecmp` does in the C locale. */
export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      return s.replace(UPPER_RUNS, (run) => run.toLowerCase());
    }
  }
  return s;
}

/** `strcasecmp(a, b) === 0` for ASCII case folding. */
export function asciiEqualFold(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return false;
  }
  return true;
}

/** Number of bytes `s[from, to)` takes in UTF-8. */
export function utf8Length(s: string, from = 0, to: number = s.length): number {
  let bytes = 0;
  for (let i = from; i < to; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < to) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The longest prefix of `s` that fits in `maxBytes` UTF-8 bytes without
 * splitting a character (Asterisk cuts section names at 79 bytes).
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (s.length * 3 <= maxBytes || utf8Length(s) <= maxBytes) return s;
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    let size = code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
    let width = 1;
    if (code >= 0xd800 && code < 0xdc00 && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        size = 4;
        width = 2;
      }
    }
    if (bytes + size > maxBytes) return s.slice(0, i);
    bytes += size;
    i += width - 1;
  }
  return s;
}

/** Quotes a value for an error message: `"value"`. */
export function quote(value: string): string {
  return JSON.stringify(value);
}
