// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { LimitExceededError, ProtocolError } from "../errors.ts";
import {
  AMI_TRANSCRIPTS,
  concat,
  loadAmiConnections,
  readerView,
  TRANSCRIPTS_DIR,
} from "../tests/astemu/_transcripts.ts";
import type { AmiMessage } from "./ami_message.ts";
import {
  AmiMessageDecoder,
  type AmiMessageDecoderOptions,
} from "./ami_message_decoder.ts";

const encoder = new TextEncoder();
const CHUNK_SIZES = [1, 2, 3, 7, 13, 64];

/** Decodes `chunks` and returns the fields of every message. */
function decode(
  chunks: Iterable<Uint8Array>,
  options: AmiMessageDecoderOptions = {},
): { version: string | undefined; packets: [string, string][][] } {
  const packets: [string, string][][] = [];
  const decoder = new AmiMessageDecoder(
    (message) => packets.push(message.fields.map(([k, v]) => [k, v])),
    options,
  );
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return { version: decoder.version, packets };
}

function* chunked(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    yield bytes.subarray(i, i + size);
  }
}

/** Runs `check` on the bytes fed whole, split at every offset, and in every chunk size. */
function everySplit(
  bytes: Uint8Array,
  check: (chunks: Uint8Array[], how: string) => void,
): void {
  check([bytes], "whole");
  for (let at = 0; at <= bytes.length; at++) {
    check([bytes.subarray(0, at), bytes.subarray(at)], `split at ${at}`);
  }
  for (const size of CHUNK_SIZES) {
    check([...chunked(bytes, size)], `chunks of ${size}`);
  }
}

const fixtures = { read: [TRANSCRIPTS_DIR] };

/** Decodes `chunks`, comparing each message with `expected` in a tight loop. */
function decodesTo(
  chunks: readonly Uint8Array[],
  expected: readonly (readonly [string, string])[][],
  how: string,
): void {
  let count = 0;
  let same = true;
  const decoder = new AmiMessageDecoder((message) => {
    const want = expected[count++];
    const fields = message.fields;
    if (want === undefined || fields.length !== want.length) same = false;
    else {
      for (let i = 0; i < fields.length; i++) {
        const [key, value] = fields[i]!;
        if (key !== want[i]![0] || value !== want[i]![1]) same = false;
      }
    }
  });
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  assert.equal(decoder.version, "13.0.0", how);
  // deepEqual only to report a mismatch readably.
  if (!same || count !== expected.length) {
    assert.deepEqual(decode(chunks).packets, expected, how);
  }
}

Deno.test({
  name:
    "AmiMessageDecoder decodes every recorded Asterisk stream as a reader sees it",
  permissions: fixtures,
  async fn(t) {
    for (const file of AMI_TRANSCRIPTS) {
      for (const connection of loadAmiConnections(file)) {
        await t.step(connection.name, () => {
          const view = readerView(connection.entries, "fromAsterisk");
          assert.equal(view.banner, "Asterisk Call Manager/13.0.0");
          assert.ok(view.packets.length > 0);
          const banner = encoder.encode(view.banner + "\r\n");
          const bytes = concat([banner, ...view.raw]);
          decodesTo([bytes], view.packets, "whole");
          for (const size of CHUNK_SIZES) {
            decodesTo(
              [...chunked(bytes, size)],
              view.packets,
              `chunks of ${size}`,
            );
          }
          // Split at every offset of the stream. To keep this linear, each
          // split is fed with the banner and the packets next to it only.
          let offset = banner.length;
          for (let p = 0; p < view.raw.length; p++) {
            const from = Math.max(0, p - 1);
            const to = Math.min(view.raw.length, p + 2);
            const before = concat([banner, ...view.raw.slice(from, p)]);
            const window = concat([before, ...view.raw.slice(p, to)]);
            const expected = view.packets.slice(from, to);
            const first = p === 0 ? 0 : before.length;
            for (
              let at = first;
              at < before.length + view.raw[p]!.length;
              at++
            ) {
              decodesTo(
                [window.subarray(0, at), window.subarray(at)],
                expected,
                `split at ${offset + at - before.length}`,
              );
            }
            offset += view.raw[p]!.length;
          }
        });
      }
    }
  },
});

