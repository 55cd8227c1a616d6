// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { LimitExceededError, ProtocolError } from "../errors.ts";
import { LineSplitter } from "../_internal/line_splitter.ts";
import {
  parseTranscript,
  transcriptBytes,
} from "../astemu/parse_transcript.ts";
import type { AgiReply } from "./agi_reply.ts";
import { type AgiDecoded, AgiReplyDecoder } from "./agi_reply_decoder.ts";

function reply(
  fields: Partial<AgiReply> & { lines: readonly string[] },
): AgiReply {
  return {
    code: 200,
    result: "",
    data: undefined,
    endpos: undefined,
    fields: {},
    text: "",
    usage: undefined,
    interim: undefined,
    ...fields,
  };
}

function decodeOne(line: string): AgiReply {
  const decoded = new AgiReplyDecoder().push(line);
  assert.equal(decoded?.type, "reply", line);
  return (decoded as { reply: AgiReply }).reply;
}

Deno.test("AgiReplyDecoder decodes every one-line reply form", {
  permissions: "none",
}, async (t) => {
  const table: Array<[string, Partial<AgiReply>]> = [
    ["200 result=0", { result: "0" }],
    ["200 result=-1", { result: "-1" }],
    ["200 result=1 (hello world)", { result: "1", data: "hello world" }],
    ["200 result=1 ()", { result: "1", data: "" }],
    ["200 result=", { result: "" }],
    ["200 result= (timeout)", { result: "", data: "timeout" }],
    ["200 result=12 (timeout)", { result: "12", data: "timeout" }],
    ["200 result=0 endpos=3520", { result: "0", endpos: 3520 }],
    ["200 result=-1 endpos=0", { result: "-1", endpos: 0 }],
    ["200 result=0 (timeout) endpos=0", {
      result: "0",
      data: "timeout",
      endpos: 0,
    }],
    ["200 result=-1 (writefile)", { result: "-1", data: "writefile" }],
    // Data runs to the LAST ")": variable values are sent raw.
    ["200 result=1 (a) b (c))", { result: "1", data: "a) b (c)" }],
    ['200 result=1 ("Oracle Test" <5551234>)', {
      result: "1",
      data: '"Oracle Test" <5551234>',
    }],
    ["200 result=1 (x=y endpos=5)", { result: "1", data: "x=y endpos=5" }],
    ["200 result=0 Gosub complete", { result: "0", text: "Gosub complete" }],
    [
      "200 result=0 Gosub complete (abnormal exit)",
      { result: "0", text: "Gosub complete (abnormal exit)" },
    ],
    ["200 result=-1 Gosub label not found", {
      result: "-1",
      text: "Gosub label not found",
    }],
    [
      '200 result=1 (speech) endpos=8000 results=1 score0=950 text0="hi there" grammar0=yesno',
      {
        result: "1",
        data: "speech",
        endpos: 8000,
        fields: {
          results: "1",
          score0: "950",
          text0: "hi there",
          grammar0: "yesno",
        },
      },
    ],
    [
      "200 result=1 (digit) digit=5 endpos=400",
      { result: "1", data: "digit", endpos: 400, fields: { digit: "5" } },
    ],
    ["510 Invalid or unknown command", {
      code: 510,
      text: "Invalid or unknown command",
    }],
    [
      "511 Command Not Permitted on a dead channel or intercept routine",
      {
        code: 511,
        text: "Command Not Permitted on a dead channel or intercept routine",
      },
    ],
    [
      "520 Invalid command syntax.  Proper usage not available.",
      {
        code: 520,
        text: "Invalid command syntax.  Proper usage not available.",
      },
    ],
    [
      "503 result=-2 Memory allocation failure",
      { code: 503, result: "-2", text: "Memory allocation failure" },
    ],
  ];
  for (const [line, expected] of table) {
    await t.step(line, () => {
      assert.deepEqual(decodeOne(line), reply({ ...expected, lines: [line] }));
    });
  }
});

Deno.test("AgiReplyDecoder joins GOSUB's interim 100 and its 200", {
  permissions: "none",
}, () => {
  const decoder = new AgiReplyDecoder();
  assert.equal(decoder.push("100 result=0 Trying..."), undefined);
  assert.equal(decoder.pending, true);
  const interim = reply({
    code: 100,
    result: "0",
    text: "Trying...",
    lines: ["100 result=0 Trying..."],
  });
  assert.deepEqual(decoder.push("200 result=0 Gosub complete"), {
    type: "reply",
    reply: reply({
      result: "0",
      text: "Gosub complete",
      interim,
      lines: ["100 result=0 Trying...", "200 result=0 Gosub complete"],
    }),
  });
  assert.equal(decoder.pending, false);
  // 503 may follow the interim too.
  decoder.push("100 result=0 Trying...");
  const failed = decoder.push("503 result=-2 Memory allocation failure");
  assert.equal(failed?.type === "reply" && failed.reply.code, 503);
  assert.equal(failed?.type === "reply" && failed.reply.interim?.code, 100);
});

