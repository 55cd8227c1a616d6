// Copyright the @pyst/asterisk authors. MIT license.
// The loader: walks lexed lines the way `config_text_file_load` and
// `process_text_line` (main/config.c) do and builds the categories. It is a
// generator that yields its I/O needs (read a file, list a directory, run a
// command) so the same code serves a synchronous and an asynchronous driver.
//
// Faithful details worth knowing:
// - An include continues in `cfg->current`: the category most recently
//   created (or appended to with `(+)`), not the includer's own pointer.
// - Files matched by one glob share one loop: the block-comment depth and the
//   current category carry from one file to the next, and only the first
//   file read has its BOM removed.
// - A bad line in an included file makes that file invalid (Asterisk stops
//   reading it and the rest of its glob), but the includer carries on; only
//   a bad line in the top-level file rejects the whole config. The include
//   level is then not restored, as in Asterisk.

import { LimitExceededError } from "../errors.ts";
import {
  ConfigCategory,
  type ConfigVariable,
  decode,
  slotsAt,
  variableAt,
} from "./config_category.ts";
import {
  ConfigAccessError,
  ConfigNotFoundError,
  ConfigSyntaxError,
  type ConfigSyntaxErrorCode,
} from "./errors.ts";
import {
  type ConfigWarning,
  type ConfigWarningCode,
  ResolvedConfig,
} from "./resolved_config.ts";
import { categoryMatches } from "./_filter.ts";
import {
  expandBraces,
  type GlobEntry,
  type GlobMatch,
  globPattern,
  hasMagic,
  joinPath,
  unescapeGlob,
} from "./_glob.ts";
import { Lexer, LineNode } from "./_lexer.ts";
import {
  type CategoryRecord,
  dataOf,
  fields,
  makeVariable,
  packVariable,
  pushVariable,
  setData,
} from "./_records.ts";
import {
  asciiEqualFold,
  asciiLower,
  quote,
  skipBlanks,
  trimBlanksEnd,
} from "./_text.ts";

/** Settings of one resolution. */
export interface ResolverSettings {
  configDir: string;
  maxLineBytes: number;
  maxIncludeDepth: number;
  maxFiles: number;
  allowOutsideConfigDir: boolean;
  strict: boolean;
  exec: boolean;
}

/** An I/O request the resolver yields. */
export type IoRequest =
  | { readonly op: "read"; readonly path: string }
  | { readonly op: "list"; readonly path: string }
  | { readonly op: "exec"; readonly command: string };

/** The driver's answer to an {@linkcode IoRequest}. */
export type IoReply =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** What output an `#exec` command produced. */
export interface ExecOutput {
  stdout: string;
  stderr?: string | undefined;
  code?: number | undefined;
}

/** The top-level input. */
export type ResolverInput =
  | {
    readonly kind: "lines";
    readonly lines: readonly LineNode[];
    readonly file: string;
  }
  | { readonly kind: "text"; readonly text: string; readonly file: string }
  | { readonly kind: "path"; readonly path: string };

type LoadResult = "ok" | "missing" | "depth" | "invalid" | "failed";

interface Site {
  file: string;
  line: number;
  column: number;
  text: string;
}

const NO_CATEGORIES: readonly CategoryRecord[] = [];
const NO_TEMPLATES: readonly string[] = Object.freeze([]);
const SECTION_INIT = {
  name: "",
  isTemplate: false,
  templates: NO_TEMPLATES,
  variables: [] as ConfigVariable[],
  file: "",
  line: 0,
};

/** Where processed lines come from: a lexer (streaming) or a document. */
interface LineSource {
  next(): LineNode | null;
  raw(node: LineNode): string;
}

function lexerSource(lexer: Lexer): LineSource {
  const scratch = new LineNode("", "", 0);
  return { next: () => lexer.next(scratch), raw: (node) => lexer.raw(node) };
}

function arraySource(lines: readonly LineNode[]): LineSource {
  let i = 0;
  return {
    next: () => (i < lines.length ? lines[i++]! : null),
    raw: (node) => node.raw,
  };
}

