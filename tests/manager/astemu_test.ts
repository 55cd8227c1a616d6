// Copyright the @pyst/asterisk authors. MIT license.
/**
 * AmiClient against astemu's AMI emulator, over loopback TCP (connectAmi)
 * and in memory: every feature, and every fault astemu can inject, with a
 * defined outcome for each pending action.
 */

import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  LimitExceededError,
  TimeoutError,
} from "../../errors.ts";
import {
  type AmiEmulator,
  type AmiEmulatorOptions,
  startAmiEmulator,
} from "../../astemu/mod.ts";
import { amiActions } from "../../manager/ami_actions.ts";
import { AmiClient, type AmiClientOptions } from "../../manager/ami_client.ts";
import type { AmiMessage } from "../../manager/ami_message.ts";
import { connectAmi } from "../../manager/connect_ami.ts";
import {
  AmiActionError,
  AmiAuthenticationError,
} from "../../manager/errors.ts";
import { until } from "./_fake_ami.ts";

const ADMIN = { username: "admin", secret: "admin" } as const;

function emulate(options: AmiEmulatorOptions = {}): Promise<AmiEmulator> {
  return startAmiEmulator({ authFailureDelayMs: 0, ...options });
}

function tcp(
  emulator: AmiEmulator,
  options: AmiClientOptions = {},
): Promise<AmiClient> {
  return connectAmi({ port: emulator.port, ...ADMIN, ...options });
}

function collect(client: AmiClient, type: "unmatched"): AmiMessage[];
function collect(client: AmiClient, type: "error"): unknown[];
function collect(client: AmiClient, type: "unmatched" | "error"): unknown[] {
  const seen: unknown[] = [];
  client.addEventListener(type, (event) => {
    const detail = (event as CustomEvent).detail;
    seen.push(type === "error" ? detail.error : detail);
  });
  return seen;
}

Deno.test("AmiClient logs in to astemu with MD5 by default, plain on request, and is refused a wrong secret", async () => {
  await using emulator = await emulate();
  const md5 = await tcp(emulator);
  const challenge = await emulator.waitForAction("Challenge");
  const login = await emulator.waitForAction("Login");
  assert.equal(challenge.action.get("AuthType"), "MD5");
  assert.equal(login.action.get("AuthType"), "MD5");
  assert.equal(login.action.get("Secret"), undefined);
  assert.equal(login.session.username, "admin");
  await md5.logoff();

  const plain = await tcp(emulator, { authType: "plain" });
  assert.equal(
    (await emulator.waitForAction("Login")).action.get("Secret"),
    "admin",
  );
  await plain.logoff();

  await assert.rejects(tcp(emulator, { secret: "wrong" }), (error: unknown) => {
    assert.ok(error instanceof AmiAuthenticationError);
    assert.equal(error.responseMessage, "Authentication failed");
    return true;
  });
});

Deno.test("AmiClient drives astemu: variables, AstDB, event lists, Command, events and originate-and-wait", async () => {
  await using emulator = await emulate({
    originate: (
      request,
    ) => (request.channel.includes("busy") ? "busy" : "answer"),
    commands: { "core show calls": "0 active calls\n\n3 calls processed" },
  });
  await using client = await tcp(emulator);
  await client.send(amiActions.setvar({ Variable: "COLOR", Value: "blue" }));
  const value = await client.send(amiActions.getvar({ Variable: "COLOR" }));
  assert.equal(value.get("Value"), "blue");

  await client.send(amiActions.dbPut({ Family: "cf", Key: "100", Val: "200" }));
  const db = await client.sendList(
    amiActions.dbGet({ Family: "cf", Key: "100" }),
  );
  assert.equal(db.events[0]?.get("Val"), "200");
  assert.equal(db.complete?.event, "DBGetComplete");
  await assert.rejects(
    client.sendList(amiActions.dbGet({ Family: "cf", Key: "missing" })),
    AmiActionError,
  );

  assert.equal(
    await client.command("core show calls"),
    "0 active calls\n\n3 calls processed",
  );

  const newchannels = client.events({ filter: "Newchannel" });
  const outcome = await client.originate({
    Channel: "Local/s@park",
    Application: "Wait",
    Data: "60",
    Variable: { CAMPAIGN: "spring" },
  });
  assert.equal(outcome.success, true);
  assert.equal(outcome.reasonText, "answered");
  assert.match(outcome.channel!, /^Local\/s@park-/);
  const channels = await client.sendList(amiActions.coreShowChannels());
  assert.equal(channels.events.length, 2);
  assert.equal(channels.complete?.get("ListItems"), "2");
  const variable = await client.send(amiActions.getvar({
    Channel: outcome.channel!,
    Variable: "CAMPAIGN",
  }));
  assert.equal(variable.get("Value"), "spring");
  assert.equal((await newchannels.next()).value?.event, "Newchannel");
  newchannels.close();

  const busy = await client.originate({
    Channel: "PJSIP/busy",
    Application: "Wait",
    Data: "1",
  });
  assert.equal(busy.success, false);
  assert.equal(busy.reasonText, "busy");

  const peers = client.events({ filter: (e) => e.get("Peer") === "PJSIP/100" });
  emulator.emit({
    Event: "PeerStatus",
    Peer: "PJSIP/200",
    PeerStatus: "Reachable",
  }, { category: "system" });
  emulator.emit({
    Event: "PeerStatus",
    Peer: "PJSIP/100",
    PeerStatus: "Unreachable",
  }, { category: "system" });
  assert.equal((await peers.next()).value?.get("PeerStatus"), "Unreachable");
  peers.close();
});

