// Copyright the @pyst/asterisk authors. MIT license.

import { asciiEqualFold } from "./_text.ts";

/**
 * One variable of a resolved category, as Asterisk keeps it
 * (`struct ast_variable`).
 */
export interface ConfigVariable {
  /** The name as written (lookups ignore ASCII case). */
  readonly name: string;
  /** The value: stripped of blanks, comments removed, `\;` unescaped. */
  readonly value: string;
  /** Written with `=>` instead of `=`. */
  readonly object: boolean;
  /** Copied from a base section by `[name](base)`. */
  readonly inherited: boolean;
  /** The file the variable was read from. */
  readonly file: string;
  /** 1-based line in that file. */
  readonly line: number;
}

/** What {@linkcode ConfigCategory} is made from. */
export interface ConfigCategoryInit {
  /** The section name, as written (not trimmed, at most 79 bytes). */
  readonly name: string;
  /** Marked `(!)`: hidden from lookups, only used as a base. */
  readonly isTemplate: boolean;
  /** Names of the sections it inherited from, in order. */
  readonly templates: readonly string[];
  /** Its variables in order, duplicates kept. */
  readonly variables: readonly ConfigVariable[];
  /** The file holding its header. */
  readonly file: string;
  /** 1-based line of its header. */
  readonly line: number;
}

/**
 * A section of a resolved configuration (`struct ast_category`): its
 * variables in order, duplicates kept, inherited ones included.
 *
 * @example Looking up values in a category
 * ```ts
 * import { resolveConfigSync } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const config = resolveConfigSync(
 *   "[base](!)\nallow = ulaw\n[alice](base)\nallow = alaw\nSecret = pw\n",
 * );
 * const alice = config.category("alice")!;
 * assert.equal(alice.get("allow"), "alaw");
 * assert.deepEqual(alice.getAll("allow"), ["ulaw", "alaw"]);
 * assert.equal(alice.get("secret"), "pw");
 * assert.deepEqual(alice.templates, ["base"]);
 * ```
 */
export class ConfigCategory {
  /** The section name, as written (not trimmed, at most 79 bytes). */
  readonly name: string;
  /** Marked `(!)`: hidden from lookups, only used as a base. */
  readonly isTemplate: boolean;
  /** Names of the sections it inherited from, in order. */
  readonly templates: readonly string[];
  /** Its variables in order, duplicates kept, inherited ones included. */
  readonly variables: readonly ConfigVariable[];
  /** The file holding its header. */
  readonly file: string;
  /** 1-based line of its header. */
  readonly line: number;

  /**
   * Creates a category. Resolving a config creates these for you; build one
   * yourself to format a configuration that was never a file. The arrays
   * are used as given, not copied.
   *
   * @param init The name, flags, variables and position.
   */
  constructor(init: ConfigCategoryInit) {
    this.name = init.name;
    this.isTemplate = init.isTemplate;
    this.templates = init.templates;
    this.variables = init.variables;
    this.file = init.file;
    this.line = init.line;
  }

  /**
   * The value Asterisk's `ast_variable_find_last_in_list` returns: the last
   * variable whose name matches without ASCII case.
   *
   * @param key The variable name.
   * @returns Its last value, or `undefined` when there is none.
   */
  get(key: string): string | undefined {
    const variables = this.variables;
    for (let i = variables.length - 1; i >= 0; i--) {
      const v = variables[i]!;
      if (asciiEqualFold(v.name, key)) return v.value;
    }
    return undefined;
  }

  /**
   * Every value of a repeated variable (`allow`, `exten`, `include`…), in
   * order.
   *
   * @param key The variable name, matched without ASCII case.
   * @returns The values, possibly empty.
   */
  getAll(key: string): string[] {
    const out: string[] = [];
    for (const v of this.variables) {
      if (asciiEqualFold(v.name, key)) out.push(v.value);
    }
    return out;
  }

  /**
   * Whether a variable exists.
   *
   * @param key The variable name, matched without ASCII case.
   * @returns `true` if at least one variable has that name.
   */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}
