// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { withAgitb } from "../../agi/agitb.ts";
import { serveAsyncAgi } from "../../agi/async_agi_server.ts";
import { AmiClient } from "../../manager/ami_client.ts";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import { startAsyncAgiCall } from "../../astemu/agi_start_async_agi_call.ts";

Deno.test("withAgitb wraps an AsyncAGI handler: the report reaches Asterisk over AMI", async () => {
  await using ami = await startAmiEmulator({ listen: false });
  const client = new AmiClient(ami.connectInMemory(), {
    username: "admin",
    secret: "admin",
  });
  await client.connect();
  const errors: unknown[] = [];
  const channels: string[] = [];
  const server = serveAsyncAgi(
    client,
    withAgitb(async (session, request) => {
      channels.push(request.channel);
      await session.answer();
      await session.databasePut({
        family: "sip",
        key: "secret",
        value: "s3cr3t",
      });
      JSON.parse("{not json");
    }, { stderr: false, verboseLevel: 4 }),
    { onError: (error) => errors.push(error) },
  );
  const call = startAsyncAgiCall(ami, { channel: "PJSIP/alice-00000001" });
  await call.ended;
  await server.shutdown();
  await client.close();
  assert.deepEqual(channels, ["PJSIP/alice-00000001"]);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof SyntaxError);
  const report = call.emulator.call.verbose.map((v) => v.message).join("\n");
  assert.ok(call.emulator.call.verbose.every((v) => v.level === 4));
  assert.match(report, /^agitb: SyntaxError: /m);
  assert.match(report, /^agitb: {3}agi_request: async$/m);
  assert.match(
    report,
    /databasePut\(\{"family":"sip","key":"secret","value":\*\*\*\}\)/,
  );
  // The commands are redacted (the source lines show the code as written).
  assert.doesNotMatch(report.slice(report.indexOf("Last ")), /s3cr3t/);
  // After the report the server sent ASYNCAGI BREAK: back to the dialplan.
  assert.equal(call.emulator.asyncBreak, true);
});
