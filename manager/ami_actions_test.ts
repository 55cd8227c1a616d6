// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { amiActions } from "./ami_actions.ts";
import { formatAmiAction } from "./encode_ami_action.ts";

Deno.test({
  name:
    "amiActions builds every action with Asterisk's action and header names",
  permissions: "none",
  fn: () => {
    const table: [ReturnType<typeof amiActions.ping>, string][] = [
      [
        amiActions.hangup({ Channel: "PJSIP/1-0", Cause: 16 }),
        "Action: Hangup\r\nChannel: PJSIP/1-0\r\nCause: 16\r\n\r\n",
      ],
      [
        amiActions.redirect({
          Channel: "a",
          Exten: "2",
          Context: "c",
          Priority: 1,
          ExtraChannel: "b",
        }),
        "Action: Redirect\r\nChannel: a\r\nExten: 2\r\nContext: c\r\nPriority: 1\r\nExtraChannel: b\r\n\r\n",
      ],
      [
        amiActions.getvar({ Variable: "X" }),
        "Action: Getvar\r\nVariable: X\r\n\r\n",
      ],
      [
        amiActions.setvar({ Variable: "X", Value: "", Channel: "a" }),
        "Action: Setvar\r\nVariable: X\r\nValue: \r\nChannel: a\r\n\r\n",
      ],
      [amiActions.status(), "Action: Status\r\n\r\n"],
      [
        amiActions.status({ Variables: ["A", "B"] }),
        "Action: Status\r\nVariables: A,B\r\n\r\n",
      ],
      [amiActions.coreShowChannels(), "Action: CoreShowChannels\r\n\r\n"],
      [
        amiActions.queueStatus({ Queue: "q" }),
        "Action: QueueStatus\r\nQueue: q\r\n\r\n",
      ],
      [
        amiActions.queueAdd({
          Queue: "q",
          Interface: "PJSIP/1",
          Penalty: 2,
          Paused: false,
        }),
        "Action: QueueAdd\r\nQueue: q\r\nInterface: PJSIP/1\r\nPenalty: 2\r\nPaused: false\r\n\r\n",
      ],
      [
        amiActions.queueRemove({ Queue: "q", Interface: "PJSIP/1" }),
        "Action: QueueRemove\r\nQueue: q\r\nInterface: PJSIP/1\r\n\r\n",
      ],
      [
        amiActions.queuePause({
          Interface: "PJSIP/1",
          Paused: true,
          Reason: "lunch",
        }),
        "Action: QueuePause\r\nInterface: PJSIP/1\r\nPaused: true\r\nReason: lunch\r\n\r\n",
      ],
      [amiActions.pjsipShowEndpoints(), "Action: PJSIPShowEndpoints\r\n\r\n"],
      [
        amiActions.dbGet({ Family: "f", Key: "k" }),
        "Action: DBGet\r\nFamily: f\r\nKey: k\r\n\r\n",
      ],
      [
        amiActions.dbPut({ Family: "f", Key: "k", Val: 1 }),
        "Action: DBPut\r\nFamily: f\r\nKey: k\r\nVal: 1\r\n\r\n",
      ],
      [
        amiActions.dbDel({ Family: "f", Key: "k" }),
        "Action: DBDel\r\nFamily: f\r\nKey: k\r\n\r\n",
      ],
      [
        amiActions.playDtmf({ Channel: "a", Digit: "5", Duration: 250 }),
        "Action: PlayDTMF\r\nChannel: a\r\nDigit: 5\r\nDuration: 250\r\n\r\n",
      ],
      [
        amiActions.atxfer({ Channel: "a", Exten: "200", Context: "c" }),
        "Action: Atxfer\r\nChannel: a\r\nExten: 200\r\nContext: c\r\n\r\n",
      ],
      [
        amiActions.bridge({ Channel1: "a", Channel2: "b", Tone: "Both" }),
        "Action: Bridge\r\nChannel1: a\r\nChannel2: b\r\nTone: Both\r\n\r\n",
      ],
      [
        amiActions.mixMonitor({ Channel: "a", File: "x.wav", Options: "b" }),
        "Action: MixMonitor\r\nChannel: a\r\nFile: x.wav\r\nOptions: b\r\n\r\n",
      ],
      [
        amiActions.stopMixMonitor({ Channel: "a" }),
        "Action: StopMixMonitor\r\nChannel: a\r\n\r\n",
      ],
      [amiActions.reload(), "Action: Reload\r\n\r\n"],
      [
        amiActions.reload({ Module: "res_pjsip.so" }),
        "Action: Reload\r\nModule: res_pjsip.so\r\n\r\n",
      ],
      [
        amiActions.filter({ Filter: "!Event: Newexten" }),
        "Action: Filter\r\nOperation: Add\r\nFilter: !Event: Newexten\r\n\r\n",
      ],
      [
        amiActions.filter({ MatchCriteria: "name(Hangup)" }),
        "Action: Filter\r\nOperation: Add\r\nMatchCriteria: name(Hangup)\r\n\r\n",
      ],
      [amiActions.events(false), "Action: Events\r\nEventMask: off\r\n\r\n"],
      [
        amiActions.events(["call", "agent"]),
        "Action: Events\r\nEventMask: call,agent\r\n\r\n",
      ],
      [
        amiActions.userEvent({ UserEvent: "Deploy", Version: 3 }),
        "Action: UserEvent\r\nUserEvent: Deploy\r\nVersion: 3\r\n\r\n",
      ],
      [amiActions.ping(), "Action: Ping\r\n\r\n"],
      [amiActions.listCommands(), "Action: ListCommands\r\n\r\n"],
      [
        amiActions.getConfig({ Filename: "sip.conf", Category: "general" }),
        "Action: GetConfig\r\nFilename: sip.conf\r\nCategory: general\r\n\r\n",
      ],
      [
        amiActions.getConfigJson({ Filename: "sip.conf" }),
        "Action: GetConfigJSON\r\nFilename: sip.conf\r\n\r\n",
      ],
      [amiActions.coreStatus(), "Action: CoreStatus\r\n\r\n"],
      [amiActions.coreSettings(), "Action: CoreSettings\r\n\r\n"],
      [
        amiActions.moduleCheck({ Module: "chan_pjsip" }),
        "Action: ModuleCheck\r\nModule: chan_pjsip\r\n\r\n",
      ],
      [
        amiActions.moduleLoad({ LoadType: "reload", Module: "app_queue.so" }),
        "Action: ModuleLoad\r\nLoadType: reload\r\nModule: app_queue.so\r\n\r\n",
      ],
      [
        amiActions.agi({
          Channel: "a",
          Command: 'STREAM FILE beep ""',
          CommandID: "7",
        }),
        'Action: AGI\r\nChannel: a\r\nCommand: STREAM FILE beep ""\r\nCommandID: 7\r\n\r\n',
      ],
    ];
    for (const [action, text] of table) {
      assert.equal(formatAmiAction(action), text);
    }
  },
});

