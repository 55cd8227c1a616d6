// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import { AmiClient } from "../manager/ami_client.ts";
import {
  aborted,
  endEvent,
  execEvent,
  type FakeAction,
  FakePbx,
  type FakePbxHandler,
  startEvent,
  until,
} from "../tests/agi/_asyncagi_fake_pbx.ts";
import type { AgiSession } from "./agi_session.ts";
import { AsyncAgiActionError } from "./async_agi_action_error.ts";
import {
  type AsyncAgiErrorContext,
  type AsyncAgiHandler,
  type AsyncAgiServer,
  serveAsyncAgi,
  type ServeAsyncAgiOptions,
} from "./async_agi_server.ts";
import { AgiHangupError } from "./errors.ts";

/**
 * What the scripted Asterisk does with a command: reply with these lines,
 * refuse the AGI action (`error`), or queue it and never run it (`undefined`).
 */
type Outcome = string | { readonly error: string } | undefined;

/** A scripted Asterisk side of AsyncAGI over a {@linkcode FakePbx}. */
class Asterisk {
  /** Commands received, by channel. */
  readonly commands = new Map<string, string[]>();
  /** Commands that arrived while the channel's previous one still ran. */
  readonly overlaps: string[] = [];
  /** CommandIDs of every AGI action. */
  readonly commandIds: string[] = [];
  readonly #running = new Set<string>();
  readonly #script: (channel: string, command: string) => Outcome;
  #timers = 0;
  #seed = 12345;
  /** Delay each AsyncAGIExec by 0–3 ms (seeded), so channels interleave. */
  delay = false;

  constructor(script: (channel: string, command: string) => Outcome) {
    this.#script = script;
  }

  /** Commands of one channel. */
  of(channel: string): string[] {
    return this.commands.get(channel) ?? [];
  }

