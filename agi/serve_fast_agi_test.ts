// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import {
  fastAgiHeader,
  FastAgiPeer,
  playFastAgiCall,
} from "../tests/agi/fastagi_peer.ts";
import type { AgiSession, AgiTraceEvent } from "./agi_session.ts";
import { AgiHangupError } from "./errors.ts";
import {
  type FastAgiErrorContext,
  type FastAgiRequest,
  serveFastAgi,
  type ServeFastAgiOptions,
} from "./serve_fast_agi.ts";

/** Collects what `onError` receives. */
function errorLog(): {
  errors: Array<{ error: unknown; context: FastAgiErrorContext }>;
  onError: (error: unknown, context: FastAgiErrorContext) => void;
  next: () => Promise<{ error: unknown; context: FastAgiErrorContext }>;
} {
  const errors: Array<{ error: unknown; context: FastAgiErrorContext }> = [];
  const waiting: Array<
    (entry: { error: unknown; context: FastAgiErrorContext }) => void
  > = [];
  let taken = 0;
  return {
    errors,
    onError(error, context) {
      const entry = { error, context };
      errors.push(entry);
      waiting.shift()?.(entry);
    },
    next() {
      const index = taken++;
      const entry = errors[index];
      if (entry !== undefined) return Promise.resolve(entry);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** Asserts that nobody accepts calls on `port` any more. */
async function assertRefused(port: number): Promise<void> {
  await assert.rejects(
    (async () => {
      // The kernel may still complete a handshake the closed listener never
      // accepts; the connection is then reset instead of refused.
      using peer = await FastAgiPeer.connect(port);
      await peer.send(fastAgiHeader("x"));
      await peer.readLine(1000);
    })(),
    (error: unknown) =>
      error instanceof Deno.errors.ConnectionRefused ||
      error instanceof Deno.errors.ConnectionReset,
  );
}

function options(extra: ServeFastAgiOptions = {}): ServeFastAgiOptions {
  return { port: 0, ...extra };
}

/** A deferred that tests resolve by hand. */
function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
} {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => resolve = done);
  return { promise, resolve };
}

Deno.test("serveFastAgi routes by script path and hands the query parameters to the handler", async () => {
  const requests: FastAgiRequest[] = [];
  const log = errorLog();
  await using server = serveFastAgi(options({ onError: log.onError }), {
    "oracle-fast": async (session, request) => {
      requests.push(request);
      await session.setVariable("ROUTE", "fast");
    },
    "/sales/ivr/": async (session, request) => {
      requests.push(request);
      await session.setVariable("ROUTE", `ivr ${request.params.get("lang")}`);
    },
  });
  const answer = () => "200 result=1\n";
  assert.deepEqual(
    await playFastAgiCall(
      server.addr.port,
      fastAgiHeader("oracle-fast?mode=test&n=1"),
      answer,
    ),
    ["SET VARIABLE ROUTE fast"],
  );
  assert.deepEqual(
    await playFastAgiCall(
      server.addr.port,
      fastAgiHeader("sales/ivr?lang=de"),
      answer,
    ),
    ['SET VARIABLE ROUTE "ivr de"'],
  );
  assert.equal(requests[0]!.script, "oracle-fast?mode=test&n=1");
  assert.equal(requests[0]!.path, "oracle-fast");
  assert.deepEqual([...requests[0]!.params], [["mode", "test"], ["n", "1"]]);
  assert.equal(requests[0]!.remoteAddr.hostname, "127.0.0.1");
  assert.equal(requests[1]!.path, "sales/ivr");
  assert.equal(log.errors.length, 0);
});

Deno.test("serveFastAgi closes a call without a route and reports it, or uses the * route", async () => {
  const log = errorLog();
  const fallbackPaths: string[] = [];
  {
    await using server = serveFastAgi(options({ onError: log.onError }), {
      known: () => {},
    });
    using peer = await FastAgiPeer.connect(server.addr.port);
    await peer.send(fastAgiHeader("unknown/path?x=1"));
    await peer.expectClose();
    const { error, context } = await log.next();
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.line, "agi_network_script: unknown/path?x=1");
    assert.match(
      error.message,
      /^Cannot route FastAGI request: no handler for script path "unknown\/path"$/,
    );
    assert.equal(context.phase, "route");
    assert.equal(context.request?.path, "unknown/path");
    // Names of Object.prototype members are paths like any other.
    for (const path of ["constructor", "__proto__", "toString"]) {
      using other = await FastAgiPeer.connect(server.addr.port);
      await other.send(fastAgiHeader(path));
      await other.expectClose();
      const next = await log.next();
      assert.ok(next.error instanceof ProtocolError, path);
      assert.equal(next.context.request?.path, path);
    }
  }
  {
    await using server = serveFastAgi(options({ onError: log.onError }), {
      known: () => {},
      "*": async (session, request) => {
        fallbackPaths.push(request.path);
        await session.noop();
      },
    });
    const lines = await playFastAgiCall(
      server.addr.port,
      fastAgiHeader("other"),
      () => "200 result=0\n",
    );
    assert.deepEqual(lines, ["NOOP"]);
    assert.deepEqual(fallbackPaths, ["other"]);
  }
  assert.equal(log.errors.length, 4);
});

