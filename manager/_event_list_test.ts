// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { AmiMessage } from "./ami_message.ts";
import { isListEnd, listStart } from "./_event_list.ts";

const m = (...fields: [string, string][]) => new AmiMessage(fields);

Deno.test({
  name:
    "listStart recognises explicit flags in any case, the pre-2.7 heuristic, and no list",
  permissions: "none",
  fn: () => {
    assert.equal(
      listStart(m(["Response", "Success"], ["EventList", "start"])),
      "explicit",
    );
    assert.equal(
      listStart(m(["Response", "Success"], ["EventList", "Start"])),
      "explicit",
    );
    assert.equal(
      listStart(
        m(["Response", "Success"], ["Message", "Channels will follow"]),
      ),
      "heuristic",
    );
    assert.equal(
      listStart(
        m(["Response", "Success"], ["Message", "Command output follows"]),
      ),
      "none",
    );
    assert.equal(
      listStart(m(["Response", "Success"], ["Ping", "Pong"])),
      "none",
    );
    assert.equal(
      listStart(
        m(["Response", "Success"], ["EventList", "Complete"], [
          "Message",
          "x will follow",
        ]),
      ),
      "none",
    );
  },
});

Deno.test({
  name:
    "isListEnd accepts EventList Complete in any case and Complete names without a flag",
  permissions: "none",
  fn: () => {
    assert.ok(
      isListEnd(
        m(["Event", "CoreShowChannelsComplete"], ["EventList", "Complete"]),
      ),
    );
    assert.ok(isListEnd(m(["Event", "Whatever"], ["EventList", "complete"])));
    assert.ok(isListEnd(m(["Event", "WaitEventComplete"])));
    assert.ok(isListEnd(m(["Event", "PeerlistComplete"])));
    assert.ok(!isListEnd(m(["Event", "CoreShowChannel"])));
    assert.ok(!isListEnd(m(["Event", "Complete"])));
    assert.ok(
      !isListEnd(m(["Event", "StatusComplete"], ["EventList", "start"])),
    );
    assert.ok(!isListEnd(m(["Response", "Success"])));
  },
});
