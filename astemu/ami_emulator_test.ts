// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { ConnectionClosedError } from "../errors.ts";
import { MemoryAmiClient } from "../tests/astemu/_memory_client.ts";
import { AmiEmulator, type AmiEmulatorOptions } from "./ami_emulator.ts";

const none = { permissions: "none" } as const;

function setup(options: AmiEmulatorOptions = {}) {
  const emulator = new AmiEmulator({
    authFailureDelayMs: 0,
    timeScale: 0.001,
    ...options,
  });
  const client = new MemoryAmiClient(emulator);
  return {
    emulator,
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
      await emulator.close();
    },
  };
}

Deno.test(
  "AmiEmulator greets with the configured version and refuses actions before login",
  none,
  async () => {
    await using t = setup({ version: "2.10.4" });
    await t.client.until(() => t.client.version !== undefined);
    assert.equal(t.client.version, "2.10.4");
    const denied = await t.client.action("Action: CoreShowChannels\n\n", "x");
    assert.deepEqual(denied.toObject(), {
      Response: "Error",
      ActionID: "x",
      Message: "Permission denied",
    });
    const missing = await t.client.action("Foo: bar\n\n", "y");
    assert.equal(missing.get("Message"), "Missing action in request");
  },
);

Deno.test(
  "AmiEmulator logs in with MD5 and reuses the challenge",
  none,
  async () => {
    const { md5Hex } = await import("../_internal/md5.ts");
    await using t = setup({ users: { bob: { secret: "pw" } } });
    const first = await t.client.action(
      "Action: Challenge\nAuthType: md5\n\n",
      "c1",
    );
    const second = await t.client.action(
      "Action: Challenge\nAuthType: MD5\n\n",
      "c2",
    );
    const challenge = first.get("Challenge")!;
    assert.match(challenge, /^\d+$/);
    assert.equal(second.get("Challenge"), challenge);
    const bad = await t.client.action(
      "Action: Challenge\nAuthType: plain\n\n",
      "c3",
    );
    assert.equal(bad.get("Message"), "Must specify AuthType");
    const login = await t.client.action(
      `Action: Login\nAuthType: MD5\nUsername: bob\nKey: ${
        md5Hex(challenge + "pw")
      }\nEvents: off\n\n`,
      "l",
    );
    assert.equal(login.get("Message"), "Authentication accepted");
    assert.equal(t.client.session.username, "bob");
    const again = await t.client.action(
      "Action: Login\nUsername: bob\nSecret: pw\n\n",
      "l2",
    );
    assert.equal(again.get("Message"), "Already authenticated");
  },
);

Deno.test("AmiEmulator closes after a wrong MD5 key", none, async () => {
  await using t = setup();
  await t.client.action("Action: Challenge\nAuthType: MD5\n\n", "c");
  const login = await t.client.action(
    "Action: Login\nAuthType: MD5\nUsername: admin\nKey: 00\n\n",
    "l",
  );
  assert.equal(login.get("Message"), "Authentication failed");
  await t.client.session.closed;
  assert.equal(t.client.session.closeReason, "authentication failed");
  await t.client.until(() => t.client.eof);
});

Deno.test(
  "AmiEmulator sends FullyBooted only when system events are wanted and readable",
  none,
  async (t) => {
    for (
      const [events, read, expected] of [
        ["on", "all", true],
        ["system", "all", true],
        ["call", "all", false],
        ["off", "all", false],
        ["on", "call", false],
        ["", "all", true],
      ] as const
    ) {
      await t.step(`Events: ${events} with read=${read}`, async () => {
        await using s = setup({ users: { u: { secret: "p", read } } });
        await s.client.login(events, "u", "p");
        await s.client.action("Action: Ping\n\n", "after");
        assert.equal(
          s.client.packets.some((m) => m.event === "FullyBooted"),
          expected,
        );
      });
    }
  },
);