Deno.test({
  name:
    "AmiMessageDecoder decodes the client side of every transcript without a banner",
  permissions: fixtures,
  fn() {
    for (const file of AMI_TRANSCRIPTS) {
      for (const connection of loadAmiConnections(file)) {
        const view = readerView(connection.entries, "toAsterisk");
        const bytes = concat(view.raw);
        for (const size of [bytes.length || 1, 1, 7]) {
          const result = decode(chunked(bytes, size), { expectBanner: false });
          assert.equal(result.version, undefined);
          assert.deepEqual(result.packets, view.packets, connection.name);
        }
      }
    }
  },
});

const LEGACY = "Asterisk Call Manager/1.1\r\n" +
  "Response: Follows\r\n" +
  "Privilege: Command\r\n" +
  "ActionID: 7\r\n" +
  "Name/username              Host   Dyn\n" +
  "\n" +
  "Output: not a header\n" +
  "  indented: value \n" +
  "\n" +
  "2 sip peers [Monitored: 0 online]\n" +
  "--END COMMAND--\r\n" +
  "\r\n" +
  "Response: Follows\r\n" +
  "Privilege: Command\r\n" +
  "no trailing newline--END COMMAND--\r\n" +
  "\r\n" +
  "Event: Après\r\n" +
  "\r\n";

Deno.test(
  "AmiMessageDecoder turns a legacy Response: Follows body into Output fields",
  {
    permissions: "none",
  },
  () => {
    const expected = [
      [
        ["Response", "Follows"],
        ["Privilege", "Command"],
        ["ActionID", "7"],
        ["Output", "Name/username              Host   Dyn"],
        ["Output", ""],
        ["Output", "Output: not a header"],
        ["Output", "  indented: value "],
        ["Output", ""],
        ["Output", "2 sip peers [Monitored: 0 online]"],
      ],
      [
        ["Response", "Follows"],
        ["Privilege", "Command"],
        ["Output", "no trailing newline"],
      ],
      [["Event", "Après"]],
    ];
    everySplit(encoder.encode(LEGACY), (chunks, how) => {
      const result = decode(chunks);
      assert.equal(result.version, "1.1", how);
      assert.deepEqual(result.packets, expected, how);
    });
  },
);

Deno.test(
  "AmiMessageDecoder reads the modern Command form the same as the legacy one",
  {
    permissions: "none",
  },
  () => {
    const modern = decode([
      encoder.encode(
        "Response: Success\r\nMessage: Command output follows\r\nOutput: a\r\nOutput: \r\nOutput: b\r\n\r\n",
      ),
    ], { expectBanner: false }).packets[0]!;
    const legacy = decode([
      encoder.encode(
        "Response: Follows\r\nPrivilege: Command\r\na\n\nb\n--END COMMAND--\r\n\r\n",
      ),
    ], { expectBanner: false }).packets[0]!;
    const outputs = (fields: [string, string][]) =>
      fields.filter(([k]) => k === "Output").map(([, v]) => v);
    assert.deepEqual(outputs(modern), ["a", "", "b"]);
    assert.deepEqual(outputs(legacy), outputs(modern));
  },
);

Deno.test(
  "AmiMessageDecoder splits on the first colon and drops exactly one space",
  {
    permissions: "none",
  },
  () => {
    const text = "Asterisk Call Manager/13.0.0\r\n" +
      "Response: Success\r\n" +
      "Output:   three spaces\r\n" +
      "NoSpace:value\r\n" +
      "Empty:\r\n" +
      "Blank: \r\n" +
      "Url: agi://h:4573/x\r\n" +
      "No categories found\r\n" +
      ":leading colon\r\n" +
      "Tab:\tx\r\n" +
      "\r\n";
    everySplit(encoder.encode(text), (chunks, how) => {
      assert.deepEqual(decode(chunks).packets, [[
        ["Response", "Success"],
        ["Output", "  three spaces"],
        ["NoSpace", "value"],
        ["Empty", ""],
        ["Blank", ""],
        ["Url", "agi://h:4573/x"],
        ["", "No categories found"],
        ["", "leading colon"],
        ["Tab", "\tx"],
      ]], how);
    });
  },
);