/** Runs a resolution, yielding I/O requests. */
export function* resolve(
  input: ResolverInput,
  settings: ResolverSettings,
): Generator<IoRequest, ResolvedConfig, IoReply> {
  const resolver = new Resolver(settings);
  return yield* resolver.run(input);
}

class Resolver {
  #s: ResolverSettings;
  #categories: CategoryRecord[] = [];
  #byName = new Map<string, CategoryRecord[]>();
  /** How many of `#categories` are in `#byName`. */
  #indexed = 0;
  #lookupNames: (string | undefined)[] = new Array(64).fill(undefined);
  #lookupLists: (CategoryRecord[] | undefined)[] = new Array(64).fill(
    undefined,
  );
  #current: CategoryRecord | null = null;
  #includeLevel = 0;
  #nesting = 0;
  #warnings: ConfigWarning[] = [];
  #files: string[] = [];
  #included = new Set<string>();
  #clones = new Map<ConfigVariable, ConfigVariable>();
  #copies = new Map<
    CategoryRecord,
    { source: unknown[]; copies: ConfigVariable[] }
  >();
  #templateLists = new Map<string, readonly string[]>();
  #nameCache: (string | undefined)[] = new Array(256).fill(undefined);
  #valueCache: (string | undefined)[] = new Array(256).fill(undefined);
  /** Where the line being processed came from (to get its raw text). */
  #source: LineSource | null = null;
  #lastExecError: unknown = undefined;

  constructor(settings: ResolverSettings) {
    this.#s = settings;
  }

  *run(input: ResolverInput): Generator<IoRequest, ResolvedConfig, IoReply> {
    if (input.kind === "path") {
      const result = yield* this.#loadPath(input.path, null);
      if (result === "missing") {
        const path = input.path.startsWith("/")
          ? input.path
          : joinPath(this.#s.configDir, input.path);
        throw new ConfigNotFoundError(
          `Cannot load config ${quote(input.path)}: file not found`,
          { path },
        );
      }
    } else {
      this.#includeLevel = 1;
      this.#countFile(input.file);
      if (input.kind === "text") {
        const lexer = new Lexer(input.text, {
          maxLineBytes: this.#s.maxLineBytes,
          stripBom: true,
          depth: 0,
          nest: [],
          lean: true,
        });
        yield* this.#processLines(lexerSource(lexer), input.file, null);
        this.#unterminated(input.file, lexer.depth, lexer.nest);
      } else {
        const lines = input.lines;
        yield* this.#processLines(arraySource(lines), input.file, null);
        const last = lines[lines.length - 1];
        const depth = last === undefined ? 0 : last.depth;
        this.#unterminated(
          input.file,
          depth,
          depth > 0 ? openCommentLines(lines, depth) : [],
        );
      }
      this.#includeLevel = 0;
    }
    return new ResolvedConfig({
      categories: this.#categories,
      warnings: this.#warnings,
      files: this.#files,
    });
  }

  // ---- files -------------------------------------------------------------

  *#loadPath(
    name: string,
    site: Site | null,
  ): Generator<IoRequest, LoadResult, IoReply> {
    if (this.#includeLevel === this.#s.maxIncludeDepth + 1) return "depth";
    this.#includeLevel++;
    const path = name.startsWith("/")
      ? name
      : joinPath(this.#s.configDir, name);
    if (site !== null && !this.#s.allowOutsideConfigDir) {
      this.#checkInside(name, path, site);
    }
    const matches = yield* this.#expand(path);
    let count = 0;
    let linesRead = 0;
    let depth = 0;
    let nest: number[] = [];
    let cat = this.#current;
    for (const match of matches) {
      if (!match.regular) {
        const at = site ?? { file: match.path, line: 0, column: 0, text: "" };
        this.#warn(
          "not-regular-file",
          "warning",
          `Not a regular file, ignored: ${quote(match.path)}`,
          at.file,
          at.line,
          at.column,
        );
        continue;
      }
      const reply: IoReply = yield { op: "read", path: match.path };
      if (!reply.ok) throw reply.error;
      const text = reply.value as string | undefined;
      if (text === undefined) continue;
      count++;
      this.#countFile(match.path);
      const lexer = new Lexer(text, {
        maxLineBytes: this.#s.maxLineBytes,
        stripBom: linesRead === 0,
        depth,
        nest,
        lean: true,
      });
      const done = yield* this.#processLines(
        lexerSource(lexer),
        match.path,
        cat,
      );
      linesRead += lexer.lines;
      cat = done.cat;
      if (!done.ok) return "invalid";
      depth = lexer.depth;
      nest = lexer.nest;
      this.#unterminated(match.path, depth, nest);
    }
    this.#includeLevel--;
    return count === 0 ? "missing" : "ok";
  }

  *#expand(path: string): Generator<IoRequest, GlobMatch[], IoReply> {
    const out: GlobMatch[] = [];
    for (const alternative of expandBraces(path)) {
      if (!hasMagic(alternative)) {
        out.push({ path: unescapeGlob(alternative), regular: true });
        continue;
      }
      const matches = yield* globPattern<IoRequest>(
        alternative,
        (dir) => this.#list(dir),
      );
      for (const match of matches) out.push(match);
    }
    return out;
  }

  *#list(
    dir: string,
  ): Generator<IoRequest, readonly GlobEntry[] | undefined, unknown> {
    const reply = (yield { op: "list", path: dir }) as IoReply;
    if (!reply.ok) throw reply.error;
    return reply.value as readonly GlobEntry[] | undefined;
  }

  #checkInside(name: string, path: string, site: Site): void {
    let dir = this.#s.configDir;
    while (dir.length > 1 && dir.endsWith("/")) dir = dir.slice(0, -1);
    const outside = path.split("/").includes("..") ||
      (path.startsWith("/") && dir !== "/" &&
        path !== dir && !path.startsWith(dir + "/"));
    if (outside) {
      throw new ConfigAccessError(
        `Cannot include ${
          quote(name)
        }: the path is outside the config directory ${
          quote(this.#s.configDir)
        }`,
        {
          path: name,
          configDir: this.#s.configDir,
          file: site.file,
          line: site.line,
        },
      );
    }
  }

  #countFile(path: string): void {
    if (this.#files.length >= this.#s.maxFiles) {
      throw new LimitExceededError(
        "maxFiles",
        this.#s.maxFiles,
        `Cannot load config: more than ${this.#s.maxFiles} files read (an include loop?)`,
      );
    }
    this.#files.push(path);
  }

  #unterminated(file: string, depth: number, nest: readonly number[]): void {
    if (depth <= 0) return;
    const line = nest[depth - 1] ?? 0;
    this.#warn(
      "unterminated-comment",
      "warning",
      `Unterminated block comment beginning on line ${line}`,
      file,
      line,
      1,
    );
  }

  // ---- lines -------------------------------------------------------------

  *#processLines(
    source: LineSource,
    file: string,
    start: CategoryRecord | null,
  ): Generator<
    IoRequest,
    { ok: boolean; cat: CategoryRecord | null },
    IoReply
  > {
    const outer = this.#source;
    this.#source = source;
    try {
      let cat = start;
      for (let line = source.next(); line !== null; line = source.next()) {
        if (line.stray) {
          this.#warn(
            "stray-comment-end",
            "warning",
            'Unmatched "--;" outside a block comment: what follows is comment until the next ";--"',
            file,
            line.line,
            this.#raw(line).indexOf("--;") + 1,
          );
        }
        switch (line.kind) {
          case "item":
            if (cat === null) {
              this.#fail(
                "no-category",
                "No category context for line",
                file,
                line,
              );
              return { ok: false, cat };
            }
            this.#item(line, file, cat);
            break;
          case "section": {
            const next = this.#section(line, file);
            if (next === null) return { ok: false, cat };
            if (cat !== null && cat !== next) trim(cat);
            cat = next;
            break;
          }
          case "directive": {
            const ok = yield* this.#directive(line, file);
            if (!ok) return { ok: false, cat };
            break;
          }
          case "malformed":
            if (line.fatal) {
              this.#fail(
                line.problem as ConfigSyntaxErrorCode,
                line.message,
                file,
                line,
              );
              return { ok: false, cat };
            }
            this.#warn(
              line.problem!,
              "warning",
              line.message,
              file,
              line.line,
              line.column,
            );
            break;
          default:
            break;
        }
      }
      if (cat !== null) trim(cat);
      return { ok: true, cat };
    } finally {
      this.#source = outer;
    }
  }

  #item(line: LineNode, file: string, cat: CategoryRecord): void {
    if (line.operator === "+=") {
      const data = flat(cat);
      // The last variable with exactly this name (strcmp), own or inherited.
      let found = -1;
      for (let i = 0; i < data.length; i += slotsAt(data, i)) {
        const item = data[i];
        const name = typeof item === "string"
          ? item
          : (item as ConfigVariable).name;
        if (name === line.name) found = i;
      }
      if (found < 0) {
        pushVariable(
          data,
          cat,
          this.#intern(line.name),
          line.value,
          false,
          file,
          line.line,
        );
        return;
      }
      const replace = variableAt(data, found, cat.file);
      const joined = replace.value + line.tail;
      const end = trimBlanksEnd(joined, 0, joined.length);
      const begin = skipBlanks(joined, 0, end);
      this.#update(cat, replace.name, joined.slice(begin, end), replace.value);
      return;
    }
    pushVariable(
      writable(cat),
      cat,
      this.#intern(line.name),
      this.#internValue(line.value),
      line.operator === "=>",
      file,
      line.line,
    );
  }

  /**
   * The same string for the same variable name, from a small direct-mapped
   * cache: configs repeat a handful of names thousands of times.
   */
  #intern(name: string): string {
    const slot = (name.length * 31 + name.charCodeAt(0) +
      name.charCodeAt(name.length - 1)) & 255;
    const known = this.#nameCache[slot];
    if (known === name) return known;
    this.#nameCache[slot] = name;
    return name;
  }

  /** Like `#intern`, for short values (`auth = 6001`, `aors = 6001`…). */
  #internValue(value: string): string {
    if (value.length > 24 || value.length === 0) return value;
    const slot = (value.length * 31 + value.charCodeAt(0) +
      value.charCodeAt(value.length - 1)) & 255;
    const known = this.#valueCache[slot];
    if (known === value) return known;
    this.#valueCache[slot] = value;
    return value;
  }

  /** `ast_variable_update`: replace the last variable matching name and value. */
  #update(
    cat: CategoryRecord,
    name: string,
    value: string,
    match: string,
  ): void {
    const data = flat(cat);
    let found = -1;
    for (let i = 0; i < data.length; i += slotsAt(data, i)) {
      const v = variableAt(data, i, cat.file);
      if (
        asciiEqualFold(v.name, name) &&
        (match === "" || asciiEqualFold(v.value, match))
      ) found = i;
    }
    if (found < 0) return;
    const old = variableAt(data, found, cat.file);
    data.splice(
      found,
      slotsAt(data, found),
      ...packVariable(cat, name, value, old.object, old.file, old.line),
    );
  }

  #section(line: LineNode, file: string): CategoryRecord | null {
    const name = line.name;
    // One reused init object: the constructor copies its fields out.
    const init = SECTION_INIT;
    init.name = name;
    init.variables = [];
    init.file = file;
    init.line = line.line;
    let created: CategoryRecord | null = new ConfigCategory(init);
    let cat = created;
    const options = line.options;
    if (options !== undefined) {
      for (const option of options) {
        if (option === "!") {
          fields(cat).isTemplate = true;
        } else if (option.charCodeAt(0) === 43) {
          const target = this.#find(name, option.slice(1), "&");
          if (target === undefined) {
            this.#fail(
              "missing-append-target",
              `Category addition requested, but category ${
                quote(name)
              } does not exist`,
              file,
              line,
            );
            return null;
          }
          cat = target;
          if (created !== null) {
            this.#current = target;
            if (created.isTemplate) fields(target).isTemplate = true;
            const into = writable(target);
            for (const item of dataOf(created)) into.push(item);
            created = null;
          }
        } else {
          const base = this.#find(option, "TEMPLATES=include", ",");
          if (base === undefined) {
            this.#fail(
              "missing-base",
              `Inheritance requested, but category ${
                quote(option)
              } does not exist`,
              file,
              line,
            );
            return null;
          }
          this.#inherit(cat, base);
        }
      }
    }
    if (line.ignored !== "") {
      this.#warn(
        "ignored-text",
        "lint",
        `Text after the section header is ignored: ${quote(line.ignored)}`,
        file,
        line.line,
        line.column,
      );
    }
    if (created !== null) {
      const categories = this.#categories;
      const previous = categories[categories.length - 1];
      if (previous !== undefined && previous.name === created.name) {
        fields(created).name = previous.name; // one string for same-named sections
      }
      categories.push(created);
      this.#current = created;
    }
    return cat;
  }

  /**
   * The categories named `name` (without ASCII case), in order. The name
   * index is brought up to date only when a lookup needs it, and the lists
   * found are kept in a small direct-mapped cache: configs look up the same
   * few names (templates) over and over, and hashing fresh strings into a
   * map of tens of thousands of keys costs a cache miss each time. A
   * name's list is only ever appended to, so its first entry is final once
   * the list exists (`complete: false` may return a list that lacks
   * categories declared since the last lookup).
   */
  #named(name: string, complete: boolean): CategoryRecord[] | undefined {
    const slot = name.length === 0 ? 0 : (name.length * 31 +
      name.charCodeAt(0) * 7 + name.charCodeAt(name.length - 1)) & 63;
    if (this.#lookupNames[slot] === name) {
      if (complete) this.#index();
      return this.#lookupLists[slot];
    }
    this.#index();
    const list = this.#byName.get(asciiLower(name));
    if (list !== undefined) {
      this.#lookupNames[slot] = name;
      this.#lookupLists[slot] = list;
    }
    return list;
  }

  /** Adds the categories declared since the last lookup to the name index. */
  #index(): void {
    const categories = this.#categories;
    const byName = this.#byName;
    for (let i = this.#indexed; i < categories.length; i++) {
      const cat = categories[i]!;
      const key = asciiLower(cat.name);
      const list = byName.get(key);
      if (list === undefined) byName.set(key, [cat]);
      else list.push(cat);
    }
    this.#indexed = categories.length;
  }

  #find(
    name: string,
    filter: string,
    sep: string,
  ): CategoryRecord | undefined {
    const pool = name === ""
      ? this.#categories
      : this.#named(name, filter !== "TEMPLATES=include") ?? NO_CATEGORIES;
    // The two lookups every file makes, without going through the filter code.
    if (filter === "TEMPLATES=include") return pool[0];
    if (filter === "") {
      for (const cat of pool) if (!cat.isTemplate) return cat;
      return undefined;
    }
    for (const cat of pool) {
      // A fresh view: the category's own `variables` would be cached while
      // it is still growing.
      const target = {
        name: cat.name,
        isTemplate: cat.isTemplate,
        variables: decode(dataOf(cat), cat.file),
      };
      if (categoryMatches(target, name, filter, sep)) return cat;
    }
    return undefined;
  }

  /**
   * The variables a section gets from `base`: its variables as inherited
   * objects, shared by every heir and cached per base until its list
   * changes.
   */
  #inheritedCopies(base: CategoryRecord): ConfigVariable[] {
    const source = dataOf(base);
    const cached = this.#copies.get(base);
    if (cached !== undefined && cached.source.length === source.length) {
      let same = true;
      for (let i = 0; i < source.length; i++) {
        if (cached.source[i] !== source[i]) {
          same = false;
          break;
        }
      }
      if (same) return cached.copies;
    }
    const copies: ConfigVariable[] = [];
    for (let i = 0; i < source.length; i += slotsAt(source, i)) {
      const item = source[i];
      if (Array.isArray(item)) {
        // A run of inherited variables: already inherited objects.
        for (const v of item as ConfigVariable[]) copies.push(v);
        continue;
      }
      const v = variableAt(source, i, base.file);
      if (v.inherited) {
        copies.push(v);
        continue;
      }
      let clone = this.#clones.get(v);
      if (clone === undefined) {
        clone = makeVariable(v.name, v.value, v.object, true, v.file, v.line);
        if (typeof source[i] !== "string") this.#clones.set(v, clone);
      }
      copies.push(clone);
    }
    this.#copies.set(base, { source: source.slice(), copies });
    return copies;
  }

  #inherit(cat: CategoryRecord, base: CategoryRecord): void {
    if (cat.templates.length === 0) {
      // Most sections have one base: share one frozen list per base name.
      let list = this.#templateLists.get(base.name);
      if (list === undefined) {
        list = Object.freeze([base.name]);
        this.#templateLists.set(base.name, list);
      }
      fields(cat).templates = list;
    } else {
      fields(cat).templates = [...cat.templates, base.name];
    }
    const copies = this.#inheritedCopies(base);
    if (dataOf(cat).length === 0) {
      // Share the cached copies until the section gets a variable of its own.
      setData(cat, copies);
      shared.add(copies);
    } else {
      // One slot referring to the shared copies, not a slot per variable.
      writable(cat).push(copies);
    }
  }

  *#directive(
    line: LineNode,
    file: string,
  ): Generator<IoRequest, boolean, IoReply> {
    const word = asciiLower(line.name);
    const shown = quote("#" + line.name);
    let kind: "include" | "tryinclude" | "exec";
    if (word === "include" || word === "tryinclude") {
      kind = word;
    } else if (word === "exec") {
      if (!this.#s.exec) {
        this.#warn(
          "exec-disabled",
          "warning",
          "Cannot perform #exec: running commands is not enabled",
          file,
          line.line,
          line.column,
        );
        return true;
      }
      kind = "exec";
    } else {
      this.#warn(
        "unknown-directive",
        "warning",
        `Unknown directive ${shown}, line ignored`,
        file,
        line.line,
        line.column,
      );
      return true;
    }
    const argument = line.argument;
    if (argument === undefined) {
      this.#warn(
        "missing-argument",
        "warning",
        `Directive ${shown} needs an argument, line ignored`,
        file,
        line.line,
        line.column,
      );
      return true;
    }
    const site: Site = {
      file,
      line: line.line,
      column: line.column,
      text: this.#raw(line),
    };
    let result: LoadResult;
    this.#nesting++;
    try {
      if (kind === "exec") {
        result = yield* this.#execInclude(argument, site);
      } else {
        if (this.#included.has(argument)) {
          this.#warn(
            "duplicate-include",
            "warning",
            `Same file included more than once: ${quote(argument)}`,
            file,
            line.line,
            line.column,
          );
        }
        this.#included.add(argument);
        result = yield* this.#loadPath(argument, site);
      }
    } finally {
      this.#nesting--;
    }
    if (result === "depth") {
      const message =
        `Maximum include depth (${this.#s.maxIncludeDepth}) exceeded: ${
          quote(argument)
        } not read`;
      if (kind === "tryinclude") {
        this.#warn(
          "include-depth",
          "warning",
          message,
          file,
          line.line,
          line.column,
        );
        return true;
      }
      this.#fail("include-depth", message, file, line);
      return false;
    }
    if (result === "failed") {
      this.#fail(
        "exec-failed",
        `Cannot run #exec ${quote(argument)}: ${describe(this.#lastExecError)}`,
        file,
        line,
        this.#lastExecError,
      );
      return false;
    }
    if (result === "missing" && kind !== "tryinclude") {
      this.#fail(
        "missing-include",
        `The file ${
          quote(argument)
        } was listed as a #include but it does not exist`,
        file,
        line,
      );
      return false;
    }
    return true;
  }

  *#execInclude(
    command: string,
    site: Site,
  ): Generator<IoRequest, LoadResult, IoReply> {
    const reply: IoReply = yield { op: "exec", command };
    if (!reply.ok) {
      this.#lastExecError = reply.error;
      return "failed";
    }
    const output = reply.value as ExecOutput;
    const at = [site.file, site.line, site.column] as const;
    for (const text of (output.stderr ?? "").split("\n")) {
      if (text.trim() !== "") {
        this.#warn(
          "exec-stderr",
          "warning",
          `#exec ${quote(command)}: ${text}`,
          ...at,
        );
      }
    }
    if (output.code !== undefined && output.code !== 0) {
      this.#warn(
        "exec-status",
        "warning",
        `#exec ${quote(command)} exited with status ${output.code}`,
        ...at,
      );
    }
    if (output.stdout === "") {
      this.#warn(
        "exec-no-output",
        "warning",
        `#exec ${quote(command)} generated no usable output`,
        ...at,
      );
    }
    if (this.#includeLevel === this.#s.maxIncludeDepth + 1) return "depth";
    this.#includeLevel++;
    const name = `#exec ${command}`;
    this.#countFile(name);
    const lexer = new Lexer(output.stdout, {
      maxLineBytes: this.#s.maxLineBytes,
      stripBom: true,
      depth: 0,
      nest: [],
      lean: true,
    });
    const done = yield* this.#processLines(
      lexerSource(lexer),
      name,
      this.#current,
    );
    if (!done.ok) return "invalid";
    this.#unterminated(name, lexer.depth, lexer.nest);
    this.#includeLevel--;
    return "ok";
  }

  // ---- reporting ---------------------------------------------------------

  #raw(line: LineNode): string {
    return line.raw !== "" || this.#source === null
      ? line.raw
      : this.#source.raw(line);
  }

  #warn(
    code: ConfigWarningCode,
    severity: ConfigWarning["severity"],
    message: string,
    file: string,
    line: number,
    column: number,
  ): void {
    this.#warnings.push({ code, severity, message, file, line, column });
  }

  /** A line that invalidates its file: throws at top level, else records. */
  #fail(
    code: ConfigSyntaxErrorCode,
    message: string,
    file: string,
    line: LineNode,
    cause?: unknown,
  ): void {
    if (this.#nesting === 0 || this.#s.strict) {
      const detail = message.charAt(0).toLowerCase() + message.slice(1);
      throw new ConfigSyntaxError(
        `Cannot load config ${
          quote(file)
        }: ${detail} at line ${line.line}, column ${line.column}`,
        {
          code,
          file,
          line: line.line,
          column: line.column,
          text: this.#raw(line),
          cause,
        },
      );
    }
    this.#warn(code, "error", message, file, line.line, line.column);
  }
}

