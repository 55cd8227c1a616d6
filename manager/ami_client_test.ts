// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import {
  AmiClient,
  type AmiClientEventMap,
  type AmiClientOptions,
  type AmiTraceEvent,
} from "./ami_client.ts";
import type { AmiMessage } from "./ami_message.ts";
import { AmiActionError, AmiAuthenticationError } from "./errors.ts";
import { md5Hex } from "../_internal/md5.ts";
import {
  FakeAmiServer,
  FakeConnector,
  standardHandler,
  until,
} from "../tests/manager/_fake_ami.ts";

const USER = { username: "admin", secret: "s3cret" } as const;

/** These tests use in-memory streams only: no permissions. */
function test(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void> | void,
): void {
  Deno.test({ name, permissions: "none", fn });
}

/** A client on one fake server that answers login; returns both. */
async function connected(
  options: AmiClientOptions = {},
  other?: Parameters<typeof standardHandler>[0],
  login = true,
): Promise<{ client: AmiClient; server: FakeAmiServer }> {
  const server = new FakeAmiServer({ handler: standardHandler(other) });
  const client = new AmiClient(
    server.connection,
    login ? { ...USER, ...options } : options,
  );
  await client.connect();
  return { client, server };
}

function record<K extends keyof AmiClientEventMap>(
  client: AmiClient,
  ...types: K[]
): { type: K; detail: AmiClientEventMap[K]["detail"] }[] {
  const seen: { type: K; detail: AmiClientEventMap[K]["detail"] }[] = [];
  for (const type of types) {
    client.addEventListener(type, (event) => {
      seen.push({ type, detail: event.detail });
    });
  }
  return seen;
}

test("AmiClient logs in with MD5 by default and reads the banner", async () => {
  const server = new FakeAmiServer({
    banner: "9.0.0",
    handler: standardHandler(),
  });
  const client = new AmiClient(server.connection, USER);
  const seen = record(client, "connected");
  await client.connect();
  assert.equal(client.version, "9.0.0");
  assert.equal(client.state, "connected");
  const [challenge, login] = server.received;
  assert.equal(challenge!.action, "Challenge");
  assert.equal(challenge!.get("AuthType"), "MD5");
  assert.equal(login!.action, "Login");
  assert.equal(login!.get("AuthType"), "MD5");
  assert.equal(login!.get("Username"), "admin");
  assert.equal(login!.get("Key"), md5Hex("1234s3cret"));
  assert.equal(login!.get("Secret"), undefined);
  assert.equal(login!.get("Events"), undefined);
  assert.deepEqual(seen, [{
    type: "connected",
    detail: { version: "9.0.0", attempt: 0 },
  }]);
  await client.close();
});

test("AmiClient falls back to a plain login when Challenge is refused, and warns off loopback", async () => {
  const warnings: string[] = [];
  const server = new FakeAmiServer({
    handler: standardHandler(undefined, { challenge: false }),
    remoteHostname: "pbx.example.net",
  });
  const client = new AmiClient(server.connection, {
    ...USER,
    events: ["call", "system"],
    onWarning: (message) => warnings.push(message),
  });
  const events = record(client, "warning");
  await client.connect();
  const login = server.received[1]!;
  assert.equal(login.get("Secret"), "s3cret");
  assert.equal(login.get("Events"), "call,system");
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /plain text to "pbx\.example\.net" without TLS/);
  assert.ok(!warnings[0]!.includes("s3cret"));
  assert.equal(events.length, 1);
  await client.close();
});

test("AmiClient does not warn for plain logins over TLS or loopback", async (t) => {
  for (
    const [name, options] of [
      ["tls", { tls: true, remoteHostname: "pbx.example.net" }],
      ["127.0.0.1", { remoteHostname: "127.0.0.1" }],
      ["::1", { remoteHostname: "[::1]" }],
      ["localhost", { remoteHostname: "localhost" }],
    ] as const
  ) {
    await t.step(name, async () => {
      const warnings: string[] = [];
      const server = new FakeAmiServer({
        ...options,
        handler: standardHandler(),
      });
      const client = new AmiClient(server.connection, {
        ...USER,
        authType: "plain",
        onWarning: (message) => warnings.push(message),
      });
      await client.connect();
      assert.equal(server.received[0]!.action, "Login");
      assert.deepEqual(warnings, []);
      await client.close();
    });
  }
});

test("AmiClient rejects a refused login with AmiAuthenticationError and closes", async () => {
  const server = new FakeAmiServer({
    handler: (action, srv) => {
      if (action.action === "Challenge") {
        srv.reply(action, [["Challenge", "42"]]);
      } else {
        srv.reply(action, [["Message", "Authentication failed"]], "Error");
        srv.hangup();
      }
    },
  });
  const client = new AmiClient(server.connection, USER);
  const pending = client.send({ Action: "Ping" });
  await assert.rejects(client.connect(), (error: unknown) => {
    assert.ok(error instanceof AmiAuthenticationError);
    assert.equal(error.username, "admin");
    assert.equal(error.responseMessage, "Authentication failed");
    assert.ok(!error.message.includes("s3cret"));
    return true;
  });
  await assert.rejects(pending, ConnectionClosedError);
  assert.equal(client.state, "closed");
  await assert.rejects(client.send({ Action: "Ping" }), ConnectionClosedError);
});

