// Copyright the @pyst/asterisk authors. MIT license.

/**
 * A reconnect policy: given the 1-based number of the attempt about to be
 * made, returns how many milliseconds to wait before it, or `undefined` to
 * give up.
 */
export type AmiBackoff = (attempt: number) => number | undefined;

/** Options of {@linkcode exponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /**
   * Delay before the first attempt, in milliseconds.
   *
   * @default {250}
   */
  initialDelayMs?: number;
  /**
   * Largest delay, in milliseconds (the cap applies before jitter).
   *
   * @default {30000}
   */
  maxDelayMs?: number;
  /**
   * Growth factor between two attempts.
   *
   * @default {2}
   */
  multiplier?: number;
  /**
   * Fraction of each delay that is randomised, from 0 (none) to 1 (anywhere
   * between 0 and the full delay), so many clients do not reconnect in step.
   *
   * @default {0.5}
   */
  jitter?: number;
  /**
   * Attempts before giving up; `Infinity` never gives up.
   *
   * @default {Infinity}
   */
  maxAttempts?: number;
  /**
   * Source of randomness in [0, 1), replaceable for deterministic tests.
   *
   * @default {Math.random}
   */
  random?: () => number;
}

/**
 * Builds an exponential backoff policy with jitter, a cap and a give-up
 * point: attempt `n` waits `min(maxDelayMs, initialDelayMs * multiplier^(n-1))`,
 * minus a random part of up to `jitter` of that, and attempt
 * `maxAttempts + 1` gives up.
 *
 * @param options Delays, growth, jitter and give-up point.
 * @returns The policy, to pass as `reconnect` to the AMI client.
 * @throws {TypeError} If an option is negative, not a number, or `jitter`
 * is outside [0, 1].
 *
 * @example Delays without jitter
 * ```ts
 * import { exponentialBackoff } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const backoff = exponentialBackoff({
 *   initialDelayMs: 100,
 *   maxDelayMs: 1000,
 *   jitter: 0,
 *   maxAttempts: 5,
 * });
 * assert.deepEqual([1, 2, 3, 4, 5].map(backoff), [100, 200, 400, 800, 1000]);
 * assert.equal(backoff(6), undefined);
 * ```
 */
export function exponentialBackoff(
  options: ExponentialBackoffOptions = {},
): AmiBackoff {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const multiplier = options.multiplier ?? 2;
  const jitter = options.jitter ?? 0.5;
  const maxAttempts = options.maxAttempts ?? Infinity;
  const random = options.random ?? Math.random;
  for (
    const [name, value] of [
      ["initialDelayMs", initial],
      ["maxDelayMs", max],
      ["multiplier", multiplier],
      ["maxAttempts", maxAttempts],
    ] as const
  ) {
    if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
      throw new TypeError(
        `Cannot create backoff: ${name} must be a non-negative number, got ${
          String(value)
        }`,
      );
    }
  }
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) {
    throw new TypeError(
      `Cannot create backoff: jitter must be between 0 and 1, got ${
        String(jitter)
      }`,
    );
  }
  return (attempt: number): number | undefined => {
    if (!(attempt >= 1) || attempt > maxAttempts) return undefined;
    const base = Math.min(max, initial * multiplier ** (attempt - 1));
    return Math.round(base - base * jitter * random());
  };
}
