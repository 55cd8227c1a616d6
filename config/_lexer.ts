// Copyright the @pyst/asterisk authors. MIT license.
// Splits config text into lines and works out, for each line, what Asterisk's
// loader (`config_text_file_load` + `process_text_line` in main/config.c)
// sees in it, keeping the raw text so the file can be written back unchanged.
//
// The comment rules are a faithful port, including the odd corners:
// - `;--` opens a block comment unless a 4th `-` follows; `--;` closes one.
//   Blocks nest, span lines, and text before and after them is joined.
// - A `--;` outside any block still decrements the depth, so everything after
//   it is treated as comment until the next `;--` (flagged as `stray`).
// - `\;` is a literal `;` (the backslash is dropped), checked before the
//   block markers.

import {
  skipBlanks,
  trimBlanksEnd,
  truncateUtf8,
  utf8Length,
} from "./_text.ts";

/** Kinds of lines, see the public `ConfigLine` union. */
export type LineKind =
  | "blank"
  | "comment"
  | "section"
  | "item"
  | "directive"
  | "malformed";

/** Problems a single line can have. */
export type LineProblem =
  | "line-too-long"
  | "missing-equals"
  | "missing-name"
  | "missing-bracket"
  | "missing-paren"
  | "invalid-escape"
  | "comment-nesting";

/** Line break kinds. */
export type Eol = "" | "\n" | "\r\n";

/** Asterisk's `MAX_NESTED_COMMENTS`. */
export const MAX_NESTED_COMMENTS = 128;

/** Longest section name Asterisk keeps, in bytes (`char name[80]`). */
export const MAX_CATEGORY_NAME_BYTES = 79;

/**
 * One line of a config file. A single class with every field keeps all lines
 * the same shape, which keeps parsing fast; the public types narrow it by
 * `kind`.
 */
export class LineNode {
  kind: LineKind = "blank";
  raw: string;
  eol: Eol;
  line: number;
  column = 1;
  text = "";
  name = "";
  options: string[] | undefined = undefined;
  operator: "=" | "=>" | "+=" | "" = "";
  value = "";
  argument: string | undefined = undefined;
  problem: LineProblem | undefined = undefined;
  fatal = false;
  message = "";
  /** For `+=`: everything after `+=`, leading blanks kept (Asterisk appends it as is). */
  tail = "";
  /** Raw offsets of an item's value (or where an empty value would go). */
  valueStart = -1;
  valueEnd = -1;
  /** Block-comment depth before this line. */
  depthIn = 0;
  /** Block-comment depth after this line. */
  depth = 0;
  /** A `--;` outside any block comment drove the depth below zero here. */
  stray = false;
  /** Text after a section header that Asterisk ignores. */
  ignored = "";
  /** Where the line is in the lexed text (for lean lexing, which skips `raw`). */
  srcStart = 0;
  srcEnd = 0;

  constructor(raw: string, eol: Eol, line: number) {
    this.raw = raw;
    this.eol = eol;
    this.line = line;
  }

  /** Clears the node for reuse as the next line. */
  reset(eol: Eol, line: number): void {
    this.kind = "blank";
    this.raw = "";
    this.eol = eol;
    this.line = line;
    this.column = 1;
    this.text = "";
    this.name = "";
    this.options = undefined;
    this.operator = "";
    this.value = "";
    this.argument = undefined;
    this.problem = undefined;
    this.fatal = false;
    this.message = "";
    this.tail = "";
    this.valueStart = -1;
    this.valueEnd = -1;
    this.depthIn = 0;
    this.depth = 0;
    this.stray = false;
    this.ignored = "";
    this.srcStart = 0;
    this.srcEnd = 0;
  }
}

/** A copy of `node` with another line break. */
export function cloneLine(node: LineNode, eol: Eol): LineNode {
  const copy = new LineNode(node.raw, eol, node.line);
  Object.assign(copy, node);
  copy.eol = eol;
  return copy;
}