Deno.test("AmiClient reads astemu's legacy Response: Follows Command output", async () => {
  await using emulator = await emulate({
    commandStyle: "follows",
    commands: {
      "sip show peers":
        "Name/username  Host\n\n100/100  (Unspecified)\n1 sip peers",
    },
  });
  const client = new AmiClient(emulator.connectInMemory(), ADMIN);
  await client.connect();
  assert.equal(
    await client.command("sip show peers"),
    "Name/username  Host\n\n100/100  (Unspecified)\n1 sip peers",
  );
  await client.logoff();
});

Deno.test("AmiClient re-applies its event mask and filters after astemu drops the connection", async () => {
  await using emulator = await emulate();
  await using client = await tcp(emulator, { reconnect: () => 1 });
  await client.setEventMask(["user"]);
  await client.addFilter("Event: UserEvent");
  const first = await emulator.waitForSession(0);
  first.drop();
  const second = await emulator.waitForSession(1);
  await until(() => second.actions.some((m) => m.action === "Filter"));
  const login = second.actions.find((m) => m.action === "Login")!;
  assert.equal(login.get("Events"), "user");
  assert.equal(
    second.actions.find((m) => m.action === "Filter")!.get("Filter"),
    "Event: UserEvent",
  );
  await until(() => client.state === "connected");
  const events = client.events();
  await client.send(amiActions.userEvent({ UserEvent: "Deploy", Version: 3 }));
  const event = (await events.next()).value!;
  assert.equal(event.event, "UserEvent");
  assert.equal(event.get("Version"), "3");
  events.close();
});

Deno.test("astemu fault: a drop mid-action fails plain actions and re-sends idempotent ones", async () => {
  await using emulator = await emulate();
  emulator.handle(
    "Slow",
    (_action, { session }) =>
      session.id === 0
        ? { response: null }
        : { Response: "Success", Message: "done" },
  );
  emulator.handle(
    "SlowList",
    (_action, { session }) =>
      session.id === 0 ? { response: null } : {
        list: { items: [{ Event: "Item" }], complete: "SlowListComplete" },
      },
  );
  await using client = await tcp(emulator, { reconnect: () => 1 });
  const plain = client.send({ Action: "Slow" });
  const again = client.send({ Action: "Slow" }, { idempotent: true });
  const list = client.sendList({ Action: "SlowList" }, { idempotent: true });
  const lost = client.sendList({ Action: "SlowList" });
  const originate = client.originate({
    Channel: "Local/s@x",
    Application: "Wait",
    Data: "60",
  }, {
    onQueued: () => (emulator.sessions[0]!.drop()),
  });
  await assert.rejects(plain, ConnectionClosedError);
  await assert.rejects(lost, ConnectionClosedError);
  await assert.rejects(originate, ConnectionClosedError);
  assert.equal((await again).get("Message"), "done");
  assert.equal((await list).events.length, 1);
});

Deno.test("astemu fault: a stalled server times actions out, and keep-alive reconnects", async (t) => {
  for (const fault of ["stallWrites", "stopReading"] as const) {
    await t.step(fault, async () => {
      await using emulator = await emulate({ writeTimeoutMs: 0 });
      await using client = await tcp(emulator, {
        keepAlive: 100,
        timeout: 60,
        reconnect: () => 1,
      });
      const reconnected = Promise.withResolvers<void>();
      client.addEventListener("reconnected", () => reconnected.resolve());
      const session = await emulator.waitForSession(0);
      session.setFaults({ [fault]: true });
      try {
        // (A server that stalls its writes may still answer what it had
        // already taken; one that stops reading takes nothing.)
        const first = client.send(amiActions.ping());
        await new Promise((resolve) => setTimeout(resolve, 10));
        const second = client.send(amiActions.ping());
        const results = await Promise.allSettled([first, second]);
        assert.equal(results[1]!.status, "rejected");
        if (fault === "stopReading") {
          assert.equal(results[0]!.status, "rejected");
          assert.equal(session.actions.at(-1)!.get("Action"), "Login");
        }
        for (const result of results) {
          if (result.status === "fulfilled") continue;
          assert.ok(result.reason instanceof TimeoutError);
          assert.equal(result.reason.timeoutMs, 60);
        }
        await reconnected.promise;
        assert.equal(
          (await client.send(amiActions.ping())).get("Ping"),
          "Pong",
        );
      } finally {
        session.setFaults({ [fault]: false });
      }
    });
  }
});

