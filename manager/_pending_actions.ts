// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the AMI client's table of pending actions: each action's state,
 * its deadline and abort signal, how many collect events, and how many
 * bytes wait for a connection. Settling an action here releases all of it
 * exactly once.
 *
 * @module
 */
import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import type { AmiMessage } from "./ami_message.ts";
import type { AmiAction } from "./encode_ami_action.ts";
import type { Connection } from "./_ami_connection.ts";
import { type Deadline, DeadlineQueue } from "./_deadline_queue.ts";

/** Waiting for a connection (not written yet). */
export const QUEUED = 0;
/** Written; waiting for the reply. */
export const SENT = 1;
/** A list whose ack came; collecting its events. */
export const COLLECTING = 2;
/** An Originate whose ack came; waiting for `OriginateResponse`. */
export const AWAITING_RESULT = 3;

/** An action with one reply. */
export const SINGLE = 0;
/** An action answered by an event list. */
export const LIST = 1;
/** An Originate waiting for its `OriginateResponse`. */
export const ORIGINATE = 2;

/** An action waiting for its outcome. */
export interface Pending {
  readonly id: string;
  readonly name: string;
  readonly mode: number;
  /** The connection an internal request (login, filter, ping) belongs to. */
  readonly internal: Connection | undefined;
  readonly idempotent: boolean;
  readonly bytes: Uint8Array;
  readonly wire: AmiAction;
  readonly maxItems: number;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (value: never) => void;
  readonly reject: (error: unknown) => void;
  readonly onQueued: ((response: AmiMessage) => void) | undefined;
  state: number;
  /** Whether its bytes wait for a connection (counted in `PendingTable.waitingBytes`). */
  waiting: boolean;
  done: boolean;
  reply: AmiMessage | undefined;
  items: AmiMessage[];
  deadline: Deadline<Pending> | undefined;
  onAbort: (() => void) | undefined;
}

/** How an action is submitted. */
export interface SubmitOptions {
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly idempotent: boolean;
  readonly maxItems: number | undefined;
  readonly onQueued: ((response: AmiMessage) => void) | undefined;
  readonly internal: Connection | undefined;
}

/** Pending actions by ActionID. */
export class PendingTable {
  readonly #pending = new Map<string, Pending>();
  readonly #deadlines = new DeadlineQueue<Pending>((pending, timeout) => {
    const mode = pending.mode;
    this.fail(
      pending,
      new TimeoutError(
        `Cannot complete AMI action ${JSON.stringify(pending.name)}: no ${
          mode === ORIGINATE && pending.state === AWAITING_RESULT
            ? "OriginateResponse"
            : mode === LIST && pending.state === COLLECTING
            ? "end of the event list"
            : "reply"
        } within ${timeout} ms`,
        timeout,
      ),
    );
  });
  #collectors = 0;
  #waitingBytes = 0;

  /** How many actions are pending. */
  get size(): number {
    return this.#pending.size;
  }

  /** Pending actions that take events (lists, originates). */
  get collectors(): number {
    return this.#collectors;
  }

  /** Bytes of actions waiting for a connection. */
  get waitingBytes(): number {
    return this.#waitingBytes;
  }

  /** Whether an action with this ActionID is pending. */
  has(id: string): boolean {
    return this.#pending.has(id);
  }

  /** The pending action with this ActionID. */
  get(id: string): Pending | undefined {
    return this.#pending.get(id);
  }

  /** The pending actions, in submission order. */
  values(): MapIterator<Pending> {
    return this.#pending.values();
  }

  /**
   * Adds an action; it fails with a TimeoutError after `timeout` ms (unless
   * infinite) and with the signal's reason if `signal` aborts.
   */
  add(pending: Pending, timeout: number): void {
    this.#pending.set(pending.id, pending);
    if (pending.mode !== SINGLE) this.#collectors++;
    if (Number.isFinite(timeout)) {
      pending.deadline = this.#deadlines.add(pending, timeout);
    }
    const signal = pending.signal;
    if (signal !== undefined) {
      pending.onAbort = () => this.fail(pending, signal.reason);
      signal.addEventListener("abort", pending.onAbort, { once: true });
    }
  }

  /** Marks an action as waiting for a connection (its bytes counted). */
  wait(pending: Pending): void {
    pending.state = QUEUED;
    if (pending.waiting) return;
    pending.waiting = true;
    this.#waitingBytes += pending.bytes.length;
  }

  /** Marks an action as handed to a connection (its bytes no longer wait). */
  sent(pending: Pending): void {
    if (pending.waiting) {
      pending.waiting = false;
      this.#waitingBytes -= pending.bytes.length;
    }
    pending.state = SENT;
  }

  /** Resolves an action, unless it was already settled. */
  resolve(pending: Pending, value: unknown): void {
    if (this.#finish(pending)) pending.resolve(value as never);
  }

  /** Rejects an action, unless it was already settled. */
  fail(pending: Pending, error: unknown): void {
    if (this.#finish(pending)) pending.reject(error);
  }

  /** Settles bookkeeping; false if the action was already settled. */
  #finish(pending: Pending): boolean {
    if (pending.done) return false;
    pending.done = true;
    this.#pending.delete(pending.id);
    if (pending.waiting) {
      pending.waiting = false;
      this.#waitingBytes -= pending.bytes.length;
    }
    if (pending.mode !== SINGLE) this.#collectors--;
    if (pending.deadline !== undefined) {
      this.#deadlines.cancel(pending.deadline);
    }
    if (pending.onAbort !== undefined) {
      pending.signal!.removeEventListener("abort", pending.onAbort);
    }
    return true;
  }
}

/** The error of an action whose connection closed before its outcome. */
export function closedError(
  pending: Pending,
  cause: unknown,
): ConnectionClosedError {
  return new ConnectionClosedError(
    `Cannot complete AMI action ${
      JSON.stringify(pending.name)
    }: connection closed`,
    { cause },
  );
}

/** The key of a caller-supplied ActionID, in whatever case it was written. */
export function actionIdKey(action: AmiAction): string | undefined {
  for (const key of Object.keys(action)) {
    if (
      key.length === 8 && key.toLowerCase() === "actionid" &&
      action[key] !== undefined
    ) {
      return key;
    }
  }
  return undefined;
}
