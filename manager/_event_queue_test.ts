// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { LimitExceededError } from "../errors.ts";
import { AmiMessage } from "./ami_message.ts";
import { EventQueue } from "./_event_queue.ts";
import type { AmiEventSubscriptionOptions } from "./ami_event_subscription.ts";

function event(name: string, n: number): AmiMessage {
  return new AmiMessage([["Event", name], ["N", String(n)]]);
}

async function drain(queue: EventQueue): Promise<string[]> {
  const seen: string[] = [];
  for await (const e of queue) seen.push(e.get("N")!);
  return seen;
}

Deno.test({
  name: "EventQueue delivers buffered and awaited events in order",
  permissions: "none",
  fn: async () => {
    const queue = new EventQueue();
    queue.push(event("A", 1));
    queue.push(event("A", 2));
    assert.equal(queue.size, 2);
    assert.equal((await queue.next()).value?.get("N"), "1");
    assert.equal((await queue.next()).value?.get("N"), "2");
    const waiting = queue.next();
    queue.push(event("A", 3));
    assert.equal((await waiting).value?.get("N"), "3");
    assert.equal(queue.size, 0);
  },
});

Deno.test({
  name: "EventQueue drop-oldest keeps the newest events and counts the dropped",
  permissions: "none",
  fn: async () => {
    const queue = new EventQueue({ bufferSize: 3 });
    for (let i = 1; i <= 10; i++) queue.push(event("A", i));
    assert.equal(queue.dropped, 7);
    queue.end();
    assert.deepEqual(await drain(queue), ["8", "9", "10"]);
  },
});

Deno.test({
  name: "EventQueue drop-newest keeps the oldest events and counts the dropped",
  permissions: "none",
  fn: async () => {
    const queue = new EventQueue({ bufferSize: 3, overflow: "drop-newest" });
    for (let i = 1; i <= 10; i++) queue.push(event("A", i));
    assert.equal(queue.dropped, 7);
    queue.end();
    assert.deepEqual(await drain(queue), ["1", "2", "3"]);
  },
});

Deno.test({
  name:
    "EventQueue error policy yields the buffer, then throws LimitExceededError, then ends",
  permissions: "none",
  fn: async () => {
    let detached = 0;
    const queue = new EventQueue({ bufferSize: 2, overflow: "error" }, {
      onDetach: () => detached++,
    });
    for (let i = 1; i <= 5; i++) queue.push(event("A", i));
    assert.equal(queue.dropped, 1);
    assert.ok(queue.closed);
    assert.equal(detached, 1);
    assert.equal((await queue.next()).value?.get("N"), "1");
    assert.equal((await queue.next()).value?.get("N"), "2");
    await assert.rejects(queue.next(), (error: unknown) => {
      assert.ok(error instanceof LimitExceededError);
      assert.equal(error.limit, "bufferSize");
      assert.equal(error.max, 2);
      return true;
    });
    assert.deepEqual(await queue.next(), { value: undefined, done: true });
  },
});

Deno.test({
  name: "EventQueue end() drains then finishes, or throws the given error once",
  permissions: "none",
  fn: async () => {
    const plain = new EventQueue();
    plain.push(event("A", 1));
    plain.end();
    plain.push(event("A", 2));
    assert.deepEqual(await drain(plain), ["1"]);

    const failed = new EventQueue();
    failed.push(event("A", 1));
    const reason = new Error("gone");
    failed.end(reason);
    assert.equal((await failed.next()).value?.get("N"), "1");
    await assert.rejects(failed.next(), (error) => error === reason);
    assert.equal((await failed.next()).done, true);

    const waiting = new EventQueue();
    const pending = waiting.next();
    waiting.end(reason);
    await assert.rejects(pending, (error) => error === reason);
  },
});

