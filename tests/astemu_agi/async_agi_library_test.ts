// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { serveAsyncAgi } from "../../agi/async_agi_server.ts";
import { AmiClient } from "../../manager/ami_client.ts";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import { startAsyncAgiCall } from "../../astemu/agi_start_async_agi_call.ts";
import { ivr } from "./scripts/ivr.ts";

const SOUNDS = { menu: 3000, billing: 1200, tech: 900, "vm-goodbye": 760 };

async function amiClient(ami: Awaited<ReturnType<typeof startAmiEmulator>>) {
  const client = new AmiClient(ami.connectInMemory(), {
    username: "admin",
    secret: "admin",
  });
  await client.connect();
  return client;
}

Deno.test("startAsyncAgiCall drives the library's AsyncAGI server over the AMI emulator", async () => {
  await using ami = await startAmiEmulator({ listen: false });
  const client = await amiClient(ami);
  const channels: string[] = [];
  const server = serveAsyncAgi(client, async (session, request) => {
    channels.push(request.channel);
    await ivr(session);
  });
  const call = startAsyncAgiCall(ami, {
    channel: "PJSIP/alice-00000001",
    args: ["billing", "tech"],
    sounds: SOUNDS,
    dtmf: ["2"],
  });
  await call.ended;
  await server.shutdown();
  await client.close();
  assert.deepEqual(channels, ["PJSIP/alice-00000001"]);
  assert.deepEqual(call.emulator.call.played, ["menu", "tech"]);
  assert.equal(call.emulator.call.variables.get("CHOICE"), "2");
  assert.equal(call.emulator.call.database.get("ivr/last"), "2");
  assert.equal(call.emulator.hungUpBy, "script");
  assert.deepEqual(call.emulator.commands.map((c) => c.line.split(" ")[0]), [
    "ANSWER",
    "VERBOSE",
    "GET",
    "SET",
    "DATABASE",
    "STREAM",
    "HANGUP",
  ]);
});

Deno.test("a library AsyncAGI handler that returns sends ASYNCAGI BREAK; a caller hangup ends it", async () => {
  await using ami = await startAmiEmulator({ listen: false });
  const client = await amiClient(ami);
  const hungUp: boolean[] = [];
  const server = serveAsyncAgi(client, async (session) => {
    await session.answer();
    if (session.env.args[0] === "wait") {
      await session.waitForDigit(60_000).catch(() => {});
      // The -1 comes in AsyncAGIExec just before AsyncAGIEnd, as from
      // Asterisk; AsyncAGIEnd then aborts the session's signal.
      if (!session.signal.aborted) {
        await new Promise((resolve) =>
          session.signal.addEventListener("abort", resolve, { once: true })
        );
      }
      hungUp.push(session.hungUp);
    }
  });
  const returning = startAsyncAgiCall(ami, { channel: "PJSIP/b-1" });
  await returning.ended;
  assert.equal(returning.emulator.asyncBreak, true);
  assert.equal(returning.emulator.call.answered, true);

  const waiting = startAsyncAgiCall(ami, {
    channel: "PJSIP/c-2",
    args: ["wait"],
    faults: { hangupAfterMs: 5000 },
  });
  await waiting.ended;
  await server.shutdown();
  await client.close();
  assert.equal(waiting.emulator.hungUpBy, "caller");
  assert.equal(waiting.emulator.commands.at(-1)!.reply, "200 result=-1\n");
  assert.deepEqual(hungUp, [true]);
});
