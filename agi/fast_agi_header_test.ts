// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  parseTranscript,
  transcriptBytes,
} from "../astemu/parse_transcript.ts";
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
} from "../errors.ts";
import {
  type ByteReader,
  parseFastAgiScript,
  readFastAgiHeader,
} from "./fast_agi_header.ts";

const encoder = new TextEncoder();

/** A reader that hands out the given chunks, then EOF. */
function chunkReader(chunks: Uint8Array[]): ByteReader {
  let index = 0;
  let offset = 0;
  return {
    read(buffer: Uint8Array): Promise<number | null> {
      const chunk = chunks[index];
      if (chunk === undefined) return Promise.resolve(null);
      const count = Math.min(buffer.length, chunk.length - offset);
      buffer.set(chunk.subarray(offset, offset + count));
      offset += count;
      if (offset === chunk.length) {
        index++;
        offset = 0;
      }
      return Promise.resolve(count);
    },
  };
}

/** Everything the reader still holds. */
async function drain(reader: ByteReader): Promise<number[]> {
  const out: number[] = [];
  const buffer = new Uint8Array(5);
  for (
    let count = await reader.read(buffer);
    count !== null;
    count = await reader.read(buffer)
  ) {
    out.push(...buffer.subarray(0, count));
  }
  return out;
}

function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    out.push(bytes.subarray(at, at + size));
  }
  return out;
}

/** The scenario-1 header block of the FastAGI transcript, plus what follows. */
async function transcriptHeader(): Promise<
  { block: Uint8Array; lines: string[] }
> {
  const text = await Deno.readTextFile(
    new URL("../tests/fixtures/transcripts/fastagi.txt", import.meta.url),
  );
  const entries = parseTranscript(text);
  const first = entries.findIndex((entry) => entry.direction === "toAsterisk");
  const header = entries.slice(0, first).filter((entry) =>
    entry.direction === "fromAsterisk"
  );
  return {
    block: transcriptBytes(header, "fromAsterisk"),
    lines: header.map((entry) => entry.text).slice(0, -1),
  };
}

Deno.test("readFastAgiHeader reads the transcript's header whole, split at every offset and in small chunks", async (t) => {
  const { block, lines } = await transcriptHeader();
  assert.equal(lines[0], "agi_network: yes");
  assert.equal(lines.at(-1), "agi_arg_2: x=y");
  const trailer = encoder.encode("HANGUP\n");
  const bytes = new Uint8Array(block.length + trailer.length);
  bytes.set(block);
  bytes.set(trailer, block.length);

  await t.step("whole", async () => {
    const header = await readFastAgiHeader(chunkReader([bytes]), 65536);
    assert.deepEqual(header.lines, lines);
    assert.deepEqual(header.rest, trailer);
  });
  await t.step("split at every offset", async () => {
    for (let at = 0; at <= bytes.length; at++) {
      const reader = chunkReader([bytes.subarray(0, at), bytes.subarray(at)]);
      const header = await readFastAgiHeader(reader, 65536);
      assert.deepEqual(header.lines, lines, `split at ${at}`);
      // Nothing is lost: what was over-read plus what is left is the trailer.
      assert.deepEqual(
        [...header.rest, ...await drain(reader)],
        [...trailer],
        `split at ${at}`,
      );
    }
  });
  await t.step("chunk sizes 1, 2, 3, 7, 13, 64", async () => {
    for (const size of [1, 2, 3, 7, 13, 64]) {
      const reader = chunkReader(split(bytes, size));
      const header = await readFastAgiHeader(reader, 65536);
      assert.deepEqual(header.lines, lines, `chunk size ${size}`);
      assert.ok(header.rest.length < size, `chunk size ${size}`);
      assert.deepEqual(
        [...header.rest, ...await drain(reader)],
        [...trailer],
        `chunk size ${size}`,
      );
    }
  });
});

Deno.test("readFastAgiHeader accepts CRLF line ends and an empty value without its space", async () => {
  const header = await readFastAgiHeader(
    chunkReader([
      encoder.encode("agi_network: yes\r\nagi_accountcode:\r\n\r\n"),
    ]),
    1024,
  );
  assert.deepEqual(header.lines, ["agi_network: yes", "agi_accountcode:"]);
  assert.equal(header.rest.length, 0);
});

