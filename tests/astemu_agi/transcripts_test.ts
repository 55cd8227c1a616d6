// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { AgiEmulator } from "../../astemu/agi_emulator.ts";
import { replayAgiCall } from "../../astemu/agi_replay_call.ts";
import {
  parseTranscript,
  transcriptBytes,
  type TranscriptEntry,
} from "../../astemu/parse_transcript.ts";
import { FakeAgiScript } from "./_fake_agi_script.ts";

const DIR = new URL("../fixtures/transcripts/", import.meta.url);

async function load(name: string): Promise<TranscriptEntry[]> {
  return parseTranscript(await Deno.readTextFile(new URL(name, DIR)));
}

/** The subroutine the recorded dialplan has: `subs,greet,1` sets GREETED. */
const SUBROUTINES = {
  "subs,greet,1": (
    call: { variables: Map<string, string> },
    args: readonly string[],
  ) => {
    call.variables.set("GREETED", args[0] ?? "");
  },
};

/**
 * Sends the recorded `>>` lines one at a time, reading after each as many
 * lines as Asterisk sent before the next command; the lines recorded after a
 * note about closing are read after closing. Returns all bytes received.
 */
async function drive(
  entries: readonly TranscriptEntry[],
  script: FakeAgiScript,
  chunkSize = Number.POSITIVE_INFINITY,
): Promise<string> {
  let index = entries.findIndex((e) => e.direction === "toAsterisk");
  const before = entries.slice(0, index).filter((e) =>
    e.direction === "fromAsterisk"
  );
  await script.lines(before.length);
  while (index < entries.length) {
    const command = entries[index]!;
    let count = 0;
    let next = index + 1;
    for (; next < entries.length; next++) {
      const entry = entries[next]!;
      if (entry.direction === "toAsterisk") break;
      if (entry.direction === "note" && /clos/i.test(entry.text)) {
        next = entries.length;
        break;
      }
      if (entry.direction === "fromAsterisk") count++;
    }
    for (let at = 0; at < command.bytes.length; at += chunkSize) {
      await script.send(command.bytes.subarray(at, at + chunkSize));
    }
    assert.equal((await script.lines(count)).length, count);
    index = next;
  }
  await script.finish();
  return script.received;
}

function stdioCall(): AgiEmulator {
  return new AgiEmulator({
    transport: "stdio",
    request: "oracle-agi.py",
    args: ["hello world", "x=y"],
    channel: "Local/args@agi-stdio-00000004;2",
    uniqueId: "1795693524.9",
    version: "GIT-master-f0c1c1a7b7",
    callerIdNum: "5550000",
    callerIdName: "Oracle Caller",
    context: "agi-stdio",
    extension: "args",
    priority: 2,
    threadId: "139972818859712",
    variables: { AGISCRIPT: "oracle-agi.py" },
    subroutines: SUBROUTINES,
  });
}

Deno.test("AgiEmulator answers the commands of agi-stdio.txt exactly as Asterisk did", async () => {
  const entries = await load("agi-stdio.txt");
  const emulator = stdioCall();
  const script = new FakeAgiScript(emulator);
  const received = await drive(entries, script);
  const expected = new TextDecoder().decode(
    transcriptBytes(entries, "fromAsterisk"),
  );
  assert.equal(received, expected);
  // SIGHUP came right after the reply to HANGUP, once.
  const hangupReply = expected.indexOf("200 result=1\n511 ") + 13;
  assert.deepEqual(script.sighups, [hangupReply]);
  assert.equal(emulator.status, "HANGUP");
  assert.equal(emulator.call.variables.get("GREETED"), "fromagi");
});