/** Options of {@linkcode lex}. */
export interface LexOptions {
  /** Lines longer than this many UTF-8 bytes (without LF) are skipped. */
  maxLineBytes: number;
  /** Remove a UTF-8 BOM at the start of the text. */
  stripBom: boolean;
  /** Block-comment depth at the start (carried between globbed files). */
  depth: number;
  /** Lines where the open block comments started (innermost last). */
  nest: number[];
  /**
   * Leave `raw` and `text` empty (they are only garbage when streaming);
   * `Lexer.raw(node)` gives the raw text when it is needed.
   */
  lean?: boolean;
  /** Always take the general path (tests compare it with the fast ones). */
  slow?: boolean;
}

/** Result of {@linkcode lex}. */
export interface LexResult {
  lines: LineNode[];
  bom: boolean;
  depth: number;
  nest: number[];
}

interface LexState {
  lean: boolean;
  slow: boolean;
  maxLineBytes: number;
  depth: number;
  nest: number[];
  nextSemi: number;
  nextNul: number;
  hasNul: boolean;
}

/**
 * Reads `text` line by line. `next()` fills a node (a fresh one, or a
 * scratch node the caller reuses so nothing piles up while streaming).
 */
export class Lexer {
  #text: string;
  #pos: number;
  #lineNo = 0;
  #state: LexState;
  /** Whether a BOM was removed. */
  readonly bom: boolean;

  constructor(text: string, options: LexOptions) {
    this.#text = text;
    let pos = 0;
    let bom = false;
    if (options.stripBom && text.charCodeAt(0) === 0xfeff) {
      bom = true;
      pos = 1;
    }
    this.#pos = pos;
    this.bom = bom;
    this.#state = {
      lean: options.lean ?? false,
      slow: options.slow ?? false,
      maxLineBytes: options.maxLineBytes,
      depth: options.depth,
      nest: options.nest.slice(),
      nextSemi: -1,
      nextNul: -1,
      hasNul: text.includes("\0"),
    };
  }

  /** The raw text of a node this lexer filled. */
  raw(node: LineNode): string {
    return node.raw !== "" || node.srcEnd === node.srcStart
      ? node.raw
      : this.#text.slice(node.srcStart, node.srcEnd);
  }

  /** Lines read so far. */
  get lines(): number {
    return this.#lineNo;
  }

  /** Block-comment depth after the lines read so far. */
  get depth(): number {
    return this.#state.depth;
  }

  /** Lines where the open block comments began. */
  get nest(): number[] {
    return this.#state.nest;
  }

  /** The next line, written into `into` (or a new node); null at the end. */
  next(into?: LineNode): LineNode | null {
    const text = this.#text;
    const pos = this.#pos;
    const length = text.length;
    if (pos >= length) return null;
    const lineNo = ++this.#lineNo;
    const nl = text.indexOf("\n", pos);
    let end: number;
    let eol: Eol;
    if (nl < 0) {
      end = length;
      eol = "";
      this.#pos = length;
    } else if (nl > pos && text.charCodeAt(nl - 1) === 13) {
      end = nl - 1;
      eol = "\r\n";
      this.#pos = nl + 1;
    } else {
      end = nl;
      eol = "\n";
      this.#pos = nl + 1;
    }
    const node = into === undefined ? new LineNode("", eol, lineNo) : into;
    if (into !== undefined) node.reset(eol, lineNo);
    lexLine(node, text, pos, end, nl < 0 ? length : nl, this.#state);
    return node;
  }
}

/** Splits `text` into lines and classifies each one. */
export function lex(text: string, options: LexOptions): LexResult {
  const lexer = new Lexer(text, options);
  const lines: LineNode[] = [];
  for (let node = lexer.next(); node !== null; node = lexer.next()) {
    lines.push(node);
  }
  return { lines, bom: lexer.bom, depth: lexer.depth, nest: lexer.nest };
}

/**
 * Classifies one stand-alone line (used by the editor for lines it writes).
 * The line must not contain a line feed.
 */
export function lexSingleLine(
  raw: string,
  eol: Eol,
  maxLineBytes: number,
  depth = 0,
): LineNode {
  const state: LexState = {
    lean: false,
    slow: false,
    maxLineBytes,
    depth,
    nest: [],
    nextSemi: -1,
    nextNul: -1,
    hasNul: raw.includes("\0"),
  };
  const node = new LineNode("", eol, 0);
  lexLine(node, raw, 0, raw.length, raw.length, state);
  return node;
}