test("AmiClient fails connect on a peer that is not AMI, and on a missing banner", async () => {
  const http = new FakeAmiServer({ banner: false });
  http.write("HTTP/1.1 400 Bad Request\r\n\r\n");
  const client = new AmiClient(http.connection, USER);
  await assert.rejects(client.connect(), ProtocolError);

  const silent = new FakeAmiServer({ banner: false });
  const waiting = new AmiClient(silent.connection, {
    ...USER,
    connectTimeout: 50,
  });
  await assert.rejects(waiting.connect(), (error: unknown) => {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.timeoutMs, 50);
    return true;
  });
  assert.equal(waiting.state, "closed");
});

test("AmiClient connect honours an abort signal", async () => {
  const silent = new FakeAmiServer({ banner: false });
  const client = new AmiClient(silent.connection, USER);
  const controller = new AbortController();
  const connecting = client.connect({ signal: controller.signal });
  const reason = new Error("give up");
  controller.abort(reason);
  await assert.rejects(connecting, (error) => error === reason);
  assert.equal(client.state, "closed");
});

test("AmiClient matches replies by ActionID, not by order", async () => {
  const { client, server } = await connected({}, undefined, false);
  server.handler = undefined;
  const a = client.send({ Action: "Getvar", Variable: "A" });
  const b = client.send({ Action: "Getvar", Variable: "B" });
  const c = client.send({ Action: "Getvar", Variable: "C" });
  const sent = [await server.next(), await server.next(), await server.next()];
  const ids = new Set(sent.map((m) => m.actionId));
  assert.equal(ids.size, 3);
  for (const action of sent.reverse()) {
    server.reply(action, [["Variable", action.get("Variable")!], [
      "Value",
      `v${action.get("Variable")}`,
    ]]);
  }
  assert.equal((await a).get("Value"), "vA");
  assert.equal((await b).get("Value"), "vB");
  assert.equal((await c).get("Value"), "vC");
  await client.close();
});

test("AmiClient never resolves an action with a reply that has an unknown or no ActionID", async () => {
  const { client, server } = await connected(
    { timeout: 100 },
    undefined,
    false,
  );
  server.handler = undefined;
  const unmatched = record(client, "unmatched");
  const ping = client.send({ Action: "Ping" });
  const action = await server.next();
  server.send([["Response", "Success"], ["Ping", "Pong"]]);
  server.send([["Response", "Success"], ["ActionID", "somebody-else-1"]]);
  server.send([["Response", "Success"], [
    "ActionID",
    action.actionId!.toUpperCase(),
  ]]);
  await assert.rejects(ping, TimeoutError);
  assert.equal(unmatched.length, 3);
  assert.equal(unmatched[0]!.detail.get("Ping"), "Pong");
  // A reply that comes after the timeout is unmatched too.
  server.reply(action);
  await until(() => unmatched.length === 4);
  assert.equal(unmatched[3]!.detail.actionId, action.actionId);
  await client.close();
});

test("AmiClient turns Response: Error into AmiActionError with the reply", async () => {
  const { client } = await connected({}, (action, server) => {
    server.reply(action, [["Message", "Permission denied"]], "Error");
  });
  await assert.rejects(
    client.send({ Action: "Command", Command: "x" }),
    (error: unknown) => {
      assert.ok(error instanceof AmiActionError);
      assert.equal(error.action, "Command");
      assert.equal(error.responseMessage, "Permission denied");
      assert.equal(error.reply.response, "Error");
      assert.equal(
        error.message,
        'Cannot run AMI action "Command": Permission denied',
      );
      return true;
    },
  );
  await client.close();
});

test("AmiClient applies the default and per-action timeouts", async () => {
  const { client } = await connected({ timeout: 30 }, () => {});
  const started = Date.now();
  await assert.rejects(client.send({ Action: "Stall" }), (error: unknown) => {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.timeoutMs, 30);
    assert.match(
      error.message,
      /^Cannot complete AMI action "Stall": no reply within 30 ms$/,
    );
    return true;
  });
  await assert.rejects(
    client.send({ Action: "Stall" }, { timeout: 5 }),
    (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.timeoutMs, 5);
      return true;
    },
  );
  assert.ok(Date.now() - started < 1000);
  assert.equal(client.pendingActions, 0);
  await assert.rejects(
    client.send({ Action: "Ping" }, { timeout: -1 }),
    TypeError,
  );
  await client.close();
});