Deno.test("readFastAgiHeader grows its buffer past the first read for a long header", async () => {
  const long = "agi_arg_1: " + "x".repeat(10_000);
  const bytes = encoder.encode(`agi_network: yes\n${long}\n\n`);
  const header = await readFastAgiHeader(
    chunkReader(split(bytes, 1500)),
    65536,
  );
  assert.deepEqual(header.lines, ["agi_network: yes", long]);
});

Deno.test("readFastAgiHeader fails with LimitExceededError once maxHeaderBytes is held without an empty line", async () => {
  const bytes = encoder.encode(
    "agi_network: yes\n" + "agi_arg_1: " + "y".repeat(5000) + "\n\n",
  );
  const reader = chunkReader([bytes]);
  await assert.rejects(readFastAgiHeader(reader, 4096), (error: unknown) => {
    assert.ok(error instanceof LimitExceededError);
    assert.equal(error.limit, "maxHeaderBytes");
    assert.equal(error.max, 4096);
    return true;
  });
  // Exactly at the limit is accepted (the blank line counts).
  const exact = encoder.encode("agi_network: yes\n\n");
  const header = await readFastAgiHeader(chunkReader([exact]), exact.length);
  assert.deepEqual(header.lines, ["agi_network: yes"]);
  await assert.rejects(
    readFastAgiHeader(chunkReader([exact]), exact.length - 1),
    LimitExceededError,
  );
});

Deno.test("readFastAgiHeader rejects garbage with a ProtocolError that keeps the line", async (t) => {
  const cases: [string, string][] = [
    ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1"],
    ["agi_network: yes\nnot a header\n\n", "not a header"],
    ["agi_network yes\n\n", "agi_network yes"],
    ["agi_: yes\n\n", "agi_: yes"],
    ["agi_x:value\n\n", "agi_x:value"],
    ["agi_a b: c\n\n", "agi_a b: c"],
    ["\x00\x01\x02\n\n", "\x00\x01\x02"],
  ];
  for (const [input, line] of cases) {
    await t.step(JSON.stringify(input), async () => {
      await assert.rejects(
        readFastAgiHeader(chunkReader([encoder.encode(input)]), 1024),
        (error: unknown) => {
          assert.ok(error instanceof ProtocolError);
          assert.equal(error.line, line);
          return true;
        },
      );
    });
  }
  await t.step("an empty block", async () => {
    await assert.rejects(
      readFastAgiHeader(chunkReader([encoder.encode("\n")]), 1024),
      ProtocolError,
    );
    await assert.rejects(
      readFastAgiHeader(chunkReader([encoder.encode("\r\n")]), 1024),
      ProtocolError,
    );
  });
});

Deno.test("readFastAgiHeader fails with ConnectionClosedError when the peer closes inside the block", async () => {
  await assert.rejects(
    readFastAgiHeader(chunkReader([]), 1024),
    ConnectionClosedError,
  );
  await assert.rejects(
    readFastAgiHeader(
      chunkReader([encoder.encode("agi_network: yes\n")]),
      1024,
    ),
    (error: unknown) => {
      assert.ok(error instanceof ConnectionClosedError);
      assert.match(error.message, /after 17 bytes/);
      return true;
    },
  );
});

Deno.test({
  name: "parseFastAgiScript splits the path from its query parameters",
  permissions: "none",
  fn() {
    const script = parseFastAgiScript("oracle-fast?mode=test&n=1");
    assert.equal(script.path, "oracle-fast");
    assert.deepEqual([...script.params], [["mode", "test"], ["n", "1"]]);

    const nested = parseFastAgiScript("/sales/ivr/?who=J%C3%BCrgen+S&who=x");
    assert.equal(nested.path, "sales/ivr");
    assert.deepEqual(nested.params.getAll("who"), ["Jürgen S", "x"]);

    const bare = parseFastAgiScript("");
    assert.equal(bare.path, "");
    assert.equal([...bare.params].length, 0);

    assert.equal(parseFastAgiScript("a?b?c=d").params.get("b?c"), "d");
  },
});
