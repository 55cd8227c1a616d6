// Copyright the @pyst/asterisk authors. MIT license.
/**
 * serveAsyncAgi against the AMI emulator's AsyncAGI channels (astemu), an
 * independent model of Asterisk's side: commands run on the emulated
 * channel, the session's BREAK hands the call back, and a hangup between
 * commands ends the session.
 */
import assert from "node:assert/strict";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import {
  type AsyncAgiCall,
  startAsyncAgiCall,
} from "../../astemu/agi_start_async_agi_call.ts";
import { AmiClient } from "../../manager/ami_client.ts";
import { serveAsyncAgi } from "../../agi/async_agi_server.ts";
import type { AgiSession } from "../../agi/agi_session.ts";
import { AgiHangupError } from "../../agi/errors.ts";
import { until } from "./_asyncagi_fake_pbx.ts";

Deno.test("serveAsyncAgi drives the AMI emulator's AsyncAGI channels", {
  permissions: "none",
}, async () => {
  await using ami = await startAmiEmulator({ listen: false });
  const client = new AmiClient(ami.connectInMemory(), {
    username: "admin",
    secret: "admin",
    events: ["agi"],
  });
  await client.connect();
  const seen = new Map<string, unknown[]>();
  const hangUpNow = Promise.withResolvers<void>();
  const hungUp = Promise.withResolvers<void>();
  const errors: unknown[] = [];
  let lastSession: AgiSession | undefined;
  const server = serveAsyncAgi(client, async (session, request) => {
    const out: unknown[] = [];
    seen.set(request.channel, out);
    out.push(session.env.request);
    await session.answer();
    out.push(await session.getVariable("WHO"));
    await session.setVariable("DONE", "yes");
    if (request.channel === "PJSIP/last-00000001") {
      lastSession = session;
      hangUpNow.resolve();
      await hungUp.promise;
      out.push(session.hungUp);
      await assert.rejects(session.noop(), AgiHangupError);
    }
  }, { onError: (error) => errors.push(error) });

  const calls: AsyncAgiCall[] = [];
  for (let i = 0; i < 20; i++) {
    calls.push(startAsyncAgiCall(ami, {
      channel: `PJSIP/e${i}-00000001`,
      variables: { WHO: `caller ${i}` },
    }));
  }
  const last = startAsyncAgiCall(ami, {
    channel: "PJSIP/last-00000001",
    variables: { WHO: "last" },
  });
  await Promise.all(calls.map((call) => call.ended));
  await hangUpNow.promise;
  await last.hangup();
  await until(() => lastSession!.hungUp);
  hungUp.resolve();
  await server.shutdown();
  await client.logoff();

  for (const [i, call] of calls.entries()) {
    assert.equal(call.active, false);
    assert.equal(call.emulator.call.variables.get("DONE"), "yes");
    assert.deepEqual(seen.get(call.channel), ["async", `caller ${i}`]);
  }
  assert.deepEqual(seen.get(last.channel), ["async", "last", true]);
  assert.deepEqual(errors, []);
});