test("AmiClient rejects on abort, before or after sending", async () => {
  const { client, server } = await connected({}, undefined, false);
  server.handler = undefined;
  const reason = new Error("stop");
  await assert.rejects(
    client.send({ Action: "Ping" }, { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
  const controller = new AbortController();
  const ping = client.send({ Action: "Ping" }, { signal: controller.signal });
  const action = await server.next();
  controller.abort(reason);
  await assert.rejects(ping, (error) => error === reason);
  assert.equal(client.pendingActions, 0);
  assert.equal(action.action, "Ping");
  assert.equal(server.received.length, 1);
  await client.close();
});

test("AmiClient keeps a caller ActionID, refuses duplicates, and reports encoding errors", async () => {
  const { client, server } = await connected({}, undefined, false);
  server.handler = undefined;
  const mine = client.send({ Action: "Ping", ActionID: "trace-7" });
  await assert.rejects(
    client.send({ Action: "Ping", actionid: "trace-7" }),
    /already pending/,
  );
  await assert.rejects(
    client.send({ Action: "Ping", ActionID: "" }),
    TypeError,
  );
  await assert.rejects(
    client.send({ Action: "Setvar", Value: "a\r\nAction: Hangup" }),
    TypeError,
  );
  // @ts-expect-error: not an action
  await assert.rejects(client.send(null), TypeError);
  const action = await server.next();
  assert.equal(action.actionId, "trace-7");
  server.reply(action);
  assert.equal((await mine).actionId, "trace-7");
  assert.equal(server.received.length, 1);
  await client.close();
});

test("AmiClient generates unique ActionIDs with a random per-client prefix", async () => {
  const first = await connected({}, undefined, false);
  const second = await connected({}, undefined, false);
  const ids = new Set<string>();
  for (const { client, server } of [first, second]) {
    server.handler = undefined;
    for (let i = 0; i < 5; i++) {
      void client.send({ Action: "Ping" }).catch(() => {});
    }
    for (let i = 0; i < 5; i++) ids.add((await server.next()).actionId!);
  }
  assert.equal(ids.size, 10);
  const prefixes = new Set(
    [...ids].map((id) => id.slice(0, id.lastIndexOf("-"))),
  );
  assert.equal(prefixes.size, 2);
  for (const prefix of prefixes) assert.match(prefix, /^[0-9a-f]{12}$/);
  await first.client.close();
  await second.client.close();
});

test("AmiClient bounds pending actions with maxPendingActions", async () => {
  const { client } = await connected({ maxPendingActions: 3 }, () => {});
  const pending = [0, 1, 2].map(() => client.send({ Action: "Stall" }));
  await assert.rejects(client.send({ Action: "Stall" }), (error: unknown) => {
    assert.ok(error instanceof LimitExceededError);
    assert.equal(error.limit, "maxPendingActions");
    assert.equal(error.max, 3);
    return true;
  });
  await client.close();
  for (const p of pending) await assert.rejects(p, ConnectionClosedError);
});

test("AmiClient sends actions made before connect() resolves, and refuses them before connect()", async () => {
  const server = new FakeAmiServer({ handler: standardHandler() });
  const client = new AmiClient(server.connection, USER);
  await assert.rejects(client.send({ Action: "Ping" }), /not connected/);
  const connecting = client.connect();
  const ping = client.send({ Action: "Ping" });
  await connecting;
  assert.equal((await ping).get("Ping"), "Pong");
  assert.deepEqual(server.received.map((m) => m.action), [
    "Challenge",
    "Login",
    "Ping",
  ]);
  assert.equal(client.connect(), connecting);
  await client.close();
});

function list(
  action: AmiMessage,
  server: FakeAmiServer,
  items: number,
  options: { start?: string; complete?: string; noise?: boolean } = {},
): void {
  const id = action.actionId!;
  server.reply(action, [["EventList", options.start ?? "start"], [
    "Message",
    "Channels will follow",
  ]]);
  for (let i = 0; i < items; i++) {
    if (options.noise) {
      server.send([["Event", "Newchannel"], ["Channel", `noise-${i}`]]);
      server.send([["Event", "UserEvent"], ["ActionID", "other-1"], [
        "N",
        String(i),
      ]]);
    }
    server.send([["Event", "CoreShowChannel"], ["ActionID", id], [
      "Channel",
      `c${i}`,
    ]]);
  }
  server.send([
    ["Event", "CoreShowChannelsComplete"],
    ["ActionID", id],
    ["EventList", options.complete ?? "Complete"],
    ["ListItems", String(items)],
  ]);
}

test("AmiClient.sendList collects an event list and its closing event", async () => {
  const { client, server } = await connected(
    {},
    (action, server) => list(action, server, 3, { noise: true }),
  );
  const result = await client.sendList({ Action: "CoreShowChannels" });
  assert.equal(result.response.get("EventList"), "start");
  assert.deepEqual(result.events.map((e) => e.get("Channel")), [
    "c0",
    "c1",
    "c2",
  ]);
  assert.equal(result.complete?.get("ListItems"), "3");
  // A packet with that ActionID after the list completed is an ordinary
  // event again (Asterisk copies ActionIDs into events other clients see).
  const events = client.events();
  server.send([["Event", "CoreShowChannel"], [
    "ActionID",
    result.response.actionId!,
  ]]);
  assert.equal((await events.next()).value?.event, "CoreShowChannel");
  events.close();
  await client.close();
});

test("AmiClient.sendList leaves unrelated events to consumers, in wire order", async () => {
  const { client } = await connected(
    {},
    (action, server) => list(action, server, 2, { noise: true }),
  );
  const events = client.events();
  const result = await client.sendList({ Action: "CoreShowChannels" });
  assert.equal(result.events.length, 2);
  assert.equal(events.size, 4);
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    const { value } = await events.next();
    seen.push(`${value!.event}:${value!.get("Channel") ?? value!.get("N")}`);
  }
  assert.deepEqual(seen, [
    "Newchannel:noise-0",
    "UserEvent:0",
    "Newchannel:noise-1",
    "UserEvent:1",
  ]);
  events.close();
  await client.close();
});

test("AmiClient.sendList accepts flag case variants and the pre-2.7 heuristic", async (t) => {
  await t.step("Start / complete", async () => {
    const { client } = await connected(
      {},
      (action, server) =>
        list(action, server, 1, { start: "Start", complete: "complete" }),
    );
    const result = await client.sendList({ Action: "FAXSessions" });
    assert.equal(result.events.length, 1);
    await client.close();
  });
  await t.step("no EventList flags (AMI before 2.7)", async () => {
    const { client } = await connected({}, (action, server) => {
      const id = action.actionId!;
      server.reply(action, [["Message", "Peer status list will follow"]]);
      server.send([["Event", "PeerEntry"], ["ActionID", id], [
        "ObjectName",
        "100",
      ]]);
      server.send([["Event", "PeerEntry"], ["ActionID", id], [
        "ObjectName",
        "101",
      ]]);
      server.send([["Event", "PeerlistComplete"], ["ActionID", id], [
        "ListItems",
        "2",
      ]]);
    });
    const result = await client.sendList({ Action: "SIPpeers" });
    assert.deepEqual(result.events.map((e) => e.get("ObjectName")), [
      "100",
      "101",
    ]);
    assert.equal(result.complete?.event, "PeerlistComplete");
    await client.close();
  });
  await t.step("a reply that opens no list", async () => {
    const { client } = await connected(
      {},
      (action, server) => server.reply(action, [["Ping", "Pong"]]),
    );
    const result = await client.sendList({ Action: "Ping" });
    assert.deepEqual(result.events, []);
    assert.equal(result.complete, undefined);
    await client.close();
  });
});

test("AmiClient.sendList rejects an error after the ack, an oversized list and a stalled list", async () => {
  let mode = "error";
  const { client } = await connected({ timeout: 50 }, (action, server) => {
    if (mode === "error") {
      server.reply(action, [["EventList", "start"]]);
      server.reply(
        action,
        [["Message", "Failed to find channel map"]],
        "Error",
      );
    } else if (mode === "big") {
      list(action, server, 10);
    } else {
      server.reply(action, [["EventList", "start"]]);
      server.send([["Event", "CoreShowChannel"], [
        "ActionID",
        action.actionId!,
      ]]);
    }
  });
  await assert.rejects(
    client.sendList({ Action: "CoreShowChannelMap" }),
    AmiActionError,
  );
  mode = "big";
  await assert.rejects(
    client.sendList({ Action: "CoreShowChannels" }, { maxItems: 3 }),
    (error: unknown) => {
      assert.ok(error instanceof LimitExceededError);
      assert.equal(error.limit, "maxItems");
      return true;
    },
  );
  mode = "stall";
  await assert.rejects(
    client.sendList({ Action: "CoreShowChannels" }),
    /no end of the event list within 50 ms/,
  );
  await client.close();
});

test("AmiClient.command returns Output lines and the legacy Follows body alike", async () => {
  let legacy = false;
  const { client } = await connected({}, (action, server) => {
    const id = action.actionId!;
    if (action.get("Command") === "bad") {
      server.reply(action, [["Message", "Command output follows"], [
        "Output",
        "No such command 'bad'",
      ]], "Error");
    } else if (legacy) {
      server.write(
        `Response: Follows\r\nPrivilege: Command\r\nActionID: ${id}\r\n` +
          "line one\n\nkey: value\n--END COMMAND--\r\n\r\n",
      );
    } else {
      server.reply(action, [
        ["Message", "Command output follows"],
        ["Output", "line one"],
        ["Output", ""],
        ["Output", "key: value"],
      ]);
    }
  });
  assert.equal(
    await client.command("core show thing"),
    "line one\n\nkey: value",
  );
  legacy = true;
  assert.equal(
    await client.command("core show thing"),
    "line one\n\nkey: value",
  );
  await assert.rejects(client.command("bad"), (error: unknown) => {
    assert.ok(error instanceof AmiActionError);
    assert.deepEqual(error.reply.getAll("Output"), ["No such command 'bad'"]);
    return true;
  });
  await assert.rejects(client.command(""), TypeError);
  await client.close();
});

test("AmiClient delivers events in wire order to iterators and handlers; throwing handlers are reported", async () => {
  const { client, server } = await connected();
  const errors = record(client, "error");
  const all = client.events();
  const hangups = client.events({ filter: "hangup" });
  const byName: string[] = [];
  const wildcard: string[] = [];
  client.on("Newchannel", (e) => {
    byName.push(e.get("N")!);
    if (e.get("N") === "1") throw new Error("handler bug");
  });
  client.on("*", (e) => {
    wildcard.push(e.get("N")!);
  });
  client.on("*", async (e) => {
    await Promise.resolve();
    if (e.get("N") === "2") throw new Error("async handler bug");
  });
  const removed = () => assert.fail("removed handler called");
  const stop = client.on("Hangup", removed);
  stop();
  client.off("Hangup", removed);
  for (let i = 0; i < 6; i++) {
    server.send([["Event", i % 2 === 0 ? "Hangup" : "Newchannel"], [
      "N",
      String(i),
    ]]);
  }
  const seen: string[] = [];
  for await (const e of all) {
    seen.push(e.get("N")!);
    if (seen.length === 6) break;
  }
  assert.deepEqual(seen, ["0", "1", "2", "3", "4", "5"]);
  assert.deepEqual(wildcard, seen);
  assert.deepEqual(byName, ["1", "3", "5"]);
  assert.equal(hangups.size, 3);
  await until(() => errors.length === 2);
  assert.match(String(errors[0]!.detail.error), /handler bug/);
  assert.equal(errors[0]!.detail.event?.get("N"), "1");
  assert.match(String(errors[1]!.detail.error), /async handler bug/);
  await client.close();
  const rest: string[] = [];
  for await (const e of hangups) rest.push(e.get("N")!);
  assert.deepEqual(rest, ["0", "2", "4"]);
});

test("AmiClient keeps reading while a consumer stalls, and counts what its buffer dropped", async () => {
  const { client, server } = await connected();
  const slow = client.events({ bufferSize: 100 });
  const newest = client.events({ bufferSize: 100, overflow: "drop-newest" });
  const strict = client.events({ bufferSize: 100, overflow: "error" });
  const total = 20_000;
  const chunk: string[] = [];
  for (let i = 0; i < total; i++) chunk.push(`Event: Tick\r\nN: ${i}\r\n\r\n`);
  server.write(chunk.join(""));
  // The reader was never blocked: a reply after the flood arrives at once.
  const pong = await client.send({ Action: "Ping" }, { timeout: 2000 });
  assert.equal(pong.get("Ping"), "Pong");
  assert.equal(slow.dropped, total - 100);
  assert.equal(slow.size, 100);
  assert.equal((await slow.next()).value?.get("N"), String(total - 100));
  assert.equal(newest.dropped, total - 100);
  assert.equal((await newest.next()).value?.get("N"), "0");
  assert.ok(strict.closed);
  for (let i = 0; i < 100; i++) await strict.next();
  await assert.rejects(strict.next(), LimitExceededError);
  await client.close();
});

test("AmiClient.originate resolves on the matching OriginateResponse, success or failure", async () => {
  const queued: string[] = [];
  const { client, server } = await connected({}, (action, srv) => {
    const id = action.actionId!;
    srv.reply(action, [["Message", "Originate successfully queued"]]);
    // An unrelated OriginateResponse for another client first.
    srv.send([["Event", "OriginateResponse"], ["ActionID", "other-9"], [
      "Response",
      "Success",
    ]]);
    const busy = action.get("Channel") === "PJSIP/busy";
    srv.send([
      ["Event", "OriginateResponse"],
      ["Privilege", "call,all"],
      ["ActionID", id],
      ["Response", busy ? "Failure" : "Success"],
      ["Channel", action.get("Channel")!],
      ["Reason", busy ? "5" : "4"],
      ["Uniqueid", busy ? "<unknown>" : "1795693513.0"],
    ]);
  });
  const events = client.events({ filter: "OriginateResponse" });
  const ok = await client.originate({
    Channel: "PJSIP/100",
    Application: "Wait",
    Data: "1",
    Variable: { A: "1", B: "x=y" },
  }, { onQueued: (reply) => queued.push(reply.get("Message")!) });
  assert.equal(ok.success, true);
  assert.equal(ok.reason, 4);
  assert.equal(ok.reasonText, "answered");
  assert.equal(ok.uniqueId, "1795693513.0");
  assert.equal(ok.response?.get("Message"), "Originate successfully queued");
  assert.deepEqual(queued, ["Originate successfully queued"]);
  const sent = server.received.find((m) => m.action === "Originate")!;
  assert.equal(sent.get("Async"), "true");
  assert.deepEqual(sent.getAll("Variable"), ["A=1", "B=x=y"]);

  const busy = await client.originate({
    Channel: "PJSIP/busy",
    Context: "default",
    Exten: "1",
    Priority: 1,
  });
  assert.equal(busy.success, false);
  assert.equal(busy.reasonText, "busy");
  assert.equal(busy.uniqueId, undefined);
  // Every OriginateResponse also reached the event consumers.
  assert.equal(events.size, 4);
  await assert.rejects(client.originate({ Channel: "PJSIP/1" }), TypeError);
  await client.close();
});

test("AmiClient.originate rejects a refused Originate and a missing outcome", async () => {
  let refuse = true;
  const { client } = await connected({}, (action, srv) => {
    if (refuse) {
      srv.reply(action, [["Message", "Originate Access Forbidden"]], "Error");
    } else srv.reply(action, [["Message", "Originate successfully queued"]]);
  });
  await assert.rejects(
    client.originate({
      Channel: "Local/s@x",
      Application: "System",
      Data: "true",
    }),
    /Originate Access Forbidden/,
  );
  refuse = false;
  await assert.rejects(
    client.originate({ Channel: "Local/s@x", Application: "Wait" }, {
      timeout: 30,
    }),
    /no OriginateResponse within 30 ms/,
  );
  await client.close();
});

test("AmiClient rejects every pending action when the server drops and no reconnect is set", async () => {
  const { client, server } = await connected({}, () => {});
  const disconnected = record(client, "disconnected");
  const events = client.events();
  const one = client.send({ Action: "Stall" });
  const two = client.sendList({ Action: "Stall" }, { idempotent: true });
  const three = client.originate({ Channel: "Local/s@x", Application: "Wait" });
  await until(() => server.received.length === 5);
  server.send([["Event", "Shutdown"], ["Shutdown", "Cleanly"], [
    "Restart",
    "False",
  ]]);
  server.hangup();
  for (const p of [one, two, three]) {
    await assert.rejects(p, ConnectionClosedError);
  }
  assert.equal((await events.next()).value?.event, "Shutdown");
  await assert.rejects(events.next(), ConnectionClosedError);
  assert.equal(disconnected.length, 1);
  await until(() => client.state === "closed");
});

test("AmiClient reconnects with backoff, logs in again, re-applies mask and filters, resends idempotent actions", async () => {
  const connector = new FakeConnector({ handler: standardHandler(() => {}) });
  const client = new AmiClient(connector.connect, {
    ...USER,
    reconnect: (attempt) => (attempt <= 5 ? 1 : undefined),
    filters: ["Event: Hangup"],
  });
  const life = record(
    client,
    "connected",
    "disconnected",
    "reconnecting",
    "reconnected",
  );
  await client.connect();
  await client.setEventMask(["call"]);
  await client.addFilter({ matchCriteria: "name(Newchannel)" });
  const first = connector.servers[0]!;
  const plain = client.send({ Action: "Stall" });
  const retried = client.send({ Action: "Lookup" }, { idempotent: true });
  await until(() => first.received.length === 7);
  connector.refuse = 2;
  first.hangup();
  await assert.rejects(plain, (error: unknown) => {
    assert.ok(error instanceof ConnectionClosedError);
    assert.match(error.message, /"Stall": connection closed/);
    return true;
  });
  // Sent while reconnecting: waits for the new connection.
  const later = client.send({ Action: "Later" });
  const second = await connector.server(1);
  await until(() => second.received.length === 6);
  assert.deepEqual(second.received.map((m) => m.action), [
    "Challenge",
    "Login",
    "Filter",
    "Filter",
    "Lookup",
    "Later",
  ]);
  assert.equal(second.received[1]!.get("Events"), "call");
  assert.equal(second.received[2]!.get("Filter"), "Event: Hangup");
  assert.equal(second.received[3]!.get("MatchCriteria"), "name(Newchannel)");
  const lookup = second.received[4]!;
  second.reply(lookup, [["Value", "again"]]);
  second.reply(second.received[5]!);
  assert.equal((await retried).get("Value"), "again");
  await later;
  assert.equal(connector.attempts, 4);
  assert.deepEqual(life.map((e) => e.type), [
    "connected",
    "disconnected",
    "reconnecting",
    "reconnecting",
    "reconnecting",
    "connected",
    "reconnected",
  ]);
  assert.deepEqual(life.at(-1)!.detail, { version: "13.0.0", attempt: 3 });
  await client.close();
});

test("AmiClient gives up after the backoff says so and fails everything waiting", async () => {
  const connector = new FakeConnector({ handler: standardHandler() });
  const client = new AmiClient(connector.connect, {
    ...USER,
    reconnect: (attempt) => (attempt <= 2 ? 1 : undefined),
  });
  const errors = record(client, "error");
  await client.connect();
  const events = client.events();
  connector.refuse = 10;
  connector.servers[0]!.hangup();
  await until(() => client.state === "reconnecting");
  const queued = client.send({ Action: "Ping" });
  await assert.rejects(queued, ConnectionClosedError);
  await assert.rejects(events.next(), /gave up after 2 attempts/);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]!.detail.error), /gave up after 2 attempts/);
  assert.equal(client.state, "closed");
  assert.equal(connector.attempts, 3);
});

