// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import { AmiMessage } from "../manager/ami_message.ts";
import type { AmiAction } from "../manager/encode_ami_action.ts";
import { AmiActionError } from "../manager/errors.ts";
import { AsyncAgiActionError } from "./async_agi_action_error.ts";
import {
  type AsyncAgiLink,
  AsyncAgiTransport,
  decodeAsyncAgiValue,
} from "./async_agi_transport.ts";
import { AgiHangupError } from "./errors.ts";

const CHANNEL = "PJSIP/alice-00000001";

interface Sent {
  readonly action: AmiAction;
  readonly resolve: (reply: AmiMessage) => void;
  readonly reject: (error: unknown) => void;
}

/** A link whose `send` calls the test settles by hand. */
class FakeLink implements AsyncAgiLink {
  readonly sent: Sent[] = [];
  readonly tracked = new Map<string, AsyncAgiTransport>();
  readonly breakErrors: [unknown, string][] = [];
  #id = 0;

  send(action: AmiAction): Promise<AmiMessage> {
    const { promise, resolve, reject } = Promise.withResolvers<AmiMessage>();
    this.sent.push({ action, resolve, reject });
    return promise;
  }

  nextCommandId(): string {
    return `c-${++this.#id}`;
  }

  track(id: string, transport: AsyncAgiTransport | undefined): void {
    if (transport === undefined) this.tracked.delete(id);
    else this.tracked.set(id, transport);
  }

  breakFailed(error: unknown, channel: string): void {
    this.breakErrors.push([error, channel]);
  }

  /** The last action sent. */
  last(): Sent {
    return this.sent.at(-1)!;
  }

  /** Answers the last action with `Response: Success`. */
  queued(): void {
    this.last().resolve(
      new AmiMessage([["Response", "Success"], [
        "Message",
        "Added AGI command to queue",
      ]]),
    );
  }

  /** Fails the last action with `Response: Error` and `message`. */
  refuse(message: string): void {
    const reply = new AmiMessage([
      ["Response", "Error"],
      ["ActionID", "a-1"],
      ["Message", message],
    ]);
    this.last().reject(new AmiActionError("AGI", reply));
  }
}

function exec(commandId: string, result: string | undefined): AmiMessage {
  return new AmiMessage([
    ["Event", "AsyncAGIExec"],
    ["Channel", CHANNEL],
    ...(result === undefined ? [] : [["Result", result] as const]),
    ["CommandId", commandId],
  ]);
}

function encoded(reply: string): string {
  return encodeURIComponent(reply + "\n");
}