Deno.test({
  name: "EventQueue close() and break discard the buffer and detach once",
  permissions: "none",
  fn: async () => {
    let detached = 0;
    const queue = new EventQueue({}, { onDetach: () => detached++ });
    for (let i = 1; i <= 5; i++) queue.push(event("A", i));
    const seen: string[] = [];
    for await (const e of queue) {
      seen.push(e.get("N")!);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ["1", "2"]);
    assert.equal(queue.size, 0);
    assert.equal(detached, 1);
    queue.close();
    await queue[Symbol.asyncDispose]();
    assert.equal(detached, 1);
    assert.equal((await queue.next()).done, true);

    const waiting = new EventQueue();
    const pending = waiting.next();
    waiting.close();
    assert.equal((await pending).done, true);
  },
});

Deno.test({
  name: "EventQueue filters by case-insensitive names or a predicate",
  permissions: "none",
  fn: async () => {
    const byName = new EventQueue({ filter: ["Hangup", "newchannel"] });
    const byPredicate = new EventQueue({ filter: (e) => e.get("N") !== "2" });
    const errors: unknown[] = [];
    const throwing = new EventQueue({
      filter: (e) => {
        if (e.get("N") === "1") throw new Error("bad filter");
        return true;
      },
    }, { onFilterError: (error) => errors.push(error) });
    const all = [
      event("Hangup", 1),
      event("Newstate", 2),
      event("Newchannel", 3),
    ];
    for (const e of all) {
      const lower = e.event?.toLowerCase();
      byName.offer(e, lower);
      byPredicate.offer(e, lower);
      throwing.offer(e, lower);
    }
    byName.offer(new AmiMessage([["Response", "Success"]]), undefined);
    for (const queue of [byName, byPredicate, throwing]) queue.end();
    assert.deepEqual(await drain(byName), ["1", "3"]);
    assert.deepEqual(await drain(byPredicate), ["1", "3"]);
    assert.deepEqual(await drain(throwing), ["2", "3"]);
    assert.equal(errors.length, 1);
  },
});

Deno.test({
  name: "EventQueue rejects with the abort reason and detaches",
  permissions: "none",
  fn: async () => {
    const controller = new AbortController();
    let detached = 0;
    const queue = new EventQueue({ signal: controller.signal }, {
      onDetach: () => detached++,
    });
    queue.push(event("A", 1));
    assert.equal((await queue.next()).value?.get("N"), "1");
    const pending = queue.next();
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(pending, (error) => error === reason);
    assert.equal(detached, 1);
    queue.push(event("A", 2));
    assert.equal((await queue.next()).done, true);

    const pre = new EventQueue({ signal: AbortSignal.abort(reason) });
    assert.ok(pre.closed);
    await assert.rejects(pre.next(), (error) => error === reason);
  },
});

Deno.test({
  name: "EventQueue refuses a second concurrent next() and bad options",
  permissions: "none",
  fn: async () => {
    const queue = new EventQueue();
    const first = queue.next();
    await assert.rejects(queue.next(), TypeError);
    queue.push(event("A", 1));
    assert.equal((await first).value?.get("N"), "1");
    assert.throws(() => new EventQueue({ bufferSize: 0 }), TypeError);
    assert.throws(() => new EventQueue({ bufferSize: 1.5 }), TypeError);
    const block = {
      overflow: "block",
    } as unknown as AmiEventSubscriptionOptions;
    assert.throws(() => new EventQueue(block), /overflow must be/);
    // @ts-expect-error: not a filter
    assert.throws(() => new EventQueue({ filter: 42 }), TypeError);
  },
});

Deno.test({
  name: "EventQueue keeps order across buffer compaction",
  permissions: "none",
  fn: async () => {
    const queue = new EventQueue({ bufferSize: 20_000 });
    let expected = 0;
    let next = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 3000; i++) queue.push(event("A", next++));
      for (let i = 0; i < 2500; i++) {
        const { value } = await queue.next();
        assert.equal(value?.get("N"), String(expected++));
      }
    }
    queue.end();
    for await (const e of queue) assert.equal(e.get("N"), String(expected++));
    assert.equal(expected, next - queue.dropped);
    assert.equal(queue.dropped, 0);
  },
});
