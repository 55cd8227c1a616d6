// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { DeadlineQueue } from "./_deadline_queue.ts";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test(
  "DeadlineQueue runs each callback after its delay, in order, except cancelled ones",
  { permissions: "none" },
  async () => {
    const queue = new DeadlineQueue(30);
    const fired: Array<[string, number]> = [];
    const t0 = performance.now();
    const record = (name: string) => () =>
      fired.push([name, performance.now() - t0]);
    queue.add(record("a"));
    const b = queue.add(record("b"));
    await sleep(10);
    queue.add(record("c"));
    b.cancel();
    b.cancel(); // idempotent
    await sleep(5);
    assert.equal(fired.length, 0);
    await sleep(60);
    assert.deepEqual(fired.map(([name]) => name), ["a", "c"]);
    assert.ok(fired[0]![1] >= 29, `a fired after ${fired[0]![1]} ms`);
    assert.ok(fired[1]![1] >= 39, `c fired after ${fired[1]![1]} ms`);
    assert.equal(queue.size, 0);
  },
);

Deno.test("DeadlineQueue stops its timer once every deadline is cancelled", {
  permissions: "none",
}, () => {
  // The leak sanitizer fails this test if a timer is left behind.
  const queue = new DeadlineQueue(60_000);
  const deadlines = Array.from({ length: 3000 }, () => queue.add(() => {}));
  for (const deadline of deadlines.slice(0, 2000)) deadline.cancel();
  assert.equal(queue.size, 1000);
  for (const deadline of deadlines.slice(2000).reverse()) deadline.cancel();
  assert.equal(queue.size, 0);
});

Deno.test(
  "DeadlineQueue keeps going when a callback throws or adds a deadline",
  { permissions: "none" },
  async () => {
    // Wide margins: the deadline added from a callback is due a whole
    // period later, so a loaded machine cannot blur the two steps.
    const queue = new DeadlineQueue(100);
    const fired: string[] = [];
    queue.add(() => {
      fired.push("a");
      queue.add(() => fired.push("later"));
      throw new Error("boom");
    });
    queue.add(() => fired.push("b"));
    while (fired.length < 2) await sleep(5);
    assert.deepEqual(fired, ["a", "b"]);
    while (fired.length < 3) await sleep(5);
    assert.deepEqual(fired, ["a", "b", "later"]);
    assert.equal(queue.size, 0);
  },
);
