// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The checks every AGI command line passes before it is written.
 *
 * @module
 */

/**
 * Longest command line Asterisk reads whole, LF included: its buffer is
 * `AGI_BUF_LEN` (8192) bytes with room for the terminating NUL.
 */
export const MAX_AGI_LINE_BYTES = 8191;

const FORBIDDEN = /[\r\n\0]/;
const FAILURE = /^failure/i;
const BLANK = /^\s*$/;
const encoder = new TextEncoder();

/**
 * Throws a `TypeError` if `line` (without its LF) cannot be sent as one AGI
 * command: CR, LF or NUL in it, a start of `failure` (Asterisk reads that as
 * "script failed" and ends the AGI), no command word, or more than
 * {@linkcode MAX_AGI_LINE_BYTES} bytes with its LF. The message starts with
 * `Cannot <action> AGI command "<line>"`.
 */
export function checkAgiLine(line: string, action = "send"): void {
  const match = FORBIDDEN.exec(line);
  if (match !== null) {
    const name = match[0] === "\r" ? "CR" : match[0] === "\n" ? "LF" : "NUL";
    throw new TypeError(
      `${what(action, line)}: ${name} at offset ${match.index} cannot be sent`,
    );
  }
  if (BLANK.test(line)) {
    throw new TypeError(`${what(action, line)}: the command is empty`);
  }
  if (FAILURE.test(line)) {
    throw new TypeError(
      `${what(action, line)}: a line starting with "failure" would end the AGI`,
    );
  }
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: skip encoding short lines.
  if (line.length * 3 + 1 > MAX_AGI_LINE_BYTES) {
    const bytes = encoder.encode(line).length + 1;
    if (bytes > MAX_AGI_LINE_BYTES) {
      throw new TypeError(
        `${
          what(action, line)
        }: the line is ${bytes} bytes with its LF, over Asterisk's ${MAX_AGI_LINE_BYTES}`,
      );
    }
  }
}

/** The start of an error message about the command `line`. */
export function what(action: string, line: string): string {
  const shown = line.length > 40 ? line.slice(0, 40) + "…" : line;
  return `Cannot ${action} AGI command ${JSON.stringify(shown)}`;
}
