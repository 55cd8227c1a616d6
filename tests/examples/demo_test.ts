// Copyright the @pyst/asterisk authors. MIT license.
/** `deno task demo` (`deno run -P=demo demo.ts`) ends by itself, in time, with status 0. */
import assert from "node:assert/strict";
import { startAmiEmulator } from "@pyst/asterisk/astemu";
import { runDeno } from "../cli/_run.ts";

Deno.test("demo runs three emulated calls and ends with status 0 in under 15 s", async () => {
  const started = performance.now();
  const { code, stdout, stderr } = await runDeno("demo.ts", [], {
    permissions: ["-P=demo"],
    timeoutMs: 15_000,
  });
  const seconds = (performance.now() - started) / 1000;
  assert.equal(stderr, "");
  assert.equal(code, 0);
  assert.ok(seconds < 15, `took ${seconds} s`);
  // Plain when piped.
  assert.ok(!stdout.includes("\x1b["), "no terminal escapes");
  const sections = stdout.split(/^── /m).slice(1);
  assert.equal(sections.length, 3);
  const [alice, bob, carol] = sections as [string, string, string];

  assert.match(alice, /^call 1: Alice calls the menu and presses 1/);
  assert.match(
    alice,
    /AMI {2}OriginateResponse +PJSIP\/alice-\d+ {2}Success, reason 4/,
  );
  assert.match(
    alice,
    /AGI {2}>> GET DATA hello-world 3000 1\n.*AGI {2}<< 200 result=1\n/,
  );
  assert.match(
    alice,
    /AMI {2}AGIExecEnd +PJSIP\/alice-\d+ {2}SET VARIABLE CHOICE 1 → 200 Success/,
  );
  assert.match(
    alice,
    /AMI {2}Hangup +PJSIP\/alice-\d+ {2}Normal Clearing \(cause 16\)/,
  );
  assert.match(
    alice,
    /AGISTATUS=HANGUP, hung up by the script; played hello-world, demo-congrats; CHOICE=1/,
  );

  assert.match(
    bob,
    /^call 2: Bob calls the menu and hangs up in the middle of it/,
  );
  assert.match(bob, /AGI {2}<< 200 result=-1\n.*AGI {2}<< HANGUP\n/);
  assert.match(bob, /IVR {2}menu handler ended: the caller hung up/);
  assert.match(
    bob,
    /AGISTATUS=HANGUP, hung up by the caller; played hello-world\n/,
  );
  assert.doesNotMatch(bob, /SET VARIABLE/);

  assert.match(
    carol,
    /AGI {2}<< environment, \d+ lines: agi_network_script: callback\?number=1003/,
  );
  assert.match(carol, /AGI {2}>> SAY DIGITS 1003 ""/);
  assert.match(
    stdout,
    /^Done: 3 calls, \d+ AGI commands, \d+ AMI events seen by the Manager client\.$/m,
  );
});

Deno.test("demo --color colours its output even when piped", async () => {
  const { code, stdout } = await runDeno("demo.ts", ["--color"], {
    permissions: ["-P=demo"],
    timeoutMs: 15_000,
  });
  assert.equal(code, 0);
  assert.ok(stdout.includes("\x1b[36mAMI\x1b[0m"));
  assert.ok(stdout.includes("\x1b[35mAGI\x1b[0m"));
});

Deno.test("demo --ami runs the Manager part against another Asterisk", async () => {
  // The emulator stands in for a real PBX here.
  await using pbx = await startAmiEmulator({
    users: { ops: { secret: "pw" } },
  });
  const { code, stdout } = await runDeno(
    "demo.ts",
    ["--ami", `127.0.0.1:${pbx.port}`, "--username", "ops", "--secret", "pw"],
    { permissions: ["-P=demo"], timeoutMs: 15_000 },
  );
  assert.equal(code, 0);
  assert.match(
    stdout,
    new RegExp(
      `Asterisk +127\\.0\\.0\\.1:${pbx.port} +Asterisk GIT-master-astemu built by`,
    ),
  );
  assert.match(stdout, /0 channels up right now/);
  assert.match(stdout, /AGISTATUS=HANGUP, hung up by the caller/);
  // No call was placed on the "real" PBX.
  const actions = pbx.actions.map((r) => r.action.get("Action"));
  assert.ok(!actions.includes("Originate"), actions.join(" "));
  assert.ok(actions.includes("CoreShowChannels"));
});

Deno.test("demo --ami without the net permission names the flag", async () => {
  const { code, stdout, stderr } = await runDeno(
    "demo.ts",
    ["--ami", "pbx.example.net:5038", "--username", "admin", "--secret", "x"],
    { permissions: ["-P=demo"] },
  );
  assert.equal(code, 2);
  assert.doesNotMatch(stdout, /call 1/);
  assert.match(
    stderr,
    /^Cannot connect to AMI at "pbx\.example\.net:5038": permission missing, run with --allow-net=pbx\.example\.net:5038\n$/,
  );
});
