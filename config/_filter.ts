// Copyright the @pyst/asterisk authors. MIT license.
// Category filters as Asterisk's `does_category_match` applies them: for the
// `(+name=value&…)` append filter, for `TEMPLATES=include` base lookups, and
// for AMI GetConfig's `Filter` header. A filter is a list of `name=value`
// expressions (POSIX extended regexes, matched unanchored against any one
// variable), plus the pseudo-expression `TEMPLATES=include|restrict`.

import type { ConfigVariable } from "./config_category.ts";
import { asciiEqualFold, stripBlanks } from "./_text.ts";

type Expression =
  | { kind: "templates"; value: string }
  | { kind: "regex"; name: RegExp; value: RegExp }
  | { kind: "never" };

interface CompiledFilter {
  /** Expressions counted before processing stopped. */
  expressions: Expression[];
  /** Processing stopped early (an expression without `=`): never matches. */
  truncated: boolean;
}

const cache = new Map<string, CompiledFilter>();

/** What a filter looks at in a category. */
export interface FilterTarget {
  readonly name: string;
  readonly isTemplate: boolean;
  readonly variables: readonly ConfigVariable[];
}

/**
 * `does_category_match(cat, name, filter, sep)`: name compared without ASCII
 * case, then every filter expression must hold; templates only pass when the
 * filter says `TEMPLATES=include` or `TEMPLATES=restrict`.
 */
export function categoryMatches(
  cat: FilterTarget,
  name: string | undefined,
  filter: string | undefined,
  sep: string,
): boolean {
  if (name !== undefined && name !== "" && !asciiEqualFold(cat.name, name)) {
    return false;
  }
  if (filter === undefined || filter === "") return !cat.isTemplate;
  const compiled = compileFilter(filter, sep);
  if (compiled.truncated) return false;
  let found = 0;
  let templateOk = false;
  for (const expression of compiled.expressions) {
    if (expression.kind === "never") return false;
    if (expression.kind === "templates") {
      const value = expression.value.toLowerCase();
      if (value === "include") {
        if (cat.isTemplate) templateOk = true;
        found++;
      } else if (value === "restrict") {
        if (cat.isTemplate) {
          found++;
          templateOk = true;
        } else {
          return false;
        }
      }
      continue;
    }
    for (const v of cat.variables) {
      if (expression.name.test(v.name) && expression.value.test(v.value)) {
        found++;
        break;
      }
    }
  }
  return found === compiled.expressions.length &&
    (!cat.isTemplate || templateOk);
}

function compileFilter(filter: string, sep: string): CompiledFilter {
  const key = sep + filter;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const expressions: Expression[] = [];
  let truncated = false;
  for (const nvp of strsep(filter, sep)) {
    const parts = [...strsep(nvp, "=")];
    const name = parts[0] ?? "";
    const value = parts[1];
    if (value === undefined) {
      truncated = true;
      break;
    }
    if (name === "TEMPLATES") {
      expressions.push({ kind: "templates", value });
      continue;
    }
    const nameRe = compileEre(name);
    const valueRe = compileEre(value);
    if (nameRe === null || valueRe === null) {
      expressions.push({ kind: "never" });
      break;
    }
    expressions.push({ kind: "regex", name: nameRe, value: valueRe });
  }
  const compiled = { expressions, truncated };
  if (cache.size > 256) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

/**
 * Tokens of `ast_strsep(…, AST_STRSEP_STRIP)` called until it returns NULL:
 * separators inside quotes and after a backslash do not split, and each
 * token is stripped of blanks and one pair of surrounding quotes.
 */
export function* strsep(input: string, sep: string): Generator<string> {
  let rest: string | null = input;
  while (rest !== null) {
    if (rest === "") {
      yield "";
      return;
    }
    const s: string = rest;
    const stack: string[] = [];
    let cut = -1;
    let i = 0;
    while (i < s.length) {
      if (s[i] === "\\") {
        i++;
        if (i < s.length) i++;
        else break;
        if (i >= s.length) break;
      }
      const c = s[i]!;
      if (c === "'" || c === '"') {
        if (stack.length > 0 && stack[stack.length - 1] === c) stack.pop();
        else {
          if (stack.length + 1 >= 8) return;
          stack.push(c);
        }
      }
      if (c === sep && stack.length === 0) {
        cut = i;
        break;
      }
      i++;
    }
    let token: string;
    if (cut < 0) {
      token = s;
      rest = null;
    } else {
      token = s.slice(0, cut);
      rest = s.slice(cut + 1);
    }
    yield stripQuoted(token);
  }
}

function stripQuoted(token: string): string {
  const s = stripBlanks(token);
  const first = s[0];
  if ((first === '"' || first === "'") && s[s.length - 1] === first) {
    return s.length === 1 ? "" : s.slice(1, -1);
  }
  return s;
}

const POSIX_CLASS =
  /\[:(alpha|digit|alnum|upper|lower|space|blank|punct|xdigit|cntrl|print|graph):\]/g;
const CLASS_BODY: Record<string, string> = {
  alpha: "A-Za-z",
  digit: "0-9",
  alnum: "A-Za-z0-9",
  upper: "A-Z",
  lower: "a-z",
  space: " \\t\\n\\r\\f\\v",
  blank: " \\t",
  punct: "!-\\/:-@\\[-`{-~",
  xdigit: "0-9A-Fa-f",
  cntrl: "\\x00-\\x1f\\x7f",
  print: "\\x20-\\x7e",
  graph: "\\x21-\\x7e",
};

/** Compiles a POSIX extended regex as closely as JavaScript allows. */
function compileEre(source: string): RegExp | null {
  try {
    return new RegExp(
      source.replace(POSIX_CLASS, (_, name: string) => CLASS_BODY[name]!),
    );
  } catch {
    return null;
  }
}