Deno.test(
  "AmiEmulator applies event masks, read permissions and the Events action",
  none,
  async () => {
    await using t = setup({
      users: {
        admin: { secret: "admin" },
        caller: { secret: "c", read: "call" },
      },
    });
    const other = new MemoryAmiClient(t.emulator);
    try {
      await t.client.login("call");
      await other.login("on", "caller", "c");
      assert.equal(t.emulator.emit({ Event: "A" }), 2);
      assert.equal(t.emulator.emit({ Event: "B" }, { category: "agent" }), 0);
      assert.equal(t.emulator.emit({ Event: "C", Privilege: "system,all" }), 0);
      assert.equal(
        t.emulator.emit({ Event: "D", Privilege: "call,all" }, {
          session: other.session,
        }),
        1,
      );
      assert.equal(
        t.emulator.emit({ Event: "E" }, {
          category: "agent",
          ignoreMask: true,
        }),
        2,
      );
      const off = await t.client.action(
        "Action: Events\nEventMask: off\n\n",
        "e1",
      );
      assert.equal(off.get("Events"), "Off");
      assert.equal(t.emulator.emit({ Event: "F" }), 1);
      const on = await t.client.action(
        "Action: Events\nEventMask: call,agent\n\n",
        "e2",
      );
      assert.equal(on.get("Events"), "On");
      const bad = await t.client.action("Action: Events\n\n", "e3");
      assert.equal(bad.get("Message"), "Invalid event mask");
      assert.equal(t.emulator.emit({ Event: "G" }, { category: "agent" }), 1);
      await t.client.action("Action: Ping\n\n", "sync");
      await other.action("Action: Ping\n\n", "sync");
      const names = (c: MemoryAmiClient) =>
        c.packets.map((m) => m.event).filter((e) => e !== undefined);
      assert.deepEqual(names(t.client), ["A", "E", "G"]);
      assert.deepEqual(names(other), ["A", "D", "E", "F"]);
      assert.equal(
        t.client.packets.find((m) => m.event === "A")!.get("Privilege"),
        "call,all",
      );
    } finally {
      await other.close();
    }
  },
);

Deno.test(
  "AmiEmulator filters events per session with the Filter action",
  none,
  async () => {
    await using t = setup();
    await t.client.login("on");
    const added = await t.client.action(
      "Action: Filter\nOperation: Add\nFilter: Event: Keep\n\n",
      "f1",
    );
    assert.equal(added.get("Message"), "Success");
    await t.client.action(
      "Action: Filter\nOperation: Add\nFilter: !Drop: yes\n\n",
      "f2",
    );
    const broken = await t.client.action(
      "Action: Filter\nOperation: Add\nFilter: (\n\n",
      "f3",
    );
    assert.match(broken.get("Message")!, /^Filter did not compile/);
    const unknown = await t.client.action(
      "Action: Filter\nOperation: Remove\n\n",
      "f4",
    );
    assert.equal(unknown.get("Message"), "Unknown operation");
    t.emulator.emit({ Event: "Keep", N: 1 });
    t.emulator.emit({ Event: "Other" });
    t.emulator.emit({ Event: "Keep", Drop: "yes" });
    await t.client.action("Action: Ping\n\n", "sync");
    const seen = t.client.packets.filter((m) =>
      m.event === "Keep" || m.event === "Other"
    );
    assert.deepEqual(seen.map((m) => m.get("N")), ["1"]);
  },
);

Deno.test(
  "AmiEmulator enforces write permissions per action",
  none,
  async () => {
    await using t = setup({
      users: { limited: { secret: "l", read: "call", write: "originate" } },
    });
    await t.client.login("off", "limited", "l");
    const denied = [
      "Command\nCommand: core show version",
      "GetConfig\nFilename: x",
      "DBPut",
      "Setvar",
    ];
    for (const [i, action] of denied.entries()) {
      const reply = await t.client.action(`Action: ${action}\n\n`, `d${i}`);
      assert.equal(reply.get("Message"), "Permission denied", action);
    }
    const ping = await t.client.action("Action: Ping\n\n", "p");
    assert.equal(ping.get("Ping"), "Pong");
    const system = await t.client.action(
      "Action: Originate\nChannel: Local/s@x\nApplication: System\nData: true\nAsync: true\n\n",
      "o",
    );
    assert.equal(
      system.get("Message"),
      "Originate Access Forbidden: app or data blacklisted",
    );
  },
);

