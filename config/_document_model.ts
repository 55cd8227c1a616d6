// Copyright the @pyst/asterisk authors. MIT license.
// The lossless document behind `ConfigDocument` and `ConfigSection`: lines
// grouped into blocks (a section header and the lines up to the next one),
// and the edits. An edit only ever replaces, inserts or removes whole lines,
// every written line is lexed back and checked to mean exactly what was
// asked, and no edit changes the block-comment depth seen by other lines.

import { cloneLine, type Eol, lex, lexSingleLine, LineNode } from "./_lexer.ts";
import {
  asciiEqualFold,
  quote,
  skipBlanks,
  trimBlanksEnd,
  utf8Length,
} from "./_text.ts";

/** A section header and its lines, or the lines before the first header. */
export interface Block {
  header: LineNode | null;
  body: LineNode[];
  removed: boolean;
}

/** Item operators a writer may use. */
export type Operator = "=" | "=>" | "+=";

/** The state of one document. */
export class DocState {
  file: string;
  bom: boolean;
  maxLineBytes: number;
  eol: "\n" | "\r\n";
  blocks: Block[] = [];
  #flat: LineNode[] | undefined;

  constructor(text: string, file: string, maxLineBytes: number) {
    this.file = file;
    this.maxLineBytes = maxLineBytes;
    const lexed = lex(text, {
      maxLineBytes,
      stripBom: true,
      depth: 0,
      nest: [],
    });
    this.bom = lexed.bom;
    let eol: "\n" | "\r\n" = "\n";
    for (const line of lexed.lines) {
      if (line.eol !== "") {
        eol = line.eol;
        break;
      }
    }
    this.eol = eol;
    let block: Block = { header: null, body: [], removed: false };
    this.blocks.push(block);
    for (const line of lexed.lines) {
      if (line.kind === "section") {
        block = { header: line, body: [], removed: false };
        this.blocks.push(block);
      } else {
        block.body.push(line);
      }
    }
  }

  /** Every line in order. */
  lines(): LineNode[] {
    if (this.#flat === undefined) {
      const flat: LineNode[] = [];
      for (const block of this.blocks) {
        if (block.removed) continue;
        if (block.header !== null) flat.push(block.header);
        for (const line of block.body) flat.push(line);
      }
      this.#flat = flat;
    }
    return this.#flat;
  }

  /** Marks the flattened view stale. */
  changed(): void {
    this.#flat = undefined;
  }

  /** The text, byte for byte what was parsed where nothing was edited. */
  stringify(): string {
    const parts: string[] = this.bom ? ["\ufeff"] : [];
    for (const block of this.blocks) {
      if (block.removed) continue;
      if (block.header !== null) parts.push(block.header.raw, block.header.eol);
      for (const line of block.body) parts.push(line.raw, line.eol);
    }
    return parts.join("");
  }

  /** Section blocks named `name` (any, when undefined), in order. */
  sections(name?: string): Block[] {
    const out: Block[] = [];
    for (const block of this.blocks) {
      if (block.removed || block.header === null) continue;
      if (name === undefined || asciiEqualFold(block.header.name, name)) {
        out.push(block);
      }
    }
    return out;
  }

  /** The first section named `name` whose values match `where`. */
  find(
    name: string,
    where: Readonly<Record<string, string>> | undefined,
  ): Block | undefined {
    for (const block of this.sections(name)) {
      if (this.matches(block, where)) return block;
    }
    return undefined;
  }

  /**
   * Whether a section's values match `where`: its own lines first, then the
   * sections it names as bases (the first one of that name earlier in this
   * document, as Asterisk looks them up), the last base first.
   */
  matches(
    block: Block,
    where: Readonly<Record<string, string>> | undefined,
  ): boolean {
    if (where === undefined) return true;
    for (const [key, value] of Object.entries(where)) {
      if (this.inheritedGet(block, key, 0) !== value) return false;
    }
    return true;
  }

