// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: timeouts for many pending actions with one timer per distinct
 * timeout value. Actions with the same timeout expire in the order they
 * were added, so each value gets a FIFO "lane" and a single timer armed
 * for its oldest live entry. Adding and cancelling are O(1) (amortised);
 * a timer per action would cost two timer operations each.
 *
 * @module
 */

/** A scheduled expiry; pass it back to {@linkcode DeadlineQueue.cancel}. */
export interface Deadline<T> {
  /** When it expires (`performance.now()` time). */
  readonly at: number;
  /** The timeout it was added with. */
  readonly timeoutMs: number;
  /** The item, until it expires or is cancelled. */
  item: T | undefined;
}

interface Lane<T> {
  entries: Deadline<T>[];
  head: number;
  /** Entries whose item is still set. */
  live: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Entries cancelled in the middle of a lane are swept when this many pile up. */
const SWEEP_AT = 1024;

/** Expires items after their timeout; see the module doc. */
export class DeadlineQueue<T> {
  readonly #lanes = new Map<number, Lane<T>>();
  readonly #onExpire: (item: T, timeoutMs: number) => void;
  readonly #now: () => number;

  /**
   * @param onExpire Called once for each item whose timeout elapsed.
   * @param now The clock (replaceable in tests).
   */
  constructor(
    onExpire: (item: T, timeoutMs: number) => void,
    now: () => number = () => performance.now(),
  ) {
    this.#onExpire = onExpire;
    this.#now = now;
  }

  /** Live (scheduled, not expired, not cancelled) items. */
  get size(): number {
    let size = 0;
    for (const lane of this.#lanes.values()) size += lane.live;
    return size;
  }

  /** Timers currently armed (one per lane at most). */
  get timers(): number {
    let timers = 0;
    for (const lane of this.#lanes.values()) {
      if (lane.timer !== undefined) timers++;
    }
    return timers;
  }

  /**
   * Schedules `item` to expire after `timeoutMs` (a finite, non-negative
   * number).
   *
   * @returns The handle to cancel it with.
   */
  add(item: T, timeoutMs: number): Deadline<T> {
    let lane = this.#lanes.get(timeoutMs);
    if (lane === undefined) {
      lane = { entries: [], head: 0, live: 0, timer: undefined };
      this.#lanes.set(timeoutMs, lane);
    }
    const deadline: Deadline<T> = {
      at: this.#now() + timeoutMs,
      timeoutMs,
      item,
    };
    lane.entries.push(deadline);
    lane.live++;
    if (lane.timer === undefined) this.#arm(lane, timeoutMs, timeoutMs);
    return deadline;
  }

  /** Cancels a deadline; does nothing if it already expired or was cancelled. */
  cancel(deadline: Deadline<T>): void {
    if (deadline.item === undefined) return;
    deadline.item = undefined;
    const lane = this.#lanes.get(deadline.timeoutMs);
    if (lane === undefined) return;
    lane.live--;
    if (lane.live === 0) {
      this.#drop(lane, deadline.timeoutMs);
      return;
    }
    const dead = lane.entries.length - lane.head - lane.live;
    if (dead >= SWEEP_AT && dead > lane.live) {
      lane.entries = lane.entries.slice(lane.head).filter((e) =>
        e.item !== undefined
      );
      lane.head = 0;
    }
  }

  #arm(lane: Lane<T>, timeoutMs: number, delay: number): void {
    lane.timer = setTimeout(
      () => this.#fire(lane, timeoutMs),
      Math.max(0, delay),
    );
  }

  #drop(lane: Lane<T>, timeoutMs: number): void {
    if (lane.timer !== undefined) clearTimeout(lane.timer);
    lane.timer = undefined;
    if (this.#lanes.get(timeoutMs) === lane) this.#lanes.delete(timeoutMs);
  }

  #fire(lane: Lane<T>, timeoutMs: number): void {
    lane.timer = undefined;
    if (this.#lanes.get(timeoutMs) !== lane) return;
    const now = this.#now();
    const entries = lane.entries;
    while (lane.head < entries.length) {
      const deadline = entries[lane.head]!;
      const item = deadline.item;
      if (item === undefined) {
        lane.head++;
        continue;
      }
      if (deadline.at > now) break;
      lane.head++;
      deadline.item = undefined;
      lane.live--;
      this.#onExpire(item, timeoutMs);
    }
    if (lane.live === 0) {
      this.#drop(lane, timeoutMs);
      return;
    }
    // Skip cancelled entries so the timer targets the oldest live one.
    while (lane.entries[lane.head]!.item === undefined) lane.head++;
    if (lane.head >= SWEEP_AT && lane.head * 2 >= lane.entries.length) {
      lane.entries = lane.entries.slice(lane.head);
      lane.head = 0;
    }
    if (lane.timer === undefined) {
      this.#arm(lane, timeoutMs, lane.entries[lane.head]!.at - this.#now());
    }
  }
}