Deno.test("AgiEmulator answers both calls of fastagi.txt exactly as Asterisk did", async (t) => {
  const entries = await load("fastagi.txt");
  const split = entries.findIndex((e) =>
    e.direction === "note" && e.text.includes("scenario 2")
  );
  const common = {
    transport: "fastagi" as const,
    version: "GIT-master-f0c1c1a7b7",
    callerIdNum: "5550001",
    callerIdName: "Fast Caller",
    context: "agi-fast",
    extension: "args",
    priority: 2,
  };
  await t.step(
    "scenario 1: commands, HANGUP, dead channel, half-close",
    async () => {
      const scenario = entries.slice(0, split);
      const emulator = new AgiEmulator({
        ...common,
        request: "agi://127.0.0.1:14573/oracle-fast?mode=test&n=1",
        args: ["hello world", "x=y"],
        channel: "Local/args@agi-fast-00000005;2",
        uniqueId: "1795693536.11",
        threadId: "139972816299712",
        variables: { AGISCRIPT: "oracle-fast" },
        subroutines: SUBROUTINES,
      });
      const received = await drive(scenario, new FakeAgiScript(emulator));
      assert.equal(
        received,
        new TextDecoder().decode(transcriptBytes(scenario, "fromAsterisk")),
      );
    },
  );
  await t.step("scenario 2: hangup during WAIT FOR DIGIT 5000", async () => {
    const scenario = entries.slice(split);
    const emulator = new AgiEmulator({
      ...common,
      request: "agi://127.0.0.1:14573/oracle-fast-2",
      args: ["two", ""],
      channel: "Local/args@agi-fast-00000006;2",
      uniqueId: "1795693546.13",
      threadId: "139972818859712",
      // The recording's AMI Hangup came about 1 s into the wait.
      faults: { hangupAfterMs: 1000 },
    });
    const received = await drive(scenario, new FakeAgiScript(emulator));
    assert.equal(
      received,
      new TextDecoder().decode(transcriptBytes(scenario, "fromAsterisk")),
    );
    assert.equal(emulator.nowMs, 1000);
    assert.equal(emulator.hungUpBy, "caller");
  });
});

Deno.test("AgiEmulator reads agi-stdio.txt's commands the same in any chunk size", async (t) => {
  const entries = await load("agi-stdio.txt");
  const expected = new TextDecoder().decode(
    transcriptBytes(entries, "fromAsterisk"),
  );
  for (const size of [1, 2, 3, 7, 13, 64]) {
    await t.step(`${size}-byte chunks`, async () => {
      const received = await drive(
        entries,
        new FakeAgiScript(stdioCall()),
        size,
      );
      assert.equal(received, expected);
    });
  }
});

Deno.test("AgiEmulator reads a command split at every offset", async () => {
  const line = new TextEncoder().encode('SET VARIABLE X "héllo\\ wörld ✓"\n');
  for (let at = 0; at <= line.length; at++) {
    const emulator = new AgiEmulator();
    const script = new FakeAgiScript(emulator);
    await script.lines(21); // the environment block
    await script.send(line.subarray(0, at));
    await script.send(line.subarray(at));
    assert.equal(await script.line(), "200 result=1");
    await script.finish();
    assert.equal(
      emulator.call.variables.get("X"),
      "héllo wörld ✓",
      `split at ${at}`,
    );
  }
  // Around Asterisk's 8191-byte buffer edge, too.
  const long = new TextEncoder().encode("NOOP " + "x".repeat(8200) + "\n");
  for (let at = 8185; at <= 8197; at++) {
    const emulator = new AgiEmulator();
    const script = new FakeAgiScript(emulator);
    await script.lines(21);
    await script.send(long.subarray(0, at));
    await script.send(long.subarray(at));
    assert.deepEqual(await script.lines(2), [
      "200 result=0",
      "510 Invalid or unknown command",
    ]);
    await script.finish();
    assert.deepEqual(emulator.commands.map((c) => c.line.length), [
      8191,
      8206 - 8191 - 1,
    ]);
  }
});

Deno.test("replayAgiCall plays Asterisk's side of agi-stdio.txt to a script sending the same commands", async () => {
  const entries = await load("agi-stdio.txt");
  const lines = entries.filter((e) => e.direction === "toAsterisk")
    .map((e) => e.text);
  const replies: string[] = [];
  let hungUpAt = -1;
  const result = await replayAgiCall(async (session) => {
    for (const [index, line] of lines.entries()) {
      if (session.hungUp && hungUpAt === -1) hungUpAt = index;
      try {
        replies.push((await session.command(line)).lines.join("|"));
      } catch (error) {
        replies.push((error as Error).name);
      }
    }
  }, entries);
  assert.equal(result.mismatch, undefined);
  assert.equal(result.complete, true);
  assert.equal(result.matched, lines.length);
  assert.equal(replies[0], "200 result=0");
  assert.equal(
    replies[lines.indexOf("ORACLE BOGUS COMMAND")],
    "AgiInvalidCommandError",
  );
  assert.equal(replies[lines.indexOf("STREAM FILE")], "AgiUsageError");
  // The recorded SIGHUP note reached the script just after HANGUP's reply.
  const hangup = lines.indexOf("HANGUP");
  assert.ok(hungUpAt === hangup + 1 || hungUpAt === hangup + 2, `${hungUpAt}`);
});
