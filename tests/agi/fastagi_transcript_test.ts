// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Replays `fastagi.txt` (recorded from a real Asterisk) against
 * `serveFastAgi`: the test plays Asterisk byte for byte and checks that the
 * server sends exactly the recorded command lines, then closes.
 */
import assert from "node:assert/strict";
import {
  parseTranscript,
  type TranscriptEntry,
} from "../../astemu/parse_transcript.ts";
import { AgiError, AgiHangupError, type AgiSession } from "../../agi/mod.ts";
import { type FastAgiRequest, serveFastAgi } from "../../agi/serve_fast_agi.ts";
import { FastAgiPeer } from "./fastagi_peer.ts";

const TRANSCRIPT = new URL(
  "../fixtures/transcripts/fastagi.txt",
  import.meta.url,
);

/** The entries of one scenario of the transcript (1-based). */
async function scenario(number: number): Promise<TranscriptEntry[]> {
  const entries = parseTranscript(await Deno.readTextFile(TRANSCRIPT));
  const starts = entries
    .map((entry, index) => entry.text.startsWith("=== scenario") ? index : -1)
    .filter((index) => index !== -1);
  return entries.slice(starts[number - 1], starts[number] ?? entries.length);
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Plays Asterisk's side: consecutive received lines are written in one go,
 * each sent line must match; what Asterisk sent after the last command is
 * written once the server has closed (Asterisk's HANGUP after the AGI ended).
 * Resolves with how long the server took to close after the last reply.
 */
async function replay(
  port: number,
  entries: TranscriptEntry[],
): Promise<number> {
  const wire = entries.filter((entry) => entry.direction !== "note");
  const lastCommand = wire.findLastIndex((entry) =>
    entry.direction === "toAsterisk"
  );
  using peer = await FastAgiPeer.connect(port);
  // In both scenarios the last command's reply is one line.
  const lastReply = lastCommand + 1;
  let batch: Uint8Array[] = [];
  let closedAfter = -1;
  for (const [index, entry] of wire.entries()) {
    if (entry.direction === "toAsterisk") {
      assert.equal(
        await peer.readLine(),
        entry.text,
        `line ${entry.lineNumber}`,
      );
      continue;
    }
    batch.push(entry.bytes);
    const next = wire[index + 1];
    if (
      next !== undefined && next.direction !== "toAsterisk" &&
      index !== lastReply
    ) continue;
    const bytes = join(batch);
    batch = [];
    if (index > lastReply) {
      // After the AGI ended: the server is gone (EPIPE or reset is fine).
      await peer.send(bytes);
      continue;
    }
    assert.equal(await peer.send(bytes), true, `line ${entry.lineNumber}`);
    if (index === lastReply) closedAfter = await peer.expectClose(3000);
  }
  return closedAfter;
}

Deno.test("serveFastAgi replays fastagi.txt scenario 1: the recorded commands byte for byte, dead channel, close", async () => {
  const entries = await scenario(1);
  const commands = entries.filter((entry) => entry.direction === "toAsterisk")
    .map((entry) => entry.text);
  const requests: FastAgiRequest[] = [];
  const outcomes: string[] = [];
  const errors: unknown[] = [];
  await using server = serveFastAgi({
    port: 0,
    onError: (error) => errors.push(error),
  }, {
    "oracle-fast": async (session: AgiSession, request) => {
      requests.push(request);
      for (const command of commands) {
        try {
          const reply = await session.command(command);
          outcomes.push(`${reply.code} ${reply.result}`);
        } catch (error) {
          assert.ok(error instanceof AgiError, String(error));
          outcomes.push(error.name);
        }
      }
    },
  });
  const closedAfter = await replay(server.addr.port, entries);
  assert.ok(
    closedAfter < 1000,
    `closed ${closedAfter} ms after the last reply`,
  );
  assert.deepEqual(errors, []);
  assert.equal(requests[0]?.path, "oracle-fast");
  assert.deepEqual(Object.fromEntries(requests[0]!.params), {
    mode: "test",
    n: "1",
  });
  assert.equal(outcomes.length, commands.length);
  assert.equal(
    outcomes[commands.indexOf("ORACLE BOGUS COMMAND")],
    "AgiInvalidCommandError",
  );
  assert.equal(outcomes[commands.indexOf("STREAM FILE")], "AgiUsageError");
  assert.equal(outcomes[commands.lastIndexOf("ANSWER")], "AgiDeadChannelError");
  assert.equal(outcomes.at(-1), "200 1");
});

Deno.test("serveFastAgi replays fastagi.txt scenario 2: hangup during WAIT FOR DIGIT, the HANGUP line, then close", async () => {
  const entries = await scenario(2);
  const errors: unknown[] = [];
  const seen: Record<string, unknown> = {};
  await using server = serveFastAgi({
    port: 0,
    onError: (error) => errors.push(error),
  }, {
    "oracle-fast-2": async (session, request) => {
      seen.path = request.path;
      seen.args = session.env.args;
      await session.answer();
      seen.channel = await session.getVariable("CHANNEL");
      seen.waitError = await session.waitForDigit(5000).then(
        () => undefined,
        (error) => error,
      );
      seen.hungUp = session.hungUp;
      seen.aborted = session.signal.aborted;
      await session.noop();
    },
  });
  const closedAfter = await replay(server.addr.port, entries);
  assert.ok(
    closedAfter < 1000,
    `closed ${closedAfter} ms after the last reply`,
  );
  assert.deepEqual(errors, []);
  assert.equal(seen.path, "oracle-fast-2");
  assert.deepEqual(seen.args, ["two", ""]);
  assert.equal(seen.channel, "Local/args@agi-fast-00000006;2");
  // result=-1 arrived together with the HANGUP notice: a hangup, not a failure.
  assert.ok(seen.waitError instanceof AgiHangupError, String(seen.waitError));
  assert.equal(seen.hungUp, true);
  assert.equal(seen.aborted, true);
});
