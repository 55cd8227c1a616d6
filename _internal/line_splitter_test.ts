// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { LimitExceededError } from "../errors.ts";
import { LineSplitter } from "./line_splitter.ts";
import { LineSplitterStream } from "./line_splitter_stream.ts";

const encoder = new TextEncoder();

function splitAll(
  chunks: Uint8Array[],
  maxLineBytes?: number,
): { lines: string[]; rest: string | undefined } {
  const lines: string[] = [];
  const splitter = new LineSplitter(
    (line) => lines.push(line),
    maxLineBytes === undefined ? {} : { maxLineBytes },
  );
  for (const chunk of chunks) splitter.push(chunk);
  return { lines, rest: splitter.flush() };
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    out.push(bytes.subarray(i, i + size));
  }
  return out;
}

const SAMPLE = encoder.encode(
  "Asterisk Call Manager/13.0.0\r\nResponse: Success\r\nMessage: h\u00e9llo \u20ac \u{1F4DE}\r\n\r\n" +
    "agi_request: agi://h:4573/x\nbare\n\n200 result=1 (x)\r\nlast",
);
const EXPECTED = [
  "Asterisk Call Manager/13.0.0",
  "Response: Success",
  "Message: h\u00e9llo \u20ac \u{1F4DE}",
  "",
  "agi_request: agi://h:4573/x",
  "bare",
  "",
  "200 result=1 (x)",
];

Deno.test({
  name: "LineSplitter splits on LF and CRLF whatever the chunking",
  permissions: "none",
  fn: async (t) => {
    await t.step("whole", () => {
      assert.deepEqual(splitAll([SAMPLE]), { lines: EXPECTED, rest: "last" });
    });
    await t.step("split at every offset", () => {
      for (let at = 0; at <= SAMPLE.length; at++) {
        const result = splitAll([SAMPLE.subarray(0, at), SAMPLE.subarray(at)]);
        assert.deepEqual(
          result,
          { lines: EXPECTED, rest: "last" },
          `split at ${at}`,
        );
      }
    });
    for (const size of [1, 2, 3, 7, 13, 64]) {
      await t.step(`chunks of ${size}`, () => {
        assert.deepEqual(splitAll(chunked(SAMPLE, size)), {
          lines: EXPECTED,
          rest: "last",
        });
      });
    }
  },
});

Deno.test({
  name: "LineSplitter turns invalid UTF-8 into U+FFFD without throwing",
  permissions: "none",
  fn: () => {
    const bytes = new Uint8Array([
      0x61,
      0xff,
      0x62,
      0xe2,
      0x82,
      0x0a,
      0x00,
      0x0a,
    ]);
    for (let at = 0; at <= bytes.length; at++) {
      const { lines } = splitAll([bytes.subarray(0, at), bytes.subarray(at)]);
      assert.deepEqual(lines, ["a\ufffdb\ufffd", "\0"]);
    }
  },
});

Deno.test({
  name:
    "LineSplitter accepts a line of exactly maxLineBytes, with or without CR",
  permissions: "none",
  fn: () => {
    const line = "x".repeat(16);
    for (const ending of ["\n", "\r\n"]) {
      const bytes = encoder.encode(line + ending + line + ending);
      for (let at = 0; at <= bytes.length; at++) {
        const { lines } = splitAll(
          [bytes.subarray(0, at), bytes.subarray(at)],
          16,
        );
        assert.deepEqual(lines, [line, line]);
      }
    }
  },
});

Deno.test({
  name:
    "LineSplitter refuses a line one byte over maxLineBytes wherever it is split",
  permissions: "none",
  fn: () => {
    const bytes = encoder.encode("ok\n" + "y".repeat(17) + "\r\nafter\n");
    for (let at = 0; at <= bytes.length; at++) {
      const seen: string[] = [];
      const long: number[] = [];
      const splitter = new LineSplitter((line) => seen.push(line), {
        maxLineBytes: 16,
        onLongLine: (n) => long.push(n),
      });
      splitter.push(bytes.subarray(0, at));
      splitter.push(bytes.subarray(at));
      assert.deepEqual(seen, ["ok", "after"], `split at ${at}`);
      assert.equal(long.length, 1, `split at ${at}`);
      assert.ok(long[0]! >= 17);
    }
  },
});

Deno.test({
  name:
    "LineSplitter throws LimitExceededError by default and keeps memory bounded on a 10 MiB line",
  permissions: "none",
  fn: () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), {
      maxLineBytes: 1024,
    });
    const block = new Uint8Array(64 * 1024).fill(0x41);
    let error: unknown;
    let maxPending = 0;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += block.length) {
      try {
        splitter.push(block);
      } catch (e) {
        error ??= e;
      }
      maxPending = Math.max(maxPending, splitter.pendingBytes);
    }
    assert.ok(error instanceof LimitExceededError);
    assert.equal(error.limit, "maxLineBytes");
    assert.equal(error.max, 1024);
    assert.ok(maxPending <= 1025, `held ${maxPending} bytes`);
    // The splitter resynchronises on the next line feed.
    splitter.push(encoder.encode("tail\nnext\n"));
    assert.deepEqual(lines, ["next"]);
  },
});

Deno.test({
  name: "LineSplitter copies held bytes so callers may reuse their buffers",
  permissions: "none",
  fn: () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    const buffer = encoder.encode("abc");
    splitter.push(buffer);
    buffer.set(encoder.encode("XYZ"));
    splitter.push(encoder.encode("\n"));
    assert.deepEqual(lines, ["abc"]);
  },
});

Deno.test({
  name: "LineSplitterStream emits lines and the unterminated tail",
  permissions: "none",
  fn: async () => {
    const lines = await Array.fromAsync(
      ReadableStream.from(chunked(SAMPLE, 5)).pipeThrough(
        new LineSplitterStream(),
      ),
    );
    assert.deepEqual(lines, [...EXPECTED, "last"]);
    const strict = await Array.fromAsync(
      ReadableStream.from([SAMPLE]).pipeThrough(
        new LineSplitterStream({ emitUnterminated: false }),
      ),
    );
    assert.deepEqual(strict, EXPECTED);
  },
});

Deno.test({
  name: "LineSplitterStream errors with LimitExceededError past maxLineBytes",
  permissions: "none",
  fn: async () => {
    const stream = ReadableStream.from([encoder.encode("a".repeat(100))])
      .pipeThrough(new LineSplitterStream({ maxLineBytes: 10 }));
    await assert.rejects(Array.fromAsync(stream), LimitExceededError);
  },
});

Deno.test({
  name: "LineSplitter rejects a non-positive maxLineBytes",
  permissions: "none",
  fn: () => {
    assert.throws(
      () => new LineSplitter(() => {}, { maxLineBytes: 0 }),
      TypeError,
    );
  },
});