function lexLine(
  node: LineNode,
  src: string,
  start: number,
  end: number,
  byteEnd: number,
  st: LexState,
): void {
  if (!st.lean) node.raw = src.slice(start, end);
  node.srcStart = start;
  node.srcEnd = end;
  node.depthIn = st.depth;
  const units = byteEnd - start;
  if (
    units > st.maxLineBytes ||
    (units * 3 > st.maxLineBytes &&
      utf8Length(src, start, byteEnd) > st.maxLineBytes)
  ) {
    setProblem(
      node,
      "line-too-long",
      false,
      `Line longer than ${st.maxLineBytes} bytes skipped`,
    );
    node.depth = st.depth;
    return;
  }

  let semi = st.nextSemi;
  if (semi < start) {
    semi = src.indexOf(";", start);
    if (semi < 0) semi = src.length;
    st.nextSemi = semi;
  }
  const hasSemi = semi < end;
  let hasNul = false;
  if (st.hasNul) {
    let nul = st.nextNul;
    if (nul < start) {
      nul = src.indexOf("\0", start);
      if (nul < 0) nul = src.length;
      st.nextNul = nul;
    }
    hasNul = nul < end;
  }

  if (!hasNul && !st.slow) {
    if (st.depth === 0) {
      if (!hasSemi) {
        classify(node, src, start, end, null, start, false, st.lean);
        return;
      }
      const p = semi;
      const escaped = p > start && src.charCodeAt(p - 1) === 92;
      const opens = p + 2 < end && src.charCodeAt(p + 1) === 45 &&
        src.charCodeAt(p + 2) === 45 &&
        (p + 3 >= end || src.charCodeAt(p + 3) !== 45);
      const closes = p >= start + 2 && src.charCodeAt(p - 1) === 45 &&
        src.charCodeAt(p - 2) === 45;
      if (!escaped && !opens && !closes) {
        classify(node, src, start, p, null, start, true, st.lean);
        return;
      }
      if (escaped && !opens && lexEscapes(node, src, start, end, p, st)) return;
    } else if (!hasSemi) {
      node.kind = "comment";
      node.depth = st.depth;
      return;
    }
  }
  lexSlow(node, st.lean ? src.slice(start, end) : node.raw, st);
}

/**
 * A line at depth 0 whose semicolons are `\;` escapes, possibly followed by
 * an ordinary comment: the same result as the general path without its
 * buffers. Gives up (false) at the first block-comment marker.
 */
function lexEscapes(
  node: LineNode,
  src: string,
  start: number,
  end: number,
  first: number,
  st: LexState,
): boolean {
  const removed: number[] = [];
  let newBuf = start;
  let cut = end;
  let p = first;
  while (p < end) {
    if (p > newBuf && src.charCodeAt(p - 1) === 92) {
      removed.push(p - 1);
      newBuf = p + 1;
      p = src.indexOf(";", p + 1);
      if (p < 0) p = end;
      continue;
    }
    const opens = p + 2 < end && src.charCodeAt(p + 1) === 45 &&
      src.charCodeAt(p + 2) === 45 &&
      (p + 3 >= end || src.charCodeAt(p + 3) !== 45);
    const closes = p >= newBuf + 2 && src.charCodeAt(p - 1) === 45 &&
      src.charCodeAt(p - 2) === 45;
    if (opens || closes) return false;
    cut = p;
    break;
  }
  let text = "";
  let from = start;
  for (const r of removed) {
    text += src.slice(from, r);
    from = r + 1;
  }
  text += src.slice(from, cut);
  // The map is the removed backslashes' offsets: a typed array per line
  // would cost more than the line.
  for (let i = 0; i < removed.length; i++) removed[i] = removed[i]! - start;
  classify(node, text, 0, text.length, removed, 0, true, st.lean);
  return true;
}

// Scratch buffers for the general path, grown as needed: `ch` is the C
// buffer (0 = NUL terminator), `at` the raw index of each character.
let ch = new Uint16Array(1024);
let at = new Int32Array(1024);

