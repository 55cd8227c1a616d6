// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  AMI_TRANSCRIPTS,
  loadAmiConnections,
  readerView,
  TRANSCRIPTS_DIR,
} from "../tests/astemu/_transcripts.ts";
import {
  type AmiAction,
  encodeAmiAction,
  formatAmiAction,
} from "./encode_ami_action.ts";

const decoder = new TextDecoder();

Deno.test({
  name:
    "encodeAmiAction reproduces every action of the transcripts byte for byte",
  permissions: { read: [TRANSCRIPTS_DIR] },
  fn() {
    let count = 0;
    for (const file of AMI_TRANSCRIPTS) {
      for (const connection of loadAmiConnections(file)) {
        const view = readerView(connection.entries, "toAsterisk");
        view.packets.forEach((fields, i) => {
          // The action as a user would write it: repeated keys as an array.
          const action: Record<string, string | string[]> = {};
          for (const [key, value] of fields) {
            const existing = action[key];
            if (existing === undefined) action[key] = value;
            else if (Array.isArray(existing)) existing.push(value);
            else action[key] = [existing, value];
          }
          const bytes = encodeAmiAction(action as unknown as AmiAction);
          assert.deepEqual(
            bytes,
            view.raw[i],
            `${connection.name} packet ${i}`,
          );
          count++;
        });
      }
    }
    assert.ok(count > 60, `only ${count} actions`);
  },
});

Deno.test("formatAmiAction puts Action first and ActionID second", {
  permissions: "none",
}, () => {
  assert.equal(
    formatAmiAction({ Channel: "x", ActionID: "id-1", Action: "Hangup" }),
    "Action: Hangup\r\nActionID: id-1\r\nChannel: x\r\n\r\n",
  );
  assert.equal(
    formatAmiAction({ Action: "Ping", actionid: "lower" }),
    "Action: Ping\r\nactionid: lower\r\n\r\n",
  );
  assert.equal(formatAmiAction({ Action: "Ping" }), "Action: Ping\r\n\r\n");
});

Deno.test("formatAmiAction writes scalars, arrays and name=value maps", {
  permissions: "none",
}, () => {
  assert.equal(
    formatAmiAction({
      Action: "Originate",
      Timeout: 30000,
      Async: true,
      Early: false,
      Big: 12345678901234567890n,
      Empty: "",
      Skipped: undefined,
      Codecs: ["ulaw", "alaw"],
      None: [],
      Variable: { A: "1", B: 2, C: "x=y" },
    }),
    "Action: Originate\r\nTimeout: 30000\r\nAsync: true\r\nEarly: false\r\n" +
      "Big: 12345678901234567890\r\nEmpty: \r\nCodecs: ulaw\r\nCodecs: alaw\r\n" +
      "Variable: A=1\r\nVariable: B=2\r\nVariable: C=x=y\r\n\r\n",
  );
});

Deno.test("encodeAmiAction encodes UTF-8", { permissions: "none" }, () => {
  const bytes = encodeAmiAction({ Action: "UserEvent", UserEvent: "Café" });
  assert.equal(
    bytes.length,
    "Action: UserEvent\r\nUserEvent: Café\r\n\r\n".length + 1,
  );
  assert.equal(
    decoder.decode(bytes),
    "Action: UserEvent\r\nUserEvent: Café\r\n\r\n",
  );
});