  inheritedGet(block: Block, key: string, depth: number): string | undefined {
    const own = localGet(block, key);
    if (own !== undefined || depth > 10) return own;
    const options = block.header?.options ?? [];
    for (let i = options.length - 1; i >= 0; i--) {
      const option = options[i]!;
      if (option === "!" || option.startsWith("+")) continue;
      const base = this.#before(option, block);
      if (base === undefined) continue;
      const found = this.inheritedGet(base, key, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  #before(name: string, block: Block): Block | undefined {
    for (const candidate of this.blocks) {
      if (candidate === block) return undefined;
      if (
        !candidate.removed && candidate.header !== null &&
        (name === "" || asciiEqualFold(candidate.header.name, name))
      ) return candidate;
    }
    return undefined;
  }

  /** Every section named `name` whose local values match `where`. */
  findAll(
    name: string,
    where: Readonly<Record<string, string>> | undefined,
  ): Block[] {
    return this.sections(name).filter((block) => this.matches(block, where));
  }

  /** The last line of the document. */
  lastLine(): LineNode | undefined {
    for (let b = this.blocks.length - 1; b >= 0; b--) {
      const block = this.blocks[b]!;
      if (block.removed) continue;
      if (block.body.length > 0) return block.body[block.body.length - 1];
      if (block.header !== null) return block.header;
    }
    return undefined;
  }

  /** The block holding `line`. */
  blockOf(header: LineNode): Block | undefined {
    for (const block of this.blocks) {
      if (block.header === header && !block.removed) return block;
    }
    return undefined;
  }
}

/** Registry from public wrapper objects to their state. */
export const documentStates: WeakMap<object, DocState> = new WeakMap();

// ---- reading ---------------------------------------------------------------

/** One variable as the section's own lines define it (no inheritance). */
interface LocalVariable {
  name: string;
  value: string;
}

/** Applies the section's own items, `+=` included, like the loader does. */
export function localVariables(block: Block): LocalVariable[] {
  const vars: LocalVariable[] = [];
  for (const line of block.body) {
    if (line.kind !== "item") continue;
    if (line.operator !== "+=") {
      vars.push({ name: line.name, value: line.value });
      continue;
    }
    let found = -1;
    for (let i = vars.length - 1; i >= 0; i--) {
      if (vars[i]!.name === line.name) {
        found = i;
        break;
      }
    }
    if (found < 0) {
      vars.push({ name: line.name, value: line.value });
      continue;
    }
    const joined = vars[found]!.value + line.tail;
    const end = trimBlanksEnd(joined, 0, joined.length);
    vars[found] = {
      name: vars[found]!.name,
      value: joined.slice(skipBlanks(joined, 0, end), end),
    };
  }
  return vars;
}

/** The last local value of `key`. */
export function localGet(block: Block, key: string): string | undefined {
  const vars = localVariables(block);
  for (let i = vars.length - 1; i >= 0; i--) {
    if (asciiEqualFold(vars[i]!.name, key)) return vars[i]!.value;
  }
  return undefined;
}

/** Every local value of `key`. */
export function localGetAll(block: Block, key: string): string[] {
  return localVariables(block)
    .filter((v) => asciiEqualFold(v.name, key))
    .map((v) => v.value);
}

// ---- writing lines ---------------------------------------------------------

interface ItemStyle {
  indent: string;
  before: string;
  after: string;
}

const DEFAULT_STYLE: ItemStyle = { indent: "", before: " ", after: " " };

/** Spacing copied from an existing item line. */
function styleOf(line: LineNode | undefined): ItemStyle {
  if (line === undefined || line.depthIn !== 0) return DEFAULT_STYLE;
  const raw = line.raw;
  const start = line.column - 1;
  const eq = raw.indexOf("=", start + 1);
  if (eq < 0) return DEFAULT_STYLE;
  const opStart = line.operator === "+=" ? eq - 1 : eq;
  const opEnd = line.operator === "=>" ? eq + 2 : eq + 1;
  const blank = (i: number) =>
    i >= 0 && i < raw.length && raw.charCodeAt(i) < 33;
  return {
    indent: raw.slice(0, skipBlanks(raw, 0, raw.length)),
    before: blank(opStart - 1) ? " " : "",
    after: blank(opEnd) ? " " : "",
  };
}

function checkText(what: string, text: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0) {
      throw new TypeError(
        `Cannot write ${what} ${quote(text)}: it contains a line break or NUL`,
      );
    }
  }
}

function escapeSemicolons(text: string): string {
  return text.includes(";") ? text.replaceAll(";", "\\;") : text;
}

