// Copyright the @pyst/asterisk authors. MIT license.

const encoder = new TextEncoder();

/**
 * Encodes a packet the way Asterisk writes responses and events: one
 * `Key: Value` line per field, each ending in CRLF, then a blank line. A
 * field with an empty key is written as its value alone (Asterisk writes a
 * few such bare lines, e.g. `No categories found`), mirroring how
 * {@linkcode AmiMessage} stores lines without a colon. No line length limit
 * applies: Asterisk writes long lines (the JSON of `GetConfigJSON`).
 *
 * This is the server side's writer (used by the AMI emulator); clients send
 * actions with `encodeAmiAction`.
 *
 * @param fields `[key, value]` pairs in order.
 * @returns The packet bytes.
 * @throws {TypeError} If a key or value contains CR or LF, or a field is not
 * a pair of strings.
 *
 * @example Writing a Ping response
 * ```ts
 * import { encodeAmiPacket } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeAmiPacket([["Response", "Success"], ["Ping", "Pong"]]);
 * assert.equal(new TextDecoder().decode(bytes), "Response: Success\r\nPing: Pong\r\n\r\n");
 * ```
 */
export function encodeAmiPacket(
  fields: Iterable<readonly [string, string]>,
): Uint8Array {
  let text = "";
  for (const field of fields) {
    const key: unknown = Array.isArray(field) ? field[0] : undefined;
    const value: unknown = Array.isArray(field) ? field[1] : undefined;
    if (
      typeof key !== "string" || typeof value !== "string" || field.length !== 2
    ) {
      throw new TypeError(
        "Cannot encode AMI packet: each field must be a [key, value] pair of strings",
      );
    }
    if (hasLineBreak(key) || hasLineBreak(value)) {
      throw new TypeError(
        `Cannot encode AMI packet: field ${
          JSON.stringify(key)
        } contains CR or LF`,
      );
    }
    text += key === "" ? `${value}\r\n` : `${key}: ${value}\r\n`;
  }
  return encoder.encode(text + "\r\n");
}

function hasLineBreak(text: string): boolean {
  return text.includes("\n") || text.includes("\r");
}
