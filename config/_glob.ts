// Copyright the @pyst/asterisk authors. MIT license.
// Path globbing as Asterisk gets it from glibc `glob(GLOB_NOMAGIC |
// GLOB_BRACE)`: `{a,b}` alternatives (nestable, backslash-escapable) expand
// first and each alternative is globbed on its own, its matches sorted;
// `*`, `?` and `[...]` match within one path component and never match a
// leading `.`; a pattern without any of them stands for itself (NOMAGIC).
// Directory listing is left to the caller, so this stays free of I/O.

/** A directory entry as the glob needs it. */
export interface GlobEntry {
  /** The entry's name (no slashes). */
  readonly name: string;
  /** Whether it is (or links to) a directory. */
  readonly isDirectory: boolean;
  /** Whether it is (or links to) a regular file. */
  readonly isFile: boolean;
}

/** A path a pattern expanded to. */
export interface GlobMatch {
  /** The path. */
  readonly path: string;
  /** False when a listing showed it is not a regular file. */
  readonly regular: boolean;
}

/** Expands `{…}` alternatives, glibc style; unbalanced braces stay literal. */
export function expandBraces(pattern: string): string[] {
  let begin = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 92 && i + 1 < pattern.length) i++;
    else if (c === 123) {
      begin = i;
      break;
    }
  }
  if (begin < 0) return [pattern];
  // Split the brace body at top-level commas, find the matching `}`.
  const cuts: number[] = [begin];
  let depth = 0;
  let end = -1;
  for (let i = begin + 1; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 92 && i + 1 < pattern.length) i++;
    else if (c === 123) depth++;
    else if (c === 125) {
      if (depth === 0) {
        end = i;
        break;
      }
      depth--;
    } else if (c === 44 && depth === 0) cuts.push(i);
  }
  if (end < 0) return [pattern];
  cuts.push(end);
  const head = pattern.slice(0, begin);
  const tail = pattern.slice(end + 1);
  const out: string[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const alt = pattern.slice(cuts[k]! + 1, cuts[k + 1]!);
    for (const expanded of expandBraces(head + alt + tail)) out.push(expanded);
  }
  return out;
}

/** glibc's `glob_pattern_p`: `*`, `?`, or `[` followed later by `]`. */
export function hasMagic(pattern: string): boolean {
  let open = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 63 || c === 42) return true;
    if (c === 92) i++;
    else if (c === 91) open = true;
    else if (c === 93 && open) return true;
  }
  return false;
}

/** Removes glob backslash escapes from a pattern without magic. */
export function unescapeGlob(pattern: string): string {
  if (!pattern.includes("\\")) return pattern;
  return pattern.replace(/\\(.)/gs, "$1");
}

const RE_SPECIAL = /[\\^$.*+?()[\]{}|/-]/;

function escapeRe(c: string): string {
  return RE_SPECIAL.test(c) ? "\\" + c : c;
}

const POSIX_CLASSES: Record<string, string> = {
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

/** Compiles one path component pattern (fnmatch with FNM_PERIOD). */
export function compileComponent(pattern: string): (name: string) => boolean {
  let re = "^";
  const n = pattern.length;
  for (let i = 0; i < n; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      re += i + 1 < n ? escapeRe(pattern[++i]!) : "\\\\";
    } else if (c === "*") {
      re += ".*";
    } else if (c === "?") {
      re += ".";
    } else if (c === "[") {
      const parsed = parseBracket(pattern, i);
      if (parsed === null) re += "\\[";
      else {
        re += parsed.re;
        i = parsed.end;
      }
    } else {
      re += escapeRe(c);
    }
  }
  const regexp = new RegExp(re + "$", "s");
  const dotOk = pattern.startsWith(".") || pattern.startsWith("\\.");
  return (name) => (dotOk || !name.startsWith(".")) && regexp.test(name);
}

function parseBracket(
  p: string,
  open: number,
): { re: string; end: number } | null {
  let i = open + 1;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  let body = "";
  let first = true;
  while (i < p.length) {
    const c = p[i]!;
    if (c === "]" && !first) {
      return { re: `[${negate ? "^" : ""}${body}]`, end: i };
    }
    first = false;
    if (c === "[" && p[i + 1] === ":") {
      const close = p.indexOf(":]", i + 2);
      const cls = close > 0 ? POSIX_CLASSES[p.slice(i + 2, close)] : undefined;
      if (cls !== undefined) {
        body += cls;
        i = close + 2;
        continue;
      }
    }
    let ch = c;
    if (c === "\\" && i + 1 < p.length) ch = p[++i]!;
    if (p[i + 1] === "-" && i + 2 < p.length && p[i + 2] !== "]") {
      let to = p[i + 2]!;
      let skip = 2;
      if (to === "\\" && i + 3 < p.length) {
        to = p[i + 3]!;
        skip = 3;
      }
      if (to.charCodeAt(0) >= ch.charCodeAt(0)) {
        body += escapeClassChar(ch) + "-" + escapeClassChar(to);
      }
      i += skip + 1;
      continue;
    }
    body += escapeClassChar(ch);
    i++;
  }
  return null;
}

function escapeClassChar(ch: string): string {
  return "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0");
}

/** Joins a directory and a name the way glibc's `prefix_array` does. */
export function joinPath(dir: string, name: string): string {
  if (dir === "") return name;
  return dir.endsWith("/") ? dir + name : dir + "/" + name;
}

/**
 * Expands one brace-free pattern with magic, asking `list` for directory
 * entries (undefined: not a directory). Matches come back sorted.
 */
export function* globPattern<R>(
  pattern: string,
  list: (
    dir: string,
  ) => Generator<R, readonly GlobEntry[] | undefined, unknown>,
): Generator<R, GlobMatch[], unknown> {
  const absolute = pattern.startsWith("/");
  const parts = pattern.split("/").filter((part, index) =>
    part !== "" || index === 0
  );
  if (absolute) parts.shift();
  let bases: GlobMatch[] = [{ path: absolute ? "/" : "", regular: true }];
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    const last = k === parts.length - 1;
    if (!hasMagic(part)) {
      const name = unescapeGlob(part);
      bases = bases.map((base) => ({
        path: joinPath(base.path, name),
        regular: true,
      }));
      continue;
    }
    const match = compileComponent(part);
    const next: GlobMatch[] = [];
    for (const base of bases) {
      const entries = yield* list(base.path === "" ? "." : base.path);
      if (entries === undefined) continue;
      for (const entry of entries) {
        if (!match(entry.name)) continue;
        if (!last && !entry.isDirectory) continue;
        next.push({
          path: joinPath(base.path, entry.name),
          regular: entry.isFile,
        });
      }
    }
    bases = next;
    if (bases.length === 0) break;
  }
  bases.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return bases;
}
