// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the bounded per-consumer event buffer behind
 * `AmiClient.events()`. Pushing never waits; the overflow policy decides
 * what is dropped, and every drop is counted.
 *
 * @module
 */

import { LimitExceededError } from "../errors.ts";
import type { AmiMessage } from "./ami_message.ts";
import type {
  AmiEventFilter,
  AmiEventSubscription,
  AmiEventSubscriptionOptions,
  AmiOverflowPolicy,
} from "./ami_event_subscription.ts";

/** Default `bufferSize`. */
export const DEFAULT_EVENT_BUFFER_SIZE = 10_000;

const OPEN = 0;
/** No more events are accepted; buffered ones are still read, then the end. */
const ENDING = 1;
/** Finished: the buffer is empty and `next()` reports the end. */
const CLOSED = 2;

const POLICIES: ReadonlySet<string> = new Set([
  "drop-oldest",
  "drop-newest",
  "error",
]);

interface Waiter {
  resolve(result: IteratorResult<AmiMessage>): void;
  reject(error: unknown): void;
}

/** Hooks from the owning client. */
export interface EventQueueHooks {
  /** Called once when the queue stops accepting events for good. */
  onDetach?: (queue: EventQueue) => void;
  /** Receives an exception thrown by a filter predicate. */
  onFilterError?: (error: unknown, event: AmiMessage) => void;
}

/** The implementation of {@linkcode AmiEventSubscription}. */
export class EventQueue implements AmiEventSubscription {
  readonly #capacity: number;
  readonly #policy: AmiOverflowPolicy;
  readonly #names: ReadonlySet<string> | undefined;
  readonly #predicate: ((event: AmiMessage) => boolean) | undefined;
  readonly #hooks: EventQueueHooks;
  readonly #signal: AbortSignal | undefined;
  #buffer: (AmiMessage | undefined)[] = [];
  #head = 0;
  #dropped = 0;
  #state = OPEN;
  #waiter: Waiter | undefined;
  /** Thrown once, after the buffered events, then the queue reports done. */
  #finalError: unknown;
  #hasFinalError = false;
  #detached = false;
  #onAbort: (() => void) | undefined;

  /**
   * @param options Filter, buffer size, overflow policy, signal.
   * @param hooks Callbacks into the owning client.
   * @throws {TypeError} On a bad option.
   */
  constructor(
    options: AmiEventSubscriptionOptions = {},
    hooks: EventQueueHooks = {},
  ) {
    const capacity = options.bufferSize ?? DEFAULT_EVENT_BUFFER_SIZE;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new TypeError(
        `Cannot subscribe to AMI events: bufferSize must be a positive integer, got ${capacity}`,
      );
    }
    const policy = options.overflow ?? "drop-oldest";
    if (!POLICIES.has(policy)) {
      throw new TypeError(
        `Cannot subscribe to AMI events: overflow must be "drop-oldest", "drop-newest" or "error", got ${
          JSON.stringify(policy)
        }`,
      );
    }
    this.#capacity = capacity;
    this.#policy = policy;
    const filter: AmiEventFilter | undefined = options.filter;
    if (typeof filter === "function") {
      this.#predicate = filter;
    } else if (filter !== undefined) {
      const names = typeof filter === "string" ? [filter] : filter;
      if (
        !Array.isArray(names) || names.some((name) => typeof name !== "string")
      ) {
        throw new TypeError(
          "Cannot subscribe to AMI events: filter must be an event name, a list of names or a predicate",
        );
      }
      this.#names = new Set(names.map((name) => name.toLowerCase()));
    }
    this.#hooks = hooks;
    const signal = options.signal;
    if (signal !== undefined) {
      this.#signal = signal;
      if (signal.aborted) {
        this.#abort();
      } else {
        this.#onAbort = () => this.#abort();
        signal.addEventListener("abort", this.#onAbort, { once: true });
      }
    }
  }

  /** Events discarded by the overflow policy so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events buffered and not yet read. */
  get size(): number {
    return this.#buffer.length - this.#head;
  }