test("AmiClient stops reconnecting when the login is refused", async () => {
  const connector = new FakeConnector({ handler: standardHandler() });
  const client = new AmiClient(connector.connect, {
    ...USER,
    reconnect: () => 1,
  });
  await client.connect();
  connector.options = {
    handler: (action, server) => {
      server.reply(action, [["Message", "Authentication failed"]], "Error");
    },
  };
  const errors = record(client, "error");
  connector.servers[0]!.hangup();
  await until(() => client.state === "closed");
  assert.ok(errors[0]!.detail.error instanceof AmiAuthenticationError);
  assert.equal(connector.attempts, 2);
});

test("AmiClient keep-alive drops a stalled connection and reconnects", async () => {
  let stall = false;
  const connector = new FakeConnector({
    handler: (action, server) => {
      if (stall && action.action === "Ping") return;
      standardHandler()(action, server);
    },
  });
  const client = new AmiClient(connector.connect, {
    ...USER,
    keepAlive: 20,
    reconnect: () => 1,
  });
  const life = record(client, "disconnected", "reconnected");
  await client.connect();
  await until(() =>
    connector.servers[0]!.received.some((m) => m.action === "Ping")
  );
  stall = true;
  await until(() => life.length === 1, 1000);
  assert.ok(
    (life[0]!.detail as { error: unknown }).error instanceof TimeoutError,
  );
  stall = false;
  await until(() => life.length === 2, 1000);
  assert.equal(life[1]!.type, "reconnected");
  await client.close();
});