Deno.test("serveFastAgi gives the handler the header as session.env, bytes after the header included", async () => {
  const seen = deferred<AgiSession>();
  await using server = serveFastAgi(options(), async (session) => {
    // The HANGUP sent with the header reached the session before any command.
    await new Promise((resolve) => setTimeout(resolve, 0));
    seen.resolve(session);
    await session.getVariable("AFTER");
  });
  using peer = await FastAgiPeer.connect(server.addr.port);
  await peer.send(
    fastAgiHeader("x", { agi_arg_1: "hello world", agi_arg_2: "x=y" }) +
      "HANGUP\n",
  );
  const session = await seen.promise;
  assert.equal(session.env.network, true);
  assert.equal(session.env.networkScript, "x");
  assert.deepEqual(session.env.args, ["hello world", "x=y"]);
  assert.equal(session.hungUp, true);
  assert.equal(await peer.readLine(), "GET VARIABLE AFTER");
  await peer.send("200 result=0\n");
  await peer.expectClose();
});

Deno.test("serveFastAgi closes a peer that sends garbage and reports a ProtocolError", async () => {
  const log = errorLog();
  const calls: string[] = [];
  await using server = serveFastAgi(
    options({ onError: log.onError }),
    () => void calls.push("called"),
  );
  using peer = await FastAgiPeer.connect(server.addr.port);
  await peer.send("GET / HTTP/1.1\r\nHost: example\r\n\r\n");
  await peer.expectClose();
  const { error, context } = await log.next();
  assert.ok(error instanceof ProtocolError);
  assert.equal(error.line, "GET / HTTP/1.1");
  assert.equal(context.phase, "header");
  assert.equal(context.request, undefined);
  assert.deepEqual(calls, []);
});

Deno.test("serveFastAgi closes a peer that never finishes its header after headerTimeoutMs", async () => {
  const log = errorLog();
  await using server = serveFastAgi(
    options({ onError: log.onError, headerTimeoutMs: 150 }),
    async (session) => void await session.noop(),
  );
  using slow = await FastAgiPeer.connect(server.addr.port);
  await slow.send("agi_network: yes\nagi_network_script: x\n");
  using silent = await FastAgiPeer.connect(server.addr.port);
  // Meanwhile a well-behaved call is served.
  const lines = await playFastAgiCall(
    server.addr.port,
    fastAgiHeader("x"),
    () => "200 result=0\n",
  );
  assert.deepEqual(lines, ["NOOP"]);
  const waited = await slow.expectClose(3000);
  await silent.expectClose(3000);
  assert.ok(waited < 3000);
  for (const { error, context } of [await log.next(), await log.next()]) {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.timeoutMs, 150);
    assert.equal(context.phase, "header");
  }
  assert.equal(server.connections, 0);
});

