// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { TimeoutError } from "../../errors.ts";
import { AgiEmulator } from "../../astemu/agi_emulator.ts";
import { emulateAgiCall } from "../../astemu/agi_emulate_call.ts";
import { replayAgiCall } from "../../astemu/agi_replay_call.ts";
import { runStdioAgiScript } from "../../astemu/agi_run_stdio_script.ts";

const IVR = ["deno", "run", "--quiet", "tests/astemu_agi/scripts/ivr.ts"];
const SOUNDS = { menu: 3000, billing: 1200, tech: 900, "vm-goodbye": 760 };

Deno.test("emulateAgiCall runs a stdio script written with the library: keypress to prompt", async () => {
  const call = await emulateAgiCall(IVR, {
    args: ["billing", "tech"],
    callerIdNum: "5551234",
    sounds: SOUNDS,
    dtmf: ["2"],
  });
  assert.equal(call.exitCode, 0, call.stderr);
  assert.deepEqual(call.played, ["menu", "tech"]);
  assert.equal(call.variables.get("CHOICE"), "2");
  assert.equal(call.database.get("ivr/last"), "2");
  assert.deepEqual(call.verbose.map((v) => v.line), [
    "ivr.ts,billing,tech: IVR for 5551234",
  ]);
  assert.equal(call.answered, true);
  assert.equal(call.hungUpBy, "script");
  assert.equal(call.status, "HANGUP");
  assert.deepEqual(call.commands.map((c) => c.line), [
    "ANSWER",
    'VERBOSE "IVR for 5551234" 1',
    "GET DATA menu 3000 1",
    "SET VARIABLE CHOICE 2",
    "DATABASE PUT ivr last 2",
    'STREAM FILE tech ""',
    "HANGUP",
  ]);
});

Deno.test("emulateAgiCall: a caller who presses nothing hears goodbye", async () => {
  const call = await emulateAgiCall(IVR, { sounds: SOUNDS });
  assert.equal(call.exitCode, 0, call.stderr);
  assert.deepEqual(call.played, ["menu", "vm-goodbye"]);
  assert.equal(call.variables.get("CHOICE"), "none");
  // 3 s of prompt, then the 3 s GET DATA timeout: all fast-forwarded.
  assert.equal(call.commands.find((c) => c.line.startsWith("SET"))!.atMs, 6000);
});

Deno.test("emulateAgiCall signals a caller hangup to a stdio script with SIGHUP", async () => {
  const call = await emulateAgiCall(IVR, {
    sounds: SOUNDS,
    faults: { hangupAtCommand: 3 },
  });
  assert.equal(call.exitCode, 0, call.stderr);
  assert.equal(call.stderr, "caller hung up\n");
  assert.equal(call.status, "HANGUP");
  assert.equal(call.hungUpBy, "caller");
  assert.deepEqual(call.played, []);
  const notes = call.transcript.filter((e) => e.direction === "note")
    .map((e) => e.text);
  assert.ok(notes.includes("SIGHUP sent to the script"));
  assert.equal(call.commands.at(-1)!.reply, "200 result=-1\n");
});

Deno.test("runStdioAgiScript gives the script Asterisk's argv, AST_* variables and pipes", async () => {
  const emulator = new AgiEmulator({
    request: "env.sh",
    args: ["one", "two words"],
  });
  const script = [
    'while read line && [ -n "$line" ]; do :; done',
    'echo "VERBOSE \\"$AST_AGI_DIR|$AST_CONFIG_FILE|$MY_VAR|$1|$2\\""',
    "read reply",
  ].join("; ");
  const result = await runStdioAgiScript(
    ["sh", "-c", script, "env.sh"],
    emulator,
    {
      args: ["one", "two words"],
      env: { MY_VAR: "mine" },
      astDirectories: { AST_AGI_DIR: "agi-bin" },
    },
  );
  emulator.close();
  assert.equal(result.exitCode, 0);
  assert.deepEqual(emulator.call.verbose.map((v) => v.message), [
    "agi-bin|astemu-root/config_file|mine|one|two words",
  ]);
});

Deno.test("runStdioAgiScript kills a script that outlives timeoutMs", async () => {
  const emulator = new AgiEmulator();
  await assert.rejects(
    runStdioAgiScript(["sh", "-c", "exec sleep 30"], emulator, {
      timeoutMs: 300,
    }),
    (error: unknown) =>
      error instanceof TimeoutError && error.timeoutMs === 300,
  );
  emulator.close();
});

Deno.test("a stdio script exiting non-zero turns AGISTATUS into FAILURE", async () => {
  const call = await emulateAgiCall(["sh", "-c", "echo broken >&2; exit 3"]);
  assert.equal(call.exitCode, 3);
  assert.equal(call.stderr, "broken\n");
  assert.equal(call.status, "FAILURE");
});

Deno.test("a transcript recorded from the emulator replays to the same result against the stdio script", async () => {
  const options = { args: ["billing", "tech"], sounds: SOUNDS, dtmf: ["1"] };
  const recorded = await emulateAgiCall(IVR, options);
  assert.deepEqual(recorded.played, ["menu", "billing"]);
  const replay = await replayAgiCall(IVR, recorded.transcript, {
    args: ["billing", "tech"],
  });
  assert.equal(replay.mismatch, undefined);
  assert.equal(replay.complete, true);
  assert.equal(replay.matched, recorded.commands.length);
  assert.deepEqual(replay.extra, []);
  assert.equal(replay.exitCode, 0);
  // Replaying it against a changed call is caught at the first difference.
  const changed = await replayAgiCall(IVR, recorded.transcript, {
    args: ["support", "tech"],
    lineTimeoutMs: 2000,
  });
  assert.equal(changed.complete, false);
  assert.equal(changed.mismatch?.reason, "different");
  assert.equal(changed.mismatch?.expected, 'STREAM FILE billing ""');
  assert.equal(changed.mismatch?.actual, 'STREAM FILE support ""');
});