Deno.test("AgiReplyDecoder reads a 520 usage block up to '520 End'", {
  permissions: "none",
}, () => {
  const decoder = new AgiReplyDecoder();
  const lines = [
    "520-Invalid command syntax.  Proper usage follows:",
    "Usage: first line",
    "",
    "200 result=0 looks like a reply but is usage text",
    "HANGUP",
    "520 End of proper usage.",
  ];
  for (const line of lines.slice(0, -1)) {
    assert.equal(decoder.push(line), undefined);
  }
  assert.deepEqual(decoder.push(lines.at(-1)!), {
    type: "reply",
    reply: reply({
      code: 520,
      text: "Invalid command syntax.  Proper usage follows:",
      usage:
        "Usage: first line\n\n200 result=0 looks like a reply but is usage text\nHANGUP",
      lines,
    }),
  });
  assert.equal(decoder.push("200 result=1")?.type, "reply");
});

Deno.test("AgiReplyDecoder reports HANGUP as an event, alone or glued", {
  permissions: "none",
}, () => {
  const decoder = new AgiReplyDecoder();
  assert.deepEqual(decoder.push("HANGUP"), {
    type: "hangup",
    line: "HANGUP",
    after: undefined,
  });
  const glued = decoder.push("HANGUP200 result=1 (x)");
  assert.deepEqual(glued, {
    type: "hangup",
    line: "HANGUP",
    after: {
      type: "reply",
      reply: reply({ result: "1", data: "x", lines: ["200 result=1 (x)"] }),
    },
  });
  assert.deepEqual(decoder.push("HANGUPHANGUP"), {
    type: "hangup",
    line: "HANGUP",
    after: { type: "hangup", line: "HANGUP", after: undefined },
  });
  // Between GOSUB's two lines the interim is kept.
  decoder.push("100 result=0 Trying...");
  assert.equal(decoder.push("HANGUP")?.type, "hangup");
  const final = decoder.push("200 result=0 Gosub complete");
  assert.equal(final?.type === "reply" && final.reply.interim?.code, 100);
  // A glued line that starts a usage block.
  const block = decoder.push(
    "HANGUP520-Invalid command syntax.  Proper usage follows:",
  );
  assert.deepEqual(block, { type: "hangup", line: "HANGUP", after: undefined });
  assert.equal(decoder.pending, true);
});

Deno.test("AgiReplyDecoder throws ProtocolError on lines that fit no grammar", {
  permissions: "none",
}, async (t) => {
  const bad = [
    "",
    "garbage",
    "20 result=0",
    "2000 result=0",
    "abc result=0",
    "200",
    "200result=0",
    "200 ok",
    "100 Trying...",
    "503 no result",
    "200 result=1 (unterminated",
    "200 result=0 endpos=abc",
    "200 result=1 (a\0b)",
    "200-result=0",
    "failure",
    "HANGUPgarbage",
  ];
  for (const line of bad) {
    await t.step(JSON.stringify(line), () => {
      const decoder = new AgiReplyDecoder();
      assert.throws(() => decoder.push(line), (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.ok(error.line === line || line.startsWith("HANGUP"));
        assert.match(error.message, /^Cannot decode AGI reply: /);
        return true;
      });
      // The decoder recovers for the next reply.
      assert.equal(decoder.pending, false);
      assert.equal(decoder.push("200 result=0")?.type, "reply");
    });
  }
  await t.step("two interims in a row", () => {
    const decoder = new AgiReplyDecoder();
    decoder.push("100 result=0 Trying...");
    assert.throws(() => decoder.push("100 result=0 Trying..."), ProtocolError);
    assert.equal(decoder.pending, false);
  });
});

Deno.test("AgiReplyDecoder limits usage blocks to maxUsageLines", {
  permissions: "none",
}, () => {
  const decoder = new AgiReplyDecoder({ maxUsageLines: 3 });
  decoder.push("520-Invalid command syntax.  Proper usage follows:");
  for (let i = 0; i < 3; i++) {
    assert.equal(decoder.push(`usage ${i}`), undefined);
  }
  assert.throws(() => decoder.push("usage 3"), (error: unknown) => {
    assert.ok(error instanceof LimitExceededError);
    assert.equal(error.limit, "maxUsageLines");
    assert.equal(error.max, 3);
    return true;
  });
  assert.equal(decoder.pending, false);
  // Exactly at the limit is accepted.
  decoder.push("520-Invalid command syntax.  Proper usage follows:");
  for (let i = 0; i < 3; i++) decoder.push(`usage ${i}`);
  assert.equal(decoder.push("520 End of proper usage.")?.type, "reply");
  assert.throws(() => new AgiReplyDecoder({ maxUsageLines: 0 }), TypeError);
});