test("AmiClient logoff and close can be called in any order, any number of times", async (t) => {
  await t.step("logoff sends Logoff and waits for Goodbye", async () => {
    const { client, server } = await connected();
    await Promise.all([client.logoff(), client.logoff()]);
    assert.equal(server.received.at(-1)!.action, "Logoff");
    assert.equal(client.state, "closed");
    await client.close();
    await client.logoff();
  });
  await t.step("close then logoff", async () => {
    const { client, server } = await connected();
    await client.close();
    await client.logoff();
    assert.ok(!server.received.some((m) => m.action === "Logoff"));
  });
  await t.step("logoff and close at once", async () => {
    const { client } = await connected({}, () => {});
    const pending = client.send({ Action: "Stall" });
    await Promise.all([
      client.logoff(),
      client.close(),
      client.close(),
      client.logoff(),
    ]);
    await assert.rejects(pending, ConnectionClosedError);
    assert.equal(client.state, "closed");
  });
  await t.step("a server that never answers Logoff", async () => {
    const server = new FakeAmiServer({
      handler: (action, srv) => {
        if (action.action !== "Logoff") standardHandler()(action, srv);
      },
    });
    const client = new AmiClient(server.connection, { ...USER, timeout: 30 });
    await client.connect();
    const started = Date.now();
    await client.logoff();
    assert.ok(Date.now() - started >= 25);
    assert.equal(server.received.at(-1)!.action, "Logoff");
    assert.equal(client.state, "closed");
  });
  await t.step("await using logs off", async () => {
    let server: FakeAmiServer;
    {
      const made = await connected();
      server = made.server;
      await using client = made.client;
      await client.send({ Action: "Ping" });
    }
    assert.equal(server.received.at(-1)!.action, "Logoff");
  });
  await t.step("logoff does not trigger a reconnect", async () => {
    const connector = new FakeConnector({ handler: standardHandler() });
    const client = new AmiClient(connector.connect, {
      ...USER,
      reconnect: () => 1,
    });
    await client.connect();
    await client.logoff();
    assert.equal(connector.attempts, 1);
  });
});

