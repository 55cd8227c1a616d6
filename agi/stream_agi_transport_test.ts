// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
} from "../errors.ts";
import {
  environmentBlock,
  FakeAsterisk,
} from "../tests/agi/session_fake_asterisk.ts";
import { StreamAgiTransport } from "./stream_agi_transport.ts";

async function started(
  options: ConstructorParameters<typeof StreamAgiTransport>[2] = {},
): Promise<{ fake: FakeAsterisk; transport: StreamAgiTransport }> {
  const fake = new FakeAsterisk();
  const transport = new StreamAgiTransport(fake.readable, fake.writable, {
    environment: true,
    ...options,
  });
  fake.send(environmentBlock());
  await transport.readEnvironment();
  return { fake, transport };
}

/** Whether a promise has settled after pending jobs ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

Deno.test(
  "StreamAgiTransport reads the environment and sends one line per command",
  {
    permissions: "none",
  },
  async () => {
    const { fake, transport } = await started();
    fake.onLine = () => fake.send("200 result=1 (x)\n");
    const reply = await transport.execute("GET VARIABLE X");
    assert.equal(reply.data, "x");
    assert.deepEqual(fake.writes, [
      new TextEncoder().encode("GET VARIABLE X\n"),
    ]);
    await transport.close();
    assert.equal(fake.writableClosed, true);
    assert.equal(fake.readableCancelled, true);
    assert.equal(transport.hungUp, false);
  },
);

Deno.test("StreamAgiTransport keeps bytes that follow the blank line", {
  permissions: "none",
}, async () => {
  const fake = new FakeAsterisk();
  const transport = new StreamAgiTransport(fake.readable, fake.writable, {
    environment: true,
  });
  fake.send(environmentBlock({ agi_network: "yes" }) + "HANGUP\n");
  const env = await transport.readEnvironment();
  assert.equal(env.network, true);
  await transport.hangup;
  assert.equal(transport.hungUp, true);
  await transport.close();
});

Deno.test("StreamAgiTransport fails the environment on bad input", {
  permissions: "none",
}, async (t) => {
  await t.step("input ends before the blank line", async () => {
    const fake = new FakeAsterisk();
    const transport = new StreamAgiTransport(fake.readable, fake.writable, {
      environment: true,
    });
    fake.send("agi_request: x\n");
    fake.end();
    await assert.rejects(transport.readEnvironment(), (error: unknown) => {
      assert.ok(error instanceof ProtocolError);
      assert.match(error.message, /input ended before the blank line/);
      return true;
    });
    await transport.close();
  });
  await t.step("too many lines", async () => {
    const fake = new FakeAsterisk();
    const transport = new StreamAgiTransport(fake.readable, fake.writable, {
      environment: true,
      maxEnvironmentLines: 3,
    });
    fake.send("a: 1\nb: 2\nc: 3\nd: 4\n\n");
    await assert.rejects(transport.readEnvironment(), (error: unknown) => {
      assert.ok(error instanceof LimitExceededError);
      assert.equal(error.limit, "maxEnvironmentLines");
      return true;
    });
    assert.equal(fake.readableCancelled, true);
    await transport.close();
  });
  await t.step("an over-long line", async () => {
    const fake = new FakeAsterisk();
    const transport = new StreamAgiTransport(fake.readable, fake.writable, {
      environment: true,
      maxLineBytes: 32,
    });
    fake.send(`agi_request: ${"x".repeat(64)}\n\n`);
    await assert.rejects(transport.readEnvironment(), LimitExceededError);
    await transport.close();
  });
  await t.step("the signal aborts", async () => {
    const fake = new FakeAsterisk();
    const transport = new StreamAgiTransport(fake.readable, fake.writable, {
      environment: true,
    });
    const controller = new AbortController();
    const reading = transport.readEnvironment(controller.signal);
    controller.abort(new Error("gave up"));
    await assert.rejects(reading, /gave up/);
    assert.equal(fake.readableCancelled, true);
    await transport.close();
  });
  await t.step("read twice, or without environment: true", async () => {
    const { transport } = await started();
    await assert.rejects(transport.readEnvironment(), TypeError);
    await transport.close();
    const fake = new FakeAsterisk();
    const plain = new StreamAgiTransport(fake.readable, fake.writable);
    await assert.rejects(plain.readEnvironment(), TypeError);
    await plain.close();
  });
});

Deno.test("StreamAgiTransport without environment expects replies at once", {
  permissions: "none",
}, async () => {
  const fake = new FakeAsterisk();
  const transport = new StreamAgiTransport(fake.readable, fake.writable);
  fake.onLine = () => fake.send("200 result=0\n");
  assert.equal((await transport.execute("ANSWER")).result, "0");
  await transport.close();
});

Deno.test("StreamAgiTransport refuses misuse with TypeError", {
  permissions: "none",
}, async () => {
  const fake = new FakeAsterisk();
  const transport = new StreamAgiTransport(fake.readable, fake.writable, {
    environment: true,
  });
  await assert.rejects(
    transport.execute("ANSWER"),
    /environment block was not read yet/,
  );
  fake.send(environmentBlock());
  await transport.readEnvironment();
  for (const line of ["A\nB", "A\rB", "A\0B", "", "failure"]) {
    await assert.rejects(
      transport.execute(line),
      TypeError,
      JSON.stringify(line),
    );
  }
  const first = transport.execute("WAIT FOR DIGIT 1000");
  await assert.rejects(transport.execute("NOOP"), /still in flight/);
  fake.send("200 result=0\n");
  assert.equal((await first).result, "0");
  assert.equal(fake.writes.length, 1);
  // The streams are locked while the transport runs, released after close().
  assert.throws(
    () => new StreamAgiTransport(fake.readable, fake.writable),
    TypeError,
  );
  await transport.close();
  assert.equal(fake.readable.locked, false);
  assert.equal(fake.writable.locked, false);
  assert.throws(
    () =>
      new StreamAgiTransport(
        new FakeAsterisk().readable,
        new FakeAsterisk().writable,
        {
          maxEnvironmentLines: 0,
        },
      ),
    TypeError,
  );
});

Deno.test("StreamAgiTransport notices HANGUP while idle and keeps working", {
  permissions: "none",
}, async () => {
  const { fake, transport } = await started();
  fake.send("HANGUP\n");
  await transport.hangup;
  assert.equal(transport.hungUp, true);
  fake.onLine = () =>
    fake.send(
      "511 Command Not Permitted on a dead channel or intercept routine\n",
    );
  assert.equal((await transport.execute("ANSWER")).code, 511);
  await transport.close();
});

Deno.test("StreamAgiTransport applies a HANGUP before the reply it came with", {
  permissions: "none",
}, async (t) => {
  for (
    const bytes of [
      "200 result=-1\nHANGUP\n",
      "HANGUP\n200 result=-1\n",
      "HANGUP200 result=-1\n",
    ]
  ) {
    await t.step(JSON.stringify(bytes), async () => {
      const { fake, transport } = await started();
      const order: string[] = [];
      transport.hangup.then(() => order.push("hangup"));
      fake.onLine = () => fake.send(bytes);
      const reply = await transport.execute("WAIT FOR DIGIT 5000");
      order.push(`reply ${reply.result}`);
      assert.deepEqual(order, ["hangup", "reply -1"]);
      await transport.close();
    });
  }
});

Deno.test("StreamAgiTransport delivers a final reply without LF before EOF", {
  permissions: "none",
}, async () => {
  const { fake, transport } = await started();
  fake.onLine = () => {
    fake.send("200 result=1");
    fake.end();
  };
  assert.equal((await transport.execute("HANGUP")).result, "1");
  await transport.hangup;
  await transport.close();
});

Deno.test("StreamAgiTransport ends on EOF, errors and its own close", {
  permissions: "none",
}, async (t) => {
  await t.step(
    "EOF while a command waits: connection closed, and a hangup",
    async () => {
      const { fake, transport } = await started();
      const pending = transport.execute("WAIT FOR DIGIT -1");
      fake.end();
      await assert.rejects(pending, (error: unknown) => {
        assert.ok(error instanceof ConnectionClosedError);
        assert.equal(
          error.message,
          'Cannot run AGI command "WAIT FOR DIGIT -1": connection closed',
        );
        return true;
      });
      await transport.hangup;
      await assert.rejects(transport.execute("NOOP"), ConnectionClosedError);
      await transport.close();
    },
  );
  await t.step("a read error: connection lost", async () => {
    const { fake, transport } = await started();
    const pending = transport.execute("NOOP");
    fake.fail(new Error("reset"));
    await assert.rejects(pending, /connection lost/);
    await transport.hangup;
    await transport.close();
  });
  await t.step("a write error", async () => {
    const { fake, transport } = await started();
    fake.failWrites = new Error("EPIPE");
    await assert.rejects(transport.execute("NOOP"), (error: unknown) => {
      assert.ok(error instanceof ConnectionClosedError);
      assert.match(error.message, /write failed/);
      return true;
    });
    await transport.close();
  });
  await t.step("close() while a command waits: no hangup", async () => {
    const { fake, transport } = await started();
    const pending = transport.execute("WAIT FOR DIGIT -1");
    await transport.close();
    await assert.rejects(pending, /transport closed by the client/);
    assert.equal(transport.hungUp, false);
    assert.equal(await settled(transport.hangup), false);
    assert.equal(fake.writableClosed, true);
    await transport.close();
  });
  await t.step("an aborted command closes the transport", async () => {
    const { fake, transport } = await started();
    const controller = new AbortController();
    const pending = transport.execute("WAIT FOR DIGIT -1", controller.signal);
    controller.abort(new Error("stop"));
    await assert.rejects(pending, /stop/);
    // A late reply can no longer be matched: the transport is closed.
    fake.send("200 result=0\n");
    await assert.rejects(transport.execute("NOOP"), ConnectionClosedError);
    assert.equal(transport.hungUp, false);
    await transport.close();
    const aborted = AbortSignal.abort(new Error("already"));
    const { transport: other } = await started();
    await assert.rejects(other.execute("NOOP", aborted), /already/);
    await other.close();
  });
});

Deno.test("StreamAgiTransport closes on input that is no reply", {
  permissions: "none",
}, async (t) => {
  await t.step("a reply with no command in flight", async () => {
    const { fake, transport } = await started();
    fake.send("200 result=0\n");
    await new Promise((resolve) => setTimeout(resolve, 0));
    await assert.rejects(transport.execute("NOOP"), (error: unknown) => {
      assert.ok(error instanceof ConnectionClosedError);
      assert.ok(error.cause instanceof ProtocolError);
      assert.match(error.cause.message, /arrived with no command in flight/);
      return true;
    });
    assert.equal(transport.hungUp, false);
    assert.equal(fake.readableCancelled, true);
    await transport.close();
  });
  await t.step("garbage, NUL and random bytes", async () => {
    for (
      const bytes of [
        "garbage\n",
        "200 result=1 (a\0b)\n",
        "\xff\xfe\x00\x01\n",
      ]
    ) {
      const { fake, transport } = await started();
      fake.onLine = () => fake.send(bytes);
      await assert.rejects(transport.execute("NOOP"), ProtocolError);
      await transport.close();
    }
  });
  await t.step("an over-long line", async () => {
    const { fake, transport } = await started({ maxLineBytes: 100 });
    fake.onLine = () => fake.send(`200 result=1 (${"x".repeat(200)})\n`);
    await assert.rejects(
      transport.execute("GET VARIABLE X"),
      (error: unknown) => {
        assert.ok(error instanceof LimitExceededError);
        assert.equal(error.limit, "maxLineBytes");
        return true;
      },
    );
    await assert.rejects(transport.execute("NOOP"), ConnectionClosedError);
    await transport.close();
  });
  await t.step("an endless usage block", async () => {
    const { fake, transport } = await started({ maxUsageLines: 4 });
    fake.onLine = () =>
      fake.send(
        "520-Invalid command syntax.  Proper usage follows:\n" +
          "x\n".repeat(5),
      );
    await assert.rejects(transport.execute("STREAM FILE"), LimitExceededError);
    await transport.close();
  });
});
