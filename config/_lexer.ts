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

  constructor(raw: string, eol: Eol, line: number) {
    this.raw = raw;
    this.eol = eol;
    this.line = line;
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
}

/** Result of {@linkcode lex}. */
export interface LexResult {
  lines: LineNode[];
  bom: boolean;
  depth: number;
  nest: number[];
}

interface LexState {
  maxLineBytes: number;
  depth: number;
  nest: number[];
  nextSemi: number;
  nextNul: number;
  hasNul: boolean;
}

/** Splits `text` into lines and classifies each one. */
export function lex(text: string, options: LexOptions): LexResult {
  let pos = 0;
  let bom = false;
  if (options.stripBom && text.charCodeAt(0) === 0xfeff) {
    bom = true;
    pos = 1;
  }
  const state: LexState = {
    maxLineBytes: options.maxLineBytes,
    depth: options.depth,
    nest: options.nest.slice(),
    nextSemi: -1,
    nextNul: -1,
    hasNul: text.includes("\0"),
  };
  const lines: LineNode[] = [];
  const length = text.length;
  let lineNo = 0;
  while (pos < length) {
    lineNo++;
    const nl = text.indexOf("\n", pos);
    let end: number;
    let eol: Eol;
    let next: number;
    if (nl < 0) {
      end = length;
      eol = "";
      next = length;
    } else if (nl > pos && text.charCodeAt(nl - 1) === 13) {
      end = nl - 1;
      eol = "\r\n";
      next = nl + 1;
    } else {
      end = nl;
      eol = "\n";
      next = nl + 1;
    }
    lines.push(
      lexLine(text, pos, end, nl < 0 ? length : nl, eol, lineNo, state),
    );
    pos = next;
  }
  return { lines, bom, depth: state.depth, nest: state.nest };
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
    maxLineBytes,
    depth,
    nest: [],
    nextSemi: -1,
    nextNul: -1,
    hasNul: raw.includes("\0"),
  };
  return lexLine(raw, 0, raw.length, raw.length, eol, 0, state);
}

function lexLine(
  src: string,
  start: number,
  end: number,
  byteEnd: number,
  eol: Eol,
  lineNo: number,
  st: LexState,
): LineNode {
  const node = new LineNode(src.slice(start, end), eol, lineNo);
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
    return node;
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

  if (!hasNul) {
    if (st.depth === 0) {
      if (!hasSemi) {
        classify(node, src, start, end, null, start, false);
        return node;
      }
      const p = semi;
      const escaped = p > start && src.charCodeAt(p - 1) === 92;
      const opens = p + 2 < end && src.charCodeAt(p + 1) === 45 &&
        src.charCodeAt(p + 2) === 45 &&
        (p + 3 >= end || src.charCodeAt(p + 3) !== 45);
      const closes = p >= start + 2 && src.charCodeAt(p - 1) === 45 &&
        src.charCodeAt(p - 2) === 45;
      if (!escaped && !opens && !closes) {
        classify(node, src, start, p, null, start, true);
        return node;
      }
    } else if (!hasSemi) {
      node.kind = "comment";
      node.depth = st.depth;
      return node;
    }
  }
  lexSlow(node, st);
  return node;
}

/** The general path: a faithful run of Asterisk's comment loop on one line. */
function lexSlow(node: LineNode, st: LexState): void {
  const raw = node.raw;
  const n = raw.length;
  // `ch` is the C buffer (0 = NUL terminator), `at` the raw index of each char.
  const ch: number[] = new Array(n + 1);
  const at: number[] = new Array(n + 1);
  for (let i = 0; i < n; i++) {
    ch[i] = raw.charCodeAt(i);
    at[i] = i;
  }
  ch[n] = 0;
  at[n] = n;
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
      // `\;`: drop the backslash, keep the semicolon, search on after it.
      ch.splice(p - 1, 1);
      at.splice(p - 1, 1);
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
          let oldptr = proc;
          while (ch[oldptr] !== 0) oldptr++;
          ch.splice(oldptr, newBuf - oldptr);
          at.splice(oldptr, newBuf - oldptr);
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
  for (let i = proc; i < stop; i++) text += String.fromCharCode(ch[i]!);
  classify(node, text, 0, text.length, at.slice(proc, stop), 0, true);
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
  map: number[] | null,
  base: number,
  commented: boolean,
): void {
  const lo = skipBlanks(s, from, to);
  const hi = trimBlanksEnd(s, lo, to);
  if (lo === hi) {
    node.kind = commented ? "comment" : "blank";
    return;
  }
  node.column = (map === null ? lo - base : map[lo - from]!) + 1;
  node.text = s.slice(lo, hi);
  const first = s.charCodeAt(lo);
  if (first === 91) classifySection(node, s, lo, hi);
  else if (first === 35) classifyDirective(node, s, lo, hi);
  else classifyItem(node, s, lo, hi, from, map, base);
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
    node.options = s.slice(rest + 1, paren).split(",");
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
  map: number[] | null,
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
  const rawOf = (i: number): number =>
    map === null
      ? i - base
      : i - from < map.length
      ? map[i - from]!
      : map[map.length - 1]! + 1;
  if (v < hi) {
    node.valueStart = rawOf(v);
    node.valueEnd = rawOf(hi - 1) + 1;
  } else {
    const at = valueFrom < hi ? rawOf(valueFrom) : rawOf(hi - 1) + 1;
    node.valueStart = at;
    node.valueEnd = at;
  }
}