  /** Whether no more events will be buffered. */
  get closed(): boolean {
    return this.#state !== OPEN;
  }

  /**
   * Offers an event: buffers it if it passes the filter.
   *
   * @param event The event.
   * @param lowerName Its `Event` name, lowercased (or `undefined`).
   */
  offer(event: AmiMessage, lowerName: string | undefined): void {
    if (this.#state !== OPEN) return;
    if (this.#names !== undefined) {
      if (lowerName === undefined || !this.#names.has(lowerName)) return;
    } else if (this.#predicate !== undefined) {
      let wanted: boolean;
      try {
        wanted = this.#predicate(event);
      } catch (error) {
        this.#hooks.onFilterError?.(error, event);
        return;
      }
      if (!wanted) return;
    }
    this.push(event);
  }

  /**
   * Buffers an event (no filter), applying the overflow policy.
   *
   * @param event The event.
   */
  push(event: AmiMessage): void {
    if (this.#state !== OPEN) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.#buffer.length - this.#head >= this.#capacity) {
      this.#dropped++;
      if (this.#policy === "drop-newest") return;
      if (this.#policy === "error") {
        this.#finish(
          new LimitExceededError(
            "bufferSize",
            this.#capacity,
            `Cannot buffer AMI event: the consumer fell ${this.#capacity} events behind (bufferSize)`,
          ),
          true,
        );
        return;
      }
      this.#shift();
    }
    this.#buffer.push(event);
  }

  /**
   * Stops accepting events; the buffered ones can still be read, then
   * iteration ends, or throws `error` if one is given.
   *
   * @param error Thrown after the buffered events, if given.
   */
  end(error?: unknown): void {
    if (this.#state !== OPEN) return;
    this.#finish(error, error !== undefined);
  }

  /** Reads the next event, waiting for one if the buffer is empty. */
  next(): Promise<IteratorResult<AmiMessage>> {
    if (this.#buffer.length > this.#head) {
      return Promise.resolve({ value: this.#shift(), done: false });
    }
    if (this.#state === OPEN) {
      if (this.#waiter !== undefined) {
        return Promise.reject(
          new TypeError(
            "Cannot read AMI events: another next() call is still waiting",
          ),
        );
      }
      return new Promise((resolve, reject) => {
        this.#waiter = { resolve, reject };
      });
    }
    this.#state = CLOSED;
    if (this.#hasFinalError) {
      const error = this.#finalError;
      this.#hasFinalError = false;
      this.#finalError = undefined;
      return Promise.reject(error);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends iteration early (`break` in `for await`). */
  return(): Promise<IteratorResult<AmiMessage>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stops the subscription and discards buffered events; idempotent. */
  close(): void {
    this.#buffer = [];
    this.#head = 0;
    this.#hasFinalError = false;
    this.#finalError = undefined;
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#detach();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AmiEventSubscription {
    return this;
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #shift(): AmiMessage {
    const buffer = this.#buffer;
    const event = buffer[this.#head]!;
    buffer[this.#head] = undefined;
    this.#head++;
    if (this.#head === buffer.length) {
      buffer.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= buffer.length) {
      this.#buffer = buffer.slice(this.#head);
      this.#head = 0;
    }
    return event;
  }

  #finish(error: unknown, hasError: boolean): void {
    this.#state = ENDING;
    this.#detach();
    if (hasError) {
      this.#finalError = error;
      this.#hasFinalError = true;
    }
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    // A waiter means the buffer is empty: deliver the end now.
    this.#waiter = undefined;
    this.#state = CLOSED;
    this.#hasFinalError = false;
    this.#finalError = undefined;
    if (hasError) waiter.reject(error);
    else waiter.resolve({ value: undefined, done: true });
  }

  #abort(): void {
    if (this.#state === CLOSED) return;
    this.#buffer = [];
    this.#head = 0;
    this.#state = OPEN;
    this.#finish(this.#signal!.reason, true);
  }

  #detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener("abort", this.#onAbort);
      this.#onAbort = undefined;
    }
    this.#hooks.onDetach?.(this);
  }
}