/** The general path: a faithful run of Asterisk's comment loop on one line. */
function lexSlow(node: LineNode, raw: string, st: LexState): void {
  const n = raw.length;
  if (ch.length < n + 1) {
    ch = new Uint16Array(n + 1024);
    at = new Int32Array(n + 1024);
  }
  for (let i = 0; i < n; i++) {
    ch[i] = raw.charCodeAt(i);
    at[i] = i;
  }
  ch[n] = 0;
  at[n] = n;
  let len = n; // index of the final terminator
  let depth = st.depth;
  let newBuf = 0;
  let proc = depth !== 0 ? -1 : 0;
  for (;;) {
    let p = -1;
    for (let i = newBuf; ch[i] !== 0; i++) {
      if (ch[i] === 59) {
        p = i;
        break;
      }
    }
    if (p < 0) break;
    if (p > newBuf && ch[p - 1] === 92) {
      // `\;`: drop the backslash (memmove), keep the semicolon.
      ch.copyWithin(p - 1, p, len + 1);
      at.copyWithin(p - 1, p, len + 1);
      len--;
      newBuf = p;
      continue;
    }
    if (ch[p + 1] === 45 && ch[p + 2] === 45 && ch[p + 3] !== 45) {
      if (depth >= MAX_NESTED_COMMENTS) {
        setProblem(
          node,
          "comment-nesting",
          true,
          `Block comments nested deeper than ${MAX_NESTED_COMMENTS}`,
        );
        node.column = p + 1;
        node.depth = depth;
        st.depth = depth;
        return;
      }
      ch[p] = 0;
      newBuf = p + 3;
      if (depth >= 0) st.nest[depth] = node.line;
      depth++;
      continue;
    }
    if (p >= newBuf + 2 && ch[p - 1] === 45 && ch[p - 2] === 45) {
      depth--;
      newBuf = p + 1;
      if (depth < 0) node.stray = true;
      if (depth === 0) {
        if (proc >= 0) {
          // Join the text after the comment to the text before it.
          let oldptr = proc;
          while (ch[oldptr] !== 0) oldptr++;
          ch.copyWithin(oldptr, newBuf, len + 1);
          at.copyWithin(oldptr, newBuf, len + 1);
          len -= newBuf - oldptr;
          newBuf = oldptr;
        } else {
          proc = newBuf;
        }
      }
      continue;
    }
    if (depth === 0) {
      ch[p] = 0;
      break;
    }
    newBuf = p + 1;
  }
  st.depth = depth;
  if (st.nest.length > Math.max(depth, 0)) st.nest.length = Math.max(depth, 0);
  node.depth = depth;
  if (proc < 0) {
    node.kind = "comment";
    return;
  }
  let stop = proc;
  while (ch[stop] !== 0) stop++;
  let text = "";
  for (let i = proc; i < stop; i += 4096) {
    text += String.fromCharCode.apply(
      null,
      ch.subarray(i, Math.min(stop, i + 4096)) as unknown as number[],
    );
  }
  classify(
    node,
    text,
    0,
    text.length,
    { at: Array.from(at.subarray(proc, stop)) },
    0,
    skipBlanks(raw, 0, n) < n,
    st.lean,
  );
  node.depth = depth;
}

function setProblem(
  node: LineNode,
  problem: LineProblem,
  fatal: boolean,
  message: string,
): void {
  node.kind = "malformed";
  node.problem = problem;
  node.fatal = fatal;
  node.message = message;
}

/**
 * Classifies the processed text `s[from, to)` of a line. `map` gives the raw
 * index of each character of `s` (null: raw index is `i - base`).
 */
function classify(
  node: LineNode,
  s: string,
  from: number,
  to: number,
  map: RawMap,
  base: number,
  commented: boolean,
  lean: boolean,
): void {
  const lo = skipBlanks(s, from, to);
  const hi = trimBlanksEnd(s, lo, to);
  if (lo === hi) {
    node.kind = commented ? "comment" : "blank";
    return;
  }
  node.column = rawIndex(map, lo, from, base) + 1;
  if (!lean) node.text = s.slice(lo, hi);
  const first = s.charCodeAt(lo);
  if (first === 91) classifySection(node, s, lo, hi);
  else if (first === 35) classifyDirective(node, s, lo, hi);
  else classifyItem(node, s, lo, hi, from, map, base);
}

/**
 * Where a character of the processed text came from. `map` is null (the
 * raw index is `i - base`), the raw index of every character (general
 * path), or the ascending raw offsets of removed characters (escapes).
 */
type RawMap = { readonly at: number[] } | number[] | null;