test("AmiClient reports garbage and over-long packets, and keeps going", async () => {
  const { client, server } = await connected({ maxLineBytes: 64 });
  const unmatched = record(client, "unmatched");
  const errors = record(client, "error");
  server.write("this line has no colon\r\nSomething: else\r\n\r\n");
  server.write(`Event: Big\r\nData: ${"x".repeat(100)}\r\n\r\n`);
  server.write("Action: Login\r\n\r\n");
  const pong = await client.send({ Action: "Ping" });
  assert.equal(pong.get("Ping"), "Pong");
  assert.equal(unmatched.length, 2);
  assert.equal(unmatched[0]!.detail.get(""), "this line has no colon");
  assert.equal(unmatched[1]!.detail.action, "Login");
  assert.equal(errors.length, 1);
  assert.ok(errors[0]!.detail.error instanceof LimitExceededError);
  await client.close();
});

test("AmiClient reports a throwing lifecycle listener instead of crashing", async () => {
  const { client, server } = await connected();
  const errors = record(client, "error");
  const boom = () => {
    throw new Error("listener bug");
  };
  client.addEventListener("unmatched", boom);
  client.addEventListener("unmatched", boom);
  server.send([["Response", "Success"], ["ActionID", "nobody"]]);
  await client.send({ Action: "Ping" });
  assert.equal(errors.length, 1);
  client.removeEventListener("unmatched", boom);
  server.send([["Response", "Success"], ["ActionID", "nobody"]]);
  await client.send({ Action: "Ping" });
  assert.equal(errors.length, 1);
  await client.close();
});

