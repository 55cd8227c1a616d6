// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { lex, type LineNode } from "./_lexer.ts";

const opts = { permissions: "none" } as const;

function view(line: LineNode) {
  return {
    kind: line.kind,
    text: line.text,
    column: line.column,
    name: line.name,
    operator: line.operator,
    value: line.value,
    tail: line.tail,
    options: line.options,
    argument: line.argument,
    problem: line.problem,
    depth: line.depth,
    stray: line.stray,
    valueStart: line.valueStart,
    valueEnd: line.valueEnd,
  };
}

function both(text: string) {
  const options = { maxLineBytes: 8190, stripBom: true, depth: 0, nest: [] };
  const fast = lex(text, options).lines.map(view);
  const slow = lex(text, { ...options, slow: true }).lines.map(view);
  return { fast, slow };
}

Deno.test(
  "the lexer's fast paths agree with the general path on tricky lines",
  opts,
  () => {
    const lines = [
      "k = v",
      "k = v ; c",
      "k = a\\;b\\;c ; c",
      "k = a\\;;b",
      "\\;k = 1",
      "k = x\\;-- not a block",
      "k = x\\;--; stray",
      "k = x;-- block --; y",
      "k = x;--- plain",
      "k = x--; stray",
      "[a](!) ; c",
      "[a\\;b]",
      "#include x.conf ; c",
      ";-- a",
      "b --; c = d",
      "  \\[x = 1 ; c",
    ];
    const { fast, slow } = both(lines.join("\n") + "\n");
    assert.deepEqual(fast, slow);
  },
);

Deno.test(
  "the lexer's fast paths agree with the general path on generated lines",
  opts,
  () => {
    // A small deterministic generator over the characters that matter.
    const alphabet = [
      "a",
      "b",
      "=",
      ";",
      "\\",
      "-",
      " ",
      "[",
      "]",
      "(",
      ")",
      "#",
      ">",
      "+",
      "!",
      ",",
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) {
      let line = "";
      const length = 1 + (random() % 14);
      for (let j = 0; j < length; j++) {
        line += alphabet[random() % alphabet.length];
      }
      lines.push(line);
    }
    const { fast, slow } = both(lines.join("\n"));
    assert.equal(fast.length, lines.length);
    for (let i = 0; i < fast.length; i++) {
      assert.deepEqual(
        fast[i],
        slow[i],
        `line ${i + 1}: ${JSON.stringify(lines[i])}`,
      );
    }
  },
);
