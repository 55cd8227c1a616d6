// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { LimitExceededError, ProtocolError } from "../errors.ts";
import {
  environmentBlock,
  FakeAsterisk,
} from "../tests/agi/session_fake_asterisk.ts";
import { createAgiSession } from "./create_agi_session.ts";

Deno.test("createAgiSession reads the environment split at every offset", {
  permissions: "none",
}, async () => {
  const block = new TextEncoder().encode(
    environmentBlock({ agi_network: "yes", agi_arg_1: "a: b", agi_arg_2: "" }),
  );
  for (let at = 0; at <= block.length; at++) {
    const fake = new FakeAsterisk();
    fake.send(block.slice(0, at));
    fake.send(block.slice(at));
    const session = await createAgiSession(fake.readable, fake.writable);
    assert.deepEqual(session.env.args, ["a: b", ""]);
    assert.equal(session.env.network, true);
    await session.close();
  }
});

Deno.test(
  "createAgiSession passes its options on",
  { permissions: "none" },
  async () => {
    const fake = new FakeAsterisk();
    fake.send(environmentBlock());
    const lines: string[] = [];
    const session = await createAgiSession(fake.readable, fake.writable, {
      maxLineBytes: 64,
      onTrace: (event) => lines.push(event.line),
    });
    fake.onLine = () => fake.send(`200 result=1 (${"x".repeat(100)})\n`);
    await assert.rejects(session.getVariable("X"), LimitExceededError);
    assert.deepEqual(lines, ["GET VARIABLE X"]);
    await session.close();
  },
);

Deno.test(
  "createAgiSession fails cleanly",
  { permissions: "none" },
  async (t) => {
    await t.step("bad options", async () => {
      for (
        const options of [{ maxQueuedCommands: -1 }, { commandTimeoutMs: 0 }]
      ) {
        const fake = new FakeAsterisk();
        fake.send(environmentBlock());
        await assert.rejects(
          createAgiSession(fake.readable, fake.writable, options),
          TypeError,
        );
        assert.equal(fake.readable.locked, false);
      }
    });
    await t.step("a stream that ends inside the block", async () => {
      const fake = new FakeAsterisk();
      fake.send("agi_request: x\n");
      fake.end();
      await assert.rejects(
        createAgiSession(fake.readable, fake.writable),
        ProtocolError,
      );
      assert.equal(fake.readable.locked, false);
    });
    await t.step("an aborted signal while waiting", async () => {
      const fake = new FakeAsterisk();
      const controller = new AbortController();
      const creating = createAgiSession(fake.readable, fake.writable, {
        signal: controller.signal,
      });
      controller.abort(new Error("no Asterisk"));
      await assert.rejects(creating, /no Asterisk/);
      assert.equal(fake.readableCancelled, true);
    });
  },
);
