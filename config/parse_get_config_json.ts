// Copyright the @pyst/asterisk authors. MIT license.

import type {
  GetConfigCategoryObject,
  GetConfigObject,
  GetConfigValue,
} from "./to_get_config_object.ts";
import { addRepeated } from "./_repeated.ts";

/**
 * Parses the text of a `GetConfigJSON` answer (the `JSON:` header) into the
 * {@linkcode GetConfigObject} shape, keeping repeated keys as arrays where
 * `JSON.parse` would keep only the last one. Control characters inside
 * strings are accepted, since Asterisk does not escape them.
 *
 * @param text The JSON text.
 * @returns The object.
 * @throws {SyntaxError} If the text is not an object of objects of strings
 * and numbers.
 *
 * @example Reading what Asterisk sent
 * ```ts
 * import { parseGetConfigJson } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const json = '{"multi":{"item":"1","item":"2"},"t":{"istemplate":1}}';
 * assert.deepEqual(parseGetConfigJson(json), {
 *   multi: { item: ["1", "2"] },
 *   t: { istemplate: 1 },
 * });
 * ```
 */
export function parseGetConfigJson(text: string): GetConfigObject {
  const parser = new Parser(text);
  const out: GetConfigObject = {};
  parser.object((key) => addRepeated(out, key, parser.category()));
  parser.end();
  return out;
}

class Parser {
  #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  object(onKey: (key: string) => void): void {
    this.#space();
    this.#expect("{");
    this.#space();
    if (this.#peek() === "}") {
      this.#at++;
      return;
    }
    for (;;) {
      this.#space();
      const key = this.#string();
      this.#space();
      this.#expect(":");
      this.#space();
      onKey(key);
      this.#space();
      const c = this.#peek();
      this.#at++;
      if (c === "}") return;
      if (c !== ",") this.#fail('"," or "}"', this.#at - 1);
    }
  }

  category(): GetConfigCategoryObject {
    const out: GetConfigCategoryObject = {};
    this.object((key) => addRepeated<GetConfigValue>(out, key, this.#value()));
    return out;
  }

  end(): void {
    this.#space();
    if (this.#at !== this.#text.length) this.#fail("the end", this.#at);
  }

  #value(): GetConfigValue {
    if (this.#peek() === '"') return this.#string();
    const match = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(
      this.#text.slice(this.#at, this.#at + 64),
    );
    if (match === null) this.#fail("a string or a number", this.#at);
    this.#at += match[0].length;
    return Number(match[0]);
  }

  #string(): string {
    this.#expect('"');
    const text = this.#text;
    let out = "";
    let from = this.#at;
    for (;;) {
      const i = this.#at;
      if (i >= text.length) this.#fail('a closing "', i);
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(from, i);
        this.#at = i + 1;
        return out;
      }
      if (c !== 92) {
        this.#at = i + 1;
        continue;
      }
      out += text.slice(from, i);
      const e = text[i + 1];
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (e !== undefined && Object.hasOwn(simple, e)) {
        out += simple[e];
        this.#at = i + 2;
      } else if (
        e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))
      ) {
        out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        this.#at = i + 6;
      } else {
        this.#fail("a valid escape", i);
      }
      from = this.#at;
    }
  }

  #space(): void {
    const text = this.#text;
    while (this.#at < text.length) {
      const c = text.charCodeAt(this.#at);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.#at++;
    }
  }

  #peek(): string | undefined {
    return this.#text[this.#at];
  }

  #expect(c: string): void {
    if (this.#text[this.#at] !== c) this.#fail(`"${c}"`, this.#at);
    this.#at++;
  }

  #fail(what: string, at: number): never {
    throw new SyntaxError(
      `Cannot parse GetConfigJSON text: expected ${what} at offset ${at}`,
    );
  }
}
