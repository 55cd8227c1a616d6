// Copyright the @pyst/asterisk authors. MIT license.

import {
  type ConfigItemOptions,
  type ConfigRemoveItemOptions,
  ConfigSection,
} from "./config_section.ts";
import {
  addItem,
  addSection,
  type Block,
  type DocState,
  documentStates,
  localGet,
  newState,
  removeItems,
  removeSection,
  setItem,
} from "./_document_model.ts";
import { MAX_LINE_BYTES } from "./_defaults.ts";

/** An item operator: `=`, `=>` (Asterisk's "object" flag) or `+=` (append). */
export type ConfigOperator = "=" | "=>" | "+=";

/**
 * What is wrong with a {@linkcode ConfigMalformedLine}. Fatal ones make
 * Asterisk reject the file: `missing-bracket`, `missing-paren`,
 * `invalid-escape`, `comment-nesting`. The others make it skip the line:
 * `line-too-long`, `missing-equals`, `missing-name`.
 */
export type ConfigLineProblem =
  | "line-too-long"
  | "missing-equals"
  | "missing-name"
  | "missing-bracket"
  | "missing-paren"
  | "invalid-escape"
  | "comment-nesting";

/** What every line of a {@linkcode ConfigDocument} has. */
export interface ConfigLineBase {
  /** The line as written, without its line break (and without a BOM). */
  readonly raw: string;
  /** Its line break: `"\n"`, `"\r\n"`, or `""` for a last line without one. */
  readonly eol: "" | "\n" | "\r\n";
  /** 1-based line number in the parsed text; 0 for lines added by editing. */
  readonly line: number;
  /** 1-based column (UTF-16 code units) where its content starts. */
  readonly column: number;
  /**
   * What Asterisk processes: comments removed, `\;` unescaped, blanks
   * stripped. Empty for blank and comment lines.
   */
  readonly text: string;
}

/** A line with nothing but blanks. */
export interface ConfigBlankLine extends ConfigLineBase {
  /** The kind of line. */
  readonly kind: "blank";
}

/** A line with nothing for Asterisk: comments (or inside a block comment). */
export interface ConfigCommentLine extends ConfigLineBase {
  /** The kind of line. */
  readonly kind: "comment";
}

/** A section header `[name](options)`. */
export interface ConfigSectionLine extends ConfigLineBase {
  /** The kind of line. */
  readonly kind: "section";
  /** The name between `[` and the first `]`, not trimmed, cut at 79 bytes. */
  readonly name: string;
  /** The comma-separated options in `(…)`, not trimmed; undefined without. */
  readonly options: readonly string[] | undefined;
}

/** An item `name = value`, `name => value` or `name += value`. */
export interface ConfigItemLine extends ConfigLineBase {
  /** The kind of line. */
  readonly kind: "item";
  /** The name before the operator, stripped (a leading `\` removed). */
  readonly name: string;
  /** The operator. */
  readonly operator: ConfigOperator;
  /** The value after the operator, stripped. */
  readonly value: string;
}

/** A directive: `#include`, `#tryinclude`, `#exec`, or an unknown one. */
export interface ConfigDirectiveLine extends ConfigLineBase {
  /** The kind of line. */
  readonly kind: "directive";
  /** The word after `#`, as written (matched without ASCII case). */
  readonly name: string;
  /** The argument, stripped, without surrounding `"…"` or `<…>`. */
  readonly argument: string | undefined;
}

/** A line Asterisk skips with a warning or rejects the file for. */
export interface ConfigMalformedLine extends ConfigLineBase {
  /** The kind of line. */
  readonly kind: "malformed";
  /** What is wrong. */
  readonly problem: ConfigLineProblem;
  /** Whether Asterisk rejects the file for it. */
  readonly fatal: boolean;
  /** What is wrong, sentence case. */
  readonly message: string;
}

/** One line of a {@linkcode ConfigDocument}. */
export type ConfigLine =
  | ConfigBlankLine
  | ConfigCommentLine
  | ConfigSectionLine
  | ConfigItemLine
  | ConfigDirectiveLine
  | ConfigMalformedLine;