Deno.test("serveFastAgi closes a header over maxHeaderBytes with a LimitExceededError", async () => {
  const log = errorLog();
  await using server = serveFastAgi(
    options({ onError: log.onError, maxHeaderBytes: 1024 }),
    () => {},
  );
  using peer = await FastAgiPeer.connect(server.addr.port);
  await peer.send(fastAgiHeader("x", { agi_arg_1: "y".repeat(2000) }));
  await peer.expectClose();
  const { error } = await log.next();
  assert.ok(error instanceof LimitExceededError);
  assert.equal(error.limit, "maxHeaderBytes");
  assert.equal(error.max, 1024);
});

Deno.test("serveFastAgi closes connections over maxConnections and serves again once one ends", async () => {
  const log = errorLog();
  const release = deferred();
  const started: string[] = [];
  await using server = serveFastAgi(
    options({ onError: log.onError, maxConnections: 2 }),
    async (session) => {
      started.push(session.env.uniqueId);
      await release.promise;
      await session.noop();
    },
  );
  const port = server.addr.port;
  using first = await FastAgiPeer.connect(port);
  await first.send(fastAgiHeader("x", { agi_uniqueid: "1" }));
  using second = await FastAgiPeer.connect(port);
  await second.send(fastAgiHeader("x", { agi_uniqueid: "2" }));
  while (started.length < 2) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }

  using third = await FastAgiPeer.connect(port);
  await third.send(fastAgiHeader("x", { agi_uniqueid: "3" }));
  await third.expectClose();
  const { error, context } = await log.next();
  assert.ok(error instanceof LimitExceededError);
  assert.equal(error.limit, "maxConnections");
  assert.equal(error.max, 2);
  assert.equal(context.phase, "accept");
  assert.equal(context.remoteAddr?.hostname, "127.0.0.1");

  release.resolve();
  for (const peer of [first, second]) {
    assert.equal(await peer.readLine(), "NOOP");
    await peer.send("200 result=0\n");
    await peer.expectClose();
  }
  while (server.connections > 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const lines = await playFastAgiCall(
    port,
    fastAgiHeader("x", { agi_uniqueid: "4" }),
    () => "200 result=0\n",
  );
  assert.deepEqual(lines, ["NOOP"]);
  assert.deepEqual(started, ["1", "2", "4"]);
});

Deno.test("serveFastAgi reports a handler that throws and keeps serving the other calls", async () => {
  const log = errorLog();
  const boom = new Error("boom");
  const inside = deferred();
  await using server = serveFastAgi(options({ onError: log.onError }), {
    fail: async (session) => {
      await session.answer();
      throw boom;
    },
    slow: async (session) => {
      await session.answer();
      await inside.promise;
      await session.setVariable("STILL", "here");
    },
  });
  const port = server.addr.port;
  const slow = playFastAgiCall(
    port,
    fastAgiHeader("slow"),
    () => "200 result=0\n",
  );
  const failing = await playFastAgiCall(
    port,
    fastAgiHeader("fail"),
    () => "200 result=0\n",
  );
  assert.deepEqual(failing, ["ANSWER"]);
  const { error, context } = await log.next();
  assert.equal(error, boom);
  assert.equal(context.phase, "handler");
  assert.equal(context.request?.path, "fail");
  inside.resolve();
  assert.deepEqual(await slow, ["ANSWER", "SET VARIABLE STILL here"]);
  assert.equal(log.errors.length, 1);
});

Deno.test("serveFastAgi keeps running when onError itself throws", async () => {
  await using server = serveFastAgi(
    options({
      onError() {
        throw new Error("reporter failed");
      },
    }),
    () => {
      throw new Error("handler failed");
    },
  );
  using peer = await FastAgiPeer.connect(server.addr.port);
  await peer.send(fastAgiHeader("x"));
  await peer.expectClose();
  const lines = await playFastAgiCall(
    server.addr.port,
    fastAgiHeader("x"),
    () => "200 result=0\n",
  );
  assert.deepEqual(lines, []);
});

