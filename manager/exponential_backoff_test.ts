// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { exponentialBackoff } from "./exponential_backoff.ts";

Deno.test({
  name: "exponentialBackoff grows by the multiplier up to the cap",
  permissions: "none",
  fn: () => {
    const backoff = exponentialBackoff({
      initialDelayMs: 10,
      multiplier: 3,
      maxDelayMs: 500,
      jitter: 0,
    });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(backoff), [
      10,
      30,
      90,
      270,
      500,
      500,
    ]);
    assert.equal(backoff(1000), 500);
  },
});

Deno.test({
  name:
    "exponentialBackoff gives up after maxAttempts and on nonsense attempts",
  permissions: "none",
  fn: () => {
    const backoff = exponentialBackoff({ maxAttempts: 2, jitter: 0 });
    assert.equal(backoff(1), 250);
    assert.equal(backoff(2), 500);
    assert.equal(backoff(3), undefined);
    assert.equal(backoff(0), undefined);
    assert.equal(backoff(Number.NaN), undefined);
    assert.equal(exponentialBackoff({ maxAttempts: 0 })(1), undefined);
  },
});

Deno.test({
  name: "exponentialBackoff jitter removes up to its fraction of the delay",
  permissions: "none",
  fn: () => {
    let next = 0;
    const values = [0, 0.5, 0.9999];
    const backoff = exponentialBackoff({
      initialDelayMs: 1000,
      jitter: 0.5,
      random: () => values[next++ % values.length]!,
    });
    assert.deepEqual([backoff(1), backoff(1), backoff(1)], [1000, 750, 500]);
    const full = exponentialBackoff({
      initialDelayMs: 1000,
      jitter: 1,
      random: () => 0.25,
    });
    assert.equal(full(1), 750);
  },
});

Deno.test({
  name: "exponentialBackoff spreads delays with the default random source",
  permissions: "none",
  fn: () => {
    const backoff = exponentialBackoff({ initialDelayMs: 1000 });
    const delays = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const delay = backoff(1)!;
      assert.ok(delay >= 500 && delay <= 1000, String(delay));
      delays.add(delay);
    }
    assert.ok(delays.size > 1);
  },
});

Deno.test({
  name: "exponentialBackoff rejects bad options with TypeError",
  permissions: "none",
  fn: () => {
    assert.throws(() => exponentialBackoff({ initialDelayMs: -1 }), TypeError);
    assert.throws(
      () => exponentialBackoff({ multiplier: Number.NaN }),
      TypeError,
    );
    assert.throws(
      () => exponentialBackoff({ jitter: 1.5 }),
      /jitter must be between 0 and 1/,
    );
    assert.throws(() => exponentialBackoff({ maxAttempts: -3 }), TypeError);
  },
});
