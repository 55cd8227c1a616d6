// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Every fault the AMI emulator can inject, observed from a raw TCP client.
 */

import assert from "node:assert/strict";
import { LimitExceededError } from "../../errors.ts";
import { type AmiEmulatorOptions, startAmiEmulator } from "../../astemu/mod.ts";
import { RawAmiClient } from "./_raw_client.ts";

const net = { net: ["127.0.0.1"] };
const LOGIN =
  "Action: Login\r\nActionID: L\r\nUsername: admin\r\nSecret: admin\r\nEvents: off\r\n\r\n";

async function loggedIn(options: AmiEmulatorOptions = {}) {
  const emulator = await startAmiEmulator({
    authFailureDelayMs: 0,
    ...options,
  });
  const client = await RawAmiClient.connect(emulator.hostname, emulator.port);
  await client.send(LOGIN);
  await client.until(
    () => client.packets.some((m) => m.actionId === "L"),
    3000,
    "login",
  );
  const session = await emulator.waitForSession(0);
  return {
    emulator,
    client,
    session,
    async [Symbol.asyncDispose]() {
      await client.close();
      await emulator.close();
    },
  };
}

const ping = (id: string) => `Action: Ping\r\nActionID: ${id}\r\n\r\n`;
const answered = (client: RawAmiClient, id: string) =>
  client.packets.some((m) => m.actionId === id);

Deno.test({
  name: "AMI emulator fault: drop closes the socket with nothing more sent",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    const before = t.client.bytes().length;
    t.session.drop();
    await t.client.closed();
    assert.equal(t.client.bytes().length, before);
    await t.session.closed;
    assert.equal(t.session.closeReason, "dropped");
  },
});

Deno.test({
  name:
    "AMI emulator fault: stop reading leaves actions unanswered until cleared",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    t.session.setFaults({ stopReading: true });
    await t.client.send(ping("p1"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!answered(t.client, "p1"));
    t.session.setFaults({ stopReading: undefined });
    await t.client.until(
      () => answered(t.client, "p1"),
      3000,
      "the Ping answer",
    );
  },
});

Deno.test({
  name: "AMI emulator fault: stalled writes hold output until cleared",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    t.emulator.setFaults({ stallWrites: true });
    await t.client.send(ping("p1"));
    await t.emulator.waitForAction("Ping");
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!answered(t.client, "p1"));
    t.emulator.setFaults({ stallWrites: undefined });
    await t.client.until(
      () => answered(t.client, "p1"),
      3000,
      "the Ping answer",
    );
  },
});

Deno.test({
  name:
    "AMI emulator drops a client that does not read, like Asterisk's writetimeout",
  permissions: net,
  async fn() {
    await using t = await loggedIn({ maxQueuedBytes: 256 * 1024 * 1024 });
    // Stop the raw client's reader: close its read side by not reading at all.
    const blocked = await Deno.connect({
      hostname: t.emulator.hostname,
      port: t.emulator.port,
    });
    await blocked.write(
      new TextEncoder().encode(LOGIN.replace("L\r\n", "B\r\n")),
    );
    const session = await t.emulator.waitForSession(1);
    await t.emulator.waitForAction("Login");
    await t.emulator.waitForAction("Login");
    const body = "x".repeat(64 * 1024);
    // Far more than loopback socket buffers hold; bounded to 48 MiB.
    for (let i = 0; i < 768 && !session.isClosed; i++) {
      session.emit({ Event: "Flood", Data: body }, { ignoreMask: true });
      if (i % 32 === 31) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await session.closed;
    assert.equal(session.closeReason, "write timeout");
    blocked.close();
    // The client that reads is unaffected.
    await t.client.send(ping("p1"));
    await t.client.until(
      () => answered(t.client, "p1"),
      3000,
      "the Ping answer",
    );
  },
});

Deno.test({
  name:
    "AMI emulator drops a session whose queued output overflows maxQueuedBytes",
  permissions: net,
  async fn() {
    await using t = await loggedIn({ maxQueuedBytes: 4096 });
    t.session.setFaults({ stallWrites: true });
    t.session.emit({ Event: "Big", Data: "y".repeat(5000) }, {
      ignoreMask: true,
    });
    await t.session.closed;
    assert.equal(t.session.closeReason, "output queue overflow");
    await t.client.closed();
  },
});

Deno.test({
  name: "AMI emulator fault: tiny write chunks arrive as many reads but intact",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    t.session.setFaults({ writeChunkSize: 3 });
    const reads = t.client.chunks.length;
    await t.client.send(ping("p1"));
    await t.client.until(
      () => answered(t.client, "p1"),
      5000,
      "the Ping answer",
    );
    assert.ok(
      t.client.chunks.length - reads >= 10,
      `${t.client.chunks.length - reads} reads`,
    );
    assert.ok(t.client.chunks.slice(reads).every((c) => c.length <= 3));
    assert.equal(t.client.packets.at(-1)!.get("Ping"), "Pong");
  },
});

