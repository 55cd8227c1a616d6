// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  escapeWireLine,
  formatTranscript,
  parseTranscript,
  transcriptBytes,
} from "./parse_transcript.ts";

const FIXTURES = new URL("../tests/fixtures/transcripts/", import.meta.url);

Deno.test("parseTranscript and formatTranscript round-trip every recorded transcript", async () => {
  let files = 0;
  for await (const entry of Deno.readDir(FIXTURES)) {
    if (!entry.name.endsWith(".txt")) continue;
    files++;
    const text = await Deno.readTextFile(new URL(entry.name, FIXTURES));
    const entries = parseTranscript(text);
    assert.ok(entries.some((e) => e.direction === "fromAsterisk"), entry.name);
    assert.equal(formatTranscript(entries), text, entry.name);
  }
  assert.equal(files, 9);
});

Deno.test({
  name: "parseTranscript unescapes CR, TAB, backslash, raw bytes and cut lines",
  permissions: "none",
  fn: () => {
    const [line, cut] = parseTranscript(
      "<< a\\tb\\\\c\\x00\\r\n>> tail[no LF]\n",
    );
    assert.deepEqual([...line!.bytes], [
      0x61,
      9,
      0x62,
      0x5c,
      0x63,
      0,
      0x0d,
      0x0a,
    ]);
    assert.equal(line!.text, "a\tb\\c\0");
    assert.deepEqual([...cut!.bytes], [...new TextEncoder().encode("tail")]);
    assert.equal(escapeWireLine(cut!.bytes), "tail[no LF]");
  },
});

Deno.test({
  name:
    "parseTranscript rejects unknown prefixes and bad escapes with SyntaxError",
  permissions: "none",
  fn: () => {
    assert.throws(() => parseTranscript("?? nope\n"), SyntaxError);
    assert.throws(() => parseTranscript("<< bad \\q escape\n"), SyntaxError);
  },
});

Deno.test({
  name: "transcriptBytes joins one side's bytes in order",
  permissions: "none",
  fn: () => {
    const entries = parseTranscript(
      ">> ANSWER\n<< 200 result=0\n## note\n>> HANGUP\n",
    );
    assert.equal(
      new TextDecoder().decode(transcriptBytes(entries, "toAsterisk")),
      "ANSWER\nHANGUP\n",
    );
  },
});

Deno.test({
  name: "escapeWireLine shows invalid UTF-8 byte by byte",
  permissions: "none",
  fn: () => {
    assert.equal(escapeWireLine(new Uint8Array([0x41, 0xff, 0x0a])), "A\\xff");
  },
});