test("AmiClient traces packets with secrets masked", async () => {
  const traced: AmiTraceEvent[] = [];
  const { client } = await connected({
    authType: "plain",
    onTrace: (event) => traced.push(event),
  });
  await client.send({ Action: "Ping" });
  const login = traced.find((e) =>
    e.direction === "send" && e.action.Action === "Login"
  );
  assert.ok(login !== undefined && login.direction === "send");
  assert.equal(login.action.Secret, "********");
  assert.ok(
    !JSON.stringify(
      traced.map((e) => e.direction === "send" ? e.action : e.message.fields),
    ).includes("s3cret"),
  );
  assert.ok(
    traced.some((e) =>
      e.direction === "receive" && e.message.get("Ping") === "Pong"
    ),
  );
  await client.close();
});

Deno.test({
  name: "AmiClient validates its source and options",
  permissions: "none",
  fn: () => {
    // @ts-expect-error: not a source
    assert.throws(() => new AmiClient({}), TypeError);
    const pair = new FakeAmiServer().connection;
    assert.throws(
      () => new AmiClient(pair, { timeout: Number.NaN }),
      TypeError,
    );
    const digest = { authType: "digest" } as unknown as AmiClientOptions;
    assert.throws(() => new AmiClient(pair, digest), /authType/);
    assert.throws(
      () => new AmiClient(pair, { maxPendingActions: 0 }),
      TypeError,
    );
    assert.throws(() => new AmiClient(pair, { keepAlive: -5 }), TypeError);
    assert.throws(() => new AmiClient(pair, { events: [""] }), TypeError);
    assert.throws(() => new AmiClient(pair, { filters: [""] }), TypeError);
    const client = new AmiClient(pair);
    assert.throws(() => client.on("", () => {}), TypeError);
    assert.equal(client.state, "idle");
  },
});