Deno.test(
  "AmiEmulator answers unknown actions like Asterisk",
  none,
  async () => {
    await using t = setup();
    await t.client.login();
    const reply = await t.client.action("Action: NoSuchThing\n\n", "u");
    assert.equal(
      reply.get("Message"),
      "Invalid/unknown command: NoSuchThing. Use Action: ListCommands to show available commands.",
    );
    const list = await t.client.action("Action: ListCommands\n\n", "lc");
    assert.equal(list.get("Ping"), "Keepalive command. (Priv: <none>)");
    assert.equal(list.get("Originate"), "Originate a call. (Priv: originate)");
  },
);

Deno.test(
  "AmiEmulator runs Command with configured output, errors and the legacy form",
  none,
  async () => {
    await using t = setup({
      commands: {
        "sip show peers": "Name  Host\n\n2 peers\n",
        "bad one": { output: "Failed", error: true },
        "echo": (line) => `you said: ${line}`,
      },
    });
    await t.client.login();
    const peers = await t.client.action(
      "Action: Command\nCommand: SIP  show peers\n\n",
      "c1",
    );
    assert.equal(peers.response, "Success");
    assert.equal(peers.get("Message"), "Command output follows");
    assert.deepEqual(peers.getAll("Output"), ["Name  Host", "", "2 peers"]);
    assert.equal(
      (await t.client.action("Action: Command\nCommand: bad one\n\n", "c2"))
        .response,
      "Error",
    );
    assert.deepEqual(
      (await t.client.action("Action: Command\nCommand: echo\n\n", "c3"))
        .getAll("Output"),
      [
        "you said: echo",
      ],
    );
    const unknown = await t.client.action(
      "Action: Command\nCommand: sip frob it\n\n",
      "c4",
    );
    assert.deepEqual(unknown.getAll("Output"), [
      "No such command 'sip frob it' (type 'core show help sip frob' for other possible commands)",
    ]);
    const blacklisted = await t.client.action(
      "Action: Command\nCommand: Module unload chan_sip.so\n\n",
      "c5",
    );
    assert.equal(blacklisted.get("Message"), "Command blacklisted");
    const empty = await t.client.action("Action: Command\n\n", "c6");
    assert.equal(empty.get("Message"), "No command provided");
    assert.match(
      (await t.client.action(
        "Action: Command\nCommand: core show version\n\n",
        "c7",
      )).get("Output")!,
      /^Asterisk GIT-master-astemu built by/,
    );
  },
);

Deno.test(
  "AmiEmulator can answer Command in the legacy Response: Follows form",
  none,
  async () => {
    await using t = setup({
      commandStyle: "follows",
      commands: { "x": "one\n\ntwo: 2" },
    });
    await t.client.login();
    const reply = await t.client.action("Action: Command\nCommand: x\n\n", "c");
    assert.deepEqual(reply.toObject(), {
      Response: "Follows",
      Privilege: "Command",
      ActionID: "c",
      Output: ["one", "", "two: 2"],
    });
    const raw = new TextDecoder().decode(t.client.chunks.at(-1));
    assert.ok(
      raw.endsWith("ActionID: c\r\none\n\ntwo: 2\n--END COMMAND--\r\n\r\n"),
      raw,
    );
  },
);