/** Writes `name op value` and checks it reads back the same. */
export function writeItem(
  name: string,
  operator: Operator,
  value: string,
  style: ItemStyle,
  eol: Eol,
  maxLineBytes: number,
): LineNode {
  checkText("variable name", name);
  checkText("value", value);
  if (
    name === "" || skipBlanks(name, 0, name.length) !== 0 ||
    trimBlanksEnd(name, 0, name.length) !== name.length
  ) {
    throw new TypeError(
      `Cannot write variable name ${
        quote(name)
      }: it is empty or has leading or trailing blanks`,
    );
  }
  if (name.indexOf("=", 1) >= 0) {
    throw new TypeError(
      `Cannot write variable name ${
        quote(name)
      }: only its first character may be "="`,
    );
  }
  const valueEnd = trimBlanksEnd(value, 0, value.length);
  if (
    valueEnd !== value.length ||
    (operator !== "+=" && skipBlanks(value, 0, value.length) !== 0)
  ) {
    throw new TypeError(
      `Cannot write value ${
        quote(value)
      }: Asterisk strips leading and trailing blanks`,
    );
  }
  let written = escapeSemicolons(name);
  const first = name.charCodeAt(0);
  if (first === 91 || first === 35 || first === 92 || first === 61) {
    written = "\\" + written;
  }
  const before = style.before === "" && name.endsWith("+") ? " " : style.before;
  let after = operator === "+=" ? "" : style.after;
  if (operator === "=" && after === "" && value.startsWith(">")) after = " ";
  const raw = style.indent + written + before + operator + after +
    escapeSemicolons(value);
  const node = lexSingleLine(raw, eol, maxLineBytes);
  const ok = node.kind === "item" && node.name === name &&
    node.operator === operator &&
    (operator === "+=" ? node.tail === value : node.value === value);
  if (!ok) {
    throw new TypeError(
      `Cannot write ${quote(name)} ${operator} ${
        quote(value)
      }: Asterisk would not read it back as written`,
    );
  }
  return node;
}

/** Writes a section header and checks it reads back the same. */
export function writeHeader(
  name: string,
  options: readonly string[],
  eol: Eol,
  maxLineBytes: number,
): LineNode {
  checkText("section name", name);
  if (name.includes("]") || utf8Length(name) > 79) {
    throw new TypeError(
      `Cannot write section name ${
        quote(name)
      }: it contains "]" or is longer than 79 bytes`,
    );
  }
  for (const option of options) {
    checkText("section option", option);
    if (option.includes(",") || option.includes(")") || option === "") {
      throw new TypeError(
        `Cannot write section option ${
          quote(option)
        }: it is empty or contains "," or ")"`,
      );
    }
  }
  const raw = `[${escapeSemicolons(name)}]` +
    (options.length > 0 ? `(${options.map(escapeSemicolons).join(",")})` : "");
  const node = lexSingleLine(raw, eol, maxLineBytes);
  const ok = node.kind === "section" && node.name === name &&
    (node.options ?? []).join(",") === options.join(",");
  if (!ok) {
    throw new TypeError(
      `Cannot write section ${
        quote(name)
      }: Asterisk would not read it back as written`,
    );
  }
  return node;
}

function withEol(line: LineNode, eol: Eol): LineNode {
  return cloneLine(line, eol);
}

// ---- edits -----------------------------------------------------------------

function isContent(line: LineNode): boolean {
  return line.kind === "item" || line.kind === "directive" ||
    line.kind === "malformed";
}

/** Index in `block.body` after which a new line can go, or -1 for "after the header". */
function insertionIndex(block: Block): number {
  const body = block.body;
  let anchor = -1;
  for (let i = body.length - 1; i >= 0; i--) {
    if (isContent(body[i]!)) {
      anchor = i;
      break;
    }
  }
  if (anchor < 0) {
    // No content yet: keep comments written right under the header above it.
    while (anchor + 1 < body.length && body[anchor + 1]!.kind === "comment") {
      anchor++;
    }
  }
  const depthAt = (i: number) => i < 0 ? block.header!.depth : body[i]!.depth;
  while (depthAt(anchor) !== 0) {
    anchor++;
    if (anchor >= body.length) {
      throw new Error(
        `Cannot add to section ${
          quote(block.header!.name)
        }: it ends inside a block comment`,
      );
    }
  }
  return anchor;
}

