// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { type ConfigLine, parseConfig } from "./mod.ts";

const opts = { permissions: "none" } as const;

function summary(line: ConfigLine): string {
  switch (line.kind) {
    case "section":
      return `section ${JSON.stringify(line.name)} ${
        JSON.stringify(line.options ?? null)
      }`;
    case "item":
      return `item ${JSON.stringify(line.name)} ${line.operator} ${
        JSON.stringify(line.value)
      }`;
    case "directive":
      return `directive ${line.name} ${JSON.stringify(line.argument ?? null)}`;
    case "malformed":
      return `malformed ${line.problem}${line.fatal ? " fatal" : ""}`;
    default:
      return line.kind;
  }
}

function kinds(text: string): string[] {
  return parseConfig(text).lines.map(summary);
}

Deno.test("parseConfig classifies every kind of line", opts, () => {
  assert.deepEqual(
    kinds(
      '\n; comment\n[general](!,base)\nexten => 1,1,NoOp()\nk += v\n#include "x.conf"\nnoequals\n[broken\n',
    ),
    [
      "blank",
      "comment",
      'section "general" ["!","base"]',
      'item "exten" => "1,1,NoOp()"',
      'item "k" += "v"',
      'directive include "x.conf"',
      "malformed missing-equals",
      "malformed missing-bracket fatal",
    ],
  );
});

Deno.test("parseConfig keeps raw text, line breaks and positions", opts, () => {
  const doc = parseConfig("[a]\r\n  key = value ; note\nlast", {
    file: "x.conf",
  });
  assert.equal(doc.file, "x.conf");
  const [header, item, last] = doc.lines;
  assert.deepEqual([header!.raw, header!.eol, header!.line, header!.column], [
    "[a]",
    "\r\n",
    1,
    1,
  ]);
  assert.deepEqual([item!.raw, item!.eol, item!.line, item!.column], [
    "  key = value ; note",
    "\n",
    2,
    3,
  ]);
  assert.equal(item!.text, "key = value");
  assert.deepEqual([last!.raw, last!.eol, last!.text], ["last", "", "last"]);
});

Deno.test("parseConfig takes the BOM off line 1 and remembers it", opts, () => {
  const doc = parseConfig("\ufeff[a]\n");
  assert.equal(doc.bom, true);
  assert.equal(doc.lines[0]!.raw, "[a]");
  assert.equal(parseConfig("[a]\n").bom, false);
});

Deno.test("parseConfig gives an empty text no lines", opts, () => {
  assert.deepEqual(parseConfig("").lines, []);
  assert.deepEqual(kinds("\n"), ["blank"]);
});

Deno.test("parseConfig strips values but keeps what is inside", opts, () => {
  assert.deepEqual(kinds('k =   a  b  \nq = "x"\ne =\n'), [
    'item "k" = "a  b"',
    'item "q" = "\\"x\\""',
    'item "e" = ""',
  ]);
});

Deno.test("parseConfig handles semicolon escapes and comments", opts, () => {
  assert.deepEqual(kinds("k = a\\;b ; c\n; only\n  ;indented\nj = 1;2\n"), [
    'item "k" = "a;b"',
    "comment",
    "comment",
    'item "j" = "1"',
  ]);
});

Deno.test("parseConfig tracks block comments across lines", opts, () => {
  const doc = parseConfig(
    "a = 1 ;-- open\nhidden = 2\nstill ;-- nested --; hidden\nend --; b = 3\n",
  );
  assert.deepEqual(doc.lines.map(summary), [
    'item "a" = "1"',
    "comment",
    "comment",
    'item "b" = "3"',
  ]);
  assert.deepEqual(
    doc.lines.map((l) => (l as unknown as { depth: number }).depth),
    [1, 1, 1, 0],
  );
});

Deno.test("parseConfig joins text around an inline block comment", opts, () => {
  const [line] = parseConfig("na;-- x --;me = va;-- y --;lue\n").lines;
  assert.equal(summary(line!), 'item "name" = "value"');
  assert.equal(line!.text, "name = value");
});

Deno.test("parseConfig does not trim section names or options", opts, () => {
  assert.deepEqual(kinds("[ spaced ]( !, base )\n[x]trailing\n[]\n"), [
    'section " spaced " [" !"," base "]',
    'section "x" null',
    'section "" null',
  ]);
});

Deno.test("parseConfig reports a missing ) as fatal", opts, () => {
  assert.deepEqual(kinds("[a](!\n"), ["malformed missing-paren fatal"]);
});

Deno.test(
  "parseConfig reads directives without regard to case and unquotes",
  opts,
  () => {
    assert.deepEqual(
      kinds(
        '#Include <a.conf>\n#tryinclude "b c.conf"\n#exec  cmd arg \n#include\n#!x\n#include "\n',
      ),
      [
        'directive Include "a.conf"',
        'directive tryinclude "b c.conf"',
        'directive exec "cmd arg"',
        "directive include null",
        "directive !x null",
        'directive include ""',
      ],
    );
  },
);

Deno.test("parseConfig recognises escaped names and bad escapes", opts, () => {
  assert.deepEqual(kinds("\\[a = 1\n\\ = 1\n=x\n+=y\n"), [
    'item "[a" = "1"',
    "malformed invalid-escape fatal",
    "malformed missing-name",
    "malformed missing-name",
  ]);
});

Deno.test("parseConfig skips a line over maxLineBytes", opts, () => {
  const doc = parseConfig(`a = ${"x".repeat(20)}\nb = 1\n`, {
    maxLineBytes: 10,
  });
  assert.deepEqual(doc.lines.map(summary), [
    "malformed line-too-long",
    'item "b" = "1"',
  ]);
  // The skipped line is still written back as it was.
  assert.equal(doc.toString(), `a = ${"x".repeat(20)}\nb = 1\n`);
});

Deno.test("parseConfig stops a line at a NUL, as C strings do", opts, () => {
  assert.deepEqual(kinds("k = ab\0cd\n"), ['item "k" = "ab"']);
});

Deno.test("parseConfig round-trips any text byte for byte", opts, () => {
  const texts = [
    "",
    "\n\n\n",
    "\ufeff[a]\r\nk=v\r\n",
    "[a]\nk = v",
    "[a]\r\nmixed\nendings\r\n\r",
    "\ufeff\ufeff[a]\n",
    ";-- unterminated\n[a]\nk=v\n",
    "k = x--; stray\n;-- back\n",
    "\0\u0001\t \f\v\n",
    "[a](\n[b\n\\\n",
    "tabs\t=\tand\tspaces   \t\n",
    "é = ü ; 日本\n",
  ];
  for (const text of texts) assert.equal(parseConfig(text).toString(), text);
});
