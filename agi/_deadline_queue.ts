// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: deadlines of one fixed duration served by a single timer. A
 * FastAGI server arms a header deadline and a close deadline per call;
 * one `setTimeout`/`clearTimeout` pair each cost more than the rest of the
 * bookkeeping. Since every deadline has the same duration, they expire in the
 * order they were added: the queue keeps them in that order and arms one
 * timer for the oldest. Not re-exported from `mod.ts`.
 *
 * @module
 */

interface Entry {
  readonly at: number;
  onExpire: (() => void) | undefined;
}

/** A pending deadline; `cancel()` it when the awaited thing happened. */
export interface Deadline {
  /** Drops the deadline; its callback will not run. Idempotent. */
  cancel(): void;
}

/** Entries dropped from the front before the array is compacted. */
const COMPACT_AT = 1024;

/** Deadlines of `delayMs` each, in the order added, behind one timer. */
export class DeadlineQueue {
  readonly #delayMs: number;
  #entries: Entry[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param delayMs How long after `add()` each callback runs.
   */
  constructor(delayMs: number) {
    this.#delayMs = delayMs;
  }

  /** Deadlines not yet expired nor cancelled, plus cancelled ones not yet dropped. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /**
   * Runs `onExpire` after `delayMs` unless the returned deadline is
   * cancelled first.
   *
   * @param onExpire What to do when the deadline passes; must not throw.
   * @returns The deadline.
   */
  add(onExpire: () => void): Deadline {
    const entry: Entry = { at: performance.now() + this.#delayMs, onExpire };
    this.#entries.push(entry);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#fire, this.#delayMs);
    }
    return {
      cancel: () => {
        if (entry.onExpire === undefined) return;
        entry.onExpire = undefined;
        this.#trim();
      },
    };
  }

  /** Drops cancelled entries at the front; stops the timer when none is left. */
  #trim(): void {
    const entries = this.#entries;
    let head = this.#head;
    while (head < entries.length && entries[head]!.onExpire === undefined) {
      head++;
    }
    if (head === entries.length) {
      this.#entries = [];
      this.#head = 0;
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      return;
    }
    if (head >= COMPACT_AT && head * 2 >= entries.length) {
      this.#entries = entries.slice(head);
      head = 0;
    }
    this.#head = head;
  }

  #fire = (): void => {
    this.#timer = undefined;
    // A timer may fire up to a millisecond early by clock rounding.
    const now = performance.now() + 1;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (entry.onExpire !== undefined && entry.at > now) break;
      this.#head++;
      const onExpire = entry.onExpire;
      entry.onExpire = undefined;
      try {
        onExpire?.();
      } catch {
        // A deadline callback must not stop the others.
      }
    }
    // Callbacks may have added or cancelled entries (and armed a timer).
    this.#trim();
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#head < this.#entries.length) {
      const wait = this.#entries[this.#head]!.at - performance.now();
      this.#timer = setTimeout(this.#fire, Math.max(0, Math.ceil(wait)));
    }
  };
}