/** Inserts `line` after body index `after` (-1: right after the header). */
function insertAfter(
  state: DocState,
  block: Block,
  after: number,
  line: LineNode,
): void {
  const body = block.body;
  const previous = after < 0 ? block.header! : body[after]!;
  const isLast = state.lastLine() === previous;
  let node = line;
  if (previous.eol === "") {
    const fixed = withEol(previous, state.eol);
    if (after < 0) block.header = fixed;
    else body[after] = fixed;
    node = withEol(line, "");
  } else if (!isLast && line.eol === "") {
    node = withEol(line, state.eol);
  }
  body.splice(after + 1, 0, node);
  state.changed();
}

/** Appends an item line to a section. */
export function addItem(
  state: DocState,
  block: Block,
  name: string,
  value: string,
  operator: Operator | undefined,
): void {
  let reference: LineNode | undefined;
  let sameName: LineNode | undefined;
  for (const line of block.body) {
    if (line.kind !== "item") continue;
    reference = line;
    if (asciiEqualFold(line.name, name)) sameName = line;
  }
  const op = operator ??
    (sameName !== undefined && sameName.operator === "=>" ? "=>" : "=");
  const node = writeItem(
    name,
    op,
    value,
    styleOf(sameName ?? reference),
    state.eol,
    state.maxLineBytes,
  );
  insertAfter(state, block, insertionIndex(block), node);
}

/** Replaces the value of an item line in place, keeping everything around it. */
function replaceValue(
  state: DocState,
  block: Block,
  index: number,
  value: string,
): void {
  const line = block.body[index]!;
  checkText("value", value);
  if (
    value !== "" &&
    (skipBlanks(value, 0, value.length) !== 0 ||
      trimBlanksEnd(value, 0, value.length) !== value.length)
  ) {
    throw new TypeError(
      `Cannot write value ${
        quote(value)
      }: Asterisk strips leading and trailing blanks`,
    );
  }
  const raw = line.raw;
  let start = line.valueStart;
  let end = line.valueEnd;
  let written = escapeSemicolons(value);
  if (start === end && value !== "") {
    // An empty value: write after one blank following the operator, or add
    // a blank when the line spaces its operator on the left.
    const op = line.operator === "=>" ? 2 : 1;
    if (start < raw.length && raw.charCodeAt(start) < 33) {
      start++;
      end = start;
    } else if (start - op - 1 >= 0 && raw.charCodeAt(start - op - 1) < 33) {
      written = " " + written;
    }
  }
  if (
    line.operator === "=" && written.startsWith(">") && start > 0 &&
    raw.charCodeAt(start - 1) === 61
  ) written = " " + written;
  if (
    end < raw.length && raw.charCodeAt(end) === 59 &&
    (written.endsWith("-") || written.endsWith("\\"))
  ) written += " ";
  const next = lexSingleLine(
    raw.slice(0, start) + written + raw.slice(end),
    line.eol,
    state.maxLineBytes,
    line.depthIn,
  );
  if (
    next.kind !== "item" || next.name !== line.name ||
    next.operator !== line.operator || next.value !== value ||
    next.depth !== line.depth
  ) {
    throw new TypeError(
      `Cannot set ${quote(line.name)} to ${
        quote(value)
      }: Asterisk would not read the line back as written`,
    );
  }
  next.line = line.line;
  block.body[index] = next;
  state.changed();
}

/** Sets a variable: replaces the last `=`/`=>` line, drops later `+=` lines. */
export function setItem(
  state: DocState,
  block: Block,
  name: string,
  value: string,
  operator: Operator | undefined,
): void {
  const body = block.body;
  let target = -1;
  for (let i = body.length - 1; i >= 0; i--) {
    const line = body[i]!;
    if (
      line.kind === "item" && line.operator !== "+=" &&
      asciiEqualFold(line.name, name)
    ) {
      target = i;
      break;
    }
  }
  // `+=` lines after the target (or all of them, when there is none) would
  // change the value again: remove them.
  for (let i = body.length - 1; i > target; i--) {
    const line = body[i]!;
    if (
      line.kind === "item" && line.operator === "+=" &&
      asciiEqualFold(line.name, name)
    ) {
      removeLine(state, block, i);
    }
  }
  if (target < 0) {
    addItem(state, block, name, value, operator === "+=" ? "=" : operator);
    return;
  }
  const line = body[target]!;
  if (
    operator !== undefined && operator !== "+=" && operator !== line.operator
  ) {
    // A different operator: rewrite the line.
    removeLine(state, block, target);
    addItem(state, block, name, value, operator);
    return;
  }
  replaceValue(state, block, target, value);
}