Deno.test(
  "AmiMessageDecoder accepts bare LF, CRLF LF and stray blank lines between packets",
  {
    permissions: "none",
  },
  () => {
    const text = "Asterisk Call Manager/2.10.4\n" +
      "\r\n\n" +
      "Event: A\nKey: 1\n\n" +
      "\r\n\r\n\n" +
      "Event: B\r\nKey: 2\r\n\n" +
      "Event: C\rx\r\n\r\n";
    everySplit(encoder.encode(text), (chunks, how) => {
      const result = decode(chunks);
      assert.equal(result.version, "2.10.4", how);
      assert.deepEqual(result.packets, [
        [["Event", "A"], ["Key", "1"]],
        [["Event", "B"], ["Key", "2"]],
        [["Event", "C\rx"]],
      ], how);
    });
  },
);

Deno.test(
  "AmiMessageDecoder keeps multibyte characters split across chunks and replaces invalid bytes",
  {
    permissions: "none",
  },
  () => {
    const bytes = concat([
      encoder.encode(
        "Asterisk Call Manager/13.0.0\r\nEvent: Café ☎ 𝄞\r\nBad: ",
      ),
      Uint8Array.of(0xff, 0xc3),
      encoder.encode("\r\nNul: a\0b\r\n\r\n"),
    ]);
    everySplit(bytes, (chunks, how) => {
      assert.deepEqual(decode(chunks).packets, [[
        ["Event", "Café ☎ 𝄞"],
        ["Bad", "\ufffd\ufffd"],
        ["Nul", "a\0b"],
      ]], how);
    });
  },
);

Deno.test("AmiMessageDecoder reports the banner version through onBanner", {
  permissions: "none",
}, () => {
  const versions: string[] = [];
  const decoder = new AmiMessageDecoder(() => {}, {
    onBanner: (v) => versions.push(v),
  });
  assert.equal(decoder.version, undefined);
  decoder.push(encoder.encode("Asterisk Call Manager/13.0"));
  assert.deepEqual(versions, []);
  decoder.push(encoder.encode(".0\r\nResponse: Success\r\n\r\n"));
  assert.deepEqual(versions, ["13.0.0"]);
  assert.equal(decoder.version, "13.0.0");
});

Deno.test(
  "AmiMessageDecoder reports a first line that is no banner and still decodes it",
  {
    permissions: "none",
  },
  () => {
    const messages: AmiMessage[] = [];
    const decoder = new AmiMessageDecoder((m) => messages.push(m));
    assert.throws(
      () =>
        decoder.push(
          encoder.encode(
            "Response: Success\r\nPing: Pong\r\n\r\nEvent: X\r\n\r\n",
          ),
        ),
      (error) => {
        assert.ok(error instanceof ProtocolError);
        assert.equal(error.line, "Response: Success");
        assert.match(error.message, /^Cannot read AMI banner: expected/);
        return true;
      },
    );
    assert.deepEqual(messages.map((m) => m.toObject()), [
      { Response: "Success", Ping: "Pong" },
      { Event: "X" },
    ]);
    assert.equal(decoder.version, undefined);
  },
);

