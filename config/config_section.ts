// Copyright the @pyst/asterisk authors. MIT license.

import type {
  ConfigDocument,
  ConfigLine,
  ConfigOperator,
  ConfigSectionLine,
} from "./config_document.ts";
import {
  addItem,
  type Block,
  type DocState,
  documentStates,
  localGet,
  localGetAll,
  removeItems,
  setItem,
} from "./_document_model.ts";
import { LineNode } from "./_lexer.ts";
import { quote } from "./_text.ts";

/** Options of {@linkcode ConfigSection.set} and {@linkcode ConfigSection.add}. */
export interface ConfigItemOptions {
  /**
   * The operator of a new line. `set` keeps the operator of the line it
   * changes unless this says otherwise; `add` uses `=>` when the last line
   * with the same name does. `+=` writes the value right after `+=`, since
   * Asterisk appends exactly what follows it.
   *
   * @default {"="}
   */
  operator?: ConfigOperator;
}

/** Options of {@linkcode ConfigSection.remove}. */
export interface ConfigRemoveItemOptions {
  /** Only remove lines with this exact value. @default {undefined} */
  value?: string;
}

/**
 * One section of a {@linkcode ConfigDocument}: its header line and the lines
 * up to the next header. Reads and edits look at this section's own lines
 * only (no templates, no includes); edits change only the lines they touch.
 *
 * @example Editing one section
 * ```ts
 * import { parseConfig } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const doc = parseConfig("[6001]\ntype = endpoint ; the phone\nallow = ulaw\n");
 * const section = doc.section("6001")!;
 * section.set("type", "aor").add("allow", "alaw");
 * assert.equal(doc.toString(), "[6001]\ntype = aor ; the phone\nallow = ulaw\nallow = alaw\n");
 * assert.deepEqual(section.getAll("allow"), ["ulaw", "alaw"]);
 * ```
 */
export class ConfigSection {
  #state: DocState;
  #block: Block;

  /**
   * Wraps the section that starts at `header` in `document`.
   *
   * @param document The document holding the section.
   * @param header One of the document's section header lines.
   * @throws {TypeError} If `header` is not a section header of `document`.
   */
  constructor(document: ConfigDocument, header: ConfigSectionLine) {
    const state = documentStates.get(document);
    const block = state !== undefined && header instanceof LineNode
      ? state.blockOf(header)
      : undefined;
    if (state === undefined || block === undefined) {
      throw new TypeError(
        `Cannot open section ${
          quote(header.name)
        }: the header is not in this document`,
      );
    }
    this.#state = state;
    this.#block = block;
  }

  /** The section name as written. */
  get name(): string {
    return this.#block.header!.name;
  }

  /** The header line. */
  get header(): ConfigSectionLine {
    return this.#block.header as unknown as ConfigSectionLine;
  }

  /** The lines after the header, up to the next section. */
  get lines(): readonly ConfigLine[] {
    return this.#block.body as unknown as readonly ConfigLine[];
  }

  /** Marked `(!)`. */
  get isTemplate(): boolean {
    return (this.#block.header!.options ?? []).includes("!");
  }

  /** The sections named in the header to inherit from, in order. */
  get bases(): string[] {
    return (this.#block.header!.options ?? []).filter((option) =>
      option !== "!" && !option.startsWith("+")
    );
  }

  /** Whether the header appends to an earlier section (`(+)`). */
  get isAppend(): boolean {
    return (this.#block.header!.options ?? []).some((option) =>
      option.startsWith("+")
    );
  }

  /** Whether the section was removed from its document. */
  get removed(): boolean {
    return this.#block.removed;
  }

  /**
   * The section's own value of `key`: its lines applied in order, `+=`
   * included, the last value winning (templates are not looked at).
   *
   * @param key The variable name, matched without ASCII case.
   * @returns The value, or `undefined`.
   */
  get(key: string): string | undefined {
    return localGet(this.#block, key);
  }

  /**
   * Every value of `key` in the section's own lines, in order.
   *
   * @param key The variable name, matched without ASCII case.
   * @returns The values, possibly empty.
   */
  getAll(key: string): string[] {
    return localGetAll(this.#block, key);
  }

  /**
   * Sets `key` to `value`: changes the value in the last `key =` (or
   * `key =>`) line, keeping its spacing and comment, and removes later
   * `key +=` lines; adds a line when there is none.
   *
   * @param key The variable name, matched without ASCII case.
   * @param value The new value (no line breaks, no leading or trailing blanks).
   * @param options The operator for a new line.
   * @returns This section.
   * @throws {TypeError} If Asterisk could not read the value back as given.
   */
  set(key: string, value: string, options: ConfigItemOptions = {}): this {
    this.#check();
    setItem(this.#state, this.#block, key, value, options.operator);
    return this;
  }

  /**
   * Adds a `key = value` line after the section's last item, copying the
   * spacing of the items around it.
   *
   * @param key The variable name.
   * @param value The value (no line breaks, no leading or trailing blanks).
   * @param options The operator.
   * @returns This section.
   * @throws {TypeError} If Asterisk could not read the line back as given.
   */
  add(key: string, value: string, options: ConfigItemOptions = {}): this {
    this.#check();
    addItem(this.#state, this.#block, key, value, options.operator);
    return this;
  }

  /**
   * Removes the lines setting `key` (only those with `options.value`, when
   * given).
   *
   * @param key The variable name, matched without ASCII case.
   * @param options An exact value to match.
   * @returns How many lines were removed.
   */
  remove(key: string, options: ConfigRemoveItemOptions = {}): number {
    this.#check();
    return removeItems(this.#state, this.#block, key, options.value);
  }

  #check(): void {
    if (this.#block.removed) {
      throw new Error(
        `Cannot edit section ${
          quote(this.name)
        }: it was removed from its document`,
      );
    }
  }
}