Deno.test("serveFastAgi closes the socket as soon as the handler returns after a hangup", async () => {
  const log = errorLog();
  const hungUp = deferred<boolean>();
  await using server = serveFastAgi(
    options({ onError: log.onError }),
    async (session) => {
      await session.answer();
      if (!session.signal.aborted) {
        await new Promise((resolve) =>
          session.signal.addEventListener("abort", resolve)
        );
      }
      hungUp.resolve(session.hungUp);
      await session.noop();
    },
  );
  using peer = await FastAgiPeer.connect(server.addr.port);
  await peer.send(fastAgiHeader("x"));
  assert.equal(await peer.readLine(), "ANSWER");
  await peer.send("200 result=0\nHANGUP\n");
  assert.equal(await hungUp.promise, true);
  assert.equal(await peer.readLine(), "NOOP");
  await peer.send("200 result=0\n");
  const waited = await peer.expectClose(2000);
  assert.ok(waited < 1000, `closed after ${waited} ms`);
  // Asterisk's second HANGUP finds the socket closed (EPIPE on its side).
  await peer.send("HANGUP\n");
  assert.equal(log.errors.length, 0);
});

Deno.test("serveFastAgi reports a handler's AgiHangupError but the default reporter stays quiet about it", async () => {
  const log = errorLog();
  await using server = serveFastAgi(
    options({ onError: log.onError }),
    async (session) => {
      await session.waitForDigit(5000);
    },
  );
  using peer = await FastAgiPeer.connect(server.addr.port);
  await peer.send(fastAgiHeader("x"));
  assert.equal(await peer.readLine(), "WAIT FOR DIGIT 5000");
  await peer.send("HANGUP\n200 result=-1\n");
  await peer.expectClose();
  const { error, context } = await log.next();
  assert.ok(error instanceof AgiHangupError);
  assert.equal(context.phase, "handler");
});

Deno.test("serveFastAgi passes session options through: onTrace sees every line", async () => {
  const trace: AgiTraceEvent[] = [];
  await using server = serveFastAgi(
    options({ onTrace: (event) => void trace.push(event) }),
    async (session) => void await session.getVariable("X"),
  );
  await playFastAgiCall(
    server.addr.port,
    fastAgiHeader("x"),
    () => "200 result=1 (v)\n",
  );
  assert.deepEqual(trace, [
    { direction: "send", line: "GET VARIABLE X" },
    { direction: "receive", line: "200 result=1 (v)" },
  ]);
});

Deno.test("serveFastAgi shutdown lets running calls finish and refuses new ones", async () => {
  const log = errorLog();
  const server = serveFastAgi(
    options({ onError: log.onError }),
    async (session) => {
      await session.answer();
      await session.setVariable("DONE", "yes");
    },
  );
  const port = server.addr.port;
  using peer = await FastAgiPeer.connect(port);
  await peer.send(fastAgiHeader("x"));
  assert.equal(await peer.readLine(), "ANSWER");

  let finished = false;
  const shutdown = server.shutdown().then(() => finished = true);
  assert.equal(server.shutdown(), server.finished);
  await assertRefused(port);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(finished, false);

  await peer.send("200 result=0\n");
  assert.equal(await peer.readLine(), "SET VARIABLE DONE yes");
  await peer.send("200 result=1\n");
  await peer.expectClose();
  await shutdown;
  assert.equal(finished, true);
  assert.equal(log.errors.length, 0);
});

