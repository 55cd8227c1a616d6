// Copyright the @pyst/asterisk authors. MIT license.

import type { ConfigSyntaxErrorCode } from "./errors.ts";
import type { ConfigCategory } from "./config_category.ts";
import { categoryMatches } from "./_filter.ts";
import { asciiLower } from "./_text.ts";

/**
 * What a {@linkcode ConfigWarning} is about. The codes of
 * `ConfigSyntaxErrorCode` appear with severity `error` when the bad line is
 * in an included file: Asterisk logs it, stops reading that file and keeps
 * everything else.
 *
 * - `line-too-long`: longer than the line buffer, skipped.
 * - `missing-equals`: an item line without `=`, ignored.
 * - `missing-name`: an item line with nothing before `=`, ignored.
 * - `unknown-directive`: a `#` line that is not `#include`, `#tryinclude`
 *   or `#exec` (such as `#!/bin/sh`), ignored.
 * - `missing-argument`: a directive without its argument, ignored.
 * - `exec-disabled`: `#exec` while running commands is off, ignored.
 * - `unterminated-comment`: a block comment still open at the end of a file.
 * - `stray-comment-end`: a `--;` outside any block comment; Asterisk then
 *   treats every following line as comment until the next `;--`.
 * - `not-regular-file`: a glob matched a directory or device, skipped.
 * - `duplicate-include`: the same file included twice.
 * - `exec-status`, `exec-stderr`, `exec-no-output`: what Asterisk logs
 *   about an `#exec` command.
 * - `duplicate-section` (lint only): a section name used twice without a
 *   `type` that tells them apart.
 * - `ignored-text` (lint only): text after a section header that Asterisk
 *   ignores, such as `[name] (!)` with a space.
 */
export type ConfigWarningCode =
  | ConfigSyntaxErrorCode
  | "line-too-long"
  | "missing-equals"
  | "missing-name"
  | "unknown-directive"
  | "missing-argument"
  | "exec-disabled"
  | "unterminated-comment"
  | "stray-comment-end"
  | "not-regular-file"
  | "duplicate-include"
  | "exec-status"
  | "exec-stderr"
  | "exec-no-output"
  | "duplicate-section"
  | "ignored-text";

/** Something Asterisk would log while loading a config (or a lint finding). */
export interface ConfigWarning {
  /** What it is about. */
  readonly code: ConfigWarningCode;
  /**
   * `error`: Asterisk logs an error and drops the rest of an included
   * file; `warning`: Asterisk logs a warning and skips the line; `lint`:
   * Asterisk says nothing but it is probably a mistake.
   */
  readonly severity: "error" | "warning" | "lint";
  /** What happened, sentence case. */
  readonly message: string;
  /** The file (path or name). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column (UTF-16 code units). */
  readonly column: number;
}

/** What {@linkcode ResolvedConfig} is made from. */
export interface ResolvedConfigInit {
  /** Every category in file order, templates included. */
  readonly categories: readonly ConfigCategory[];
  /** What loading reported. */
  readonly warnings?: readonly ConfigWarning[];
  /** The files read, in order. */
  readonly files?: readonly string[];
}

/**
 * A configuration as Asterisk loads it (`struct ast_config`): categories in
 * file order with templates applied, duplicate sections and keys kept,
 * lookups without ASCII case where the last value wins.
 *
 * @example Looking up values the way Asterisk modules do
 * ```ts
 * import { resolveConfigSync } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const config = resolveConfigSync(`
 * [general]
 * bindport = 5060
 * [6001]
 * type = endpoint
 * [6001]
 * type = auth
 * password = secret
 * `);
 * assert.equal(config.get("general", "BINDPORT"), "5060");
 * assert.deepEqual(config.names(), ["general", "6001", "6001"]);
 * assert.equal(config.category("6001", "type=auth")!.get("password"), "secret");
 * ```
 */
export class ResolvedConfig {
  #categories: readonly ConfigCategory[];
  #warnings: readonly ConfigWarning[];
  #files: readonly string[];
  #index: Map<string, ConfigCategory[]> | undefined;

  /**
   * Wraps resolved data. {@linkcode resolveConfig} creates these for you;
   * build one yourself to format a configuration that was never a file.
   *
   * @param init The categories, and optionally warnings and files.
   */
  constructor(init: ResolvedConfigInit) {
    this.#categories = init.categories;
    this.#warnings = init.warnings ?? [];
    this.#files = init.files ?? [];
  }

  /** Every category in file order, templates included. */
  get categories(): readonly ConfigCategory[] {
    return this.#categories;
  }

  /** What loading reported: skipped lines, unknown directives, and so on. */
  get warnings(): readonly ConfigWarning[] {
    return this.#warnings;
  }

  /** The files read, in the order they were read. */
  get files(): readonly string[] {
    return this.#files;
  }

  /**
   * The names `ast_category_browse` walks: every category that is not a
   * template, in order, duplicates included.
   *
   * @returns The names.
   */
  names(): string[] {
    const out: string[] = [];
    for (const category of this.#categories) {
      if (!category.isTemplate) out.push(category.name);
    }
    return out;
  }

  /**
   * The categories `ast_category_browse_filtered` walks: matching `name`
   * (when given, without ASCII case) and `filter`. Without a filter,
   * templates are left out; `TEMPLATES=include` brings them in,
   * `TEMPLATES=restrict` gives only them; `name=value` pairs (POSIX
   * regular expressions, joined by `,`) keep categories where one variable
   * matches both.
   *
   * @param name A category name, or `undefined`/`""` for any.
   * @param filter An AMI-style filter such as `"type=endpoint"`.
   * @returns The matching categories in order.
   */
  browse(name?: string, filter?: string): ConfigCategory[] {
    const pool = name === undefined || name === ""
      ? this.#categories
      : this.#named(name);
    const out: ConfigCategory[] = [];
    for (const category of pool) {
      if (categoryMatches(category, name, filter, ",")) out.push(category);
    }
    return out;
  }

  /**
   * The category `ast_category_get` returns: the first one matching `name`
   * (without ASCII case) and `filter`; without a filter, the first that is
   * not a template.
   *
   * @param name The category name.
   * @param filter An AMI-style filter, see {@linkcode ResolvedConfig.browse}.
   * @returns The category, or `undefined`.
   */
  category(name: string, filter?: string): ConfigCategory | undefined {
    for (const category of this.#named(name)) {
      if (categoryMatches(category, name, filter, ",")) return category;
    }
    return undefined;
  }

  /**
   * The value `ast_variable_retrieve` returns: in the first non-template
   * category named `category`, the last variable named `key` (both without
   * ASCII case).
   *
   * @param category The category name.
   * @param key The variable name.
   * @returns The value, or `undefined`.
   */
  get(category: string, key: string): string | undefined {
    return this.category(category)?.get(key);
  }

  /**
   * Every value of `key` in the first non-template category named
   * `category`, in order.
   *
   * @param category The category name.
   * @param key The variable name.
   * @returns The values, possibly empty.
   */
  getAll(category: string, key: string): string[] {
    return this.category(category)?.getAll(key) ?? [];
  }

  #named(name: string): readonly ConfigCategory[] {
    if (this.#index === undefined) {
      const index = new Map<string, ConfigCategory[]>();
      for (const category of this.#categories) {
        const key = asciiLower(category.name);
        const list = index.get(key);
        if (list === undefined) index.set(key, [category]);
        else list.push(category);
      }
      this.#index = index;
    }
    return this.#index.get(asciiLower(name)) ?? [];
  }
}
