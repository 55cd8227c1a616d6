// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { AmiMessage } from "./ami_message.ts";
import { AmiMessageDecoder } from "./ami_message_decoder.ts";

function decodeOne(text: string): AmiMessage {
  const messages: AmiMessage[] = [];
  const decoder = new AmiMessageDecoder((m) => messages.push(m), {
    expectBanner: false,
  });
  decoder.push(new TextEncoder().encode(text));
  decoder.end();
  assert.equal(messages.length, 1);
  return messages[0]!;
}

const ORIGINATE_RESPONSE =
  "Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: oracle-5\r\n" +
  "Response: Success\r\nChannel: Local/s@echo-00000000;1\r\nReason: 4\r\n\r\n";

Deno.test("AmiMessage classifies Event before Response before Action", {
  permissions: "none",
}, () => {
  assert.equal(decodeOne(ORIGINATE_RESPONSE).kind, "event");
  assert.equal(
    new AmiMessage([["Response", "Success"], ["Event", "X"]]).kind,
    "event",
  );
  assert.equal(
    new AmiMessage([["Action", "Ping"], ["Response", "Success"]]).kind,
    "response",
  );
  assert.equal(new AmiMessage([["action", "Ping"]]).kind, "action");
  assert.equal(new AmiMessage([["Foo", "bar"]]).kind, "unknown");
  assert.equal(new AmiMessage([]).kind, "unknown");
  const message = decodeOne(ORIGINATE_RESPONSE);
  assert.equal(message.event, "OriginateResponse");
  assert.equal(message.response, "Success");
  assert.equal(message.actionId, "oracle-5");
  assert.equal(message.action, undefined);
});

Deno.test(
  "AmiMessage looks keys up ASCII case-insensitively, first match wins",
  { permissions: "none" },
  () => {
    for (
      const message of [
        decodeOne(
          "Event: A\r\nactionid: 1\r\nACTIONID: 2\r\nChanVariable: x=1\r\nChanVariable: y=2\r\nÉté: 1\r\n\r\n",
        ),
        new AmiMessage([
          ["Event", "A"],
          ["actionid", "1"],
          ["ACTIONID", "2"],
          ["ChanVariable", "x=1"],
          ["ChanVariable", "y=2"],
          ["Été", "1"],
        ]),
      ]
    ) {
      assert.equal(message.actionId, "1");
      assert.equal(message.get("ActionId"), "1");
      assert.deepEqual(message.getAll("actionID"), ["1", "2"]);
      assert.deepEqual(message.getAll("chanvariable"), ["x=1", "y=2"]);
      assert.deepEqual(message.getAll("Nope"), []);
      assert.ok(message.has("CHANVARIABLE"));
      assert.ok(!message.has("ChanVariabl"));
      assert.ok(!message.has("ChanVariables"));
      // Only ASCII letters fold, like Asterisk's strcasecmp.
      assert.equal(message.get("Été"), "1");
      assert.equal(message.get("ÉTÉ"), undefined);
    }
  },
);

Deno.test(
  "AmiMessage gives the same answers for large messages (indexed by a map)",
  { permissions: "none" },
  () => {
    const fields: [string, string][] = [["Response", "Success"]];
    for (let i = 0; i < 200; i++) {
      fields.push([`Line-000000-${String(i).padStart(6, "0")}`, `k=${i}`]);
      fields.push(["Output", `out ${i}`]);
    }
    const text = fields.map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
    for (const message of [new AmiMessage(fields), decodeOne(text)]) {
      assert.equal(message.kind, "response");
      assert.equal(message.get("line-000000-000150"), "k=150");
      assert.equal(message.get("OUTPUT"), "out 0");
      assert.equal(message.getAll("output").length, 200);
      assert.equal(message.getAll("output")[199], "out 199");
      assert.ok(!message.has("Event"));
      assert.equal(message.fields.length, 401);
    }
  },
);

Deno.test(
  'AmiMessage keeps fields in order in a frozen array, with colon-less lines under key ""',
  {
    permissions: "none",
  },
  () => {
    const message = decodeOne(
      "Response: Success\r\nNo categories found\r\nOutput:  x \r\n\r\n",
    );
    assert.deepEqual(message.fields, [["Response", "Success"], [
      "",
      "No categories found",
    ], ["Output", " x "]]);
    assert.equal(message.get(""), "No categories found");
    assert.ok(Object.isFrozen(message.fields));
    assert.equal(message.fields, message.fields);
  },
);

Deno.test(
  "AmiMessage.toObject groups repeated keys into arrays and survives __proto__",
  {
    permissions: "none",
  },
  () => {
    const message = new AmiMessage([
      ["Event", "AgentCalled"],
      ["Variable", "a=1"],
      ["Other", "x"],
      ["Variable", "b=2"],
      ["Variable", "c=3"],
      ["variable", "lower"],
      ["__proto__", "evil"],
      ["constructor", "c"],
    ]);
    const object = message.toObject();
    assert.deepEqual(Object.keys(object), [
      "Event",
      "Variable",
      "Other",
      "variable",
      "__proto__",
      "constructor",
    ]);
    assert.deepEqual(object.Variable, ["a=1", "b=2", "c=3"]);
    assert.equal(object.variable, "lower");
    assert.equal(object["__proto__"], "evil");
    assert.equal(Object.getPrototypeOf(object), Object.prototype);
    assert.equal(object.constructor, "c");
  },
);

Deno.test(
  "AmiMessage copies its input and rejects fields that are not string pairs",
  { permissions: "none" },
  () => {
    const input: [string, string][] = [["Event", "A"]];
    const message = new AmiMessage(input);
    input[0]![1] = "changed";
    input.push(["Extra", "1"]);
    assert.deepEqual(message.fields, [["Event", "A"]]);
    assert.deepEqual(new AmiMessage(new Map([["Event", "B"]])).toObject(), {
      Event: "B",
    });
    for (
      const bad of [[["A"]], [["A", 1]], [null], ["AB"], [["A", "B", "C"]]]
    ) {
      assert.throws(
        () => new AmiMessage(bad as unknown as [string, string][]),
        (error) =>
          error instanceof TypeError &&
          /^Cannot create AMI message: field 0/.test(error.message),
      );
    }
  },
);
