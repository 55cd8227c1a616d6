// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { AgiChannelModel } from "./agi_channel_model.ts";

Deno.test({
  name: "AgiChannelModel reads built-in variables before channel variables",
  permissions: "none",
  fn: () => {
    const call = new AgiChannelModel({
      channel: "SIP/alice-0001",
      context: "from-internal",
      extension: "100",
      priority: 3,
      variables: { CHANNEL: "shadowed", FOO: "bar" },
    });
    assert.equal(call.type, "SIP");
    assert.equal(call.getVariable("CHANNEL"), "SIP/alice-0001");
    assert.equal(call.getVariable("CONTEXT"), "from-internal");
    assert.equal(call.getVariable("EXTEN"), "100");
    assert.equal(call.getVariable("PRIORITY"), "3");
    assert.equal(call.getVariable("FOO"), "bar");
    // Names are case-sensitive.
    assert.equal(call.getVariable("foo"), undefined);
    assert.match(call.getVariable("EPOCH")!, /^\d{10,}$/);
  },
});

Deno.test({
  name: "AgiChannelModel reads and writes CALLERID() like Asterisk",
  permissions: "none",
  fn: () => {
    const call = new AgiChannelModel();
    assert.equal(call.getVariable("CALLERID(all)"), "");
    assert.equal(call.getVariable("CALLERID(num)"), "");
    call.setVariable("CALLERID(num)", "5551234");
    assert.equal(call.getVariable("CALLERID(all)"), "5551234");
    call.setVariable("CALLERID(name)", 'Bob "B" Smith');
    assert.equal(
      call.getVariable("CALLERID(all)"),
      '"Bob \\"B\\" Smith" <5551234>',
    );
    call.setVariable("CALLERID(all)", '"Carol" <555-12 34>');
    assert.equal(call.callerIdName, "Carol");
    assert.equal(call.callerIdNum, "5551234");
  },
});

Deno.test({
  name: "AgiChannelModel.setCallerId follows ast_callerid_parse",
  permissions: "none",
  fn: async (t) => {
    const cases: [string, string, string][] = [
      ['"Oracle Test" <5551234>', "Oracle Test", "5551234"],
      ["Oracle Test <5551234>", "Oracle Test", "5551234"],
      // Only a name: the number becomes empty, CALLERID(all) shows <>.
      ["Oracle Test", "Oracle Test", ""],
      ["(555) 123-4567", "", "5551234567"],
      ["<5551234>", "", "5551234"],
      ['"Q \\"x\\"" <1>', 'Q "x"', "1"],
    ];
    for (const [input, name, number] of cases) {
      await t.step(input, () => {
        const call = new AgiChannelModel({
          callerIdNum: "999",
          callerIdName: "Old",
        });
        call.setCallerId(input);
        assert.equal(call.callerIdName, name);
        assert.equal(call.callerIdNum, number);
      });
    }
    const call = new AgiChannelModel({ callerIdNum: "1", callerIdName: "x" });
    call.setCallerId("Oracle Test");
    assert.equal(call.getVariable("CALLERID(all)"), '"Oracle Test" <>');
  },
});

Deno.test({
  name: "AgiChannelModel.expand substitutes nested references and substrings",
  permissions: "none",
  fn: () => {
    const call = new AgiChannelModel({
      channel: "Local/a@b-0001;2",
      variables: { A: "hello world", WHICH: "A", N: "3" },
      database: { "cf/100": "5550100" },
    });
    assert.equal(
      call.expand("${CHANNEL}-${A}"),
      "Local/a@b-0001;2-hello world",
    );
    assert.equal(call.expand("${${WHICH}}"), "hello world");
    assert.equal(call.expand("${A:6}"), "world");
    assert.equal(call.expand("${A:0:5}"), "hello");
    assert.equal(call.expand("${A:-5}"), "world");
    assert.equal(call.expand("${A:0:-6}"), "hello");
    assert.equal(call.expand("${LEN(${A})}"), "11");
    assert.equal(call.expand("${DB(cf/100)}"), "5550100");
    assert.equal(call.expand("${DB_EXISTS(cf/200)}"), "0");
    assert.equal(call.expand("${TOUPPER(${A:0:${N}})}"), "HEL");
    assert.equal(call.expand("${UNSET}|${CHANNEL(language)}"), "|en");
    assert.equal(call.expand("no refs $[1+1]"), "no refs $[1+1]");
    assert.equal(call.expand("${A"), "hello world");
  },
});

Deno.test({
  name: "AgiChannelModel runs built-in applications",
  permissions: "none",
  fn: () => {
    const call = new AgiChannelModel();
    const run = (name: string, data: string) =>
      call.applications.get(name)!(call, data);
    assert.equal(run("set", "X=1=2"), 0);
    assert.equal(call.variables.get("X"), "1=2");
    assert.equal(run("playback", "beep&nope,noanswer"), 0);
    assert.deepEqual(call.played, ["beep"]);
    assert.equal(call.variables.get("PLAYBACKSTATUS"), "FAILED");
    assert.equal(run("verbose", "2,hi, there"), 0);
    assert.deepEqual(call.verbose, [{
      message: "hi, there",
      level: 2,
      line: "hi, there",
    }]);
    assert.equal(call.answered, false);
    run("answer", "");
    assert.equal(call.answered, true);
    assert.equal(call.state, 6);
    assert.equal(call.hangupRequested, false);
    assert.equal(run("hangup", ""), -1);
    assert.equal(call.hangupRequested, true);
  },
});
