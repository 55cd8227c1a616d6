// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { emulateAgiCall } from "../../astemu/agi_emulate_call.ts";

const SCRIPT = "tests/agitb/scripts/failing_agi.ts";

function report(
  call: { verbose: readonly { message: string; level: number }[] },
) {
  return call.verbose
    .filter((v) => v.message.startsWith("agitb: "))
    .map((v) => v.message.slice("agitb: ".length))
    .join("\n");
}

Deno.test("a stdio script that throws puts the agitb report in Asterisk's verbose output", async () => {
  const call = await emulateAgiCall(
    ["deno", "run", "--quiet", `--allow-read=${SCRIPT}`, SCRIPT],
    { variables: { ACCOUNT: "acct-7" }, callerIdNum: "5551234" },
  );
  assert.equal(call.exitCode, 1);
  assert.equal(call.status, "FAILURE");
  const text = report(call);
  assert.ok(call.verbose.every((v) => v.level === 2));
  // The error first, then the traceback with the failing source line.
  assert.match(
    text,
    /^Uncaught error in AGI script "failing_agi\.ts" on channel "PJSIP\/astemu-00000001"\nError: Cannot charge account "acct-7": no balance\n/,
  );
  assert.match(
    text,
    /at (async )?chargeAccount \(file:\/\/.*failing_agi\.ts:\d+:\d+\)\n.*\n.*\n {4}> +\d+ \| +throw new Error\(/,
  );
  assert.match(text, /^ {2}agi_callerid: 5551234$/m);
  assert.match(text, /^ {2}setVariable\("API_TOKEN", \*\*\*\)$/m);
  assert.match(text, /^ {2}getVariable\("ACCOUNT"\)\n {4}=> "acct-7"$/m);
  assert.doesNotMatch(text, /tok-secret-1/);
  // The same report went to stderr.
  assert.equal(call.stderr.trim(), text);
  // The script sent it before ending, so the call was still up.
  assert.equal(call.hungUpBy, undefined);
});

Deno.test("agitb reports without source lines when it may not read them", async () => {
  const call = await emulateAgiCall(
    ["deno", "run", "--quiet", SCRIPT],
    { variables: { ACCOUNT: "acct-8" } },
  );
  assert.equal(call.exitCode, 1);
  const text = report(call);
  assert.match(text, /Error: Cannot charge account "acct-8": no balance/);
  assert.match(text, /failing_agi\.ts:\d+:\d+\)\n {6}\(source not available\)/);
  assert.doesNotMatch(text, / \| +throw new Error/);
  assert.equal(call.stderr.trim(), text);
});

Deno.test("agitb sends the report to Asterisk even after the caller hung up", async () => {
  const call = await emulateAgiCall(
    ["deno", "run", "--quiet", SCRIPT],
    {
      variables: { ACCOUNT: "acct-9" },
      // The caller hangs up during GET VARIABLE: the script still fails, and
      // VERBOSE is allowed on a dead channel.
      faults: { hangupAtCommand: 3 },
    },
  );
  assert.equal(call.exitCode, 1);
  assert.equal(call.hungUpBy, "caller");
  assert.match(report(call), /Cannot charge account "acct-9"/);
});
