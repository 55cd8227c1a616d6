// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Replays the recordings of a real Asterisk (tests/fixtures/transcripts/)
 * against AmiClient: the client must send exactly the recorded bytes (its
 * ActionIDs use the prefix "oracle", like the recording) and make sense of
 * exactly what Asterisk answered.
 */

import assert from "node:assert/strict";
import {
  parseTranscript,
  type TranscriptEntry,
} from "../../astemu/parse_transcript.ts";
import { AmiClient, type AmiClientOptions } from "../../manager/ami_client.ts";
import { amiActions } from "../../manager/ami_actions.ts";
import type { AmiMessage } from "../../manager/ami_message.ts";
import {
  AmiActionError,
  AmiAuthenticationError,
} from "../../manager/errors.ts";
import { TranscriptReplay, until } from "./_fake_ami.ts";

const FIXTURES = new URL("../fixtures/transcripts/", import.meta.url);

async function connections(name: string): Promise<TranscriptEntry[][]> {
  const entries = parseTranscript(
    await Deno.readTextFile(new URL(name, FIXTURES)),
  );
  const parts: TranscriptEntry[][] = [[]];
  for (const entry of entries) {
    if (entry.direction === "note" && entry.text.startsWith("=== connection")) {
      if (parts.at(-1)!.length > 0) parts.push([]);
      continue;
    }
    parts.at(-1)!.push(entry);
  }
  return parts.filter((part) => part.some((e) => e.direction !== "note"));
}

function replayClient(
  entries: TranscriptEntry[],
  options: AmiClientOptions,
): { client: AmiClient; replay: TranscriptReplay; unmatched: AmiMessage[] } {
  const replay = new TranscriptReplay(entries);
  const client = new AmiClient(replay.connection, {
    actionIdPrefix: "oracle",
    ...options,
  });
  const unmatched: AmiMessage[] = [];
  client.addEventListener("unmatched", (e) => unmatched.push(e.detail));
  return { client, replay, unmatched };
}

const ORACLE = { username: "oracle", secret: "oraclepw" } as const;

Deno.test("AmiClient replays ami-plain-login-ping-command.txt byte for byte", async () => {
  const [connection] = await connections("ami-plain-login-ping-command.txt");
  const { client, replay, unmatched } = replayClient(connection!, {
    ...ORACLE,
    authType: "plain",
    events: false,
  });
  await client.connect();
  assert.equal(client.version, "13.0.0");
  const pong = await client.send(amiActions.ping());
  assert.equal(pong.get("Ping"), "Pong");
  assert.match(
    await client.command("core show version"),
    /^Asterisk GIT-master-f0c1c1a7b7 built by root/,
  );
  const dialplan = await client.command("dialplan show echo");
  const lines = dialplan.split("\n");
  assert.equal(lines.length, 9);
  assert.equal(lines[0], "[ Context 'echo' created by 'pbx_config' ]");
  assert.equal(
    lines[2],
    "                    2. Echo()                                     [extensions.conf:50]",
  );
  assert.equal(lines[7], "");
  assert.equal(
    await client.command("core show uptime"),
    "System uptime: 0 seconds\nLast reload: 0 seconds",
  );
  await assert.rejects(
    client.command("oracle no such command"),
    (error: unknown) => {
      assert.ok(error instanceof AmiActionError);
      assert.match(
        error.reply.get("Output")!,
        /^No such command 'oracle no such command'/,
      );
      return true;
    },
  );
  // The recorded Ping without ActionID: its reply reaches no action.
  await assert.rejects(
    client.send({ Action: "OracleNoSuchAction" }),
    (error: unknown) => {
      assert.ok(error instanceof AmiActionError);
      assert.match(
        error.responseMessage!,
        /^Invalid\/unknown command: OracleNoSuchAction\./,
      );
      return true;
    },
  );
  assert.equal(unmatched.length, 1);
  assert.equal(unmatched[0]!.get("Ping"), "Pong");
  assert.equal(unmatched[0]!.actionId, undefined);
  await client.logoff();
  await replay.finished;
  assert.equal(client.state, "closed");
});

