// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Limits of the AGI side, end to end: the FastAGI server over loopback
 * (connections, header size and wait, reply lines, command timeouts) and
 * an AgiSession over in-memory streams (environment lines, usage lines,
 * queued commands, line length).
 */
import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  LimitExceededError,
  TimeoutError,
} from "../../errors.ts";
import { LineSplitter } from "../../_internal/line_splitter.ts";
import { createAgiSession } from "../../agi/create_agi_session.ts";
import {
  type FastAgiErrorContext,
  serveFastAgi,
} from "../../agi/serve_fast_agi.ts";
import { FakeAsterisk, header } from "./_fastagi.ts";

const encoder = new TextEncoder();

function limitError(error: unknown, limit: string, max: number): boolean {
  return error instanceof LimitExceededError && error.limit === limit &&
    error.max === max;
}

interface Reported {
  readonly error: unknown;
  readonly context: FastAgiErrorContext;
}

Deno.test("FastAGI maxConnections: one connection too many is closed at once and reported, the others are served", async () => {
  const reported: Reported[] = [];
  const served: string[] = [];
  await using server = serveFastAgi({
    port: 0,
    maxConnections: 2,
    onError: (error, context) => reported.push({ error, context }),
  }, async (session) => {
    await session.answer();
    served.push(session.env.channel);
  });
  const port = server.addr.port;
  // Two calls stalled half-way through their header hold both slots.
  await using first = await FakeAsterisk.connect(port);
  await using second = await FakeAsterisk.connect(port);
  await first.send("agi_network: yes\n");
  await second.send("agi_network: yes\n");
  while (server.connections < 2) await new Promise((r) => setTimeout(r, 1));
  await using third = await FakeAsterisk.connect(port);
  await third.closedByServer();
  assert.equal(reported.length, 1);
  assert.equal(reported[0]!.context.phase, "accept");
  assert.ok(limitError(reported[0]!.error, "maxConnections", 2));
  // The held calls go on.
  await first.send(header().slice("agi_network: yes\n".length));
  assert.equal(await first.line(), "ANSWER");
  await first.send("200 result=0\n");
  await first.closedByServer();
  assert.deepEqual(served, ["PJSIP/alice-00000001"]);
  second.close();
});

Deno.test("FastAGI maxHeaderBytes: a header block over the limit closes the connection with a LimitExceededError; default 64 KiB", async (t) => {
  for (const [max, size] of [[4096, 5000], [undefined, 70_000]] as const) {
    await t.step(`maxHeaderBytes ${max ?? "default"}`, async () => {
      const reported: Reported[] = [];
      let calls = 0;
      await using server = serveFastAgi({
        port: 0,
        ...(max === undefined ? {} : { maxHeaderBytes: max }),
        onError: (error, context) => reported.push({ error, context }),
      }, () => {
        calls++;
      });
      await using asterisk = await FakeAsterisk.connect(server.addr.port);
      const line = "agi_arg_1: " + "x".repeat(100) + "\n";
      await asterisk.send(line.repeat(Math.ceil(size / line.length)))
        .catch(() => {}); // the server may close while we write
      await asterisk.closedByServer();
      while (server.connections > 0) await new Promise((r) => setTimeout(r, 1));
      assert.equal(calls, 0);
      assert.equal(reported.length, 1);
      assert.equal(reported[0]!.context.phase, "header");
      assert.ok(
        limitError(reported[0]!.error, "maxHeaderBytes", max ?? 65_536),
        String(reported[0]!.error),
      );
    });
  }
});

Deno.test("FastAGI headerTimeoutMs: a peer stalled in its header is closed with a TimeoutError", async () => {
  const reported: Reported[] = [];
  await using server = serveFastAgi({
    port: 0,
    headerTimeoutMs: 100,
    onError: (error, context) => reported.push({ error, context }),
  }, () => {});
  await using asterisk = await FakeAsterisk.connect(server.addr.port);
  await asterisk.send("agi_network: yes\nagi_request: agi://x/");
  const started = performance.now();
  await asterisk.closedByServer();
  const waited = performance.now() - started;
  assert.ok(waited >= 90 && waited < 2000, `closed after ${waited} ms`);
  assert.equal(reported[0]?.context.phase, "header");
  assert.ok(
    reported[0]?.error instanceof TimeoutError &&
      reported[0].error.timeoutMs === 100,
  );
});

Deno.test("FastAGI maxLineBytes and commandTimeoutMs end the call with typed errors and close the connection", async (t) => {
  for (
    const [name, reply, check] of [
      [
        "a reply line over maxLineBytes",
        "200 result=1 (" + "v".repeat(2000) + ")\n",
        (error: unknown) => limitError(error, "maxLineBytes", 1024),
      ],
      [
        "no reply within commandTimeoutMs",
        "",
        (error: unknown) =>
          error instanceof TimeoutError && error.timeoutMs === 100,
      ],
    ] as const
  ) {
    await t.step(name, async () => {
      const outcomes: unknown[] = [];
      await using server = serveFastAgi({
        port: 0,
        maxLineBytes: 1024,
        commandTimeoutMs: 100,
        onError: () => {},
      }, async (session) => {
        try {
          await session.getVariable("BIG");
        } catch (error) {
          outcomes.push(error);
        }
        outcomes.push(session.closed);
      });
      await using asterisk = await FakeAsterisk.connect(server.addr.port);
      await asterisk.send(header());
      assert.equal(await asterisk.line(), "GET VARIABLE BIG");
      if (reply !== "") await asterisk.send(reply);
      await asterisk.closedByServer();
      while (outcomes.length < 2) await new Promise((r) => setTimeout(r, 1));
      assert.ok(check(outcomes[0]), String(outcomes[0]));
      assert.equal(outcomes[1], true);
    });
  }
});

