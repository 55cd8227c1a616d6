// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { AgiReplyRouter } from "./_agi_reply_router.ts";
import type { AgiReply } from "./agi_reply.ts";
import { AgiReplyDecoder } from "./agi_reply_decoder.ts";

Deno.test({
  name:
    "AgiReplyRouter applies a HANGUP before the reply of the same chunk, and delivers on demand",
  permissions: "none",
  fn: () => {
    const events: string[] = [];
    const router = new AgiReplyRouter(
      new AgiReplyDecoder(),
      () => events.push("hangup"),
    );
    router.start({
      line: "WAIT FOR DIGIT 5000",
      resolve: (reply: AgiReply) => events.push(`reply ${reply.result}`),
      reject: () => events.push("reject"),
    });
    router.line("200 result=-1");
    router.line("HANGUP");
    assert.deepEqual(events, ["hangup"]);
    router.deliver();
    assert.deepEqual(events, ["hangup", "reply -1"]);
    assert.equal(router.pending, undefined);
  },
});

Deno.test({
  name:
    "AgiReplyRouter refuses a reply with no command in flight and clears on demand",
  permissions: "none",
  fn: () => {
    const router = new AgiReplyRouter(new AgiReplyDecoder(), () => {});
    assert.throws(() => router.line("200 result=0"), ProtocolError);
    const pending = {
      line: "NOOP",
      resolve: () => assert.fail("must not resolve"),
      reject: () => {},
    };
    router.start(pending);
    router.line("200 result=0");
    assert.equal(router.clear(), pending);
    router.deliver();
    assert.equal(router.pending, undefined);
  },
});