/** Options of the {@linkcode ConfigDocument} constructor. */
export interface ConfigDocumentOptions {
  /** The file name used in positions and warnings. @default {"<string>"} */
  file?: string;
  /**
   * Longest line, in UTF-8 bytes without the line feed, that Asterisk reads
   * (its buffer is 8192 bytes); longer lines are skipped with a warning.
   *
   * @default {8190}
   */
  maxLineBytes?: number;
}

/** Picks one of several sections with the same name. */
export interface ConfigWhereOptions {
  /**
   * Only a section whose value of each key equals the given value, e.g.
   * `{ type: "auth" }` (keys matched without ASCII case). Values come from
   * the section's own lines, then from the bases its header names (found
   * earlier in this document, as Asterisk would).
   *
   * @default {undefined}
   */
  where?: Readonly<Record<string, string>>;
}

/** Options of {@linkcode ConfigDocument.set} and {@linkcode ConfigDocument.add}. */
export interface ConfigEditOptions
  extends ConfigWhereOptions, ConfigItemOptions {}

/** Options of {@linkcode ConfigDocument.remove}. */
export interface ConfigRemoveOptions
  extends ConfigWhereOptions, ConfigRemoveItemOptions {}

/** Options of {@linkcode ConfigDocument.addSection}. */
export interface ConfigAddSectionOptions {
  /** Mark it `(!)`. @default {false} */
  template?: boolean;
  /** Sections to inherit from, in order. @default {[]} */
  bases?: readonly string[];
}

/** Options of {@linkcode ConfigDocument.removeSection}. */
export interface ConfigRemoveSectionOptions extends ConfigWhereOptions {
  /** Remove every matching section, not only the first. @default {false} */
  all?: boolean;
}

/**
 * A config file as text, line by line, that can be edited and written back:
 * every line, comment, blank line and line break is kept, so an unedited
 * document turns back into the exact text it came from, and an edit changes
 * only the lines it touches. Section and item reads and edits work on this
 * file's own lines; {@linkcode resolveConfig} gives what Asterisk loads.
 *
 * @example Changing one value and keeping everything else
 * ```ts
 * import { ConfigDocument } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const text = "; PBX settings\n[general]\nbindport = 5060   ; SIP\n\n[6001](!)\n";
 * const doc = new ConfigDocument(text);
 * assert.equal(doc.toString(), text);
 * doc.set("general", { bindport: "5080" });
 * assert.equal(
 *   doc.toString(),
 *   "; PBX settings\n[general]\nbindport = 5080   ; SIP\n\n[6001](!)\n",
 * );
 * ```
 */
export class ConfigDocument {
  #state: DocState;

  /**
   * Parses config text. This never throws for bad content: lines Asterisk
   * would reject or skip become `malformed` lines.
   *
   * @param text The file's text.
   * @param options The file name and the line length limit.
   */
  constructor(text: string, options: ConfigDocumentOptions = {}) {
    this.#state = newState(
      text,
      options.file ?? "<string>",
      options.maxLineBytes ?? MAX_LINE_BYTES,
    );
    documentStates.set(this, this.#state);
  }

  /** The file name used in positions and warnings. */
  get file(): string {
    return this.#state.file;
  }

  /** Whether the text started with a UTF-8 byte order mark. */
  get bom(): boolean {
    return this.#state.bom;
  }

  /** Every line, in order. */
  get lines(): readonly ConfigLine[] {
    return this.#state.lines() as unknown as readonly ConfigLine[];
  }

  /**
   * The sections, in order.
   *
   * @param name Only sections with this name (without ASCII case).
   * @returns The sections.
   */
  sections(name?: string): ConfigSection[] {
    return this.#state.sections(name).map((block) => this.#wrap(block));
  }

  /**
   * The first section named `name`.
   *
   * @param name The section name, matched without ASCII case.
   * @param options Which of several same-named sections.
   * @returns The section, or `undefined`.
   */
  section(
    name: string,
    options: ConfigWhereOptions = {},
  ): ConfigSection | undefined {
    const block = this.#state.find(name, options.where);
    return block === undefined ? undefined : this.#wrap(block);
  }

