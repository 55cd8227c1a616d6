// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { AmiMessage } from "../manager/mod.ts";
import { eventPredicate } from "./_ami_events.ts";
import { UsageError } from "./_args.ts";

const hangup = new AmiMessage([
  ["Event", "Hangup"],
  ["Channel", "PJSIP/100-00000001"],
  ["Context", "from-pstn"],
  ["ChanVariable", "A=1"],
  ["ChanVariable", "B=2"],
]);
const newchannel = new AmiMessage([
  ["Event", "Newchannel"],
  ["Channel", "Local/s@x-00000002;1"],
  ["Context", "internal"],
]);

Deno.test({
  name: "eventPredicate matches event names in any case, OR within one filter",
  permissions: "none",
  fn() {
    const test = eventPredicate(["hangup, NEWCHANNEL"])!;
    assert.equal(test(hangup), true);
    assert.equal(test(newchannel), true);
    assert.equal(test(new AmiMessage([["Event", "VarSet"]])), false);
    assert.equal(eventPredicate([]), undefined);
  },
});

Deno.test({
  name: "eventPredicate matches headers with * globs, AND across filters",
  permissions: "none",
  fn() {
    const pstn = eventPredicate(["Hangup,Newchannel", "context=from-*"])!;
    assert.equal(pstn(hangup), true);
    assert.equal(pstn(newchannel), false);
    // Any of a repeated header's values; the rest of the text is literal.
    assert.equal(eventPredicate(["ChanVariable=B=2"])!(hangup), true);
    assert.equal(eventPredicate(["Channel=PJSIP/1.0*"])!(hangup), false);
    assert.equal(eventPredicate(["Channel=*;1"])!(newchannel), true);
    assert.equal(eventPredicate(["Missing=*"])!(hangup), false);
  },
});

Deno.test({
  name: "eventPredicate rejects empty expressions",
  permissions: "none",
  fn() {
    assert.throws(() => eventPredicate([","]), UsageError);
    assert.throws(() => eventPredicate(["=x"]), UsageError);
  },
});