Deno.test(
  "AmiEmulator originates calls: events, OriginateResponse with the ActionID, channels, hangup",
  none,
  async () => {
    await using t = setup();
    await t.client.login("on");
    const reply = await t.client.action(
      'Action: Originate\nChannel: Local/100@from-internal\nApplication: Playback\nData: hello\nAsync: yes\nCallerID: "Ann" <200>\nVariable: A=1,B=x\\,y\nVariable: C=3\n\n',
      "o1",
    );
    assert.equal(reply.get("Message"), "Originate successfully queued");
    await t.client.until(() =>
      t.client.packets.some((m) => m.event === "OriginateResponse")
    );
    const events = t.client.packets.filter((m) => m.event !== undefined).map((
      m,
    ) => m.event);
    assert.deepEqual(events.slice(events.indexOf("Newchannel")), [
      "Newchannel",
      "Newchannel",
      "VarSet",
      "VarSet",
      "VarSet",
      "NewCallerid",
      "NewConnectedLine",
      "NewCallerid",
      "NewConnectedLine",
      "LocalBridge",
      "DialBegin",
      "Newstate",
      "Newstate",
      "DialEnd",
      "OriginateResponse",
      "DeviceStateChange",
    ]);
    const response = t.client.packets.find((m) =>
      m.event === "OriginateResponse"
    )!;
    assert.equal(response.kind, "event");
    assert.equal(response.actionId, "o1");
    assert.equal(response.response, "Success");
    assert.equal(response.get("Reason"), "4");
    assert.equal(response.get("CallerIDName"), "Ann");
    const varsets = t.client.packets.filter((m) => m.event === "VarSet");
    assert.deepEqual(
      varsets.map((m) => `${m.get("Variable")}=${m.get("Value")}`),
      ["A=1", "B=x,y", "C=3"],
    );
    assert.equal(varsets[0]!.get("Privilege"), "dialplan,all");
    const channels = t.emulator.channels;
    assert.deepEqual(channels.map((c) => c.name), [
      "Local/100@from-internal-00000000;1",
      "Local/100@from-internal-00000000;2",
    ]);
    assert.deepEqual(channels[0]!.variables, { A: "1", B: "x,y", C: "3" });
    const getvar = await t.client.action(
      "Action: Getvar\nChannel: Local/100@from-internal-00000000;1\nVariable: B\n\n",
      "g",
    );
    assert.equal(getvar.get("Value"), "x,y");
    assert.ok(t.emulator.hangup("Local/100@from-internal-00000000;2"));
    assert.deepEqual(t.emulator.channels, []);
    assert.ok(!t.emulator.hangup("Local/100@from-internal-00000000;2"));
    await t.client.action("Action: Ping\n\n", "sync");
    assert.equal(
      t.client.packets.filter((m) => m.event === "Hangup").length,
      2,
    );
  },
);

Deno.test(
  "AmiEmulator originate hook: failures, synchronous calls and automatic hangup",
  none,
  async () => {
    const outcomes = ["busy", "failure", "answer"] as const;
    let call = 0;
    await using t = setup({
      originate: (request) => {
        assert.equal(request.channel, "PJSIP/100");
        return { result: outcomes[call++]!, hangupAfterMs: 5 };
      },
    });
    await t.client.login("call");
    await t.client.action(
      "Action: Originate\nChannel: PJSIP/100\nContext: c\nExten: 1\nPriority: 1\nAsync: true\n\n",
      "busy",
    );
    await t.client.until(() =>
      t.client.answering("busy").some((m) => m.event === "OriginateResponse")
    );
    const busy = t.client.answering("busy").find((m) =>
      m.event === "OriginateResponse"
    )!;
    assert.deepEqual([
      busy.response,
      busy.get("Reason"),
      busy.get("Uniqueid"),
      busy.get("Channel"),
    ], [
      "Failure",
      "5",
      "<null>",
      "PJSIP/100",
    ]);
    assert.equal(busy.get("Context"), "c");
    const sync = await t.client.action(
      "Action: Originate\nChannel: PJSIP/100\nApplication: Echo\n\n",
      "sync-fail",
    );
    assert.deepEqual([sync.response, sync.get("Message")], [
      "Error",
      "Originate failed",
    ]);
    const ok = await t.client.action(
      "Action: Originate\nChannel: PJSIP/100\nApplication: Echo\n\n",
      "sync-ok",
    );
    assert.equal(ok.get("Message"), "Originate successfully queued");
    // Synchronous: the channel's events came before the response, and no OriginateResponse.
    const okAt = t.client.packets.indexOf(ok);
    assert.ok(
      t.client.packets.slice(0, okAt).some((m) =>
        m.event === "DialEnd" && m.get("DialStatus") === "ANSWER"
      ),
    );
    assert.ok(
      !t.client.packets.some((m) =>
        m.event === "OriginateResponse" && m.actionId === "sync-ok"
      ),
    );
    await t.client.until(() => t.emulator.channels.length === 0);
    for (
      const [headers, message] of [
        ["", "Channel not specified"],
        ["Channel: nodash\nApplication: Echo", "Invalid channel"],
        [
          "Channel: PJSIP/1\nExten: 1",
          "Originate with 'Exten' requires 'Context' and 'Priority'",
        ],
        [
          "Channel: PJSIP/1\nApplication: Echo\nTimeout: soon",
          "Invalid timeout",
        ],
      ] as const
    ) {
      const reply = await t.client.action(
        `Action: Originate\n${headers}${headers ? "\n" : ""}\n`,
        message,
      );
      assert.equal(reply.get("Message"), message);
    }
  },
);

