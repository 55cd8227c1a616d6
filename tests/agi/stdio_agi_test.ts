// Copyright the @pyst/asterisk authors. MIT license.
/**
 * A real stdio AGI script (`scripts/stdio_agi_script.ts`) run as a child
 * process with no permission flag, driven over its pipes with the
 * environment block of `agi-stdio.txt`, as Asterisk does: replies on stdin,
 * commands on stdout, SIGHUP for a hangup, the exit status read at the end.
 */
import assert from "node:assert/strict";
import {
  drainAgitbReport,
  spawnScript,
  stdioEnvironment,
} from "./stdio_agi_child.ts";

const SCRIPT = new URL("./scripts/stdio_agi_script.ts", import.meta.url);

Deno.test("runAgi script: SIGHUP mid-call is a hangup; the script sees it, fails on the dead channel and exits 1", async () => {
  const agi = spawnScript(SCRIPT);
  await agi.send(await stdioEnvironment(["hangup"]));
  assert.equal(await agi.readLine(), "ANSWER");
  await agi.send("200 result=0\n");
  assert.equal(await agi.readLine(), "GET VARIABLE AGISCRIPT");
  await agi.send("200 result=1 (oracle-agi.py)\n");
  assert.equal(
    await agi.readLine(),
    'SET VARIABLE ORACLE_TEST "hello from oracle-agi.py"',
  );
  await agi.send("200 result=1\n");
  assert.equal(await agi.readLine(), "HANGUP");
  await agi.send("200 result=1\n");
  // Asterisk signals the hangup; a second SIGHUP must not kill the script.
  agi.kill("SIGHUP");
  agi.kill("SIGHUP");
  assert.equal(await agi.readLine(), "SET VARIABLE SAW_SIGHUP true");
  await agi.send("200 result=1\n");
  assert.equal(await agi.readLine(), "WAIT FOR DIGIT 5000");
  await agi.send("200 result=-1\n");
  assert.equal(await agi.readLine(), null);
  const { status, stderr } = await agi.finish();
  assert.equal(status.success, false);
  assert.equal(status.code, 1);
  assert.equal(status.signal, null);
  // A hangup is how calls end: the default reporter prints nothing for it.
  assert.doesNotMatch(stderr, /Error/);
});

Deno.test("runAgi script: a handler that returns exits 0; no permission was needed", async () => {
  const agi = spawnScript(SCRIPT);
  await agi.send(await stdioEnvironment(["ok", "x=y"]));
  assert.equal(await agi.readLine(), "ANSWER");
  await agi.send("200 result=0\n");
  assert.equal(await agi.readLine(), "GET VARIABLE AGISCRIPT");
  await agi.send("200 result=1 (stdio_agi_script.ts)\n");
  assert.equal(
    await agi.readLine(),
    'SET VARIABLE ORACLE_TEST "hello from stdio_agi_script.ts"',
  );
  await agi.send("200 result=1\n");
  assert.equal(await agi.readLine(), null);
  const { status, stderr } = await agi.finish();
  assert.equal(status.code, 0, stderr);
  assert.doesNotMatch(stderr, /NotCapable|Requires .* access|Error/);
});

Deno.test("runAgi script: a handler that throws exits 1 with the error on stderr", async () => {
  const agi = spawnScript(SCRIPT);
  await agi.send(await stdioEnvironment(["throw"]));
  assert.equal(await agi.readLine(), "ANSWER");
  await agi.send("200 result=0\n");
  // agitb (on by default for stdio) reports to Asterisk's console first.
  assert.match(await drainAgitbReport(agi), /agitb: .*the script gave up/);
  const { status, stderr } = await agi.finish();
  assert.equal(status.code, 1);
  assert.match(stderr, /the script gave up/);
});

Deno.test("runAgi script: Asterisk closing stdin before the blank line exits 1 with a ProtocolError", async () => {
  const agi = spawnScript(SCRIPT);
  await agi.send(
    "agi_request: oracle-agi.py\nagi_channel: Local/args@agi-stdio-00000004;2\n",
  );
  const { status, stderr } = await agi.finish();
  assert.equal(status.code, 1);
  assert.match(stderr, /ProtocolError/);
});