Deno.test("astemu fault: replies with a wrong or missing ActionID never resolve an action", async (t) => {
  for (const mode of ["wrong", "missing"] as const) {
    await t.step(mode, async () => {
      await using emulator = await emulate();
      await using client = await tcp(emulator, { timeout: 50 });
      const unmatched = collect(client, "unmatched");
      emulator.setFaults({ actionId: mode });
      const pings = [
        client.send(amiActions.ping()),
        client.send(amiActions.ping()),
      ];
      for (const ping of pings) await assert.rejects(ping, TimeoutError);
      assert.equal(unmatched.length, 2);
      for (const reply of unmatched) {
        if (mode === "missing") assert.equal(reply.actionId, undefined);
        else assert.match(reply.actionId!, /^astemu-wrong-/);
      }
      emulator.setFaults({ actionId: "echo" });
      assert.equal((await client.send(amiActions.ping())).get("Ping"), "Pong");
    });
  }
});

Deno.test("astemu fault: reordered, delayed and byte-by-byte replies still match by ActionID", async () => {
  await using emulator = await emulate();
  emulator.setFaults({
    reorderResponses: true,
    responseDelayMs: 5,
    writeChunkSize: 7,
  });
  await using client = await tcp(emulator);
  const names = ["A", "B", "C", "D"];
  await Promise.all(
    names.map((name) =>
      client.send(
        amiActions.setvar({ Variable: name, Value: name.toLowerCase() }),
      )
    ),
  );
  const values = await Promise.all(
    names.map((name) => client.send(amiActions.getvar({ Variable: name }))),
  );
  assert.deepEqual(values.map((reply) => reply.get("Value")), [
    "a",
    "b",
    "c",
    "d",
  ]);
  const list = await client.sendList(amiActions.coreShowChannels());
  assert.equal(list.events.length, 0);
});

Deno.test("astemu fault: garbage and an over-long line are reported, and the connection goes on", async () => {
  await using emulator = await emulate();
  await using client = await tcp(emulator);
  const errors = collect(client, "error");
  const unmatched = collect(client, "unmatched");
  const events = client.events();
  const session = await emulator.waitForSession(0);
  session.sendGarbage(512);
  session.sendLongLine(2 * 1024 * 1024);
  session.emit({ Event: "AfterTheMess", Privilege: "user,all" }, {
    ignoreMask: true,
  });
  assert.equal((await client.send(amiActions.ping())).get("Ping"), "Pong");
  await until(() => errors.length > 0);
  assert.ok(errors.some((error) => error instanceof LimitExceededError));
  assert.ok(unmatched.length + errors.length >= 1);
  const names: string[] = [];
  while (events.size > 0) names.push((await events.next()).value!.event!);
  assert.ok(names.includes("AfterTheMess"));
  assert.ok(!names.includes("LongLine"));
});

Deno.test("astemu fault: Shutdown fails pending actions, is delivered, and reconnecting gives up cleanly", async () => {
  await using emulator = await emulate();
  emulator.handle("Slow", { response: null });
  const client = await tcp(emulator, {
    reconnect: (n) => (n <= 2 ? 5 : undefined),
  });
  const errors = collect(client, "error");
  const events = client.events();
  const pending = client.send({ Action: "Slow" });
  await emulator.waitForAction("Slow");
  emulator.announceShutdown({ restart: false });
  await assert.rejects(pending, ConnectionClosedError);
  const shutdown = (await events.next()).value!;
  assert.equal(shutdown.event, "Shutdown");
  assert.equal(shutdown.get("Shutdown"), "Cleanly");
  // Logins are refused while "Asterisk is shutting down": not a credentials
  // problem, so the client retries until the backoff gives up.
  await assert.rejects(events.next(), /gave up after 2 attempts/);
  assert.equal(client.state, "closed");
  assert.ok(errors.some((error) => String(error).includes("gave up")));
  assert.ok(!errors.some((error) => error instanceof AmiAuthenticationError));
  await client.close();
});

Deno.test("AmiClient keeps astemu's events in wire order when handlers throw", async () => {
  await using emulator = await emulate();
  await using client = await tcp(emulator);
  const errors = collect(client, "error");
  const seen: string[] = [];
  client.on("Tick", (event) => {
    seen.push(event.get("N")!);
    if (Number(event.get("N")) % 10 === 0) throw new Error("flaky handler");
  });
  const iterator = client.events({ filter: "Tick" });
  for (let n = 1; n <= 100; n++) {
    emulator.emit({ Event: "Tick", N: n }, { category: "user" });
  }
  const iterated: string[] = [];
  for await (const event of iterator) {
    iterated.push(event.get("N")!);
    if (iterated.length === 100) break;
  }
  const expected = Array.from({ length: 100 }, (_, i) => String(i + 1));
  assert.deepEqual(iterated, expected);
  assert.deepEqual(seen, expected);
  assert.equal(errors.length, 10);
});