  /** Resolves once no delayed event is left to write. */
  settled(): Promise<void> {
    return until(() => this.#timers === 0);
  }

  readonly handler: FakePbxHandler = (action: FakeAction, pbx: FakePbx) => {
    if (action.get("Action") !== "AGI") {
      pbx.reply(action, "Done");
      return;
    }
    const channel = action.get("Channel")!;
    const command = action.get("Command")!;
    const id = action.get("CommandID")!;
    this.commandIds.push(id);
    let list = this.commands.get(channel);
    if (list === undefined) this.commands.set(channel, list = []);
    list.push(command);
    if (this.#running.has(channel)) this.overlaps.push(`${channel} ${command}`);
    const outcome = command === "ASYNCAGI BREAK"
      ? "200 result=0"
      : this.#script(channel, command);
    if (typeof outcome === "object") {
      pbx.reply(action, outcome.error, "Error");
      return;
    }
    pbx.reply(action, "Added AGI command to queue");
    if (outcome === undefined) return;
    this.#running.add(channel);
    const run = () => {
      this.#running.delete(channel);
      pbx.packet(execEvent(channel, id, outcome));
      if (command === "ASYNCAGI BREAK") pbx.packet(endEvent(channel));
    };
    if (!this.delay) return run();
    this.#timers++;
    this.#seed = (this.#seed * 1103515245 + 12345) % 2147483648;
    setTimeout(() => {
      this.#timers--;
      run();
    }, this.#seed % 4);
  };
}

interface Setup extends AsyncDisposable {
  readonly pbx: FakePbx;
  readonly client: AmiClient;
  readonly server: AsyncAgiServer;
  readonly errors: [unknown, AsyncAgiErrorContext][];
}

async function setup(
  asterisk: Asterisk,
  handler: AsyncAgiHandler,
  options: ServeAsyncAgiOptions = {},
): Promise<Setup> {
  const pbx = new FakePbx(asterisk.handler);
  const client = new AmiClient(pbx.connection);
  await client.connect();
  const errors: [unknown, AsyncAgiErrorContext][] = [];
  const server = serveAsyncAgi(client, handler, {
    commandIdPrefix: "t",
    onError: (error, context) => errors.push([error, context]),
    ...options,
  });
  return {
    pbx,
    client,
    server,
    errors,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await asterisk.settled();
      await client.close();
      await pbx.done;
    },
  };
}

/** A promise with its resolver, for handlers that wait for the test. */
function gate(): PromiseWithResolvers<void> {
  return Promise.withResolvers<void>();
}

Deno.test(
  "serveAsyncAgi drives many channels at once, one command at a time each",
  {
    permissions: "none",
  },
  async () => {
    const asterisk = new Asterisk((channel, command) => {
      if (command === "GET VARIABLE WHO") return `200 result=1 (${channel})`;
      return "200 result=0";
    });
    asterisk.delay = true;
    const seen = new Map<string, unknown[]>();
    const traced: string[] = [];
    await using ctx = await setup(asterisk, async (session, request) => {
      const out: unknown[] = [];
      seen.set(request.channel, out);
      out.push(session.env.extension);
      await session.answer();
      // Three calls at once: the session queues them.
      out.push(
        ...await Promise.all([
          session.getVariable("WHO"),
          session.sayDigits("123"),
          session.noop("x"),
        ]),
      );
    }, {
      onTrace: (event) => {
        if (event.direction === "receive") traced.push(event.line);
      },
    });
    const channels = Array.from({ length: 100 }, (_, i) => `PJSIP/c${i}-1`);
    for (const [i, channel] of channels.entries()) {
      ctx.pbx.packet(startEvent(channel, [`agi_extension: ${i}`]));
    }
    await until(() =>
      channels.every((channel) => asterisk.of(channel).length === 5)
    );
    await ctx.server.shutdown();
    await asterisk.settled();
    assert.deepEqual(asterisk.overlaps, []);
    for (const [i, channel] of channels.entries()) {
      assert.deepEqual(asterisk.of(channel), [
        "ANSWER",
        "GET VARIABLE WHO",
        'SAY DIGITS 123 ""',
        "NOOP x",
        "ASYNCAGI BREAK",
      ]);
      assert.deepEqual(seen.get(channel), [
        String(i),
        channel,
        undefined,
        undefined,
      ]);
    }
    assert.equal(new Set(asterisk.commandIds).size, 500);
    assert.equal(traced.length, 400);
    assert.equal(ctx.server.sessions, 0);
    assert.deepEqual(ctx.errors, []);
  },
);

Deno.test(
  "serveAsyncAgi reports a handler that throws and returns its call to the dialplan",
  {
    permissions: "none",
  },
  async () => {
    const asterisk = new Asterisk(() => "200 result=0");
    const release = gate();
    const failure = new Error("handler bug");
    await using ctx = await setup(asterisk, async (session, request) => {
      if (request.channel === "PJSIP/bad-1") {
        await session.answer();
        throw failure;
      }
      await release.promise;
      await session.noop();
    });
    ctx.pbx.packet(startEvent("PJSIP/good-1"));
    ctx.pbx.packet(startEvent("PJSIP/bad-1"));
    await until(() => asterisk.of("PJSIP/bad-1").length === 2);
    assert.deepEqual(asterisk.of("PJSIP/bad-1"), ["ANSWER", "ASYNCAGI BREAK"]);
    assert.equal(ctx.errors.length, 1);
    const [error, context] = ctx.errors[0]!;
    assert.equal(error, failure);
    assert.equal(context.phase, "handler");
    assert.equal(context.channel, "PJSIP/bad-1");
    assert.equal(context.event?.get("Event"), "AsyncAGIStart");
    // The other channel is untouched and carries on.
    assert.equal(ctx.server.sessions, 1);
    release.resolve();
    await until(() => asterisk.of("PJSIP/good-1").length === 2);
    assert.deepEqual(asterisk.of("PJSIP/good-1"), ["NOOP", "ASYNCAGI BREAK"]);
  },
);

Deno.test("serveAsyncAgi treats AsyncAGIEnd mid-command as a hangup", {
  permissions: "none",
}, async () => {
  const asterisk = new Asterisk((_channel, command) =>
    command.startsWith("STREAM FILE") ? undefined : "200 result=0"
  );
  let session: AgiSession | undefined;
  let outcome: unknown;
  const done = gate();
  await using ctx = await setup(asterisk, async (s) => {
    session = s;
    try {
      await s.streamFile("long-prompt");
    } catch (error) {
      outcome = error;
    }
    done.resolve();
  });
  ctx.pbx.packet(startEvent("PJSIP/a-1"));
  await until(() => asterisk.of("PJSIP/a-1").length === 1);
  ctx.pbx.packet(endEvent("PJSIP/a-1"));
  await done.promise;
  assert.ok(outcome instanceof AgiHangupError);
  assert.equal(outcome.command, 'STREAM FILE long-prompt ""');
  assert.equal(session!.hungUp, true);
  await aborted(session!.signal);
  await until(() => ctx.server.sessions === 0);
  assert.deepEqual(asterisk.of("PJSIP/a-1"), ['STREAM FILE long-prompt ""']);
  assert.deepEqual(ctx.errors, []);
});

Deno.test(
  "serveAsyncAgi rejects a command Asterisk refuses with AsyncAgiActionError",
  {
    permissions: "none",
  },
  async () => {
    const asterisk = new Asterisk((channel) => ({
      error: `Channel ${channel} does not exist.`,
    }));
    const outcomes: unknown[] = [];
    await using ctx = await setup(asterisk, async (session) => {
      try {
        await session.answer();
      } catch (error) {
        outcomes.push(error, session.hungUp);
      }
    });
    ctx.pbx.packet(startEvent("PJSIP/gone-1"));
    await until(() => outcomes.length === 2);
    const [error, hungUp] = outcomes;
    assert.ok(error instanceof AsyncAgiActionError);
    assert.equal(error.channel, "PJSIP/gone-1");
    assert.equal(error.channelGone, true);
    assert.equal(
      error.message,
      'Cannot queue AGI command "ANSWER" for channel "PJSIP/gone-1": Channel PJSIP/gone-1 does not exist.',
    );
    assert.equal(hungUp, true);
    await until(() => ctx.server.sessions === 0);
    assert.deepEqual(asterisk.of("PJSIP/gone-1"), ["ANSWER"], "no BREAK");
  },
);

Deno.test(
  "serveAsyncAgi understands Asterisk 11's AsyncAGI events with SubEvent",
  {
    permissions: "none",
  },
  async () => {
    const pbx = new FakePbx((action, server) => {
      server.reply(action, "Added AGI command to queue");
      server.packet([
        ["Event", "AsyncAGI"],
        ["Privilege", "agi,all"],
        ["SubEvent", "Exec"],
        ["Channel", "SIP/old-1"],
        ["CommandID", action.get("CommandID")!],
        ["Result", "200%20result%3D1%20(11)%0A"],
      ]);
    }, "1.3");
    const client = new AmiClient(pbx.connection);
    await client.connect();
    const outcomes: unknown[] = [];
    const server = serveAsyncAgi(client, async (session) => {
      outcomes.push(session.env.version);
      outcomes.push(await session.getVariable("VERSION"));
      await aborted(session.signal);
      outcomes.push(session.hungUp);
    }, { onError: (error) => outcomes.push(error) });
    pbx.packet([
      ["Event", "AsyncAGI"],
      ["Privilege", "agi,all"],
      ["SubEvent", "Start"],
      ["Channel", "SIP/old-1"],
      ["Env", "agi_request%3A%20async%0Aagi_version%3A%2011.25.3%0A%0A"],
    ]);
    await until(() => outcomes.length === 2);
    pbx.packet([
      ["Event", "AsyncAGI"],
      ["Privilege", "agi,all"],
      ["SubEvent", "End"],
      ["Channel", "SIP/old-1"],
    ]);
    await server.shutdown();
    await client.close();
    await pbx.done;
    assert.deepEqual(outcomes, ["11.25.3", "11", true]);
    assert.deepEqual(pbx.actions.map((action) => action.get("Command")), [
      "GET VARIABLE VERSION",
    ]);
  },
);

Deno.test(
  "serveAsyncAgi refuses channels over maxSessions with ASYNCAGI BREAK",
  {
    permissions: "none",
  },
  async () => {
    const asterisk = new Asterisk(() => "200 result=0");
    const release = gate();
    await using ctx = await setup(asterisk, async () => {
      await release.promise;
    }, { maxSessions: 2 });
    for (const channel of ["PJSIP/1-1", "PJSIP/2-1", "PJSIP/3-1"]) {
      ctx.pbx.packet(startEvent(channel));
    }
    await until(() => asterisk.of("PJSIP/3-1").length === 1);
    assert.equal(ctx.server.sessions, 2);
    assert.deepEqual(asterisk.of("PJSIP/3-1"), ["ASYNCAGI BREAK"]);
    assert.equal(ctx.errors.length, 1);
    const [error, context] = ctx.errors[0]!;
    assert.ok(error instanceof LimitExceededError);
    assert.equal(error.limit, "maxSessions");
    assert.equal(error.max, 2);
    assert.equal(context.phase, "start");
    assert.equal(context.channel, "PJSIP/3-1");
    release.resolve();
    await until(() => ctx.server.sessions === 0);
    assert.deepEqual(asterisk.of("PJSIP/1-1"), ["ASYNCAGI BREAK"]);
  },
);

Deno.test(
  "serveAsyncAgi reports a bad AsyncAGIStart and sends the channel back",
  {
    permissions: "none",
  },
  async (t) => {
    const asterisk = new Asterisk(() => "200 result=0");
    let handled = 0;
    await using ctx = await setup(asterisk, () => {
      handled++;
    }, { maxEnvironmentLines: 3 });
    const cases: [string, [string, string][], new (...a: never[]) => Error][] =
      [
        ["a broken escape", [["Env", "agi_request%3A%2"]], ProtocolError],
        ["no Env", [], ProtocolError],
        [
          "too many environment lines",
          [["Env", encodeURIComponent("a: 1\nb: 2\nc: 3\nd: 4\n\n")]],
          LimitExceededError,
        ],
      ];
    for (const [name, fields, type] of cases) {
      await t.step(name, async () => {
        const channel = `PJSIP/${name.replaceAll(" ", "-")}`;
        const before = ctx.errors.length;
        ctx.pbx.packet([
          ["Event", "AsyncAGIStart"],
          ["Channel", channel],
          ...fields,
        ]);
        await until(() => asterisk.of(channel).length === 1);
        assert.deepEqual(asterisk.of(channel), ["ASYNCAGI BREAK"]);
        assert.equal(ctx.errors.length, before + 1);
        const [error, context] = ctx.errors.at(-1)!;
        assert.ok(error instanceof type, String(error));
        assert.equal(context.phase, "start");
        assert.equal(context.channel, channel);
      });
    }
    await t.step("no Channel: reported, nothing sent", async () => {
      const sent = ctx.pbx.actions.length;
      ctx.pbx.packet([["Event", "AsyncAGIStart"], ["Env", "x"]]);
      await until(() => ctx.errors.length === 4);
      assert.ok(ctx.errors[3]![0] instanceof ProtocolError);
      assert.equal(ctx.pbx.actions.length, sent);
    });
    assert.equal(handled, 0);
    // Exactly three lines are fine.
    ctx.pbx.packet(startEvent("PJSIP/ok-1", ["agi_context: x"]));
    await until(() => asterisk.of("PJSIP/ok-1").length === 1);
    assert.equal(handled, 1);
  },
);

Deno.test("serveAsyncAgi leaves channels alone that accept() declines", {
  permissions: "none",
}, async () => {
  const asterisk = new Asterisk(() => "200 result=0");
  const handled: string[] = [];
  const oops = new Error("accept bug");
  await using ctx = await setup(asterisk, async (session, request) => {
    handled.push(request.channel);
    await session.noop();
  }, {
    accept: (request) => {
      if (request.channel === "PJSIP/throws-1") throw oops;
      return request.env.args[0] === "mine";
    },
  });
  ctx.pbx.packet(startEvent("PJSIP/other-1", ["agi_arg_1: theirs"]));
  ctx.pbx.packet(startEvent("PJSIP/throws-1"));
  ctx.pbx.packet(startEvent("PJSIP/mine-1", ["agi_arg_1: mine"]));
  await until(() => asterisk.of("PJSIP/mine-1").length === 2);
  assert.deepEqual(handled, ["PJSIP/mine-1"]);
  assert.deepEqual([...asterisk.commands.keys()], ["PJSIP/mine-1"]);
  assert.deepEqual(ctx.errors.map(([error, c]) => [error, c.phase]), [
    [oops, "start"],
  ]);
});

Deno.test(
  "serveAsyncAgi ends an old session when its channel starts AsyncAGI again",
  {
    permissions: "none",
  },
  async () => {
    const asterisk = new Asterisk((_channel, command) =>
      command === "WAIT FOR DIGIT -1" ? undefined : "200 result=0"
    );
    const outcomes: unknown[] = [];
    await using ctx = await setup(asterisk, async (session) => {
      try {
        outcomes.push(await session.waitForDigit(-1));
      } catch (error) {
        outcomes.push(error);
      }
    });
    ctx.pbx.packet(startEvent("PJSIP/a-1"));
    await until(() => asterisk.of("PJSIP/a-1").length === 1);
    ctx.pbx.packet(startEvent("PJSIP/a-1"));
    await until(() => asterisk.of("PJSIP/a-1").length === 2);
    assert.equal(outcomes.length, 1);
    assert.ok(outcomes[0] instanceof AgiHangupError);
    assert.equal(ctx.server.sessions, 1);
    // The new session's AsyncAGIEnd ends it.
    ctx.pbx.packet(endEvent("PJSIP/a-1"));
    await until(() => ctx.server.sessions === 0);
    assert.ok(outcomes[1] instanceof AgiHangupError);
    assert.deepEqual(asterisk.of("PJSIP/a-1"), [
      "WAIT FOR DIGIT -1",
      "WAIT FOR DIGIT -1",
    ]);
  },
);

Deno.test("serveAsyncAgi closes a session whose command times out", {
  permissions: "none",
}, async () => {
  const asterisk = new Asterisk((_channel, command) =>
    command === "EXEC Dial PJSIP/x" ? undefined : "200 result=0"
  );
  const outcomes: unknown[] = [];
  await using ctx = await setup(asterisk, async (session) => {
    try {
      await session.exec("Dial", "PJSIP/x");
    } catch (error) {
      outcomes.push(error, session.closed);
    }
  }, { commandTimeoutMs: 20 });
  ctx.pbx.packet(startEvent("PJSIP/slow-1"));
  await until(() => outcomes.length === 2);
  await until(() => ctx.server.sessions === 0);
  assert.ok(outcomes[0] instanceof TimeoutError);
  assert.equal(outcomes[1], true);
  assert.deepEqual(asterisk.of("PJSIP/slow-1"), [
    "EXEC Dial PJSIP/x",
    "ASYNCAGI BREAK",
  ]);
});

Deno.test(
  "AsyncAgiServer.shutdown waits, then closes sessions and refuses new channels",
  {
    permissions: "none",
  },
  async () => {
    const asterisk = new Asterisk((_channel, command) =>
      command === "WAIT FOR DIGIT -1" ? undefined : "200 result=0"
    );
    const outcomes: unknown[] = [];
    let handled = 0;
    await using ctx = await setup(asterisk, async (session) => {
      handled++;
      try {
        await session.waitForDigit(-1);
      } catch (error) {
        outcomes.push(error);
      }
    }, { shutdownTimeoutMs: 30 });
    ctx.pbx.packet(startEvent("PJSIP/busy-1"));
    await until(() => asterisk.of("PJSIP/busy-1").length === 1);
    const finished = ctx.server.shutdown();
    assert.equal(ctx.server.shutdown(), finished);
    ctx.pbx.packet(startEvent("PJSIP/late-1"));
    await until(() => asterisk.of("PJSIP/late-1").length === 1);
    assert.deepEqual(asterisk.of("PJSIP/late-1"), ["ASYNCAGI BREAK"]);
    assert.equal(handled, 1);
    await finished;
    assert.ok(outcomes[0] instanceof ConnectionClosedError);
    assert.deepEqual(asterisk.of("PJSIP/busy-1"), [
      "WAIT FOR DIGIT -1",
      "ASYNCAGI BREAK",
    ]);
    // Stopped listening: a new channel gets nothing.
    const sent = ctx.pbx.actions.length;
    ctx.pbx.packet(startEvent("PJSIP/after-1"));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(ctx.pbx.actions.length, sent);
    assert.deepEqual(ctx.errors, []);
  },
);

Deno.test("serveAsyncAgi shuts down when its signal aborts", {
  permissions: "none",
}, async () => {
  const asterisk = new Asterisk(() => "200 result=0");
  const controller = new AbortController();
  await using ctx = await setup(asterisk, () => {}, {
    signal: controller.signal,
  });
  controller.abort();
  await ctx.server.finished;
  const early = await setup(asterisk, () => {}, {
    signal: AbortSignal.abort(),
  });
  await early.server.finished;
  await early[Symbol.asyncDispose]();
});

Deno.test(
  "serveAsyncAgi fails commands waiting for AsyncAGIExec when the AMI connection drops",
  {
    permissions: "none",
  },
  async () => {
    const asterisk = new Asterisk(() => undefined);
    const outcomes: unknown[] = [];
    await using ctx = await setup(asterisk, async (session) => {
      try {
        await session.answer();
      } catch (error) {
        outcomes.push(error);
      }
    });
    ctx.pbx.packet(startEvent("PJSIP/a-1"));
    await until(() => asterisk.of("PJSIP/a-1").length === 1);
    ctx.pbx.close();
    await until(() => ctx.server.sessions === 0);
    const [error] = outcomes;
    assert.ok(error instanceof ConnectionClosedError);
    assert.equal(
      error.message,
      'Cannot run AGI command "ANSWER": AMI connection lost',
    );
    // Its BREAK could not be sent either: reported.
    assert.equal(ctx.errors.length, 1);
    const [breakError, context] = ctx.errors[0]!;
    assert.ok(breakError instanceof ConnectionClosedError);
    assert.equal(context.phase, "break");
    assert.equal(context.channel, "PJSIP/a-1");
  },
);

Deno.test("serveAsyncAgi checks its arguments", {
  permissions: "none",
}, async (t) => {
  const pbx = new FakePbx();
  const client = new AmiClient(pbx.connection);
  await client.connect();
  const bad: [string, () => unknown][] = [
    ["client", () => serveAsyncAgi({} as AmiClient, () => {})],
    [
      "handler",
      () => serveAsyncAgi(client, "x" as unknown as AsyncAgiHandler),
    ],
    ["accept", () =>
      serveAsyncAgi(client, () => {}, {
        accept: 1 as unknown as () => boolean,
      })],
    ["maxSessions", () => serveAsyncAgi(client, () => {}, { maxSessions: 0 })],
    [
      "maxEnvironmentLines",
      () => serveAsyncAgi(client, () => {}, { maxEnvironmentLines: 1.5 }),
    ],
    [
      "maxUsageLines",
      () => serveAsyncAgi(client, () => {}, { maxUsageLines: -1 }),
    ],
    [
      "shutdownTimeoutMs",
      () => serveAsyncAgi(client, () => {}, { shutdownTimeoutMs: NaN }),
    ],
    [
      "commandIdPrefix",
      () => serveAsyncAgi(client, () => {}, { commandIdPrefix: "a\r\nb" }),
    ],
    [
      "commandTimeoutMs",
      () => serveAsyncAgi(client, () => {}, { commandTimeoutMs: 0 }),
    ],
    [
      "maxQueuedCommands",
      () => serveAsyncAgi(client, () => {}, { maxQueuedCommands: -1 }),
    ],
  ];
  for (const [name, run] of bad) {
    await t.step(name, () => {
      assert.throws(run, (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /^Cannot start AsyncAGI server: /);
        if (name !== "client") assert.match(error.message, new RegExp(name));
        return true;
      });
    });
  }
  await client.close();
  await pbx.done;
});