Deno.test(
  "AmiEmulator lists channels with CoreShowChannels, Status and Hangup by regex",
  none,
  async () => {
    await using t = setup({
      timeScale: 1,
      dialplan: { "s@park": { application: "Wait", data: "20", priority: 3 } },
    });
    await t.client.login();
    for (const id of ["a", "b"]) {
      await t.client.action(
        "Action: Originate\nChannel: Local/s@park\nApplication: Wait\nData: 20\nAsync: 1\n\n",
        id,
      );
    }
    await t.client.until(() => t.emulator.channels.length === 4);
    await t.client.action("Action: CoreShowChannels\n\n", "list");
    await t.client.until(() =>
      t.client.answering("list").some((m) =>
        m.event === "CoreShowChannelsComplete"
      )
    );
    const items = t.client.answering("list").filter((m) =>
      m.event === "CoreShowChannel"
    );
    assert.equal(items.length, 4);
    assert.equal(t.client.answering("list").at(-1)!.get("ListItems"), "4");
    const half = items.find((m) => m.get("Channel")!.endsWith(";2"))!;
    assert.deepEqual([
      half.get("Application"),
      half.get("ApplicationData"),
      half.get("Priority"),
    ], ["Wait", "20", "3"]);
    const status = await t.client.action(
      "Action: Status\nChannel: Local/s@park-00000001;1\nVariables: X\n\n",
      "st",
    );
    assert.equal(status.get("EventList"), "start");
    await t.client.until(() =>
      t.client.answering("st").some((m) => m.event === "StatusComplete")
    );
    const complete = t.client.answering("st").at(-1)!;
    assert.deepEqual([complete.get("ListItems"), complete.get("Items")], [
      "1",
      "1",
    ]);
    const item = t.client.answering("st").find((m) => m.event === "Status")!;
    assert.equal(item.fields.at(-1)![0], "ActionID");
    assert.equal(item.get("Variable"), "X=");
    const nothing = await t.client.action(
      "Action: Status\nChannel: nope\n\n",
      "st2",
    );
    assert.equal(nothing.get("Message"), "No such channel");
    await t.client.action("Action: Hangup\nChannel: /;2$/\n\n", "h");
    await t.client.until(() =>
      t.client.answering("h").some((m) =>
        m.event === "ChannelsHungupListComplete"
      )
    );
    assert.equal(
      t.client.answering("h").filter((m) => m.event === "ChannelHungup").length,
      2,
    );
    assert.deepEqual(t.emulator.channels, []);
    const gone = await t.client.action(
      "Action: Hangup\nChannel: Local/s@park-00000001;1\n\n",
      "h2",
    );
    assert.equal(gone.get("Message"), "No such channel");
  },
);

Deno.test(
  "AmiEmulator keeps global variables and the AstDB",
  none,
  async () => {
    await using t = setup({
      variables: { G: "1" },
      database: { "fam/k": "v" },
    });
    await t.client.login();
    assert.equal(
      (await t.client.action("Action: Getvar\nVariable: G\n\n", "g1")).get(
        "Value",
      ),
      "1",
    );
    await t.client.action("Action: Setvar\nVariable: G\nValue: 2\n\n", "s1");
    assert.equal(t.emulator.variables.get("G"), "2");
    assert.equal(
      (await t.client.action("Action: Getvar\nVariable: MISSING\n\n", "g2"))
        .get("Value"),
      "",
    );
    assert.equal(
      (await t.client.action("Action: Getvar\n\n", "g3")).get("Message"),
      "No variable specified",
    );
    const put = await t.client.action(
      "Action: DBPut\nFamily: fam\nKey: k2\nVal: hello world\n\n",
      "p",
    );
    assert.equal(put.get("Message"), "Updated database successfully");
    await t.client.action("Action: DBGet\nFamily: fam\nKey: k2\n\n", "d");
    await t.client.until(() =>
      t.client.answering("d").some((m) => m.event === "DBGetComplete")
    );
    assert.equal(
      t.client.answering("d").find((m) => m.event === "DBGetResponse")!.get(
        "Val",
      ),
      "hello world",
    );
    assert.equal(t.emulator.database.get("fam/k2"), "hello world");
    assert.equal(
      (await t.client.action("Action: DBDel\nFamily: fam\nKey: k\n\n", "x"))
        .response,
      "Success",
    );
    assert.equal(
      (await t.client.action("Action: DBGet\nFamily: fam\nKey: k\n\n", "y"))
        .get("Message"),
      "Database entry not found",
    );
    assert.equal(
      (await t.client.action("Action: DBGet\nKey: k\n\n", "z")).get("Message"),
      "No family specified.",
    );
  },
);