/** Removes the item lines named `name` (and valued `value`, when given). */
export function removeItems(
  state: DocState,
  block: Block,
  name: string,
  value: string | undefined,
): number {
  let count = 0;
  for (let i = block.body.length - 1; i >= 0; i--) {
    const line = block.body[i]!;
    if (
      line.kind === "item" && asciiEqualFold(line.name, name) &&
      (value === undefined || line.value === value)
    ) {
      removeLine(state, block, i);
      count++;
    }
  }
  return count;
}

/** Removes one line, or only its item text when comments around it matter. */
function removeLine(state: DocState, block: Block, index: number): void {
  const line = block.body[index]!;
  if (line.depthIn === 0 && line.depth === 0 && !line.stray) {
    block.body.splice(index, 1);
    state.changed();
    return;
  }
  // The line opens or closes a block comment: keep those parts.
  const raw = line.raw;
  const next = lexSingleLine(
    raw.slice(0, line.column - 1) + raw.slice(line.valueEnd),
    line.eol,
    state.maxLineBytes,
    line.depthIn,
  );
  if (next.depth !== line.depth || isContent(next) || next.kind === "section") {
    throw new Error(
      `Cannot remove ${
        quote(line.name)
      }: the line mixes it with block comments`,
    );
  }
  next.line = line.line;
  block.body[index] = next;
  state.changed();
}

/** Appends a new section at the end of the document. */
export function addSection(
  state: DocState,
  name: string,
  options: readonly string[],
): Block {
  const header = writeHeader(name, options, state.eol, state.maxLineBytes);
  const last = state.lastLine();
  if (last !== undefined && last.depth !== 0) {
    throw new Error(
      `Cannot add section ${
        quote(name)
      }: the document ends inside a block comment`,
    );
  }
  const block: Block = { header, body: [], removed: false };
  if (last !== undefined) {
    // Finish the last line and leave one blank line before the new section.
    const owner = ownerOf(state, last);
    const fixed = last.eol === "" ? withEol(last, state.eol) : last;
    if (fixed !== last) replaceIn(owner, last, fixed);
    if (fixed.kind !== "blank") {
      const blank = lexSingleLine("", state.eol, state.maxLineBytes);
      owner.body.push(blank);
    }
    if (last.eol === "") block.header = withEol(header, "");
  }
  state.blocks.push(block);
  state.changed();
  return block;
}

function ownerOf(state: DocState, line: LineNode): Block {
  for (let b = state.blocks.length - 1; b >= 0; b--) {
    const block = state.blocks[b]!;
    if (block.removed) continue;
    if (block.header === line || block.body.includes(line)) return block;
  }
  throw new Error("Cannot find the block of a line");
}

function replaceIn(block: Block, line: LineNode, next: LineNode): void {
  if (block.header === line) block.header = next;
  else block.body[block.body.indexOf(line)] = next;
}

/** Removes a section: its header and lines, but not the comments that lead into the next one. */
export function removeSection(state: DocState, block: Block): void {
  const header = block.header!;
  const body = block.body;
  const lastBlock = state.blocks.filter((b) => !b.removed).at(-1) === block;
  let keepFrom = body.length;
  if (!lastBlock) {
    while (keepFrom > 0 && body[keepFrom - 1]!.kind === "comment") keepFrom--;
  }
  const cutEnd = keepFrom === 0 ? header : body[keepFrom - 1]!;
  if (header.depthIn !== 0 || cutEnd.depth !== 0) {
    throw new Error(
      `Cannot remove section ${
        quote(header.name)
      }: it starts or ends inside a block comment`,
    );
  }
  const kept = body.slice(keepFrom);
  block.removed = true;
  if (kept.length > 0) {
    // Hand the kept comments to the previous block.
    const index = state.blocks.indexOf(block);
    let previous: Block | undefined;
    for (let b = index - 1; b >= 0; b--) {
      if (!state.blocks[b]!.removed) {
        previous = state.blocks[b];
        break;
      }
    }
    if (previous === undefined) {
      previous = { header: null, body: [], removed: false };
      state.blocks.splice(index, 0, previous);
    }
    for (const line of kept) previous.body.push(line);
  }
  state.changed();
}

/** Parses the text of a whole document into a fresh state. */
export function newState(
  text: string,
  file: string,
  maxLineBytes: number,
): DocState {
  return new DocState(text, file, maxLineBytes);
}

export { LineNode };
