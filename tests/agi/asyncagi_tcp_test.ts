// Copyright the @pyst/asterisk authors. MIT license.
/**
 * AsyncAGI over a real TCP AMI connection (127.0.0.1, port 0): connectAmi
 * logs in with `Events: agi`, serveAsyncAgi drives 30 channels started at
 * once, and the scripted server checks that each channel gets one command at
 * a time and ends with ASYNCAGI BREAK.
 */
import assert from "node:assert/strict";
import { connectAmi } from "../../manager/connect_ami.ts";
import { serveAsyncAgi } from "../../agi/async_agi_server.ts";
import {
  endEvent,
  execEvent,
  FakePbx,
  startEvent,
  until,
} from "./_asyncagi_fake_pbx.ts";

Deno.test("serveAsyncAgi drives 30 channels over a TCP AMI connection", async () => {
  const commands = new Map<string, string[]>();
  const running = new Set<string>();
  const overlaps: string[] = [];
  let login: string | undefined;
  const pbx = new FakePbx((action, server) => {
    switch (action.get("Action")) {
      case "Login":
        login = action.text;
        server.reply(action, "Authentication accepted");
        return;
      case "Logoff":
        server.reply(action, "Thanks for all the fish.", "Goodbye");
        server.close();
        return;
    }
    const channel = action.get("Channel")!;
    const command = action.get("Command")!;
    if (running.has(channel)) overlaps.push(channel);
    commands.set(channel, [...commands.get(channel) ?? [], command]);
    server.reply(action, "Added AGI command to queue");
    running.add(channel);
    // Asterisk polls its queue: the result comes a little later.
    queueMicrotask(() => {
      running.delete(channel);
      const reply = command === "GET VARIABLE CALLERID(num)"
        ? `200 result=1 (${channel.slice(6, -2)})`
        : "200 result=0";
      server.packet(execEvent(channel, action.get("CommandID")!, reply));
      if (command === "ASYNCAGI BREAK") server.packet(endEvent(channel));
    });
  });
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = (async () => {
    const conn = await listener.accept();
    await Promise.all([
      conn.readable.pipeTo(pbx.connection.writable),
      pbx.connection.readable.pipeTo(conn.writable),
    ]).catch(() => {});
  })();

  const client = await connectAmi({
    port: listener.addr.port,
    username: "app",
    secret: "s3cret",
    authType: "plain",
    events: ["agi"],
  });
  const numbers: string[] = [];
  const server = serveAsyncAgi(client, async (session) => {
    await session.answer();
    numbers.push((await session.getVariable("CALLERID(num)"))!);
  });
  const channels = Array.from({ length: 30 }, (_, i) => `PJSIP/${100 + i}-1`);
  for (const channel of channels) pbx.packet(startEvent(channel));
  await until(() =>
    channels.every((channel) => commands.get(channel)?.length === 3)
  );
  await server.shutdown();
  await client.logoff();
  await accepted;
  await pbx.done;

  assert.match(login!, /\r\nEvents: agi\r\n/);
  assert.deepEqual(overlaps, []);
  for (const channel of channels) {
    assert.deepEqual(commands.get(channel), [
      "ANSWER",
      "GET VARIABLE CALLERID(num)",
      "ASYNCAGI BREAK",
    ]);
  }
  assert.deepEqual(
    numbers.sort(),
    channels.map((channel) => channel.slice(6, -2)).sort(),
  );
});