Deno.test(
  "AmiMessageDecoder throws at end when the input stops inside a packet",
  {
    permissions: "none",
  },
  async (t) => {
    for (
      const [name, text, partial] of [
        [
          "inside a packet",
          "Asterisk Call Manager/13.0.0\r\nEvent: A\r\nKey: 1\r\n",
          "Event: A\r\nKey: 1\r\n",
        ],
        [
          "inside a line",
          "Asterisk Call Manager/13.0.0\r\nEvent: A\r\nKe",
          "Event: A\r\nKe",
        ],
        ["inside the banner", "Asterisk Call Man", "Asterisk Call Man"],
        [
          "inside a Follows body",
          "Response: Follows\r\nPrivilege: Command\r\n\r\nx\n",
          undefined,
        ],
      ] as const
    ) {
      await t.step(name, () => {
        const messages: AmiMessage[] = [];
        const decoder = new AmiMessageDecoder((m) => messages.push(m), {
          expectBanner: text.startsWith("Asterisk"),
        });
        decoder.push(encoder.encode(text));
        assert.throws(() => decoder.end(), (error) => {
          assert.ok(error instanceof ProtocolError);
          assert.equal(
            error.message,
            "Cannot decode AMI message: input ended inside a packet",
          );
          if (partial !== undefined) assert.equal(error.line, partial);
          return true;
        });
        assert.equal(messages.length, 0);
        // The packet state was reset: a clean packet decodes and ends cleanly
        // (after the banner, when that was what got cut).
        if (name === "inside the banner") {
          decoder.push(encoder.encode("Asterisk Call Manager/13.0.0\r\n"));
        }
        decoder.push(encoder.encode("Event: B\r\n\r\n"));
        decoder.end();
        assert.equal(messages.at(-1)?.event, "B");
      });
    }
  },
);

Deno.test(
  "AmiMessageDecoder ends cleanly after a complete packet or only blank lines",
  {
    permissions: "none",
  },
  () => {
    const result = decode([
      encoder.encode("Asterisk Call Manager/13.0.0\r\nEvent: A\r\n\r\n\r\n"),
    ]);
    assert.deepEqual(result.packets, [[["Event", "A"]]]);
    assert.deepEqual(decode([]).packets, []);
  },
);

/** Pushes chunks, collecting messages and thrown errors. */
function collect(
  chunks: Iterable<Uint8Array>,
  options: AmiMessageDecoderOptions = {},
): { messages: AmiMessage[]; errors: unknown[]; decoder: AmiMessageDecoder } {
  const messages: AmiMessage[] = [];
  const errors: unknown[] = [];
  const decoder = new AmiMessageDecoder((m) => messages.push(m), options);
  for (const chunk of chunks) {
    try {
      decoder.push(chunk);
    } catch (error) {
      errors.push(error);
    }
  }
  try {
    decoder.end();
  } catch (error) {
    errors.push(error);
  }
  return { messages, errors, decoder };
}

function assertLimit(error: unknown, limit: string, max: number): void {
  assert.ok(error instanceof LimitExceededError, String(error));
  assert.ok(error instanceof RangeError);
  assert.equal(error.limit, limit);
  assert.equal(error.max, max);
  assert.match(error.message, /^Cannot decode AMI message: /);
}

Deno.test(
  "AmiMessageDecoder refuses a 10 MiB line and decodes what follows it",
  {
    permissions: "none",
  },
  async (t) => {
    const big = new Uint8Array(10 * 1024 * 1024).fill(0x41);
    const before = encoder.encode(
      "Asterisk Call Manager/13.0.0\r\nEvent: Before\r\n\r\nEvent: Huge\r\nData: ",
    );
    const after = encoder.encode("\r\nMore: 1\r\n\r\nEvent: After\r\n\r\n");
    await t.step("in one chunk", () => {
      const { messages, errors } = collect([concat([before, big, after])]);
      assert.equal(errors.length, 1);
      assertLimit(errors[0], "maxLineBytes", 1_048_576);
      assert.deepEqual(messages.map((m) => m.event), ["Before", "After"]);
    });
    await t.step("in 64 KiB chunks, without holding the line", () => {
      const { messages, errors, decoder } = collect((function* () {
        yield before;
        yield* chunked(big, 65_536);
        yield after;
      })());
      assert.equal(errors.length, 1);
      assertLimit(errors[0], "maxLineBytes", 1_048_576);
      assert.deepEqual(messages.map((m) => m.event), ["Before", "After"]);
      assert.equal(decoder.version, "13.0.0");
    });
    await t.step("with no line feed at all", () => {
      const messages: AmiMessage[] = [];
      const decoder = new AmiMessageDecoder((m) => messages.push(m), {
        maxLineBytes: 100,
      });
      decoder.push(encoder.encode("Asterisk Call Manager/13.0.0\r\n"));
      let thrown = 0;
      for (const chunk of chunked(big, 65_536)) {
        try {
          decoder.push(chunk);
        } catch (error) {
          assertLimit(error, "maxLineBytes", 100);
          thrown++;
        }
      }
      assert.equal(thrown, 1);
      // Still skipping the long line: nothing is held, end() has nothing partial.
      decoder.end();
      assert.equal(messages.length, 0);
    });
  },
);