test("AmiClient reads the same replies and events however the bytes are chunked", async (t) => {
  const enc = new TextEncoder();
  const replies: Record<string, string> = {
    Login:
      "Response: Success\r\nActionID: t-1\r\nMessage: Authentication accepted\r\n\r\n" +
      "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n",
    CoreShowChannels:
      "Response: Success\r\nActionID: t-2\r\nEventList: start\r\n" +
      "Message: Channels will follow\r\n\r\n" +
      "Event: CoreShowChannel\r\nActionID: t-2\r\nChannel: PJSIP/1-0\r\n\r\n" +
      "Event: Newchannel\r\nChannel: PJSIP/2-0\r\nCallerIDName: Zo\u00eb\r\n\r\n" +
      "Event: CoreShowChannelsComplete\r\nActionID: t-2\r\nEventList: Complete\r\n" +
      "ListItems: 1\r\n\r\n",
    Command:
      "Response: Success\r\nActionID: t-3\r\nMessage: Command output follows\r\n" +
      "Output: a: b\r\nOutput: \r\nOutput:   indented\r\n\r\n",
  };
  const total = Object.values(replies).reduce(
    (n, text) => n + enc.encode(text).length,
    0,
  );
  for (const size of [1, 2, 3, 7, 13, 64, total]) {
    await t.step(`chunks of ${size} bytes`, async () => {
      const server = new FakeAmiServer({
        handler: (action, srv) => {
          const bytes = enc.encode(replies[action.action!]!);
          for (let i = 0; i < bytes.length; i += size) {
            srv.write(bytes.subarray(i, i + size));
          }
        },
      });
      const client = new AmiClient(server.connection, {
        ...USER,
        authType: "plain",
        actionIdPrefix: "t",
      });
      const events = client.events();
      await client.connect();
      const list = await client.sendList({ Action: "CoreShowChannels" });
      assert.deepEqual(list.events.map((e) => e.get("Channel")), ["PJSIP/1-0"]);
      assert.equal(list.complete?.get("ListItems"), "1");
      assert.equal(await client.command("x"), "a: b\n\n  indented");
      const names: string[] = [];
      while (events.size > 0) {
        const event = (await events.next()).value!;
        names.push(event.event!);
        if (event.event === "Newchannel") {
          assert.equal(event.get("CallerIDName"), "Zo\u00eb");
        }
      }
      assert.deepEqual(names, ["FullyBooted", "Newchannel"]);
      await client.close();
    });
  }
});

test("AmiClient maxWriteQueueBytes bounds what a server that stops reading pins, even as actions time out", async () => {
  const encoder = new TextEncoder();
  const gate = Promise.withResolvers<void>();
  let written = "";
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      await gate.promise;
      written += new TextDecoder().decode(chunk);
    },
  });
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("Asterisk Call Manager/13.0.0\r\n"));
    },
  });
  const client = new AmiClient({ readable, writable }, {
    maxWriteQueueBytes: 1000,
    timeout: 1,
  });
  await client.connect();
  const action = {
    Action: "UserEvent",
    UserEvent: "Fill",
    Data: "x".repeat(200),
  };
  let accepted = 0;
  let limited: unknown;
  // Each action times out (nothing answers), so maxPendingActions never
  // fills; only the bytes still waiting to be written can stop them.
  for (let i = 0; i < 100 && limited === undefined; i++) {
    try {
      await client.send(action);
      assert.fail("nothing answers");
    } catch (error) {
      if (error instanceof TimeoutError) accepted++;
      else limited = error;
    }
  }
  assert.ok(limited instanceof LimitExceededError, String(limited));
  assert.equal(limited.limit, "maxWriteQueueBytes");
  assert.equal(limited.max, 1000);
  assert.equal(client.pendingActions, 0);
  assert.ok(accepted >= 3, `${accepted} accepted`);
  // The server reads again: every accepted action goes out, within the cap.
  gate.resolve();
  await until(() => written.split("Action: UserEvent").length - 1 === accepted);
  const size = encoder.encode(written).length;
  assert.ok(size <= 1000, `${size} bytes were queued`);
  assert.ok(size + size / accepted > 1000, `${size} bytes: room for one more`);
  await assert.rejects(client.send(action), TimeoutError);
  await client.close();
});

test("AmiClient pings every 30 s by default when it owns the connection, never with a stream pair", async () => {
  const { mock } = await import("node:test");
  mock.timers.enable({ apis: ["setInterval"] });
  try {
    const connector = new FakeConnector({ handler: standardHandler() });
    const client = new AmiClient(connector.connect, {
      ...USER,
      reconnect: false,
    });
    await client.connect();
    const pings = () =>
      connector.servers[0]!.received.filter((m) => m.action === "Ping")
        .length;
    mock.timers.tick(29_999);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(pings(), 0);
    mock.timers.tick(1);
    await until(() => pings() === 1);
    await client.close();

    const { client: paired, server } = await connected();
    mock.timers.tick(60_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(!server.received.some((m) => m.action === "Ping"));
    await paired.close();
  } finally {
    mock.timers.reset();
  }
});