  /**
   * A section's own value of `key` (see {@linkcode ConfigSection.get}).
   *
   * @param section The section name.
   * @param key The variable name.
   * @returns The value, or `undefined` (also when there is no such section).
   */
  get(section: string, key: string): string | undefined {
    const block = this.#state.find(section, undefined);
    return block === undefined ? undefined : localGet(block, key);
  }

  /**
   * Sets variables in a section (see {@linkcode ConfigSection.set}); the
   * section is added at the end when there is none, with the `where`
   * values written first.
   *
   * @param section The section name.
   * @param values The names and values to set.
   * @param options Which section, and the operator for new lines.
   * @returns This document.
   * @throws {TypeError} If Asterisk could not read a value back as given.
   */
  set(
    section: string,
    values: Readonly<Record<string, string>>,
    options: ConfigEditOptions = {},
  ): this {
    const block = this.#target(section, options.where);
    for (const [key, value] of Object.entries(values)) {
      setItem(this.#state, block, key, value, options.operator);
    }
    return this;
  }

  /**
   * Adds lines to a section (see {@linkcode ConfigSection.add}); an array
   * adds one line per value. The section is added when there is none.
   *
   * @param section The section name.
   * @param values The names and values to add.
   * @param options Which section, and the operator.
   * @returns This document.
   * @throws {TypeError} If Asterisk could not read a line back as given.
   */
  add(
    section: string,
    values: Readonly<Record<string, string | readonly string[]>>,
    options: ConfigEditOptions = {},
  ): this {
    const block = this.#target(section, options.where);
    for (const [key, value] of Object.entries(values)) {
      const list = typeof value === "string" ? [value] : value;
      for (const one of list) {
        addItem(this.#state, block, key, one, options.operator);
      }
    }
    return this;
  }

  /**
   * Removes the lines setting `key` in a section.
   *
   * @param section The section name.
   * @param key The variable name, matched without ASCII case.
   * @param options Which section, and an exact value to match.
   * @returns How many lines were removed.
   */
  remove(
    section: string,
    key: string,
    options: ConfigRemoveOptions = {},
  ): number {
    const block = this.#state.find(section, options.where);
    return block === undefined
      ? 0
      : removeItems(this.#state, block, key, options.value);
  }

  /**
   * Appends a section at the end, after a blank line.
   *
   * @param name The section name.
   * @param options Template flag and bases.
   * @returns The new section.
   * @throws {TypeError} If the name or a base cannot be written.
   */
  addSection(
    name: string,
    options: ConfigAddSectionOptions = {},
  ): ConfigSection {
    const header: string[] = [];
    if (options.template === true) header.push("!");
    for (const base of options.bases ?? []) header.push(base);
    return this.#wrap(addSection(this.#state, name, header));
  }

  /**
   * Removes a section: its header and its lines, except comment lines right
   * before the next section (they usually describe that one).
   *
   * @param name The section name, matched without ASCII case.
   * @param options Which section, or all of them.
   * @returns How many sections were removed.
   */
  removeSection(
    name: string,
    options: ConfigRemoveSectionOptions = {},
  ): number {
    const blocks = this.#state.findAll(name, options.where);
    const chosen = options.all === true ? blocks : blocks.slice(0, 1);
    for (const block of chosen) removeSection(this.#state, block);
    return chosen.length;
  }

  /**
   * The text: byte for byte what was parsed, except for edited lines.
   *
   * @returns The document as text.
   */
  toString(): string {
    return this.#state.stringify();
  }

  #wrap(block: Block): ConfigSection {
    return new ConfigSection(this, block.header as never);
  }

  #target(section: string, where: ConfigWhereOptions["where"]): Block {
    const found = this.#state.find(section, where);
    if (found !== undefined) return found;
    const block = addSection(this.#state, section, []);
    for (const [key, value] of Object.entries(where ?? {})) {
      addItem(this.#state, block, key, value, undefined);
    }
    return block;
  }
}
