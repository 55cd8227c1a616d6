// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { agiQuoted, formatAgiCommand } from "./format_agi_command.ts";

/**
 * How res_agi.c's parse_args() splits a command line (PROTOCOL.md §1.3):
 * space and TAB separate words outside quotes, `"` toggles quoting (and
 * starts a word after whitespace), `\` makes the next character literal.
 */
function parseArgs(line: string): string[] {
  const words: string[] = [];
  let current: string | undefined;
  let quoted = false;
  let escaped = false;
  let whitespace = true;
  const normal = (char: string) => {
    if (whitespace) {
      if (current !== undefined) words.push(current);
      current = "";
      whitespace = false;
    }
    current += char;
    escaped = false;
  };
  for (const char of line) {
    if (char === '"') {
      if (escaped) {
        normal(char);
        continue;
      }
      quoted = !quoted;
      if (quoted && whitespace) {
        if (current !== undefined) words.push(current);
        current = "";
        whitespace = false;
      }
      escaped = false;
    } else if (char === " " || char === "\t") {
      if (!quoted && !escaped) whitespace = true;
      else normal(char);
    } else if (char === "\\") {
      if (escaped) normal(char);
      else escaped = true;
    } else {
      normal(char);
    }
  }
  if (current !== undefined) words.push(current);
  return words;
}

Deno.test("formatAgiCommand writes the lines of the recordings", {
  permissions: "none",
}, () => {
  const cases: Array<[string, Parameters<typeof formatAgiCommand>[1], string]> =
    [
      ["ANSWER", undefined, "ANSWER"],
      [
        "SET VARIABLE",
        ["ORACLE_TEST", "hello world"],
        'SET VARIABLE ORACLE_TEST "hello world"',
      ],
      [
        "SET VARIABLE",
        ["ORACLE_QUOTED", 'a "quoted" word'],
        'SET VARIABLE ORACLE_QUOTED "a \\"quoted\\" word"',
      ],
      [
        "GET FULL VARIABLE",
        ["${CHANNEL}-${ORACLE_TEST}"],
        "GET FULL VARIABLE ${CHANNEL}-${ORACLE_TEST}",
      ],
      ["STREAM FILE", ["beep", agiQuoted("")], 'STREAM FILE beep ""'],
      ["SAY DIGITS", [123, agiQuoted("#")], 'SAY DIGITS 123 "#"'],
      ["GET DATA", ["beep", 300, 2], "GET DATA beep 300 2"],
      [
        "RECORD FILE",
        ["oracle-rec", "wav", agiQuoted("#"), 500],
        'RECORD FILE oracle-rec wav "#" 500',
      ],
      [
        "SET CALLERID",
        ['"Oracle Test" <5551234>'],
        'SET CALLERID "\\"Oracle Test\\" <5551234>"',
      ],
      [
        "CHANNEL STATUS",
        ["Local/nosuch-00000000;1"],
        "CHANNEL STATUS Local/nosuch-00000000;1",
      ],
      ["SET AUTOHANGUP", [0.5], "SET AUTOHANGUP 0.5"],
      ["WAIT FOR DIGIT", [-1], "WAIT FOR DIGIT -1"],
      ["NOOP", [""], 'NOOP ""'],
      ["NOOP", ["tab\there"], 'NOOP "tab\there"'],
      ["NOOP", ["back\\slash"], 'NOOP "back\\\\slash"'],
      ["NOOP", ["日本語"], "NOOP 日本語"],
    ];
  for (const [command, args, line] of cases) {
    assert.equal(formatAgiCommand(command, args), line + "\n");
  }
});

Deno.test("formatAgiCommand output reads back through parse_args unchanged", {
  permissions: "none",
}, () => {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 0x8000_0000;
    return seed / 0x8000_0000;
  };
  const alphabet = [
    "a",
    "Z",
    "0",
    " ",
    "\t",
    '"',
    "\\",
    "(",
    ")",
    "=",
    ",",
    "é",
    "😀",
    "'",
    "$",
  ];
  for (let round = 0; round < 2000; round++) {
    const args = Array.from({ length: Math.floor(random() * 5) }, () => {
      const text = Array.from(
        { length: Math.floor(random() * 8) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join("");
      return random() < 0.2 ? agiQuoted(text) : text;
    });
    const line = formatAgiCommand("SET VARIABLE", args);
    const expected = [
      "SET",
      "VARIABLE",
      ...args.map((arg) => typeof arg === "string" ? arg : arg.value),
    ];
    assert.deepEqual(parseArgs(line.slice(0, -1)), expected, line);
  }
});

Deno.test("formatAgiCommand refuses what AGI cannot carry", {
  permissions: "none",
}, async (t) => {
  const refused: Array<
    [string, string, Parameters<typeof formatAgiCommand>[1]]
  > = [
    ["LF in an argument", "VERBOSE", ["two\nlines"]],
    ["CR in an argument", "VERBOSE", ["a\rb"]],
    ["NUL in an argument", "VERBOSE", ["a\0b"]],
    ["LF in a quoted argument", "VERBOSE", [agiQuoted("a\nb")]],
    ["LF in the command", "NOOP\nANSWER", []],
    ["an empty command", "", []],
    ["a blank command", "  ", []],
    ["a command starting with failure", "failure", []],
    ["a command starting with FAILURE", "FAILURE now", []],
    ["NaN", "WAIT FOR DIGIT", [NaN]],
    ["Infinity", "WAIT FOR DIGIT", [Infinity]],
    ["an object", "NOOP", [{} as unknown as string]],
    ["128 words", "NOOP", Array.from({ length: 127 }, () => "x")],
    ["a line over 8191 bytes", "NOOP", ["x".repeat(8186)]],
  ];
  for (const [name, command, args] of refused) {
    await t.step(name, () => {
      assert.throws(() => formatAgiCommand(command, args), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /^Cannot format AGI command "/);
        return true;
      });
    });
  }
  await t.step("the limits themselves are accepted", () => {
    assert.equal(
      formatAgiCommand("NOOP", Array.from({ length: 126 }, () => "x")).split(
        " ",
      ).length,
      127,
    );
    // "NOOP " + 8185 bytes + LF = 8191 bytes.
    assert.equal(formatAgiCommand("NOOP", ["x".repeat(8185)]).length, 8191);
    assert.equal(
      new TextEncoder().encode(formatAgiCommand("NOOP", ["é".repeat(4092)]))
        .length,
      8190,
    );
    assert.throws(
      () => formatAgiCommand("NOOP", ["é".repeat(4093)]),
      TypeError,
    );
  });
  await t.step("agiQuoted needs a string", () => {
    assert.throws(() => agiQuoted(5 as unknown as string), TypeError);
  });
});