Deno.test("serveFastAgi shutdown closes calls still running at shutdownTimeoutMs", async () => {
  const log = errorLog();
  const server = serveFastAgi(
    options({ onError: log.onError, shutdownTimeoutMs: 100 }),
    async (session) => void await session.waitForDigit(-1),
  );
  using peer = await FastAgiPeer.connect(server.addr.port);
  await peer.send(fastAgiHeader("x"));
  assert.equal(await peer.readLine(), "WAIT FOR DIGIT -1");
  const started = Date.now();
  await server.shutdown();
  const took = Date.now() - started;
  assert.ok(took >= 90 && took < 2000, `shutdown took ${took} ms`);
  await peer.expectClose();
  const { error, context } = await log.next();
  assert.ok(error instanceof ConnectionClosedError);
  assert.equal(context.phase, "handler");
});

Deno.test("serveFastAgi shuts down when its signal aborts, and on await using", async () => {
  const controller = new AbortController();
  const server = serveFastAgi(options({ signal: controller.signal }), () => {});
  controller.abort();
  await server.finished;
  await assertRefused(server.addr.port);

  const aborted = serveFastAgi(
    options({ signal: AbortSignal.abort() }),
    () => {},
  );
  await aborted.finished;

  let port: number;
  {
    await using disposable = serveFastAgi(options(), () => {});
    port = disposable.addr.port;
  }
  await assertRefused(port);
});

Deno.test("serveFastAgi binds 127.0.0.1 unless told otherwise and reports the bound address", async () => {
  let listened: Deno.NetAddr | undefined;
  await using server = serveFastAgi(
    options({ onListen: (addr) => listened = addr }),
    () => {},
  );
  assert.equal(server.addr.hostname, "127.0.0.1");
  assert.ok(server.addr.port > 0);
  assert.deepEqual(listened, server.addr);
});

Deno.test({
  name:
    "serveFastAgi rejects bad options and handlers with a TypeError before binding",
  permissions: "none",
  fn() {
    for (
      const bad of [
        { maxConnections: 0 },
        { maxHeaderBytes: -1 },
        { headerTimeoutMs: 1.5 },
        { shutdownTimeoutMs: Number.NaN },
        { maxLineBytes: 0 },
      ]
    ) {
      assert.throws(
        () => serveFastAgi(options(bad), () => {}),
        TypeError,
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () => serveFastAgi(options(), null as unknown as () => void),
      TypeError,
    );
    assert.throws(
      () =>
        serveFastAgi(
          options(),
          { x: "not a function" } as unknown as Record<string, () => void>,
        ),
      /route "x" is not a function/,
    );
  },
});

Deno.test("serveFastAgi with agitb reports a throwing handler through VERBOSE, then to onError", async () => {
  const log = errorLog();
  const reports: string[] = [];
  await using server = serveFastAgi(
    options({
      onError: log.onError,
      agitb: {
        stderr: (report) => reports.push(report),
        readSource: () => undefined,
      },
    }),
    async (session) => {
      await session.answer();
      throw new Error("Cannot find menu: no such prompt");
    },
  );
  const sent = await playFastAgiCall(
    server.addr.port,
    fastAgiHeader("ivr"),
    () => "200 result=1\n",
  );
  assert.equal(sent[0], "ANSWER");
  assert.ok(
    sent.some((line) =>
      line.startsWith("VERBOSE") && line.includes("no such prompt")
    ),
    sent.join("\n"),
  );
  const { error, context } = await log.next();
  assert.equal(context.phase, "handler");
  assert.equal((error as Error).message, "Cannot find menu: no such prompt");
  assert.match(reports.join("\n"), /no such prompt/);
});

Deno.test("serveFastAgi sends no agitb report by default", async () => {
  const log = errorLog();
  await using server = serveFastAgi(options({ onError: log.onError }), () => {
    throw new Error("quiet failure");
  });
  const sent = await playFastAgiCall(
    server.addr.port,
    fastAgiHeader("ivr"),
    () => "200 result=1\n",
  );
  assert.deepEqual(sent, []);
  assert.equal(((await log.next()).error as Error).message, "quiet failure");
});