Deno.test({
  name: "AMI emulator fault: delayed responses, overtaken by events",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    t.session.setFaults({ responseDelayMs: 150 });
    const sent = Date.now();
    await t.client.send(ping("p1"));
    await t.emulator.waitForAction("Ping");
    t.emulator.emit({ Event: "Overtaker" }, { ignoreMask: true });
    await t.client.until(
      () => answered(t.client, "p1"),
      3000,
      "the Ping answer",
    );
    assert.ok(Date.now() - sent >= 140);
    const names = t.client.packets.slice(-2).map((m) => m.event ?? m.actionId);
    assert.deepEqual(names, ["Overtaker", "p1"]);
  },
});

Deno.test({
  name: "AMI emulator fault: reordered responses",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    t.session.setFaults({ reorderResponses: true });
    await t.client.send(ping("p1") + ping("p2"));
    await t.client.until(
      () => answered(t.client, "p1") && answered(t.client, "p2"),
      3000,
      "answers",
    );
    assert.deepEqual(t.client.packets.slice(-2).map((m) => m.actionId), [
      "p2",
      "p1",
    ]);
    // A lone response is not held forever.
    await t.client.send(ping("p3"));
    await t.client.until(
      () => answered(t.client, "p3"),
      3000,
      "the lone answer",
    );
  },
});

Deno.test({
  name: "AMI emulator fault: missing or wrong ActionID in responses",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    t.session.setFaults({ actionId: "missing" });
    await t.client.send(ping("p1"));
    await t.client.until(() => t.client.packets.length >= 2, 3000, "an answer");
    assert.equal(t.client.packets.at(-1)!.get("Ping"), "Pong");
    assert.equal(t.client.packets.at(-1)!.actionId, undefined);
    t.session.setFaults({ actionId: "wrong" });
    await t.client.send(ping("p2"));
    await t.client.until(() => t.client.packets.length >= 3, 3000, "an answer");
    assert.equal(t.client.packets.at(-1)!.actionId, "astemu-wrong-p2");
  },
});

Deno.test({
  name: "AMI emulator fault: garbage bytes, then normal packets again",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    const before = t.client.bytes().length;
    t.session.sendGarbage(512);
    await t.client.send(ping("p1"));
    await t.client.until(
      () => answered(t.client, "p1"),
      3000,
      "the Ping answer",
    );
    const garbage = t.client.bytes().subarray(before, before + 516);
    assert.ok(garbage.includes(0xff) && garbage.includes(0x00));
  },
});