/** Everything Asterisk sent in a transcript after its environment block. */
async function replyBytes(name: string): Promise<Uint8Array> {
  const text = await Deno.readTextFile(
    new URL(`../tests/fixtures/transcripts/${name}`, import.meta.url),
  );
  const entries = parseTranscript(text);
  // Skip each environment block: everything up to and including its blank line.
  const kept = [];
  let inEnvironment = true;
  for (const entry of entries) {
    if (entry.direction === "note" && entry.text.startsWith("=== scenario")) {
      inEnvironment = true;
    }
    if (entry.direction !== "fromAsterisk") continue;
    if (inEnvironment) {
      if (entry.text === "") inEnvironment = false;
      continue;
    }
    kept.push(entry);
  }
  return transcriptBytes(kept, "fromAsterisk");
}

function decodeChunks(chunks: Iterable<Uint8Array>): AgiDecoded[] {
  const decoder = new AgiReplyDecoder();
  const out: AgiDecoded[] = [];
  const splitter = new LineSplitter((line) => {
    const decoded = decoder.push(line);
    if (decoded !== undefined) out.push(decoded);
  });
  for (const chunk of chunks) splitter.push(chunk);
  assert.equal(splitter.flush(), undefined);
  assert.equal(decoder.pending, false);
  return out;
}

function* chunksOf(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) {
    yield bytes.subarray(at, at + size);
  }
}

for (const name of ["agi-stdio.txt", "fastagi.txt"]) {
  Deno.test(
    `AgiReplyDecoder decodes ${name} the same whichever way it is split`,
    {
      permissions: { read: ["tests/fixtures"] },
    },
    async (t) => {
      const bytes = await replyBytes(name);
      const whole = decodeChunks([bytes]);
      const replies = whole.filter((item) => item.type === "reply");
      const hangups = whole.filter((item) => item.type === "hangup");
      if (name === "agi-stdio.txt") {
        assert.equal(replies.length, 43);
        assert.equal(hangups.length, 0);
      } else {
        assert.equal(replies.length, 43 + 4);
        assert.equal(hangups.length, 4);
      }
      const codes = replies.map((item) =>
        item.type === "reply" ? item.reply.code : 0
      );
      assert.equal(codes.filter((code) => code === 520).length, 2);
      assert.ok(codes.includes(510) && codes.includes(511));
      await t.step("split at every offset", () => {
        for (let at = 0; at <= bytes.length; at++) {
          assert.deepEqual(
            decodeChunks([bytes.subarray(0, at), bytes.subarray(at)]),
            whole,
          );
        }
      });
      for (const size of [1, 2, 3, 7, 13, 64]) {
        await t.step(`chunks of ${size}`, () => {
          assert.deepEqual(decodeChunks(chunksOf(bytes, size)), whole);
        });
      }
    },
  );
}

Deno.test("AgiReplyDecoder fails mutated input only with typed errors", {
  permissions: "none",
}, () => {
  // A fixed-seed generator keeps the input reproducible.
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  // Valid lines, mutated at random: a byte replaced, inserted or removed.
  const valid = [
    "200 result=0",
    "200 result=1 (a (b) c)",
    "200 result= (timeout)",
    "200 result=0 endpos=3520",
    "100 result=0 Trying...",
    "520-Invalid command syntax.  Proper usage follows:",
    "520 End of proper usage.",
    "HANGUP",
    "511 Command Not Permitted on a dead channel or intercept routine",
  ].map((line) => new TextEncoder().encode(line));
  const specials = [0x00, 0x0a, 0x0d, 0x28, 0x29, 0x20, 0x3d, 0xff, 0xc3];
  let errors = 0;
  let decoded = 0;
  for (let round = 0; round < 300; round++) {
    const parts: number[] = [];
    for (let n = 1 + Math.floor(random() * 12); n > 0; n--) {
      const line = [...valid[Math.floor(random() * valid.length)]!];
      if (random() < 0.5) {
        const at = Math.floor(random() * line.length);
        const byte = random() < 0.5
          ? specials[Math.floor(random() * specials.length)]!
          : Math.floor(random() * 256);
        const action = random();
        if (action < 0.33) line[at] = byte;
        else if (action < 0.66) line.splice(at, 0, byte);
        else line.splice(at, 1);
      }
      parts.push(...line, 0x0a);
    }
    const bytes = Uint8Array.from(parts);
    const decoder = new AgiReplyDecoder({ maxUsageLines: 8 });
    const splitter = new LineSplitter((line) => {
      try {
        if (decoder.push(line) !== undefined) decoded++;
      } catch (error) {
        assert.ok(
          error instanceof ProtocolError || error instanceof LimitExceededError,
          `unexpected ${error}`,
        );
        errors++;
      }
    }, { maxLineBytes: 64 });
    for (const chunk of chunksOf(bytes, 1 + Math.floor(random() * 16))) {
      try {
        splitter.push(chunk);
      } catch (error) {
        assert.ok(error instanceof LimitExceededError);
        errors++;
      }
    }
  }
  assert.ok(errors > 0 && decoded > 0, `${errors} errors, ${decoded} decoded`);
});
