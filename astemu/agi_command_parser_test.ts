// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { parseAgiCommandLine } from "./agi_command_parser.ts";

Deno.test({
  name: "parseAgiCommandLine splits words as res_agi.c parse_args does",
  permissions: "none",
  fn: async (t) => {
    const cases: [string, string[]][] = [
      ["ANSWER", ["ANSWER"]],
      ["", []],
      ["   ", []],
      ["  NOOP   hello  ", ["NOOP", "hello"]],
      ["GET\tVARIABLE\tX", ["GET", "VARIABLE", "X"]],
      ['STREAM FILE beep ""', ["STREAM", "FILE", "beep", ""]],
      ['SET VARIABLE X "hello world"', ["SET", "VARIABLE", "X", "hello world"]],
      [
        'SET VARIABLE ORACLE_QUOTED "a \\"quoted\\" word"',
        ["SET", "VARIABLE", "ORACLE_QUOTED", 'a "quoted" word'],
      ],
      // A quote inside a word only toggles quoting.
      ['ab"c d"e', ["abc de"]],
      // Backslash makes any next character literal; \n is the letter n.
      ["a\\ b c", ["a b", "c"]],
      ["x\\ny", ["xny"]],
      ["back\\\\slash", ["back\\slash"]],
      // An escaped quote after whitespace starts a word with a quote.
      ['NOOP \\"hi', ["NOOP", '"hi']],
      // A lone trailing backslash disappears.
      ["NOOP x\\", ["NOOP", "x"]],
      // An unterminated quote runs to the end of the line.
      ['VERBOSE "never closed', ["VERBOSE", "never closed"]],
      // Two quoted words glued together are one word.
      ['"a""b"', ["ab"]],
      ['"" ""', ["", ""]],
      // The naive quoting from the transcript: only the first token is quoted.
      [
        'SET CALLERID "Oracle Test" <5551234>',
        ["SET", "CALLERID", "Oracle Test", "<5551234>"],
      ],
      ['SET CALLERID "\\"Oracle Test\\" <5551234>"', [
        "SET",
        "CALLERID",
        '"Oracle Test" <5551234>',
      ]],
      // CR is not whitespace for Asterisk: it sticks to the last word.
      ["ANSWER\r", ["ANSWER\r"]],
      ["NOOP héllo wörld", ["NOOP", "héllo", "wörld"]],
    ];
    for (const [line, words] of cases) {
      await t.step(JSON.stringify(line), () => {
        assert.deepEqual(parseAgiCommandLine(line), words);
      });
    }
  },
});

Deno.test({
  name: "parseAgiCommandLine keeps at most 127 words",
  permissions: "none",
  fn: () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`);
    const parsed = parseAgiCommandLine(words.join(" "));
    assert.equal(parsed.length, 127);
    assert.deepEqual(parsed, words.slice(0, 127));
    // A quoted word past the limit is dropped as well.
    const quoted = parseAgiCommandLine(
      words.slice(0, 127).join(" ") + ' "x y"',
    );
    assert.equal(quoted.length, 127);
    assert.equal(quoted.at(-1), "w126");
  },
});
