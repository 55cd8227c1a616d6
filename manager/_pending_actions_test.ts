// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import { encodeAmiAction } from "./encode_ami_action.ts";
import {
  actionIdKey,
  AWAITING_RESULT,
  closedError,
  COLLECTING,
  LIST,
  ORIGINATE,
  type Pending,
  PendingTable,
  QUEUED,
  SENT,
  SINGLE,
} from "./_pending_actions.ts";

const none = { permissions: "none" } as const;

function pending(
  id: string,
  mode = SINGLE,
  signal?: AbortSignal,
): { pending: Pending; outcome: Promise<unknown> } {
  const { promise, resolve, reject } = Promise.withResolvers<unknown>();
  const wire = { Action: "Ping", ActionID: id };
  return {
    outcome: promise.then(
      (value) => ({ value }),
      (error) => ({ error }),
    ),
    pending: {
      id,
      name: "Ping",
      mode,
      internal: undefined,
      idempotent: false,
      bytes: encodeAmiAction(wire),
      wire,
      maxItems: 10,
      signal,
      resolve: resolve as (value: never) => void,
      reject,
      onQueued: undefined,
      state: QUEUED,
      waiting: false,
      done: false,
      reply: undefined,
      items: [],
      deadline: undefined,
      onAbort: undefined,
    },
  };
}

Deno.test(
  "PendingTable settles an action once and releases its bookkeeping",
  none,
  async () => {
    const table = new PendingTable();
    const list = pending("a", LIST);
    table.add(list.pending, Infinity);
    table.wait(list.pending);
    assert.equal(table.size, 1);
    assert.equal(table.collectors, 1);
    assert.equal(table.waitingBytes, list.pending.bytes.length);
    assert.equal(table.get("a"), list.pending);
    table.sent(list.pending);
    assert.equal(list.pending.state, SENT);
    assert.equal(table.waitingBytes, 0);
    table.resolve(list.pending, "first");
    table.fail(list.pending, new Error("too late"));
    table.resolve(list.pending, "second");
    assert.deepEqual(await list.outcome, { value: "first" });
    assert.equal(table.size, 0);
    assert.equal(table.collectors, 0);
    assert.ok(!table.has("a"));
  },
);

Deno.test(
  "PendingTable releases the bytes of an action settled while it waits",
  none,
  async () => {
    const table = new PendingTable();
    const a = pending("a");
    const b = pending("b");
    for (const p of [a, b]) {
      table.add(p.pending, Infinity);
      table.wait(p.pending);
    }
    table.wait(a.pending); // Twice counts once.
    assert.equal(
      table.waitingBytes,
      a.pending.bytes.length + b.pending.bytes.length,
    );
    table.fail(a.pending, closedError(a.pending, "gone"));
    assert.equal(table.waitingBytes, b.pending.bytes.length);
    const { error } = await a.outcome as { error: unknown };
    assert.ok(error instanceof ConnectionClosedError);
    assert.equal(
      error.message,
      'Cannot complete AMI action "Ping": connection closed',
    );
    assert.equal(error.cause, "gone");
    table.resolve(b.pending, 1);
    assert.equal(table.waitingBytes, 0);
  },
);

Deno.test(
  "PendingTable times actions out with what they were waiting for",
  none,
  async (t) => {
    const cases = [
      [SINGLE, SENT, "reply"],
      [LIST, COLLECTING, "end of the event list"],
      [ORIGINATE, AWAITING_RESULT, "OriginateResponse"],
    ] as const;
    for (const [mode, state, what] of cases) {
      await t.step(what, async () => {
        const table = new PendingTable();
        const p = pending("t", mode);
        table.add(p.pending, 5);
        p.pending.state = state;
        const { error } = await p.outcome as { error: unknown };
        assert.ok(error instanceof TimeoutError);
        assert.equal(error.timeoutMs, 5);
        assert.equal(
          error.message,
          `Cannot complete AMI action "Ping": no ${what} within 5 ms`,
        );
        assert.equal(table.size, 0);
      });
    }
  },
);

Deno.test(
  "PendingTable fails an action with its signal's reason and then forgets the signal",
  none,
  async () => {
    const table = new PendingTable();
    const controller = new AbortController();
    const p = pending("s", SINGLE, controller.signal);
    table.add(p.pending, 60_000);
    controller.abort(new Error("stop"));
    const { error } = await p.outcome as { error: Error };
    assert.equal(error.message, "stop");
    assert.equal(table.size, 0);
    // Settling first removes the listener: a later abort changes nothing.
    const later = new AbortController();
    const q = pending("q", SINGLE, later.signal);
    table.add(q.pending, 60_000);
    table.resolve(q.pending, "done");
    later.abort(new Error("late"));
    assert.deepEqual(await q.outcome, { value: "done" });
  },
);

Deno.test(
  "actionIdKey finds a caller's ActionID in any case, if set",
  none,
  () => {
    assert.equal(actionIdKey({ Action: "Ping", actionid: "1" }), "actionid");
    assert.equal(actionIdKey({ Action: "Ping", ActionID: "1" }), "ActionID");
    assert.equal(
      actionIdKey({ Action: "Ping", ActionID: undefined }),
      undefined,
    );
    assert.equal(actionIdKey({ Action: "Ping" }), undefined);
  },
);