Deno.test(
  "AmiEmulator broadcasts UserEvent with every header but Action and UserEvent",
  none,
  async () => {
    await using t = setup();
    const other = new MemoryAmiClient(t.emulator);
    try {
      await t.client.login("user");
      await other.login("on");
      const ack = await t.client.action(
        "Action: UserEvent\nUserEvent: Ping\nFoo: bar\n\n",
        "ue",
      );
      assert.equal(ack.get("Message"), "Event Sent");
      await other.until(() =>
        other.packets.some((m) => m.event === "UserEvent")
      );
      assert.deepEqual(
        other.packets.find((m) => m.event === "UserEvent")!.toObject(),
        {
          Event: "UserEvent",
          Privilege: "user,all",
          UserEvent: "Ping",
          Foo: "bar",
          ActionID: "ue",
        },
      );
    } finally {
      await other.close();
    }
  },
);

Deno.test(
  "AmiEmulator serves GetConfig, GetConfigJSON and ListCategories",
  none,
  async () => {
    await using t = setup({
      configs: {
        "a.conf": [
          { name: "base", isTemplate: true, variables: [["type", "friend"]] },
          {
            name: "alice",
            templates: ["base"],
            variables: [["allow", "ulaw"], ["allow", 'a"b']],
          },
        ],
        "empty.conf": [],
      },
    });
    await t.client.login();
    const config = await t.client.action(
      "Action: GetConfig\nFilename: a.conf\n\n",
      "g",
    );
    assert.deepEqual(config.fields.slice(2), [
      ["Category-000000", "alice"],
      ["Templates-000000", "base"],
      ["Line-000000-000000", "allow=ulaw"],
      ["Line-000000-000001", 'allow=a"b'],
    ]);
    const all = await t.client.action(
      "Action: GetConfig\nFilename: a.conf\nFilter: TEMPLATES=include\n\n",
      "t",
    );
    assert.equal(all.get("IsTemplate-000000"), "1");
    const none = await t.client.action(
      "Action: GetConfig\nFilename: a.conf\nCategory: zed\n\n",
      "n",
    );
    assert.deepEqual(none.fields.at(-1), ["", "No categories found"]);
    const json = await t.client.action(
      "Action: GetConfigJSON\nFilename: a.conf\n\n",
      "j",
    );
    assert.equal(
      json.get("JSON"),
      '{"alice":{"templates":"base","allow":"ulaw","allow":"a\\"b"}}',
    );
    const cats = await t.client.action(
      "Action: ListCategories\nFilename: empty.conf\n\n",
      "l",
    );
    assert.equal(cats.get("Message"), "No categories found");
    assert.equal(
      (await t.client.action("Action: GetConfig\nFilename: nope.conf\n\n", "x"))
        .get("Message"),
      "Config file not found",
    );
  },
);