/**
 * Gives a category an array of exactly its size once its lines are done:
 * arrays grow with slack, and a large config keeps tens of thousands.
 */
function trim(cat: CategoryRecord): void {
  const data = dataOf(cat);
  if (!shared.has(data)) setData(cat, data.slice());
}

/** Arrays several categories use until one of them writes (copy on write). */
const shared = new WeakSet<unknown[]>();

/**
 * The category's stored variables, ready to append to: variables shared
 * with other categories become one run slot referring to them (see the
 * storage notes in config_category.ts).
 */
function writable(cat: CategoryRecord): unknown[] {
  let data = dataOf(cat);
  if (shared.has(data)) {
    data = [data];
    setData(cat, data);
  }
  return data;
}

/**
 * The category's stored variables with every run of inherited variables
 * spelled out (one slot per variable), for the rare edits (`+=`) that index
 * into them.
 */
function flat(cat: CategoryRecord): unknown[] {
  const data = dataOf(cat);
  if (shared.has(data)) {
    const copy = data.slice();
    setData(cat, copy);
    return copy;
  }
  let runs = false;
  for (let i = 0; i < data.length && !runs; i += slotsAt(data, i)) {
    runs = Array.isArray(data[i]);
  }
  if (!runs) return data;
  const out: unknown[] = [];
  for (let i = 0; i < data.length;) {
    const item = data[i];
    if (Array.isArray(item)) {
      for (const v of item) out.push(v);
      i++;
    } else {
      const n = slotsAt(data, i);
      for (let k = 0; k < n; k++) out.push(data[i + k]);
      i += n;
    }
  }
  setData(cat, out);
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Lines where still-open block comments began, for an edited document. */
function openCommentLines(lines: readonly LineNode[], depth: number): number[] {
  const nest: number[] = [];
  let previous = 0;
  for (const line of lines) {
    if (line.depth > previous) {
      for (let d = Math.max(previous, 0); d < line.depth; d++) {
        nest[d] = line.line;
      }
    }
    previous = line.depth;
  }
  nest.length = Math.max(depth, 0);
  return nest;
}