Deno.test({
  name:
    "AMI emulator fault: an over-long line trips the client's limit, the next packet decodes",
  permissions: net,
  async fn() {
    await using emulator = await startAmiEmulator();
    await using client = await RawAmiClient.connect(
      emulator.hostname,
      emulator.port,
      {
        maxLineBytes: 1024 * 1024,
      },
    );
    await client.send(LOGIN);
    await client.until(() => answered(client, "L"), 3000, "login");
    const session = await emulator.waitForSession(0);
    session.sendLongLine(2 * 1024 * 1024);
    await client.send(ping("p1"));
    await client.until(() => answered(client, "p1"), 5000, "the Ping answer");
    assert.ok(
      client.errors.some((e) =>
        e instanceof LimitExceededError && e.limit === "maxLineBytes"
      ),
    );
    assert.ok(!client.packets.some((m) => m.event === "LongLine"));
  },
});

Deno.test({
  name: "AMI emulator fault: Shutdown is announced, then the socket closes",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    t.emulator.announceShutdown({ restart: true });
    await t.client.closed();
    assert.deepEqual(t.client.packets.at(-1)!.toObject(), {
      Event: "Shutdown",
      Privilege: "system,all",
      Shutdown: "Cleanly",
      Restart: "True",
    });
    // New sessions are refused actions while shutting down.
    await using late = await RawAmiClient.connect(
      t.emulator.hostname,
      t.emulator.port,
    );
    await late.send(LOGIN);
    await late.until(() => answered(late, "L"), 3000, "an answer");
    assert.equal(
      late.packets.at(-1)!.get("Message"),
      "Asterisk is shutting down",
    );
  },
});

Deno.test({
  name: "AMI emulator waits 1 s before Authentication failed, then closes",
  permissions: net,
  async fn() {
    await using emulator = await startAmiEmulator();
    await using client = await RawAmiClient.connect(
      emulator.hostname,
      emulator.port,
    );
    const sent = Date.now();
    await client.send(
      "Action: Login\r\nActionID: L\r\nUsername: admin\r\nSecret: nope\r\n\r\n",
    );
    await client.closed(5000);
    assert.ok(Date.now() - sent >= 950, `${Date.now() - sent} ms`);
    assert.deepEqual(client.packets.at(-1)!.toObject(), {
      Response: "Error",
      ActionID: "L",
      Message: "Authentication failed",
    });
  },
});

Deno.test({
  name:
    "AMI emulator closes unauthenticated sessions after authTimeoutMs and refuses over authLimit",
  permissions: net,
  async fn() {
    await using emulator = await startAmiEmulator({
      authTimeoutMs: 100,
      authLimit: 1,
    });
    await using first = await RawAmiClient.connect(
      emulator.hostname,
      emulator.port,
    );
    await first.until(() => first.version !== undefined, 3000, "the banner");
    await using second = await RawAmiClient.connect(
      emulator.hostname,
      emulator.port,
    );
    await second.closed();
    assert.equal(second.bytes().length, 0);
    await first.closed();
    assert.equal(emulator.sessions[0]!.closeReason, "authentication timeout");
    assert.equal(
      emulator.sessions[1]!.closeReason,
      "too many unauthenticated sessions",
    );
  },
});

Deno.test({
  name:
    "AMI emulator answers an over-long input line or too many headers like Asterisk and stays up",
  permissions: net,
  async fn() {
    await using t = await loggedIn();
    await t.client.send(
      `Action: Ping\r\nActionID: long\r\nX: ${"x".repeat(1100)}\r\n\r\n`,
    );
    await t.client.until(() => t.client.packets.length >= 2, 3000, "an answer");
    assert.deepEqual(t.client.packets.at(-1)!.toObject(), {
      Response: "Error",
      Message: "Failed to parse message: line too long",
    });
    await t.client.send(`Action: Ping\r\n${"X: 1\r\n".repeat(130)}\r\n`);
    await t.client.until(() => t.client.packets.length >= 3, 3000, "an answer");
    assert.equal(
      t.client.packets.at(-1)!.get("Message"),
      "Too many lines in message or allocation failure",
    );
    await t.client.send(ping("p1"));
    await t.client.until(
      () => answered(t.client, "p1"),
      3000,
      "the Ping answer",
    );
  },
});
