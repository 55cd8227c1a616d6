// Copyright the @pyst/asterisk authors. MIT license.
import { AmiRawPacket } from "./_ami_raw_packet.ts";

/**
 * What an AMI packet is: an `event` (has `Event`), a `response` (has
 * `Response`), an `action` (has `Action`), or `unknown` (none of those).
 */
export type AmiMessageKind = "event" | "response" | "action" | "unknown";

/** Above this many fields, lookups go through a lazily built map. */
const MAP_THRESHOLD = 32;

/**
 * One AMI packet: an ordered list of `[key, value]` fields, as Asterisk sent
 * them (or as a client sent them, for actions).
 *
 * Keys are looked up case-insensitively (ASCII), and {@linkcode AmiMessage.get}
 * returns the FIRST match, like Asterisk's own `astman_get_header`. Repeated
 * keys (`Variable`, `ChanVariable`, `Output`, `key(0)`…) are all kept, in
 * order; read them with {@linkcode AmiMessage.getAll}. A line without a colon
 * is kept as a field whose key is `""` and whose value is the whole line.
 *
 * Messages made by {@linkcode AmiMessageDecoder} split their fields only when
 * first read, so a message that is never inspected costs almost nothing.
 *
 * @example Reading an event
 * ```ts
 * import { AmiMessage } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const message = new AmiMessage([
 *   ["Event", "VarSet"],
 *   ["Channel", "PJSIP/100-00000001"],
 *   ["Variable", "A"],
 *   ["Variable", "B"],
 * ]);
 * assert.equal(message.kind, "event");
 * assert.equal(message.event, "VarSet");
 * assert.equal(message.get("channel"), "PJSIP/100-00000001");
 * assert.deepEqual(message.getAll("Variable"), ["A", "B"]);
 * assert.deepEqual(message.toObject(), {
 *   Event: "VarSet",
 *   Channel: "PJSIP/100-00000001",
 *   Variable: ["A", "B"],
 * });
 * ```
 */
export class AmiMessage {
  /** Keys and values laid end to end (or the raw packet text). */
  readonly #text: string;
  /** Four offsets into `#text` per field indexed so far: key start/end, value start/end. */
  #index: number[] = [];
  /** Where indexing resumes in `#text`; its length once every line is indexed. */
  #scan = 0;
  /** The next colon at or after `#scan` (-1: none; -2: not searched yet). */
  #colon = -2;
  #fields: ReadonlyArray<readonly [string, string]> | undefined;
  /** ASCII-lowercased key -> field numbers, for large messages. */
  #byKey: Map<string, number[]> | undefined;

  /**
   * Creates a message from its fields, in order.
   *
   * @param fields `[key, value]` pairs; keys may repeat.
   * @throws {TypeError} If a field is not a pair of strings.
   */
  constructor(fields: Iterable<readonly [string, string]>) {
    if (fields instanceof AmiRawPacket) {
      this.#text = fields.text;
      return;
    }
    this.#text = "";
    let text = "";
    const index: number[] = [];
    for (const field of fields) {
      const key: unknown = Array.isArray(field) ? field[0] : undefined;
      const value: unknown = Array.isArray(field) ? field[1] : undefined;
      if (
        typeof key !== "string" || typeof value !== "string" ||
        field.length !== 2
      ) {
        throw new TypeError(
          `Cannot create AMI message: field ${
            index.length / 4
          } is not a [key, value] pair of strings`,
        );
      }
      const keyStart = text.length;
      text += key;
      const keyEnd = text.length;
      text += value;
      index.push(keyStart, keyEnd, keyEnd, text.length);
    }
    this.#text = text;
    this.#index = index;
    this.#scan = text.length;
  }

