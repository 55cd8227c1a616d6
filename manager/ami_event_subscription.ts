// Copyright the @pyst/asterisk authors. MIT license.
import type { AmiMessage } from "./ami_message.ts";

/**
 * What a subscription does when an event arrives and its buffer is full:
 * - `drop-oldest`: discard the oldest buffered event to make room;
 * - `drop-newest`: discard the arriving event;
 * - `error`: stop buffering; after the buffered events, iteration throws a
 *   `LimitExceededError` (limit `bufferSize`).
 *
 * Every discarded event is counted in {@linkcode AmiEventSubscription.dropped}.
 */
export type AmiOverflowPolicy = "drop-oldest" | "drop-newest" | "error";

/**
 * Which events a subscription receives: one event name or a list of names
 * (compared case-insensitively), or a predicate.
 */
export type AmiEventFilter =
  | string
  | readonly string[]
  | ((event: AmiMessage) => boolean);

/** Options of `AmiClient.events()`. */
export interface AmiEventSubscriptionOptions {
  /**
   * Only events that pass this filter are buffered. A predicate that throws
   * counts as "no" and is reported as an `error` lifecycle event.
   *
   * @default {undefined} (every event)
   */
  filter?: AmiEventFilter;
  /**
   * Most events held for this consumer before the overflow policy applies.
   *
   * @default {10000}
   */
  bufferSize?: number;
  /**
   * What to do when the buffer is full.
   *
   * @default {"drop-oldest"}
   */
  overflow?: AmiOverflowPolicy;
  /**
   * Ends the subscription when aborted: a waiting or later `next()` rejects
   * with the signal's reason.
   */
  signal?: AbortSignal;
}

/**
 * One consumer's view of the event stream: an async iterator over the
 * events that arrive after it was created, in wire order, through a
 * bounded buffer. The client's socket reader never waits for it.
 *
 * Iteration ends (`done`) when the subscription or the client is closed;
 * if the client gave up reconnecting, it throws the connection error after
 * the buffered events.
 */
export interface AmiEventSubscription
  extends AsyncIterableIterator<AmiMessage>, AsyncDisposable {
  /** Events discarded by the overflow policy so far. */
  readonly dropped: number;
  /** Events buffered and not yet read. */
  readonly size: number;
  /** Whether no more events will be buffered. */
  readonly closed: boolean;
  /** Stops the subscription and discards buffered events; idempotent. */
  close(): void;
}