Deno.test("AmiMessageDecoder refuses 100,000 fields and decodes what follows", {
  permissions: "none",
}, () => {
  const fields = "Variable: x=1\r\n".repeat(100_000);
  const bytes = encoder.encode(
    "Asterisk Call Manager/13.0.0\r\nEvent: Many\r\n" + fields +
      "\r\nEvent: After\r\n\r\n",
  );
  for (const size of [bytes.length, 65_536, 1000]) {
    const { messages, errors } = collect(chunked(bytes, size));
    assert.equal(errors.length, 1);
    assertLimit(errors[0], "maxFieldsPerMessage", 20_000);
    assert.deepEqual(messages.map((m) => m.event), ["After"]);
  }
});

Deno.test(
  "AmiMessageDecoder enforces maxMessageBytes and maxFieldsPerMessage options",
  {
    permissions: "none",
  },
  () => {
    const text =
      "Event: Small\r\nA: 1\r\n\r\nEvent: Big\r\nA: 1234567890\r\nB: 1234567890\r\n\r\nEvent: Last\r\n\r\n";
    const bytes = encoder.encode(text);
    everySplit(bytes, (chunks, how) => {
      const { messages, errors } = collect(chunks, {
        expectBanner: false,
        maxMessageBytes: 40,
      });
      assert.equal(errors.length, 1, how);
      assertLimit(errors[0], "maxMessageBytes", 40);
      assert.deepEqual(messages.map((m) => m.event), ["Small", "Last"], how);
    });
    everySplit(bytes, (chunks, how) => {
      const { messages, errors } = collect(chunks, {
        expectBanner: false,
        maxFieldsPerMessage: 2,
      });
      assert.equal(errors.length, 1, how);
      assertLimit(errors[0], "maxFieldsPerMessage", 2);
      assert.deepEqual(messages.map((m) => m.event), ["Small", "Last"], how);
    });
    // Exactly at the limits passes.
    const exact = collect([bytes], {
      expectBanner: false,
      maxFieldsPerMessage: 3,
      maxLineBytes: 15,
    });
    assert.deepEqual(exact.errors, []);
    assert.equal(exact.messages.length, 3);
  },
);

Deno.test(
  "AmiMessageDecoder drops a too-long line inside a Follows body up to its end",
  {
    permissions: "none",
  },
  () => {
    const text = "Response: Follows\r\nPrivilege: Command\r\n" +
      "x".repeat(50) +
      "\n\nstill body: 1\n--END COMMAND--\r\n\r\nEvent: After\r\n\r\n";
    everySplit(encoder.encode(text), (chunks, how) => {
      const { messages, errors } = collect(chunks, {
        expectBanner: false,
        maxLineBytes: 40,
      });
      assert.equal(errors.length, 1, how);
      assertLimit(errors[0], "maxLineBytes", 40);
      assert.deepEqual(
        messages.map((m) => m.toObject()),
        [{ Event: "After" }],
        how,
      );
    });
  },
);

