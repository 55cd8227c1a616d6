// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: turning the emulator's loose field inputs into ordered
 * `[key, value]` lists, and small packet helpers.
 *
 * @module
 */

import type { AmiEmulatorFields } from "./ami_emulator.ts";

/** Ordered fields of a packet. */
export type Fields = [string, string][];

/**
 * Normalises fields: an iterable of pairs is copied; an object gives one
 * field per key (arrays repeat the key, `undefined` is skipped, other values
 * go through `String()`).
 *
 * @throws {TypeError} On a value that is neither a scalar nor an array.
 */
export function toFields(input: AmiEmulatorFields, what: string): Fields {
  if (isIterable(input)) {
    const out: Fields = [];
    for (const pair of input) {
      if (
        !Array.isArray(pair) || typeof pair[0] !== "string" ||
        typeof pair[1] !== "string"
      ) {
        throw new TypeError(
          `Cannot use ${what}: each field must be a [key, value] pair of strings`,
        );
      }
      out.push([pair[0], pair[1]]);
    }
    return out;
  }
  if (typeof input !== "object" || input === null) {
    throw new TypeError(
      `Cannot use ${what}: expected an object or a list of [key, value] pairs`,
    );
  }
  const out: Fields = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (!["string", "number", "boolean", "bigint"].includes(typeof item)) {
        throw new TypeError(
          `Cannot use ${what}: value of "${key}" must be a string, number, boolean or bigint`,
        );
      }
      out.push([key, String(item)]);
    }
  }
  return out;
}

function isIterable(
  value: unknown,
): value is Iterable<readonly [string, string]> {
  return typeof value === "object" && value !== null &&
    Symbol.iterator in value;
}

/** Value of the first field named `key`, or `undefined`. */
export function fieldValue(fields: Fields, key: string): string | undefined {
  const lower = key.toLowerCase();
  return fields.find(([k]) => k.toLowerCase() === lower)?.[1];
}

/** Returns `fields` with `[key, value]` inserted at `at` (clamped). */
export function insertField(
  fields: Fields,
  at: number,
  key: string,
  value: string,
): Fields {
  const copy = fields.slice();
  copy.splice(Math.min(Math.max(at, 0), copy.length), 0, [key, value]);
  return copy;
}

/**
 * Formats fields as Asterisk writes them: `Key: Value` CRLF lines (a field
 * with an empty key is written bare), then a blank line. A bare CR inside a
 * value is written as is, like Asterisk echoes it (AMI splits lines on LF).
 *
 * @throws {TypeError} If a key or value holds LF, which would break framing.
 */
export function formatPacket(fields: Fields): string {
  let text = "";
  for (const [key, value] of fields) {
    if (key.includes("\n") || value.includes("\n")) {
      throw new TypeError(
        `Cannot send AMI packet: field ${JSON.stringify(key)} contains LF`,
      );
    }
    text += key === "" ? `${value}\r\n` : `${key}: ${value}\r\n`;
  }
  return text + "\r\n";
}