/** The raw index of character `i` of the processed text. */
function rawIndex(map: RawMap, i: number, from: number, base: number): number {
  if (map === null) return i - base;
  if (Array.isArray(map)) {
    let raw = i - from;
    for (const removed of map) {
      if (removed <= raw) raw++;
      else break;
    }
    return raw;
  }
  return map.at[i - from]!;
}

function classifySection(
  node: LineNode,
  s: string,
  lo: number,
  hi: number,
): void {
  let close = lo + 1;
  while (close < hi && s.charCodeAt(close) !== 93) close++;
  if (close >= hi) {
    setProblem(node, "missing-bracket", true, 'No closing "]"');
    return;
  }
  const name = truncateUtf8(s.slice(lo + 1, close), MAX_CATEGORY_NAME_BYTES);
  let rest = close + 1;
  if (rest < hi && s.charCodeAt(rest) === 40) {
    let paren = rest + 1;
    while (paren < hi && s.charCodeAt(paren) !== 41) paren++;
    if (paren >= hi) {
      setProblem(node, "missing-paren", true, 'No closing ")"');
      node.name = name;
      return;
    }
    const inside = s.slice(rest + 1, paren);
    node.options = inside.includes(",") ? inside.split(",") : [inside];
    rest = paren + 1;
  }
  node.kind = "section";
  node.name = name;
  if (rest < hi) node.ignored = s.slice(rest, hi);
}

function classifyDirective(
  node: LineNode,
  s: string,
  lo: number,
  hi: number,
): void {
  let w = lo + 1;
  while (w < hi && s.charCodeAt(w) > 32) w++;
  node.kind = "directive";
  node.name = s.slice(lo + 1, w);
  if (w >= hi) return;
  const a = skipBlanks(s, w + 1, hi);
  if (a >= hi) return;
  let arg = s.slice(a, hi);
  const q = arg.charCodeAt(0);
  if (q === 34 || q === 60) {
    const close = q === 60 ? 62 : 34;
    if (arg.charCodeAt(arg.length - 1) === close) {
      arg = arg.length === 1 ? "" : arg.slice(1, -1);
    }
  }
  node.argument = arg;
}

function classifyItem(
  node: LineNode,
  s: string,
  lo: number,
  hi: number,
  from: number,
  map: RawMap,
  base: number,
): void {
  const escaped = s.charCodeAt(lo) === 92;
  const cur = escaped ? lo + 1 : lo;
  if (escaped && (cur >= hi || s.charCodeAt(cur) < 33)) {
    setProblem(node, "invalid-escape", true, "Invalid escape");
    return;
  }
  let eq = escaped ? cur + 1 : cur;
  while (eq < hi && s.charCodeAt(eq) !== 61) eq++;
  if (eq >= hi) {
    setProblem(
      node,
      "missing-equals",
      false,
      'No "=" (equal sign), line ignored',
    );
    return;
  }
  let nameEnd: number;
  let valueFrom: number;
  if (eq > cur + (escaped ? 1 : 0) && s.charCodeAt(eq - 1) === 43) {
    node.operator = "+=";
    nameEnd = eq - 1;
    valueFrom = eq + 1;
    node.tail = s.slice(valueFrom, hi);
  } else {
    nameEnd = eq;
    valueFrom = eq + 1;
    if (valueFrom < hi && s.charCodeAt(valueFrom) === 62) {
      node.operator = "=>";
      valueFrom++;
    } else {
      node.operator = "=";
    }
  }
  const nameHi = trimBlanksEnd(s, cur, nameEnd);
  if (nameHi === cur) {
    setProblem(node, "missing-name", false, "No variable name, line ignored");
    node.operator = "";
    node.tail = "";
    return;
  }
  node.kind = "item";
  node.name = s.slice(cur, nameHi);
  const v = skipBlanks(s, valueFrom, hi);
  node.value = v < hi ? s.slice(v, hi) : "";
  if (v < hi) {
    node.valueStart = rawIndex(map, v, from, base);
    node.valueEnd = rawIndex(map, hi - 1, from, base) + 1;
  } else {
    const at = valueFrom < hi
      ? rawIndex(map, valueFrom, from, base)
      : rawIndex(map, hi - 1, from, base) + 1;
    node.valueStart = at;
    node.valueEnd = at;
  }
}