  /** The fields in order, as `[key, value]` pairs (a frozen array, built on first use). */
  get fields(): ReadonlyArray<readonly [string, string]> {
    if (this.#fields !== undefined) return this.#fields;
    // Not fully indexed yet: one pass straight to fields is cheaper.
    if (this.#scan < this.#text.length) {
      return this.#fields = splitFields(this.#text);
    }
    const index = this.#getIndex();
    const text = this.#text;
    const fields: (readonly [string, string])[] = [];
    for (let i = 0; i < index.length; i += 4) {
      fields.push([
        text.slice(index[i]!, index[i + 1]!),
        text.slice(index[i + 2]!, index[i + 3]!),
      ]);
    }
    this.#fields = Object.freeze(fields);
    return this.#fields;
  }

  /**
   * What the packet is. `Event` is checked before `Response`, because
   * `OriginateResponse` events carry both; `Action` comes last.
   */
  get kind(): AmiMessageKind {
    if (this.#find("event") !== -1) return "event";
    if (this.#find("response") !== -1) return "response";
    if (this.#find("action") !== -1) return "action";
    return "unknown";
  }

  /** The `Event` field, if any. */
  get event(): string | undefined {
    return this.get("Event");
  }

  /** The `Response` field, if any. */
  get response(): string | undefined {
    return this.get("Response");
  }

  /** The `Action` field, if any. */
  get action(): string | undefined {
    return this.get("Action");
  }

  /** The `ActionID` field, if any. */
  get actionId(): string | undefined {
    return this.get("ActionID");
  }

  /**
   * Returns the value of the first field named `key` (ASCII
   * case-insensitive).
   *
   * @param key The field name, in any case.
   * @returns The value, or `undefined` when there is no such field.
   *
   * @example First match wins
   * ```ts
   * import { AmiMessage } from "@pyst/asterisk/manager";
   * import assert from "node:assert/strict";
   *
   * const message = new AmiMessage([["Output", "one"], ["Output", "two"]]);
   * assert.equal(message.get("OUTPUT"), "one");
   * assert.equal(message.get("Missing"), undefined);
   * ```
   */
  get(key: string): string | undefined {
    const at = this.#find(key);
    if (at === -1) return undefined;
    const index = this.#index;
    return this.#text.slice(index[at * 4 + 2]!, index[at * 4 + 3]!);
  }

  /**
   * Returns the values of every field named `key` (ASCII case-insensitive),
   * in order.
   *
   * @param key The field name, in any case.
   * @returns The values; empty when there is no such field.
   *
   * @example Command output lines
   * ```ts
   * import { AmiMessage } from "@pyst/asterisk/manager";
   * import assert from "node:assert/strict";
   *
   * const message = new AmiMessage([
   *   ["Response", "Success"],
   *   ["Output", "line 1"],
   *   ["Output", ""],
   * ]);
   * assert.deepEqual(message.getAll("output"), ["line 1", ""]);
   * ```
   */
  getAll(key: string): string[] {
    const index = this.#getIndex();
    const text = this.#text;
    const values: string[] = [];
    const byKey = this.#getMap(index);
    if (byKey !== undefined) {
      for (const at of byKey.get(asciiLower(key)) ?? []) {
        values.push(text.slice(index[at * 4 + 2]!, index[at * 4 + 3]!));
      }
      return values;
    }
    for (let i = 0; i < index.length; i += 4) {
      if (keyEquals(text, index[i]!, index[i + 1]!, key)) {
        values.push(text.slice(index[i + 2]!, index[i + 3]!));
      }
    }
    return values;
  }

  /**
   * Tells whether a field named `key` exists (ASCII case-insensitive).
   *
   * @param key The field name, in any case.
   * @returns `true` if at least one field has that name.
   *
   * @example Checking for a header
   * ```ts
   * import { AmiMessage } from "@pyst/asterisk/manager";
   * import assert from "node:assert/strict";
   *
   * const message = new AmiMessage([["EventList", "start"]]);
   * assert.ok(message.has("eventlist"));
   * assert.ok(!message.has("ListItems"));
   * ```
   */
  has(key: string): boolean {
    return this.#find(key) !== -1;
  }

  /**
   * Returns the fields as a plain object. A key that occurs more than once
   * maps to an array of its values, in order; keys are grouped by their exact
   * spelling.
   *
   * @returns A new object.
   *
   * @example Repeated keys become arrays
   * ```ts
   * import { AmiMessage } from "@pyst/asterisk/manager";
   * import assert from "node:assert/strict";
   *
   * const message = new AmiMessage([
   *   ["Response", "Success"],
   *   ["Output", "a"],
   *   ["Output", "b"],
   * ]);
   * assert.deepEqual(message.toObject(), { Response: "Success", Output: ["a", "b"] });
   * ```
   */
  toObject(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [key, value] of this.fields) {
      if (!Object.hasOwn(out, key)) {
        if (key === "__proto__") {
          Object.defineProperty(out, key, {
            value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        } else {
          out[key] = value;
        }
        continue;
      }
      const existing = out[key]!;
      if (Array.isArray(existing)) existing.push(value);
      else out[key] = [existing, value];
    }
    return out;
  }

  /** Indexes every remaining line; returns the full index. */
  #getIndex(): number[] {
    while (this.#scan < this.#text.length) this.#indexLine();
    return this.#index;
  }

  /**
   * Indexes the next line of the raw text: the key is what precedes the
   * first colon, the value follows it less exactly one space; a line without
   * a colon has an empty key and the whole line as value. Lines end in LF,
   * with an optional CR before it.
   */
  #indexLine(): void {
    const text = this.#text;
    const pos = this.#scan;
    let lf = text.indexOf("\n", pos);
    if (lf === -1) lf = text.length;
    let end = lf;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    // Remember the next colon so lines without one cost no rescans.
    let colon = this.#colon;
    if (colon === -2 || (colon !== -1 && colon < pos)) {
      colon = this.#colon = text.indexOf(":", pos);
    }
    if (colon !== -1 && colon < end) {
      let valueStart = colon + 1;
      if (valueStart < end && text.charCodeAt(valueStart) === 32) valueStart++;
      this.#index.push(pos, colon, valueStart, end);
    } else {
      this.#index.push(pos, pos, pos, end);
    }
    this.#scan = lf + 1;
  }

  #getMap(index: number[]): Map<string, number[]> | undefined {
    if (this.#byKey !== undefined) return this.#byKey;
    if (index.length / 4 <= MAP_THRESHOLD) return undefined;
    const map = new Map<string, number[]>();
    const text = this.#text;
    for (let i = 0; i < index.length; i += 4) {
      const key = asciiLower(text.slice(index[i]!, index[i + 1]!));
      const list = map.get(key);
      if (list === undefined) map.set(key, [i / 4]);
      else list.push(i / 4);
    }
    this.#byKey = map;
    return map;
  }

  /** Number of the first field named `key`, or -1; indexes only as far as needed. */
  #find(key: string): number {
    const index = this.#index;
    const text = this.#text;
    const byKey = this.#scan >= text.length ? this.#getMap(index) : undefined;
    if (byKey !== undefined) return byKey.get(asciiLower(key))?.[0] ?? -1;
    let i = 0;
    for (;;) {
      for (; i < index.length; i += 4) {
        if (keyEquals(text, index[i]!, index[i + 1]!, key)) return i / 4;
      }
      if (this.#scan >= text.length) break;
      this.#indexLine();
    }
    return -1;
  }
}

/** Splits raw packet text into frozen fields in one pass (see `#indexLine` for the rules). */
function splitFields(text: string): ReadonlyArray<readonly [string, string]> {
  const fields: (readonly [string, string])[] = [];
  const length = text.length;
  let pos = 0;
  let colon = text.indexOf(":");
  while (pos < length) {
    let lf = text.indexOf("\n", pos);
    if (lf === -1) lf = length;
    let end = lf;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    if (colon !== -1 && colon < pos) colon = text.indexOf(":", pos);
    if (colon !== -1 && colon < end) {
      let valueStart = colon + 1;
      if (valueStart < end && text.charCodeAt(valueStart) === 32) valueStart++;
      fields.push([text.slice(pos, colon), text.slice(valueStart, end)]);
    } else {
      fields.push(["", text.slice(pos, end)]);
    }
    pos = lf + 1;
  }
  return Object.freeze(fields);
}

function asciiLower(text: string): string {
  return /[A-Z]/.test(text)
    ? text.replace(/[A-Z]+/g, (s) => s.toLowerCase())
    : text;
}

/** Compares `text[start, end)` with `key`, ASCII case-insensitively. */
function keyEquals(
  text: string,
  start: number,
  end: number,
  key: string,
): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) {
    let a = text.charCodeAt(start + i);
    let b = key.charCodeAt(i);
    if (a === b) continue;
    if (a >= 65 && a <= 90) a |= 32;
    if (b >= 65 && b <= 90) b |= 32;
    if (a !== b) return false;
  }
  return true;
}