Deno.test({
  name:
    "amiActions.originate writes one Variable header per variable and checks its target",
  permissions: "none",
  fn: () => {
    const action = amiActions.originate({
      Channel: "PJSIP/100",
      Application: "Playback",
      Data: "hello-world",
      Variable: { A: "1,2", B: "x=y" },
      Async: true,
    });
    assert.equal(
      formatAmiAction(action),
      "Action: Originate\r\nChannel: PJSIP/100\r\nApplication: Playback\r\nData: hello-world\r\n" +
        // The comma is escaped: Asterisk splits Variable values on commas.
        "Variable: A=1\\,2\r\nVariable: B=x=y\r\nAsync: true\r\n\r\n",
    );
    assert.throws(
      () => amiActions.originate({ Channel: "a" }),
      /either Application or Exten/,
    );
    assert.throws(
      () =>
        amiActions.originate({ Channel: "a", Application: "Wait", Exten: "1" }),
      TypeError,
    );
    assert.throws(
      () => amiActions.originate({ Channel: "", Application: "Wait" }),
      /Channel is required/,
    );
  },
});

Deno.test({
  name: "amiActions.updateConfig numbers its changes with six digits",
  permissions: "none",
  fn: () => {
    const action = amiActions.updateConfig({
      SrcFilename: "a.conf",
      DstFilename: "a.conf",
      Reload: true,
      changes: [
        { Action: "NewCat", Cat: "office" },
        {
          Action: "Append",
          Cat: "office",
          Var: "exten",
          Value: "100,1,NoOp()",
        },
      ],
    });
    assert.equal(
      formatAmiAction(action),
      "Action: UpdateConfig\r\nSrcFilename: a.conf\r\nDstFilename: a.conf\r\nReload: true\r\n" +
        "Action-000000: NewCat\r\nCat-000000: office\r\n" +
        "Action-000001: Append\r\nCat-000001: office\r\nVar-000001: exten\r\nValue-000001: 100,1,NoOp()\r\n\r\n",
    );
    assert.throws(
      () =>
        amiActions.updateConfig({
          SrcFilename: "a",
          DstFilename: "a",
          changes: [],
        }),
      TypeError,
    );
  },
});

Deno.test({
  name: "amiActions rejects missing required headers with TypeError",
  permissions: "none",
  fn: () => {
    assert.throws(
      () => amiActions.hangup({ Channel: "" }),
      /"Hangup": Channel is required/,
    );
    const noExten = { Channel: "a", Context: "c", Priority: 1 };
    // @ts-expect-error: missing Exten
    assert.throws(() => amiActions.redirect(noExten), /Exten/);
    const noValue = { Variable: "X" };
    // @ts-expect-error: missing Value
    assert.throws(() => amiActions.setvar(noValue), /Value is required/);
    assert.throws(() => amiActions.dbGet({ Family: "f", Key: "" }), /Key/);
    assert.throws(() => amiActions.filter({}), /Filter or MatchCriteria/);
    assert.throws(() => amiActions.events(["call,agent"]), TypeError);
    assert.throws(() => amiActions.userEvent({ UserEvent: "" }), TypeError);
    // @ts-expect-error: missing LoadType
    assert.throws(() => amiActions.moduleLoad({ Module: "x" }), /LoadType/);
    assert.ok(Object.isFrozen(amiActions));
  },
});