Deno.test("AmiClient replays ami-md5-login-and-auth-errors.txt byte for byte", async (t) => {
  const [md5, wrongKey, wrongSecret, beforeLogin, limited] = await connections(
    "ami-md5-login-and-auth-errors.txt",
  );
  await t.step("Challenge/MD5 login", async () => {
    const { client, replay } = replayClient(md5!, { ...ORACLE, events: false });
    await client.connect();
    assert.equal((await client.send({ Action: "Ping" })).get("Ping"), "Pong");
    await client.logoff();
    await replay.finished;
  });
  await t.step("MD5 login with a wrong secret", async () => {
    const { client, replay } = replayClient(wrongKey!, {
      username: "oracle",
      secret: "wrong",
    });
    await assert.rejects(client.connect(), (error: unknown) => {
      assert.ok(error instanceof AmiAuthenticationError);
      assert.equal(error.responseMessage, "Authentication failed");
      assert.ok(!error.message.includes("wrong"));
      return true;
    });
    await replay.finished;
  });
  await t.step("plain login with a wrong secret", async () => {
    const { client, replay } = replayClient(wrongSecret!, {
      username: "oracle",
      secret: "wrong",
      authType: "plain",
    });
    await assert.rejects(client.connect(), AmiAuthenticationError);
    await replay.finished;
  });
  await t.step("actions before login, then an unknown user", async () => {
    const { client, replay } = replayClient(beforeLogin!, {});
    await client.connect();
    await assert.rejects(client.send({ Action: "Ping" }), /Permission denied/);
    await assert.rejects(
      client.sendList({ Action: "CoreShowChannels" }),
      /Permission denied/,
    );
    await assert.rejects(
      client.send({ Action: "Login", Username: "nosuchuser", Secret: "x" }),
      /Authentication failed/,
    );
    await replay.finished;
    await until(() => client.state === "closed");
  });
  await t.step("a user with narrow rights originates and waits", async () => {
    const { client, replay } = replayClient(limited!, {
      username: "limited",
      secret: "limitedpw",
      authType: "plain",
      events: true,
    });
    await client.connect();
    await assert.rejects(
      client.command("core show version"),
      /Permission denied/,
    );
    await assert.rejects(
      client.send(amiActions.getConfig({ Filename: "extensions.conf" })),
      /Permission denied/,
    );
    await client.send(amiActions.ping());
    const events = client.events();
    const queued = Promise.withResolvers<void>();
    const call = client.originate({
      Channel: "Local/s@echo",
      Application: "Wait",
      Data: "1",
      Async: true,
      Variable: { WAITSECS: 1 },
    }, { onQueued: () => queued.resolve() });
    await queued.promise;
    await assert.rejects(
      client.originate({
        Channel: "Local/s@echo",
        Application: "System",
        Data: "true",
        Async: true,
      }),
      /Originate Access Forbidden: app or data blacklisted/,
    );
    const outcome = await call;
    assert.equal(outcome.success, true);
    assert.equal(outcome.reasonText, "answered");
    assert.equal(outcome.channel, "Local/s@echo-00000000;1");
    assert.equal(outcome.uniqueId, "1795693513.0");
    await client.logoff();
    await replay.finished;
    const names: string[] = [];
    for await (const event of events) names.push(event.event!);
    const recorded = limited!.filter((e) =>
      e.direction === "fromAsterisk" && e.text.startsWith("Event: ")
    ).map((e) => e.text.slice(7));
    assert.deepEqual(names, recorded);
    assert.deepEqual(names.slice(0, 4), [
      "Newchannel",
      "Newchannel",
      "LocalBridge",
      "DialBegin",
    ]);
    assert.ok(names.includes("OriginateResponse"));
  });
});

Deno.test("AmiClient replays ami-events-on-login-originate.txt byte for byte", async (t) => {
  const [eventsOn, originate] = await connections(
    "ami-events-on-login-originate.txt",
  );
  await t.step("FullyBooted after a login with events on", async () => {
    const { client, replay } = replayClient(eventsOn!, {
      ...ORACLE,
      authType: "plain",
      events: true,
    });
    const booted = Promise.withResolvers<AmiMessage>();
    client.addEventListener("fullyBooted", (e) => booted.resolve(e.detail));
    const events = client.events();
    await client.connect();
    assert.equal((await booted.promise).get("Status"), "Fully Booted");
    await client.logoff();
    await replay.finished;
    const names: string[] = [];
    for await (const event of events) names.push(event.event!);
    assert.deepEqual(names, ["FullyBooted", "SuccessfulAuth"]);
  });
  await t.step("an async Originate and its event stream", async () => {
    const { client, replay } = replayClient(originate!, {
      ...ORACLE,
      authType: "plain",
      events: "call",
    });
    await client.connect();
    const events = client.events();
    const hangups = client.events({ filter: ["Hangup"] });
    const outcome = await client.originate({
      Channel: "Local/s@echo",
      Application: "Wait",
      Data: "1",
      Async: true,
      CallerID: "Oracle <2002>",
      Variable: { WAITSECS: 1 },
    });
    assert.equal(outcome.success, true);
    assert.equal(outcome.reason, 4);
    await client.logoff();
    await replay.finished;
    const names: string[] = [];
    for await (const event of events) {
      names.push(event.event!);
      if (event.event === "OriginateResponse") {
        assert.equal(event.response, "Success");
        assert.equal(event.kind, "event");
      }
    }
    const recorded = originate!.filter((e) =>
      e.direction === "fromAsterisk" && e.text.startsWith("Event: ")
    ).map((e) => e.text.slice(7));
    assert.deepEqual(names, recorded);
    assert.ok(names.includes("OriginateResponse"));
    let hangupCount = 0;
    for await (const event of hangups) {
      assert.equal(event.event, "Hangup");
      hangupCount++;
    }
    assert.equal(hangupCount, 2);
  });
});