/** Lets pending promise callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("decodeAsyncAgiValue decodes ast_uri_encode output", {
  permissions: "none",
}, async (t) => {
  const cases: [string, string][] = [
    ["200 result=0", "200 result=0"],
    ["200%20result%3D1%20(a%20b)%0A", "200 result=1 (a b)\n"],
    ["%C3%A9t%C3%A9", "été"],
    ["a+b%2Bc", "a+b+c"],
    ["%e2%82%ac", "€"],
    ["%FF", "\uFFFD"],
    ["", ""],
  ];
  for (const [input, output] of cases) {
    await t.step(JSON.stringify(input), () => {
      assert.equal(decodeAsyncAgiValue(input, "test"), output);
    });
  }
  for (const bad of ["%", "%2", "abc%zz", "%%41"]) {
    await t.step(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => decodeAsyncAgiValue(bad, "the thing"),
        (error: unknown) =>
          error instanceof ProtocolError && error.line === bad &&
          error.message.startsWith("Cannot decode the thing: "),
      );
    });
  }
});

Deno.test(
  "AsyncAgiTransport sends the AGI action and resolves on the matching AsyncAGIExec",
  {
    permissions: "none",
  },
  async () => {
    const link = new FakeLink();
    const transport = new AsyncAgiTransport(CHANNEL, link);
    const reply = transport.execute("GET VARIABLE CHANNEL");
    assert.deepEqual(link.sent.map((s) => s.action), [{
      Action: "AGI",
      Channel: CHANNEL,
      Command: "GET VARIABLE CHANNEL",
      CommandID: "c-1",
    }]);
    assert.equal(link.tracked.get("c-1"), transport);
    link.queued();
    // An event for another command changes nothing.
    transport.receiveExec(exec("c-9", encoded("200 result=0")));
    transport.receiveExec(exec("c-1", encoded(`200 result=1 (${CHANNEL})`)));
    const decoded = await reply;
    assert.equal(decoded.code, 200);
    assert.equal(decoded.result, "1");
    assert.equal(decoded.data, CHANNEL);
    assert.deepEqual(decoded.lines, [`200 result=1 (${CHANNEL})`]);
    assert.equal(link.tracked.size, 0);
    // A repeated event is ignored; the next command gets a new id.
    transport.receiveExec(exec("c-1", encoded("200 result=0")));
    const next = transport.execute("NOOP");
    assert.equal(link.last().action.CommandID, "c-2");
    transport.receiveExec(exec("c-2", encoded("200 result=0")));
    assert.equal((await next).result, "0");
  },
);

Deno.test(
  "AsyncAgiTransport takes an AsyncAGIExec that arrives before the action's reply",
  {
    permissions: "none",
  },
  async () => {
    const link = new FakeLink();
    const transport = new AsyncAgiTransport(CHANNEL, link);
    const reply = transport.execute("ANSWER");
    transport.receiveExec(exec("c-1", encoded("200 result=0")));
    assert.equal((await reply).result, "0");
    // A late error for a command already answered changes nothing.
    link.refuse(`Channel ${CHANNEL} does not exist.`);
    await settle();
    assert.equal(transport.hungUp, false);
    assert.equal(transport.ended, false);
  },
);

Deno.test("AsyncAgiTransport decodes multi-line Results as one reply", {
  permissions: "none",
}, async (t) => {
  const link = new FakeLink();
  const transport = new AsyncAgiTransport(CHANNEL, link);
  let id = 0;
  async function run(result: string) {
    const reply = transport.execute("NOOP");
    id++;
    transport.receiveExec(exec(`c-${id}`, result));
    return await reply;
  }
  await t.step("GOSUB's 100 and 200 lines", async () => {
    const reply = await run(
      "100%20result%3D0%20Trying...%0A200%20result%3D0%20Gosub%20complete%0A",
    );
    assert.equal(reply.code, 200);
    assert.equal(reply.text, "Gosub complete");
    assert.equal(reply.interim?.code, 100);
    assert.deepEqual(reply.lines, [
      "100 result=0 Trying...",
      "200 result=0 Gosub complete",
    ]);
  });
  await t.step("a 520 usage block", async () => {
    const reply = await run(encoded(
      "520-Invalid command syntax.  Proper usage follows:\nLine one.\nLine two:\n520 End of proper usage.",
    ));
    assert.equal(reply.code, 520);
    assert.equal(reply.usage, "Line one.\nLine two:");
  });
  await t.step("a reply without its LF", async () => {
    const reply = await run("200%20result%3D1%20(x)");
    assert.equal(reply.data, "x");
  });
  await t.step("only the first of two replies", async () => {
    const reply = await run(
      encoded("200 result=0\n520 Invalid command syntax."),
    );
    assert.equal(reply.code, 200);
    assert.deepEqual(reply.lines, ["200 result=0"]);
  });
});

Deno.test("AsyncAgiTransport rejects a Result that holds no complete reply", {
  permissions: "none",
}, async (t) => {
  const cases: [string, string | undefined, RegExp][] = [
    ["a truncated value", "200%20result%3D1%20(abc", /1024 bytes/],
    [
      "a truncated usage block",
      encodeURIComponent("520-Invalid command syntax.\nSend the") + "",
      /ends inside a reply \(Asterisk cuts/,
    ],
    [
      "an open GOSUB",
      encoded("100 result=0 Trying..."),
      /ends inside a reply$/,
    ],
    ["no Result", undefined, /has no Result/],
    ["garbage", encoded("hello"), /not a status line/],
    ["bad escapes", "200%2", /not followed by two hex digits/],
  ];
  for (const [name, result, message] of cases) {
    await t.step(name, async () => {
      const link = new FakeLink();
      const transport = new AsyncAgiTransport(CHANNEL, link);
      const reply = transport.execute("GET VARIABLE X");
      transport.receiveExec(exec("c-1", result));
      await assert.rejects(reply, (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.match(error.message, message);
        return true;
      });
      // The transport itself still works.
      const next = transport.execute("NOOP");
      transport.receiveExec(exec("c-2", encoded("200 result=0")));
      assert.equal((await next).code, 200);
    });
  }
  await t.step("a usage block over maxUsageLines", async () => {
    const link = new FakeLink();
    const transport = new AsyncAgiTransport(CHANNEL, link, {
      maxUsageLines: 2,
    });
    const reply = transport.execute("STREAM FILE");
    transport.receiveExec(
      exec("c-1", encoded("520-Invalid\na\nb\nc\n520 End of proper usage.")),
    );
    await assert.rejects(reply, LimitExceededError);
  });
});

Deno.test(
  "AsyncAgiTransport turns a refused AGI action into AsyncAgiActionError",
  {
    permissions: "none",
  },
  async (t) => {
    await t.step("channel does not exist: a hangup", async () => {
      const link = new FakeLink();
      const transport = new AsyncAgiTransport(CHANNEL, link);
      const reply = transport.execute("ANSWER");
      link.refuse(`Channel ${CHANNEL} does not exist.`);
      await assert.rejects(reply, (error: unknown) => {
        assert.ok(error instanceof AsyncAgiActionError);
        assert.equal(error.command, "ANSWER");
        assert.equal(error.channel, CHANNEL);
        assert.equal(error.channelGone, true);
        assert.equal(
          error.responseMessage,
          `Channel ${CHANNEL} does not exist.`,
        );
        assert.ok(error.cause instanceof AmiActionError);
        assert.equal(
          error.message,
          `Cannot queue AGI command "ANSWER" for channel "${CHANNEL}": Channel ${CHANNEL} does not exist.`,
        );
        return true;
      });
      await transport.hangup;
      assert.equal(transport.hungUp, true);
      assert.equal(link.tracked.size, 0);
      await assert.rejects(transport.execute("NOOP"), AgiHangupError);
      await transport.close();
      assert.equal(link.sent.length, 1, "no BREAK to a channel that is gone");
    });
    await t.step("not in AsyncAGI: ended, not hung up", async () => {
      const link = new FakeLink();
      const transport = new AsyncAgiTransport(CHANNEL, link);
      const reply = transport.execute("ANSWER");
      link.refuse(`Failed to add AGI command to channel ${CHANNEL} queue`);
      await assert.rejects(
        reply,
        (error: unknown) =>
          error instanceof AsyncAgiActionError && !error.channelGone,
      );
      assert.equal(transport.hungUp, false);
      await assert.rejects(
        transport.execute("NOOP"),
        (error: unknown) =>
          error instanceof ConnectionClosedError &&
          /takes no AsyncAGI commands/.test(error.message),
      );
      await transport.close();
      assert.equal(link.sent.length, 1);
    });
    await t.step("other send failures pass through", async () => {
      const link = new FakeLink();
      const transport = new AsyncAgiTransport(CHANNEL, link);
      const reply = transport.execute("ANSWER");
      const timeout = new TimeoutError("Cannot complete AMI action", 10);
      link.last().reject(timeout);
      await assert.rejects(reply, (error: unknown) => error === timeout);
      assert.equal(transport.ended, false);
      const next = transport.execute("NOOP");
      assert.equal(link.last().action.Command, "NOOP");
      transport.receiveExec(exec("c-2", encoded("200 result=0")));
      await next;
    });
  },
);

Deno.test("AsyncAgiTransport treats AsyncAGIEnd as a hangup, mid-command", {
  permissions: "none",
}, async () => {
  const link = new FakeLink();
  const transport = new AsyncAgiTransport(CHANNEL, link);
  const reply = transport.execute('STREAM FILE long-prompt ""');
  link.queued();
  transport.receiveEnd();
  await assert.rejects(reply, (error: unknown) => {
    assert.ok(error instanceof AgiHangupError);
    assert.equal(error.command, 'STREAM FILE long-prompt ""');
    assert.match(error.message, /channel hung up \(AsyncAGIEnd\)$/);
    return true;
  });
  await transport.hangup;
  assert.equal(transport.hungUp, true);
  assert.equal(link.tracked.size, 0);
  // A late AsyncAGIExec is ignored; no command is sent any more.
  transport.receiveExec(exec("c-1", encoded("200 result=-1 endpos=0")));
  await assert.rejects(transport.execute("NOOP"), AgiHangupError);
  await transport.close();
  assert.equal(link.sent.length, 1);
});

Deno.test("AsyncAgiTransport ends without a hangup after ASYNCAGI BREAK", {
  permissions: "none",
}, async () => {
  const link = new FakeLink();
  const transport = new AsyncAgiTransport(CHANNEL, link);
  const reply = transport.execute("ASYNCAGI BREAK");
  transport.receiveExec(exec("c-1", encoded("200 result=0")));
  assert.equal((await reply).result, "0");
  transport.receiveEnd();
  assert.equal(transport.hungUp, false);
  assert.equal(transport.ended, true);
  await assert.rejects(
    transport.execute("NOOP"),
    (error: unknown) =>
      error instanceof ConnectionClosedError &&
      error.message ===
        'Cannot run AGI command "NOOP": AsyncAGI ended by ASYNCAGI BREAK',
  );
  await transport.close();
  assert.equal(link.sent.length, 1);
});

Deno.test(
  "AsyncAgiTransport counts AsyncAGIEnd before the BREAK ran as a hangup",
  {
    permissions: "none",
  },
  async () => {
    const link = new FakeLink();
    const transport = new AsyncAgiTransport(CHANNEL, link);
    const reply = transport.execute("asyncagi break");
    transport.receiveEnd();
    await assert.rejects(reply, AgiHangupError);
    assert.equal(transport.hungUp, true);
  },
);

Deno.test(
  "AsyncAgiTransport.close rejects the command in flight and sends ASYNCAGI BREAK once",
  {
    permissions: "none",
  },
  async () => {
    const link = new FakeLink();
    const transport = new AsyncAgiTransport(CHANNEL, link);
    const reply = transport.execute("WAIT FOR DIGIT -1");
    const closed = transport.close();
    assert.equal(transport.close(), closed);
    await assert.rejects(
      reply,
      (error: unknown) =>
        error instanceof ConnectionClosedError &&
        error.message ===
          'Cannot run AGI command "WAIT FOR DIGIT -1": transport closed by the client',
    );
    assert.deepEqual(link.last().action, {
      Action: "AGI",
      Channel: CHANNEL,
      Command: "ASYNCAGI BREAK",
      CommandID: "c-2",
    });
    link.queued();
    await closed;
    assert.equal(link.sent.length, 2);
    assert.equal(link.tracked.size, 0);
    // The old command's result and the End that follows the BREAK are ignored.
    transport.receiveExec(exec("c-1", encoded("200 result=0")));
    transport.receiveEnd();
    assert.equal(transport.hungUp, false);
    await assert.rejects(transport.execute("NOOP"), ConnectionClosedError);
  },
);

Deno.test("AsyncAgiTransport.close reports a BREAK that failed", {
  permissions: "none",
}, async () => {
  const link = new FakeLink();
  const transport = new AsyncAgiTransport(CHANNEL, link);
  const closed = transport.close();
  const failure = new ConnectionClosedError("Cannot send: closed");
  link.last().reject(failure);
  await closed;
  assert.deepEqual(link.breakErrors, [[failure, CHANNEL]]);
});

Deno.test(
  "AsyncAgiTransport rejects with the signal's reason and closes on abort",
  {
    permissions: "none",
  },
  async () => {
    const link = new FakeLink();
    const transport = new AsyncAgiTransport(CHANNEL, link);
    const controller = new AbortController();
    const reply = transport.execute("GET DATA beep", controller.signal);
    const reason = new TimeoutError("too slow", 5);
    controller.abort(reason);
    await assert.rejects(reply, (error: unknown) => error === reason);
    assert.equal(link.last().action.Command, "ASYNCAGI BREAK");
    assert.equal(link.tracked.size, 0);
    await assert.rejects(
      transport.execute("NOOP", AbortSignal.abort(reason)),
      ConnectionClosedError,
    );
    const fresh = new AsyncAgiTransport(CHANNEL, link);
    await assert.rejects(
      fresh.execute("NOOP", AbortSignal.abort(reason)),
      (error: unknown) => error === reason,
    );
  },
);

Deno.test(
  "AsyncAgiTransport refuses bad lines and a second command in flight",
  {
    permissions: "none",
  },
  async () => {
    const link = new FakeLink();
    const transport = new AsyncAgiTransport(CHANNEL, link);
    await assert.rejects(transport.execute("NOOP\nANSWER"), TypeError);
    await assert.rejects(transport.execute("  "), TypeError);
    assert.equal(link.sent.length, 0);
    const first = transport.execute("ANSWER");
    await assert.rejects(
      transport.execute("NOOP"),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message ===
          'Cannot send AGI command "NOOP": "ANSWER" is still in flight',
    );
    assert.equal(link.sent.length, 1);
    transport.receiveExec(exec("c-1", encoded("200 result=0")));
    await first;
    assert.throws(
      () => new AsyncAgiTransport(CHANNEL, link, { maxUsageLines: 0 }),
      TypeError,
    );
  },
);

Deno.test(
  "AsyncAgiTransport fails the command in flight when the AMI connection is lost",
  {
    permissions: "none",
  },
  async () => {
    const link = new FakeLink();
    const transport = new AsyncAgiTransport(CHANNEL, link);
    const reply = transport.execute("ANSWER");
    link.queued();
    const cause = new Error("reset");
    transport.connectionLost(cause);
    await assert.rejects(reply, (error: unknown) => {
      assert.ok(error instanceof ConnectionClosedError);
      assert.equal(error.cause, cause);
      assert.equal(
        error.message,
        'Cannot run AGI command "ANSWER": AMI connection lost',
      );
      return true;
    });
    assert.equal(transport.ended, false);
    transport.connectionLost(cause); // nothing in flight: nothing happens
    const next = transport.execute("NOOP");
    transport.receiveExec(exec("c-2", encoded("200 result=0")));
    assert.equal((await next).code, 200);
  },
);