Deno.test("formatAmiAction rejects what would inject or break headers", {
  permissions: "none",
}, async (t) => {
  const cases: [string, unknown, RegExp][] = [
    [
      "CR in a value",
      { Action: "Setvar", Value: "a\rb" },
      /value of "Value" contains CR, LF or NUL/,
    ],
    [
      "LF in a value",
      { Action: "Setvar", Value: "a\nAction: Command" },
      /contains CR, LF or NUL/,
    ],
    [
      "NUL in a value",
      { Action: "Setvar", Value: "a\0" },
      /contains CR, LF or NUL/,
    ],
    [
      "LF in an array item",
      { Action: "X", Item: ["ok", "b\n"] },
      /contains CR, LF or NUL/,
    ],
    [
      "LF in a map value",
      { Action: "X", Variable: { A: "1\n" } },
      /contains CR, LF or NUL/,
    ],
    [
      "LF in the Action",
      { Action: "Ping\r\nAction: Command" },
      /contains CR, LF or NUL/,
    ],
    [
      "colon in a key",
      { Action: "X", "Bad:Key": "1" },
      /header name "Bad:Key" must be/,
    ],
    [
      "space in a key",
      { Action: "X", "Bad Key": "1" },
      /header name "Bad Key"/,
    ],
    ["LF in a key", { Action: "X", "A\nB": "1" }, /header name/],
    ["empty key", { Action: "X", "": "1" }, /header name ""/],
    [
      "= in a map name",
      { Action: "X", Variable: { "A=B": "1" } },
      /name "A=B" in "Variable"/,
    ],
    [
      "empty map name",
      { Action: "X", Variable: { "": "1" } },
      /name "" in "Variable"/,
    ],
    ["NaN", { Action: "X", N: Number.NaN }, /not a finite number: NaN/],
    ["null", { Action: "X", N: null }, /unsupported type null/],
    ["nested array", { Action: "X", N: [["a"]] }, /unsupported type object/],
    ["missing Action", { Channel: "x" }, /Action must be a non-empty string/],
    ["empty Action", { Action: "" }, /Action must be a non-empty string/],
    ["not an object", "Action: Ping", /expected an object/],
  ];
  for (const [name, action, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => formatAmiAction(action as AmiAction), (error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /^Cannot encode AMI action/);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test(
  "formatAmiAction enforces Asterisk's 1024-byte line and 128-line limits",
  { permissions: "none" },
  () => {
    // "Data: " + value + CRLF = 1024 bytes exactly is accepted.
    const fits = "x".repeat(1024 - 8);
    assert.ok(formatAmiAction({ Action: "X", Data: fits }).includes(fits));
    assert.throws(
      () => formatAmiAction({ Action: "X", Data: fits + "x" }),
      /header "Data" is 1025 bytes with its CRLF, over Asterisk's limit of 1024/,
    );
    // Multibyte characters count in bytes: 508 × "é" (2 bytes) + 8 = 1024 fits; 339 × "☎" (3 bytes) + 8 does not.
    assert.ok(formatAmiAction({ Action: "X", Data: "é".repeat(508) }));
    assert.throws(
      () => formatAmiAction({ Action: "X", Data: "☎".repeat(339) }),
      /1025 bytes/,
    );
    // 128 lines including the Action line.
    const variables = Object.fromEntries(
      Array.from({ length: 127 }, (_, i) => [`V${i}`, i]),
    );
    assert.ok(formatAmiAction({ Action: "Originate", Variable: variables }));
    assert.throws(
      () =>
        formatAmiAction({
          Action: "Originate",
          Variable: { ...variables, V127: 1 },
        }),
      /more than 128 header lines/,
    );
  },
);

/** Asterisk's `__ast_app_separate_args(buf, ',', 1, …)` (main/app.c), ported for the test. */
function separateAppArgs(input: string): string[] {
  const buf = [...input];
  const args: string[] = [];
  let scan = 0;
  let paren = 0, quote = false, bracket = 0;
  let wasDelim = -1;
  let current = "";
  while (scan < buf.length) {
    current = "";
    let ended = false;
    for (; scan < buf.length; scan++) {
      const char = buf[scan]!;
      if (char === "(") paren++;
      else if (char === ")") paren = paren ? paren - 1 : 0;
      else if (char === "[") bracket++;
      else if (char === "]") bracket = bracket ? bracket - 1 : 0;
      else if (char === '"') {
        quote = !quote;
        continue; // removed
      } else if (char === "\\") {
        scan++; // the backslash is removed, the next character kept as is
        if (scan < buf.length) current += buf[scan];
        continue;
      } else if (char === "," && !paren && !quote && !bracket) {
        wasDelim = scan;
        scan++;
        ended = true;
        break;
      }
      current += char;
    }
    args.push(current);
    if (!ended) return args;
  }
  if (scan - 1 === wasDelim) args.push("");
  return args;
}

Deno.test({
  name:
    "encodeAmiAction escapes Variable map entries so Asterisk's app-args splitter gets them back whole",
  permissions: "none",
  fn: () => {
    const text = formatAmiAction({
      Action: "Originate",
      Variable: {
        "CALLERID(name)": '"Ann, B" <1>',
        PATH: "C:\\x",
        LIST: "a,b",
        PLAIN: "x=y",
      },
    });
    assert.equal(
      text,
      "Action: Originate\r\n" +
        'Variable: CALLERID\\(name\\)=\\"Ann\\, B\\" <1>\r\n' +
        "Variable: PATH=C:\\\\x\r\n" +
        "Variable: LIST=a\\,b\r\n" +
        "Variable: PLAIN=x=y\r\n\r\n",
    );
    const alphabet = ['"', "\\", ",", "(", ")", "[", "]", "=", "a", " ", "é"];
    let seed = 7;
    const random = () =>
      (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const value = Array.from(
        { length: Math.floor(random() * 12) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join("");
      const line = formatAmiAction({
        Action: "Originate",
        Variable: { V: value },
      })
        .split("\r\n")[1]!;
      const items = separateAppArgs(line.slice("Variable: ".length));
      assert.equal(items.length, 1, JSON.stringify(value));
      const item = items[0]!;
      const at = item.indexOf("=");
      assert.equal(item.slice(0, at), "V");
      assert.equal(item.slice(at + 1), value, JSON.stringify(value));
    }
  },
});