/** An in-memory Asterisk: the environment, then `reply(line)` per command. */
function memoryAsterisk(
  environment: string,
  reply: (line: string) => string | undefined,
): {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(encoder.encode(environment));
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      const text = reply(new TextDecoder().decode(chunk).trimEnd());
      if (text !== undefined) controller.enqueue(encoder.encode(text));
    },
    close() {
      controller.close();
    },
  });
  return { readable, writable };
}

Deno.test("AgiSession maxQueuedCommands: one more than the queue holds rejects with LimitExceededError; default 64", async (t) => {
  for (const max of [2, undefined]) {
    await t.step(`maxQueuedCommands ${max ?? "default"}`, async () => {
      const held: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => release = resolve);
      // Replies go through a second stream once the gate opens.
      const replies = new TransformStream<Uint8Array, Uint8Array>();
      const writer = replies.writable.getWriter();
      const { readable, writable } = memoryAsterisk(
        "agi_request: x\n\n",
        (line) => {
          held.push(line);
          void gate.then(() => writer.write(encoder.encode("200 result=0\n")));
          return undefined;
        },
      );
      const merged = mergeStreams(readable, replies.readable);
      const session = await createAgiSession(merged, writable, {
        ...(max === undefined ? {} : { maxQueuedCommands: max }),
      });
      const limit = max ?? 64;
      // One in flight, `limit` queued behind it.
      const accepted = Array.from(
        { length: limit + 1 },
        (_, i) => session.noop(`n${i}`),
      );
      await assert.rejects(
        session.noop("one too many"),
        (error) => limitError(error, "maxQueuedCommands", limit),
      );
      release();
      await Promise.all(accepted);
      assert.equal(held.length, limit + 1);
      await session.close();
      await writer.close();
    });
  }
});

/** Interleaves two byte streams into one. */
function mergeStreams(
  a: ReadableStream<Uint8Array>,
  b: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  const out = new TransformStream<Uint8Array, Uint8Array>();
  const writer = out.writable.getWriter();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) await writer.write(chunk);
  };
  void Promise.all([pump(a), pump(b)]).then(
    () => writer.close(),
    () => writer.close(),
  ).catch(() => {});
  return out.readable;
}

Deno.test("createAgiSession limits: environment lines (default 1024), line bytes (default 64 KiB), usage lines (default 1024)", async (t) => {
  await t.step("1024 environment lines pass, 1025 fail", async () => {
    const lines = (n: number) =>
      Array.from({ length: n }, (_, i) => `agi_arg_${i + 1}: a\n`).join("") +
      "\n";
    const ok = memoryAsterisk(lines(1024), () => "200 result=0\n");
    const session = await createAgiSession(ok.readable, ok.writable);
    assert.equal(session.env.args.length, 1024);
    await session.close();
    const over = memoryAsterisk(lines(1025), () => "200 result=0\n");
    await assert.rejects(
      createAgiSession(over.readable, over.writable),
      (error) => limitError(error, "maxEnvironmentLines", 1024),
    );
  });
  await t.step(
    "a reply line of 64 KiB passes, one byte more closes the session",
    async () => {
      const value = (n: number) => "v".repeat(n - "200 result=1 ()".length);
      let size = 65_536;
      const asterisk = memoryAsterisk(
        "agi_request: x\n\n",
        () => `200 result=1 (${value(size)})\n`,
      );
      const session = await createAgiSession(
        asterisk.readable,
        asterisk.writable,
      );
      assert.equal(
        (await session.getVariable("X"))?.length,
        value(65_536).length,
      );
      size = 65_537;
      await assert.rejects(
        session.getVariable("X"),
        (error) => limitError(error, "maxLineBytes", 65_536),
      );
      assert.equal(session.closed, true);
      await assert.rejects(session.noop(), ConnectionClosedError);
    },
  );
  await t.step("a usage block of 1025 lines fails", async () => {
    const usage = (n: number) =>
      "520-Invalid command syntax.  Proper usage follows:\n" +
      "u\n".repeat(n) + "520 End of proper usage.\n";
    const asterisk = memoryAsterisk("agi_request: x\n\n", () => usage(1025));
    const session = await createAgiSession(
      asterisk.readable,
      asterisk.writable,
    );
    await assert.rejects(
      session.command("STREAM FILE"),
      (error) => limitError(error, "maxUsageLines", 1024),
    );
    await session.close();
  });
});

Deno.test("LineSplitter holds at most maxLineBytes + 1 bytes of an unterminated line", () => {
  const splitter = new LineSplitter(() => {}, {
    maxLineBytes: 1000,
    onLongLine: () => {},
  });
  const chunk = new Uint8Array(300).fill(0x41);
  let peak = 0;
  for (let i = 0; i < 10_000; i++) {
    splitter.push(chunk);
    peak = Math.max(peak, splitter.pendingBytes);
  }
  assert.ok(peak <= 1001, `held ${peak} bytes`);
});
