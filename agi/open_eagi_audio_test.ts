// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { openEagiAudio } from "./open_eagi_audio.ts";

const SAMPLE = new URL(
  "../tests/fixtures/transcripts/fastagi.txt",
  import.meta.url,
);

async function collect(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(
    chunks.reduce((sum, chunk) => sum + chunk.length, 0),
  );
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

Deno.test({
  name: "openEagiAudio refuses a session that was not started by EAGI()",
  permissions: "none",
  fn() {
    assert.throws(
      () => openEagiAudio({ enhanced: false }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /^Cannot open EAGI audio: .*agi_enhanced/);
        return true;
      },
    );
  },
});

Deno.test({
  name: "openEagiAudio rejects a chunk size that is not a positive integer",
  permissions: "none",
  fn() {
    for (const chunkSize of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => openEagiAudio({ enhanced: true }, { chunkSize }),
        TypeError,
      );
    }
  },
});

Deno.test({
  name:
    "openEagiAudio opens nothing until read, so it needs no permission when unused",
  permissions: "none",
  async fn() {
    const audio = openEagiAudio({ enhanced: true }, {
      path: "/nonexistent/fd",
    });
    await audio.cancel();
  },
});

Deno.test({
  name: "openEagiAudio names the --allow-read flag when read access is missing",
  permissions: "none",
  async fn() {
    const reader = openEagiAudio({ enhanced: true }).getReader();
    await assert.rejects(reader.read(), (error: unknown) => {
      assert.ok(error instanceof Deno.errors.NotCapable);
      assert.match(error.message, /--allow-read=\/dev\/fd\/3/);
      assert.ok(error.cause instanceof Deno.errors.NotCapable);
      return true;
    });
  },
});

Deno.test("openEagiAudio yields every byte of its source in chunks of at most chunkSize", async () => {
  const expected = await Deno.readFile(SAMPLE);
  const chunks = await collect(
    openEagiAudio({ enhanced: true }, {
      path: SAMPLE.pathname,
      chunkSize: 320,
    }),
  );
  assert.ok(chunks.length >= Math.ceil(expected.length / 320));
  assert.ok(chunks.every((chunk) => chunk.length > 0 && chunk.length <= 320));
  assert.deepEqual(concat(chunks), expected);
});

Deno.test("openEagiAudio fills the caller's buffers through a BYOB reader", async () => {
  const expected = await Deno.readFile(SAMPLE);
  const reader = openEagiAudio({ enhanced: true }, { path: SAMPLE.pathname })
    .getReader({ mode: "byob" });
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { value, done } = await reader.read(new Uint8Array(1000));
    if (done) break;
    assert.ok(value.length <= 1000);
    chunks.push(value);
  }
  assert.deepEqual(concat(chunks), expected);
});

Deno.test("openEagiAudio closes its file when cancelled mid-stream", async () => {
  const reader = openEagiAudio({ enhanced: true }, {
    path: SAMPLE.pathname,
    chunkSize: 16,
  })
    .getReader();
  const first = await reader.read();
  assert.equal(first.value?.length, 16);
  await reader.cancel();
  // The leak sanitizer fails this test if the file were left open.
});