Deno.test("AmiClient replays ami-coreshowchannels.txt byte for byte", async () => {
  const [connection] = await connections("ami-coreshowchannels.txt");
  const { client, replay, unmatched } = replayClient(connection!, {
    ...ORACLE,
    authType: "plain",
    events: false,
  });
  await client.connect();
  const empty = await client.sendList(amiActions.coreShowChannels());
  assert.equal(empty.events.length, 0);
  assert.equal(empty.complete?.get("ListItems"), "0");
  await client.send(amiActions.originate({
    Channel: "Local/s@park",
    Application: "Wait",
    Data: "20",
    Async: true,
    CallerID: '"Oracle One" <1001>',
    Variable: { WAITSECS: 20 },
  }));
  await client.send(amiActions.originate({
    Channel: "Local/s@park",
    Context: "park",
    Exten: "s",
    Priority: 1,
    Async: true,
    Variable: { WAITSECS: 20 },
  }));
  const four = await client.sendList(amiActions.coreShowChannels());
  assert.deepEqual(four.events.map((e) => e.get("Channel")), [
    "Local/s@park-00000002;1",
    "Local/s@park-00000002;2",
    "Local/s@park-00000001;2",
    "Local/s@park-00000001;1",
  ]);
  assert.equal(four.events[2]!.get("CallerIDName"), "Oracle One");
  const status = await client.sendList(
    amiActions.status({ Channel: "Local/s@park-00000002;1" }),
  );
  assert.equal(status.events.length, 1);
  assert.equal(status.events[0]!.get("Seconds"), "1");
  assert.equal(status.complete?.event, "StatusComplete");
  await client.send(amiActions.setvar({
    Channel: "Local/s@park-00000002;1",
    Variable: "ORACLE_AMI",
    Value: "set via AMI",
  }));
  const value = await client.send(amiActions.getvar({
    Channel: "Local/s@park-00000002;1",
    Variable: "ORACLE_AMI",
  }));
  assert.equal(value.get("Value"), "set via AMI");
  assert.equal(
    (await client.send(amiActions.getvar({ Variable: "ORACLE" }))).get("Value"),
    "yes",
  );
  const hung = await client.sendList(
    amiActions.hangup({ Channel: "/^Local\\//" }),
  );
  assert.equal(hung.events.length, 4);
  assert.equal(hung.complete?.event, "ChannelsHungupListComplete");
  assert.equal(
    (await client.sendList(amiActions.coreShowChannels())).events.length,
    0,
  );
  await client.logoff();
  await replay.finished;
  assert.deepEqual(unmatched, []);
});

Deno.test("AmiClient replays ami-getconfig.txt byte for byte", async () => {
  const [connection] = await connections("ami-getconfig.txt");
  const { client, replay } = replayClient(connection!, {
    ...ORACLE,
    authType: "plain",
    events: false,
  });
  await client.connect();
  const json = await client.send(
    amiActions.getConfigJson({ Filename: "extensions.conf" }),
  );
  assert.equal(typeof JSON.parse(json.get("JSON")!), "object");
  const echo = await client.send(
    amiActions.getConfig({ Filename: "extensions.conf", Category: "echo" }),
  );
  assert.equal(echo.get("Category-000000"), "echo");
  await client.send(amiActions.getConfig({ Filename: "oracle-sample.conf" }));
  await client.send(
    amiActions.getConfigJson({ Filename: "oracle-sample.conf" }),
  );
  await client.send(
    amiActions.getConfig({ Filename: "oracle-sample.conf", Category: "alice" }),
  );
  await client.send(
    amiActions.getConfig({
      Filename: "oracle-sample.conf",
      Filter: "TEMPLATES=include",
    }),
  );
  await client.send({
    Action: "ListCategories",
    Filename: "oracle-sample.conf",
  });
  await assert.rejects(
    client.send(amiActions.getConfig({ Filename: "oracle-missing.conf" })),
    AmiActionError,
  );
  await assert.rejects(
    client.send({ Action: "GetConfigJSON" }),
    AmiActionError,
  );
  await client.logoff();
  await replay.finished;
});