Deno.test(
  "AmiEmulator scripts actions: fields, lists, events, delays, silence, handler errors",
  none,
  async () => {
    await using t = setup({
      script: {
        Fixed: { Response: "Success", Answer: 42 },
        Chat: [{ Response: "Success" }, { Event: "ChatDone" }],
      },
    });
    t.emulator.handle("Listing", (action) => ({
      list: {
        items: [{ Event: "Item", N: 1 }, { Event: "Item", N: 2 }],
        complete: "ListingComplete",
        message: `For ${action.get("Who")}`,
      },
    }));
    t.emulator.handle("Silent", () => ({ response: null }));
    t.emulator.handle(
      "Slow",
      () => ({ response: { Response: "Success" }, delayMs: 30 }),
    );
    t.emulator.handle("Boom", () => {
      throw new Error("kaboom");
    });
    t.emulator.handle("Ping", () => undefined); // falls through to the built-in
    t.emulator.handle(
      "Closer",
      () => ({ response: { Response: "Goodbye" }, close: true }),
    );
    assert.throws(() => t.emulator.handle("login", () => undefined), TypeError);
    await t.client.login();
    assert.deepEqual(
      (await t.client.action("Action: Fixed\n\n", "f")).toObject(),
      {
        Response: "Success",
        ActionID: "f",
        Answer: "42",
      },
    );
    await t.client.action("Action: Chat\n\n", "c");
    await t.client.until(() =>
      t.client.packets.some((m) => m.event === "ChatDone")
    );
    const ack = await t.client.action("Action: Listing\nWho: me\n\n", "l");
    assert.deepEqual([ack.get("EventList"), ack.get("Message")], [
      "start",
      "For me",
    ]);
    await t.client.until(() =>
      t.client.answering("l").some((m) => m.event === "ListingComplete")
    );
    assert.deepEqual(
      t.client.answering("l").map((m) => m.event ?? m.response),
      ["Success", "Item", "Item", "ListingComplete"],
    );
    await t.client.send("Action: Silent\nActionID: s\n\n");
    const sent = Date.now();
    assert.equal(
      (await t.client.action("Action: Slow\n\n", "slow")).response,
      "Success",
    );
    assert.ok(Date.now() - sent >= 25);
    assert.equal(t.client.answering("s").length, 0);
    const boom = await t.client.action("Action: Boom\n\n", "b");
    assert.equal(
      boom.get("Message"),
      'astemu handler for "Boom" failed: kaboom',
    );
    assert.equal((t.emulator.handlerErrors[0] as Error).message, "kaboom");
    assert.equal(
      (await t.client.action("Action: Ping\n\n", "p")).get("Ping"),
      "Pong",
    );
    await t.client.action("Action: Closer\n\n", "bye");
    await t.client.session.closed;
    assert.equal(t.client.session.closeReason, "closed by handler");
  },
);

Deno.test(
  "AmiEmulator logs actions and lets tests wait for them and for sessions",
  none,
  async () => {
    await using t = setup();
    const waiting = t.emulator.waitForAction("ping");
    await t.client.login();
    await t.client.send(
      "Action: Ping\nActionID: 1\n\nAction: Ping\nActionID: 2\n\n",
    );
    assert.equal((await waiting).action.actionId, "1");
    assert.equal((await t.emulator.waitForAction("Ping")).action.actionId, "2");
    assert.equal(await t.emulator.waitForSession(0), t.client.session);
    assert.deepEqual(t.client.session.actions.map((a) => a.action), [
      "Login",
      "Ping",
      "Ping",
    ]);
    assert.equal(t.emulator.actions.length, 3);
    const controller = new AbortController();
    const never = t.emulator.waitForSession(5, { signal: controller.signal });
    controller.abort(new Error("stop"));
    await assert.rejects(never, /stop/);
  },
);

Deno.test(
  "AmiEmulator rejects bad options and closes cleanly",
  none,
  async () => {
    assert.throws(() => new AmiEmulator({ writeTimeoutMs: -1 }), TypeError);
    assert.throws(
      () => new AmiEmulator({ users: { x: {} as { secret: string } } }),
      TypeError,
    );
    assert.throws(
      () => new AmiEmulator({ replay: "bogus line\n" }),
      SyntaxError,
    );
    const emulator = new AmiEmulator();
    assert.throws(() => emulator.port, /not listening/);
    const client = new MemoryAmiClient(emulator);
    await emulator.close();
    await client.until(() => client.eof);
    assert.equal(client.session.closeReason, "dropped");
    assert.throws(() => emulator.connectInMemory(), TypeError);
    await emulator.close();
  },
);

/** Reads `readable` to its end; the text, or what it failed with. */
async function drain(
  readable: ReadableStream<Uint8Array>,
): Promise<{ text: string; error?: unknown }> {
  const decoder = new TextDecoder();
  let text = "";
  try {
    for await (const chunk of readable) {
      text += decoder.decode(chunk, { stream: true });
    }
    return { text };
  } catch (error) {
    return { text, error };
  }
}

const encoder = new TextEncoder();
const LOGIN =
  "Action: Login\r\nActionID: L\r\nUsername: admin\r\nSecret: admin\r\nEvents: off\r\n\r\n";

