// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { DeadlineQueue } from "./_deadline_queue.ts";

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test({
  name: "DeadlineQueue expires items in order with one timer per timeout value",
  permissions: "none",
  fn: async () => {
    const expired: [string, number][] = [];
    const queue = new DeadlineQueue<string>((item, ms) =>
      expired.push([item, ms])
    );
    queue.add("a", 20);
    const b = queue.add("b", 20);
    queue.add("c", 20);
    queue.add("fast", 5);
    assert.equal(queue.size, 4);
    assert.equal(queue.timers, 2);
    queue.cancel(b);
    queue.cancel(b);
    assert.equal(queue.size, 3);
    await wait(60);
    assert.deepEqual(expired, [["fast", 5], ["a", 20], ["c", 20]]);
    assert.equal(queue.size, 0);
    assert.equal(queue.timers, 0);
  },
});

Deno.test({
  name: "DeadlineQueue stops its timer when every item was cancelled",
  permissions: "none",
  fn: () => {
    const queue = new DeadlineQueue<number>(() => assert.fail("expired"));
    const handles = Array.from({ length: 100 }, (_, i) => queue.add(i, 10_000));
    assert.equal(queue.timers, 1);
    for (const handle of handles) queue.cancel(handle);
    assert.equal(queue.timers, 0);
    assert.equal(queue.size, 0);
  },
});

Deno.test({
  name: "DeadlineQueue re-arms for the oldest live item after cancellations",
  permissions: "none",
  fn: async () => {
    let clock = 0;
    const expired: number[] = [];
    const queue = new DeadlineQueue<number>(
      (item) => expired.push(item),
      () => clock,
    );
    const first = queue.add(1, 10);
    clock = 5;
    queue.add(2, 10); // expires at 15
    queue.cancel(first);
    // The timer armed for item 1 fires (real time ~10 ms) at clock 10:
    // item 2 is not due yet, so it is re-armed, not expired.
    clock = 10;
    await wait(30);
    assert.deepEqual(expired, []);
    assert.equal(queue.timers, 1);
    clock = 15;
    await wait(30);
    assert.deepEqual(expired, [2]);
    assert.equal(queue.timers, 0);
  },
});

Deno.test({
  name: "DeadlineQueue sweeps items cancelled out of order and keeps the rest",
  permissions: "none",
  fn: async () => {
    const expired: number[] = [];
    const queue = new DeadlineQueue<number>((item) => expired.push(item));
    const handles = Array.from({ length: 5000 }, (_, i) => queue.add(i, 20));
    // Cancel all but every 500th, keeping item 0 alive so nothing drains.
    for (let i = 1; i < handles.length; i++) {
      if (i % 500 !== 0) queue.cancel(handles[i]!);
    }
    assert.equal(queue.size, 10);
    await wait(60);
    assert.deepEqual(expired, Array.from({ length: 10 }, (_, i) => i * 500));
    assert.equal(queue.timers, 0);
  },
});
