// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { AmiMessage } from "../manager/mod.ts";
import { buildAction, formatPacket } from "./_ami_action.ts";
import { UsageError } from "./_args.ts";

Deno.test({
  name:
    "buildAction turns KEY=VALUE arguments into headers, repeated keys into arrays",
  permissions: "none",
  fn() {
    assert.deepEqual(
      buildAction("Originate", [
        "Channel=PJSIP/100",
        "Variable=A=1",
        "Variable=B=",
        "Data=x,y=z",
      ]),
      {
        Action: "Originate",
        Channel: "PJSIP/100",
        Variable: ["A=1", "B="],
        Data: "x,y=z",
      },
    );
    assert.throws(() => buildAction("Ping", ["novalue"]), UsageError);
    assert.throws(() => buildAction("Ping", ["=x"]), UsageError);
    assert.throws(() => buildAction("Ping", ["action=Logoff"]), UsageError);
  },
});

Deno.test({
  name: "formatPacket writes AMI text or one JSON line",
  permissions: "none",
  fn() {
    const message = new AmiMessage([
      ["Response", "Success"],
      ["Output", "a: b"],
      ["Output", ""],
      ["", "No categories found"],
    ]);
    assert.equal(
      formatPacket(message, false),
      "Response: Success\nOutput: a: b\nOutput: \nNo categories found\n\n",
    );
    assert.equal(
      formatPacket(message, true),
      '{"Response":"Success","Output":["a: b",""],"":"No categories found"}\n',
    );
  },
});
