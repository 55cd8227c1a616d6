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
 * Friend access to a category's storage, for the resolver (set by the
 * class's static block; not part of the public API).
 */
export let categoryData: {
  get(category: ConfigCategory): unknown[];
  set(category: ConfigCategory, data: unknown[]): void;
};

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
  /** The file holding its header. */
  readonly file: string;
  /** 1-based line of its header. */
  readonly line: number;
  /** Variables as stored (see `decode`), and as objects once asked for. */
  #data: unknown[];
  #variables: readonly ConfigVariable[] | undefined;

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
    this.file = init.file;
    this.line = init.line;
    this.#data = init.variables as unknown[];
    this.#variables = init.variables;
  }

  static {
    categoryData = {
      get: (category) => category.#data,
      set: (category, data) => {
        category.#data = data;
        category.#variables = undefined;
      },
    };
  }

  /** Its variables in order, duplicates kept, inherited ones included. */
  get variables(): readonly ConfigVariable[] {
    return this.#variables ??= decode(this.#data, this.file);
  }

  /**
   * The value Asterisk's `ast_variable_find_last_in_list` returns: the last
   * variable whose name matches without ASCII case.
   *
   * @param key The variable name.
   * @returns Its last value, or `undefined` when there is none.
   */
  get(key: string): string | undefined {
    let found: string | undefined;
    eachVariable(this.#data, (name, value) => {
      if (asciiEqualFold(name, key)) found = value;
    });
    return found;
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
    eachVariable(this.#data, (name, value) => {
      if (asciiEqualFold(name, key)) out.push(value);
    });
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

// ---- storage ---------------------------------------------------------------
// A large config has hundreds of thousands of variables, and an object per
// variable costs more in garbage collection than the rest of loading. So the
// resolver keeps a category's own variables packed in its array as
// `name, value, meta` (`meta = line * 4 + (file follows ? 2 : 0) +
// (object ? 1 : 0)`, then the file when it is not the category's), and only
// inherited variables (shared between all heirs) as objects: either one
// object per slot, or a run of them as one slot holding an array that the
// heirs of a base share and nobody changes. The objects of `variables` are
// made on first use.

/** Calls `visit` with the name and value of every stored variable. */
export function eachVariable(
  data: readonly unknown[],
  visit: (name: string, value: string, index: number) => void,
): void {
  for (let i = 0; i < data.length;) {
    const item = data[i];
    if (typeof item === "string") {
      visit(item, data[i + 1] as string, i);
      i += ((data[i + 2] as number) & 2) === 2 ? 4 : 3;
    } else if (Array.isArray(item)) {
      for (const v of item as ConfigVariable[]) visit(v.name, v.value, i);
      i++;
    } else {
      const v = item as ConfigVariable;
      visit(v.name, v.value, i);
      i++;
    }
  }
}

/**
 * The stored variable at `index` as an object (a packed one is made anew);
 * not for a run slot.
 */
export function variableAt(
  data: readonly unknown[],
  index: number,
  file: string,
): ConfigVariable {
  const item = data[index];
  if (typeof item !== "string") return item as ConfigVariable;
  const meta = data[index + 2] as number;
  return {
    name: item,
    value: data[index + 1] as string,
    object: (meta & 1) === 1,
    inherited: false,
    file: (meta & 2) === 2 ? data[index + 3] as string : file,
    line: Math.floor(meta / 4),
  };
}

/** How many array slots the stored variable at `index` takes. */
export function slotsAt(data: readonly unknown[], index: number): number {
  return typeof data[index] !== "string"
    ? 1
    : ((data[index + 2] as number) & 2) === 2
    ? 4
    : 3;
}

/** Every stored variable as an object. */
export function decode(
  data: readonly unknown[],
  file: string,
): ConfigVariable[] {
  const out: ConfigVariable[] = [];
  for (let i = 0; i < data.length; i += slotsAt(data, i)) {
    const item = data[i];
    if (Array.isArray(item)) {
      for (const v of item as ConfigVariable[]) out.push(v);
    } else {
      out.push(variableAt(data, i, file));
    }
  }
  return out;
}