Deno.test(
  "AmiEmulator.connectInMemory ends the readable cleanly when the client closes",
  none,
  async () => {
    await using emulator = new AmiEmulator();
    const { readable, writable, session } = emulator.connectInMemory();
    const writer = writable.getWriter();
    const reader = readable.getReader();
    const decoder = new TextDecoder();
    let text = "";
    await writer.write(encoder.encode(LOGIN));
    for (let i = 0; i < 100 && !text.endsWith("accepted\r\n\r\n"); i++) {
      const { value } = await reader.read();
      text += decoder.decode(value);
    }
    assert.match(text, /^Asterisk Call Manager\/13\.0\.0\r\n/);
    assert.match(text, /Message: Authentication accepted\r\n\r\n$/);
    await writer.close();
    // Not `undefined` thrown at the reader: a clean end of stream.
    assert.deepEqual(await reader.read(), { value: undefined, done: true });
    await session.closed;
    assert.equal(session.closeReason, "client closed");
  },
);

Deno.test(
  "AmiEmulator.connectInMemory errors both streams with ConnectionClosedError when the emulator drops the session",
  none,
  async (t) => {
    const drops = {
      "drop()": (e: AmiEmulator) => e.sessions[0]!.drop(),
      "close()": (e: AmiEmulator) => void e.close(),
    };
    for (const [name, drop] of Object.entries(drops)) {
      await t.step(name, async () => {
        await using emulator = new AmiEmulator();
        const { readable, writable, session } = emulator.connectInMemory();
        const writer = writable.getWriter();
        const reading = drain(readable);
        await writer.write(encoder.encode(LOGIN));
        await emulator.waitForAction("Login");
        drop(emulator);
        await session.closed;
        const { text, error } = await reading;
        assert.match(text, /^Asterisk Call Manager/);
        assert.ok(error instanceof ConnectionClosedError, String(error));
        assert.equal(
          error.message,
          'Cannot use AMI emulator session 0: the emulator dropped it ("dropped")',
        );
        await assert.rejects(
          writer.write(encoder.encode("Action: Ping\r\n\r\n")),
          ConnectionClosedError,
        );
      });
    }
  },
);

Deno.test(
  "AmiEmulator.connectInMemory ends the readable cleanly after Logoff, and refuses later writes",
  none,
  async () => {
    await using emulator = new AmiEmulator();
    const { readable, writable, session } = emulator.connectInMemory();
    const writer = writable.getWriter();
    const reading = drain(readable);
    await writer.write(
      encoder.encode(LOGIN + "Action: Logoff\r\nActionID: bye\r\n\r\n"),
    );
    const { text, error } = await reading;
    assert.equal(error, undefined);
    assert.match(text, /Response: Goodbye\r\nActionID: bye\r\n/);
    await session.closed;
    await assert.rejects(
      writer.write(encoder.encode("Action: Ping\r\n\r\n")),
      (e) =>
        e instanceof ConnectionClosedError &&
        e.message ===
          'Cannot use AMI emulator session 0: the emulator closed it ("logoff")',
    );
  },
);

Deno.test(
  "AmiEmulator forgets the oldest actions past maxActionLog",
  none,
  async () => {
    await using t = setup({ maxActionLog: 20 });
    for (let i = 0; i < 50; i++) {
      await t.client.action(`Action: Ping\nActionID: p${i}\n\n`, `p${i}`);
    }
    const log = t.emulator.actions;
    assert.ok(log.length <= 20, `kept ${log.length}`);
    assert.equal(log.at(-1)!.action.get("ActionID"), "p49");
    assert.ok(t.emulator.sessions[0]!.actions.length <= 20);
  },
);

Deno.test(
  "AmiEmulator splits Originate Variable headers like Asterisk's app-args parser",
  none,
  async () => {
    const seen: Record<string, string>[] = [];
    await using t = setup({
      originate: (request) => {
        seen.push({ ...request.variables });
        return { result: "answer", hangupAfterMs: 1 };
      },
    });
    await t.client.login("call");
    await t.client.action(
      "Action: Originate\nChannel: PJSIP/100\nApplication: Echo\nAsync: true\n" +
        'Variable: A=1,B="x, y",C=f(a,b),D=[p,q]\n' +
        "Variable: E=a\\,b\\\\c\n\n",
      "vars",
    );
    await t.client.until(() => seen.length === 1);
    assert.deepEqual(seen[0], {
      A: "1",
      B: "x, y",
      C: "f(a,b)",
      D: "[p,q]",
      E: "a,b\\c",
    });
  },
);