Deno.test("AmiMessageDecoder passes realistic huge replies with its defaults", {
  permissions: "none",
}, () => {
  const json = JSON.stringify(
    Object.fromEntries(
      Array.from({ length: 20_000 }, (_, i) => [`key${i}`, "v".repeat(20)]),
    ),
  );
  assert.ok(json.length > 500_000);
  const output = Array.from(
    { length: 15_000 },
    (_, i) => `Output: line ${i}\r\n`,
  ).join("");
  const bytes = encoder.encode(
    "Asterisk Call Manager/13.0.0\r\n" +
      `Response: Success\r\nActionID: 1\r\nJSON: ${json}\r\n\r\n` +
      `Response: Success\r\nActionID: 2\r\nMessage: Command output follows\r\n${output}\r\n`,
  );
  const { messages, errors } = collect(chunked(bytes, 65_536));
  assert.deepEqual(errors, []);
  assert.equal(messages[0]!.get("JSON"), json);
  assert.equal(messages[1]!.getAll("Output").length, 15_000);
  assert.equal(messages[1]!.getAll("Output")[14_999], "line 14999");
});

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test(
  "AmiMessageDecoder survives random bytes and resynchronises on the next packet",
  {
    permissions: "none",
  },
  () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = random(seed);
      const noise = new Uint8Array(50_000);
      // Bias towards the bytes that matter to framing.
      const alphabet = [0x0a, 0x0d, 0x3a, 0x20, 0x00, 0xff, 0x41, 0x2d];
      for (let i = 0; i < noise.length; i++) {
        noise[i] = next() < 0.5
          ? alphabet[Math.floor(next() * alphabet.length)]!
          : Math.floor(next() * 256);
      }
      const bytes = concat([
        noise,
        encoder.encode("\r\n\r\nEvent: Sentinel\r\nSeed: " + seed + "\r\n\r\n"),
      ]);
      const { messages, errors } = collect(
        chunked(bytes, 1 + (seed * 37) % 4096),
        {
          maxLineBytes: 512,
          maxFieldsPerMessage: 100,
        },
      );
      for (const error of errors) {
        assert.ok(
          error instanceof LimitExceededError || error instanceof ProtocolError,
          String(error),
        );
      }
      for (const message of messages) assert.ok(message.fields.length <= 100);
      assert.deepEqual(messages.at(-1)?.toObject(), {
        Event: "Sentinel",
        Seed: String(seed),
      });
    }
  },
);

Deno.test(
  "AmiMessageDecoder keeps decoding when onMessage throws and rethrows the first error",
  {
    permissions: "none",
  },
  () => {
    const seen: string[] = [];
    const decoder = new AmiMessageDecoder((m) => {
      seen.push(m.event!);
      if (m.event !== "B") throw new Error(`handler failed on ${m.event}`);
    }, { expectBanner: false });
    assert.throws(
      () =>
        decoder.push(
          encoder.encode("Event: A\r\n\r\nEvent: B\r\n\r\nEvent: C\r\n\r\n"),
        ),
      { message: "handler failed on A" },
    );
    assert.deepEqual(seen, ["A", "B", "C"]);
    decoder.push(encoder.encode("Event: B\r\n\r\n"));
    assert.deepEqual(seen, ["A", "B", "C", "B"]);
  },
);

Deno.test("AmiMessageDecoder does not keep a reference to pushed chunks", {
  permissions: "none",
}, () => {
  const packets: [string, string][][] = [];
  const decoder = new AmiMessageDecoder(
    (m) => packets.push(m.fields.map(([k, v]) => [k, v])),
    { expectBanner: false },
  );
  const buffer = new Uint8Array(64);
  for (const part of ["Event: A\r\nKey: v", "alue\r\n", "\r\n"]) {
    const bytes = encoder.encode(part);
    buffer.set(bytes);
    decoder.push(buffer.subarray(0, bytes.length));
    buffer.fill(0x58);
  }
  assert.deepEqual(packets, [[["Event", "A"], ["Key", "value"]]]);
});

Deno.test("AmiMessageDecoder rejects limits that are not positive integers", {
  permissions: "none",
}, () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
    assert.throws(
      () => new AmiMessageDecoder(() => {}, { maxLineBytes: bad }),
      TypeError,
    );
    assert.throws(
      () => new AmiMessageDecoder(() => {}, { maxFieldsPerMessage: bad }),
      TypeError,
    );
    assert.throws(
      () => new AmiMessageDecoder(() => {}, { maxMessageBytes: bad }),
      TypeError,
    );
  }
});
