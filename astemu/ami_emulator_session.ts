// Copyright the @pyst/asterisk authors. MIT license.
import { ConnectionClosedError, LimitExceededError } from "../errors.ts";
import type { AmiMessage } from "../manager/ami_message.ts";
import { AmiMessageDecoder } from "../manager/ami_message_decoder.ts";
import type {
  AmiEmitOptions,
  AmiEmulator,
  AmiEmulatorFields,
} from "./ami_emulator.ts";
import { stateOf } from "./_ami_state_registry.ts";
import { eventCategory, SessionCore } from "./_ami_server.ts";
import { formatPacket, toFields } from "./_ami_fields.ts";
import { namesToMask } from "./_ami_permissions.ts";

/**
 * Faults to inject into a session (or, through
 * {@linkcode AmiEmulator.setFaults}, into every session). Unset fields mean
 * "behave normally".
 */
export interface AmiEmulatorFaults {
  /** Milliseconds to wait before writing each response (events are not delayed, so they may overtake it). */
  responseDelayMs?: number | undefined;
  /** Write output in pieces of at most this many bytes, one write each, a millisecond apart. */
  writeChunkSize?: number | undefined;
  /** Hold each response until the next one is ready and send that one first (a held response goes out after 200 ms alone). */
  reorderResponses?: boolean | undefined;
  /** `missing`: responses carry no ActionID; `wrong`: they carry `astemu-wrong-<id>`. */
  actionId?: "echo" | "missing" | "wrong" | undefined;
  /** Stop writing: output queues up (up to `maxQueuedBytes`) until this is cleared. */
  stallWrites?: boolean | undefined;
  /** Stop reading the client's bytes: they stay in the transport (so the client's writes back up) and its actions wait, unanswered, until this is cleared. */
  stopReading?: boolean | undefined;
}

/** Options of {@linkcode AmiEmulatorSession}. */
export interface AmiEmulatorSessionOptions {
  /**
   * The server's address as Asterisk shows it in security events.
   *
   * @default {"IPV4/TCP/127.0.0.1/5038"}
   */
  localAddress?: string;
  /**
   * The client's address as Asterisk shows it in security events.
   *
   * @default {"IPV4/TCP/127.0.0.1/0"}
   */
  remoteAddress?: string;
  /** Called once when the session has ended, e.g. to close the socket under the streams. */
  onClose?: () => void;
}

/** Options of {@linkcode AmiEmulatorSession.announceShutdown}. */
export interface AmiShutdownOptions {
  /**
   * Whether the shutdown is announced as clean.
   *
   * @default {true}
   */
  clean?: boolean;
  /**
   * Whether Asterisk announces a restart.
   *
   * @default {false}
   */
  restart?: boolean;
  /**
   * Whether the connection is closed after the announcement.
   *
   * @default {true}
   */
  close?: boolean;
}

const encoder = new TextEncoder();
/** What {@linkcode AmiEmulatorSession} `#untilEnded` gives once the session ended. */
const ENDED: unique symbol = Symbol("ended");
/** Pause between the pieces of a chunked write. */
const CHUNK_GAP_MS = 1;
/** How long a reordered response waits for a partner. */
const REORDER_HOLD_MS = 200;

interface Unit {
  bytes: Uint8Array;
}

/**
 * One client connection to an {@linkcode AmiEmulator}: the AMI protocol over
 * any readable/writable byte stream pair (a TCP connection, or the in-memory
 * pair of {@linkcode AmiEmulator.connectInMemory}). It writes the banner,
 * reads actions, answers them like Asterisk, delivers events, and can be
 * made to misbehave on purpose (see {@linkcode AmiEmulatorFaults}).
 *
 * Like Asterisk, it drops a client whose socket does not take a write within
 * the emulator's `writeTimeoutMs` (100 ms by default), and answers an input
 * line over 1024 bytes or an action of more than 128 lines with an error
 * without closing.
 *
 * When the client closes its side, the session ends and its output stream
 * closes cleanly. When the emulator drops the session
 * ({@linkcode AmiEmulatorSession.drop}, a write timeout, an overflowing
 * output queue, the emulator closing), both streams error with a
 * `ConnectionClosedError`; after a graceful end (`Logoff`,
 * {@linkcode AmiEmulatorSession.close}) the output ends cleanly and only
 * the client's later writes fail that way.
 *
 * @example Dropping a session and watching the client notice
 * ```ts
 * import { startAmiEmulator } from "@pyst/asterisk/astemu";
 * import { ConnectionClosedError } from "@pyst/asterisk";
 * import assert from "node:assert/strict";
 *
 * await using emulator = await startAmiEmulator({ listen: false });
 * const { readable, session } = emulator.connectInMemory();
 * const reader = readable.getReader();
 * const banner = new TextDecoder().decode((await reader.read()).value);
 * assert.equal(banner, "Asterisk Call Manager/13.0.0\r\n");
 * session.drop();
 * await session.closed;
 * assert.ok(session.isClosed);
 * await assert.rejects(reader.read(), ConnectionClosedError);
 * ```
 */
export class AmiEmulatorSession {
  readonly #core: SessionCore;
  readonly #emulator: AmiEmulator;
  readonly #readable: ReadableStream<Uint8Array>;
  readonly #writable: WritableStream<Uint8Array>;
  readonly #onClose: (() => void) | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #faults: AmiEmulatorFaults = {};
  readonly #queue: Unit[] = [];
  #queuedBytes = 0;
  #held: Unit | undefined;
  #heldTimer: ReturnType<typeof setTimeout> | undefined;
  /** Loops waiting for a change (more output, faults cleared, closing). */
  readonly #waiters = new Set<() => void>();
  #closing = false;
  #ended = false;
  #closeReason: string | undefined;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;
  /** Waits raced against the end; each removes itself when it settles. */
  readonly #endWaiters = new Set<() => void>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Both I/O loops; `closed` waits for them so no read or write is left pending. */
  #loops: Promise<void> = Promise.resolve();

  /**
   * Attaches a connection to an emulator and starts serving it (the banner
   * is written at once).
   *
   * @param emulator The emulator whose users, handlers and channels to use.
   * @param readable The client's bytes.
   * @param writable Where the client reads from.
   * @param options Addresses shown in events, and a close callback.
   * @throws {TypeError} If the emulator is closed.
   */
  constructor(
    emulator: AmiEmulator,
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    options: AmiEmulatorSessionOptions = {},
  ) {
    const state = stateOf(emulator);
    if (state.lifetime.signal.aborted) {
      throw new TypeError("Cannot attach AMI session: the emulator is closed");
    }
    this.#emulator = emulator;
    this.#readable = readable;
    this.#writable = writable;
    this.#onClose = options.onClose;
    this.#closed = new Promise((resolve) => this.#resolveClosed = resolve);
    const overLimit = state.unauthenticated() >= state.authLimit;
    this.#core = new SessionCore(state, this, {
      write: (text, kind) => this.#enqueue(text, kind),
      close: (reason) => this.#closeGracefully(reason),
      faults: () => ({ ...state.faults, ...this.#faults }),
    }, {
      local: options.localAddress ?? "IPV4/TCP/127.0.0.1/5038",
      remote: options.remoteAddress ?? "IPV4/TCP/127.0.0.1/0",
    });
    state.sessions.push(this);
    state.notify();
    if (
      overLimit ||
      (state.replay !== undefined && !state.replay.has(this.#core.replayIndex!))
    ) {
      // Asterisk drops a connection over `authlimit` before the greeting.
      this.#end(
        overLimit
          ? "too many unauthenticated sessions"
          : "no recorded connection left",
      );
      return;
    }
    state.cores.add(this.#core);
    this.#writer = writable.getWriter();
    this.#reader = readable.getReader();
    this.#enqueue(this.#core.banner(), "event");
    this.#core.start();
    this.#loops = Promise.all([this.#readLoop(), this.#writeLoop()]).then(
      () => {},
    );
  }

  /** The session's number: its index in {@linkcode AmiEmulator.sessions}. */
  get id(): number {
    return this.#core.id;
  }

  /** The emulator serving this session. */
  get emulator(): AmiEmulator {
    return this.#emulator;
  }

  /** Whether the client has logged in. */
  get authenticated(): boolean {
    return this.#core.authenticated;
  }

  /** The user the client logged in as, if it did. */
  get username(): string | undefined {
    return this.#core.username;
  }

  /** Every action the client sent, in order. */
  get actions(): readonly AmiMessage[] {
    return this.#core.actions;
  }

  /** Resolves when the session has ended, for whatever reason. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Whether the session has ended. */
  get isClosed(): boolean {
    return this.#ended;
  }

  /** Why the session ended (`logoff`, `dropped`, `write timeout`…), once it has. */
  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /** The faults set on this session (the emulator's global faults apply too). */
  get faults(): Readonly<AmiEmulatorFaults> {
    return { ...this.#faults };
  }

  /**
   * Sets faults on this session, merged over the ones already set; a field
   * set to `undefined` clears it.
   *
   * @param faults The faults to change.
   *
   * @example Delaying responses
   * ```ts
   * import { startAmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using emulator = await startAmiEmulator({ listen: false });
   * const { session } = emulator.connectInMemory();
   * session.setFaults({ responseDelayMs: 50, actionId: "missing" });
   * assert.deepEqual(session.faults, { responseDelayMs: 50, actionId: "missing" });
   * session.setFaults({ actionId: undefined });
   * assert.deepEqual(session.faults, { responseDelayMs: 50 });
   * ```
   */
  setFaults(faults: AmiEmulatorFaults): void {
    const merged: Record<string, unknown> = { ...this.#faults };
    for (const [key, value] of Object.entries(faults)) {
      if (value === undefined) delete merged[key];
      else merged[key] = value;
    }
    this.#faults = merged as AmiEmulatorFaults;
    if (this.#faultsNow().stopReading === true) this.#stopReading();
    this.#notify();
  }

  /**
   * Sends an event to this session. The session's read permission, event
   * mask and filters apply unless `ignoreMask` is set; the category comes
   * from the event's `Privilege` field or from `options.category`.
   *
   * @param event The event's fields, `Event` first.
   * @param options Category and mask handling.
   * @returns Whether the event was sent.
   * @throws {TypeError} If a field is malformed or holds CR or LF.
   */
  emit(
    event: AmiEmulatorFields,
    options: Omit<AmiEmitOptions, "session"> = {},
  ): boolean {
    const { fields, category } = eventCategory(
      toFields(event, "event"),
      options.category ?? "call",
    );
    return this.#core.deliver(
      formatPacket(fields),
      category,
      options.ignoreMask ?? false,
    );
  }

  /**
   * Writes raw bytes or text to the client, outside any packet.
   *
   * @param data What to write.
   */
  sendRaw(data: Uint8Array | string): void {
    this.#enqueueBytes(
      typeof data === "string" ? encoder.encode(data) : data.slice(),
    );
  }

  /**
   * Writes bytes that are not AMI: random bytes (with CR, LF, NUL and
   * invalid UTF-8 among them) followed by a blank line.
   *
   * @param length How many random bytes.
   */
  sendGarbage(length = 256): void {
    const bytes = new Uint8Array(length + 4);
    crypto.getRandomValues(bytes.subarray(0, length));
    for (let i = 0; i < length; i += 17) {
      bytes[i] = [0x0a, 0x0d, 0x00, 0xff, 0x3a][i % 5]!;
    }
    bytes.set([0x0d, 0x0a, 0x0d, 0x0a], length);
    this.#enqueueBytes(bytes);
  }

  /**
   * Writes an event with one line of `bytes` bytes, to test a client's line
   * limit.
   *
   * @param bytes The length of the long value.
   */
  sendLongLine(bytes = 2 * 1024 * 1024): void {
    this.#enqueueBytes(
      encoder.encode(
        `Event: LongLine\r\nPrivilege: user,all\r\nData: ${
          "x".repeat(bytes)
        }\r\n\r\n`,
      ),
    );
  }

  /**
   * Announces a shutdown like Asterisk (`Event: Shutdown`), then closes the
   * session unless `close` is `false`. The event goes out even to sessions
   * whose mask excludes it.
   *
   * @param options How the shutdown is described.
   */
  announceShutdown(options: AmiShutdownOptions = {}): void {
    this.#core.deliver(
      formatPacket([
        ["Event", "Shutdown"],
        ["Privilege", "system,all"],
        ["Shutdown", options.clean === false ? "Uncleanly" : "Cleanly"],
        ["Restart", options.restart === true ? "True" : "False"],
      ]),
      namesToMask("system"),
      true,
    );
    if (options.close !== false) this.#closeGracefully("shutdown");
  }

  /** Writes what is queued, then closes the connection (as after `Logoff`): the client reads to a clean end. */
  close(): void {
    this.#closeGracefully("closed by emulator");
  }

  /** Closes the connection at once, dropping queued output (a crash or network loss): the client's streams error with a `ConnectionClosedError`. */
  drop(): void {
    this.#end("dropped");
  }

  #enqueue(text: string, kind: "response" | "event"): void {
    if (this.#closing) return;
    const unit: Unit = { bytes: encoder.encode(text) };
    if (kind !== "response") return this.#push(unit);
    const faults = this.#core.sink.faults();
    const delay = faults.responseDelayMs ?? 0;
    if (delay > 0) this.#later(() => this.#respond(unit), delay);
    else this.#respond(unit);
  }

  #respond(unit: Unit): void {
    if (this.#closing) return;
    const faults = this.#core.sink.faults();
    if (faults.reorderResponses !== true) {
      this.#releaseHeld();
      return this.#push(unit);
    }
    if (this.#held === undefined) {
      this.#held = unit;
      this.#heldTimer = this.#later(() => this.#releaseHeld(), REORDER_HOLD_MS);
      return;
    }
    const held = this.#held;
    this.#held = undefined;
    this.#clearTimer(this.#heldTimer);
    this.#push(unit);
    this.#push(held);
  }

  #releaseHeld(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#clearTimer(this.#heldTimer);
    this.#push(held);
  }

  #enqueueBytes(bytes: Uint8Array): void {
    if (!this.#closing) this.#push({ bytes });
  }

  #push(unit: Unit): void {
    if (this.#ended) return;
    const state = stateOf(this.#emulator);
    this.#queuedBytes += unit.bytes.length;
    if (this.#queuedBytes > state.maxQueuedBytes) {
      this.#end("output queue overflow");
      return;
    }
    this.#queue.push(unit);
    this.#notify();
  }

  #later(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const id = setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, ms);
    this.#timers.add(id);
    return id;
  }

  #clearTimer(id: ReturnType<typeof setTimeout> | undefined): void {
    if (id === undefined) return;
    clearTimeout(id);
    this.#timers.delete(id);
  }

  /** Waits for a change (more output, faults cleared, closing). */
  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  #notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #faultsNow(): AmiEmulatorFaults {
    return this.#core.sink.faults();
  }

  /**
   * Releases the reader, so that bytes the client sends from now on stay in
   * the transport: a read left pending would take the next chunk.
   */
  #stopReading(): void {
    const reader = this.#reader;
    if (reader === undefined || this.#closing) return;
    this.#reader = undefined;
    // A pending read rejects; the read loop sees the reader was released.
    reader.releaseLock();
  }

  async #readLoop(): Promise<void> {
    const state = stateOf(this.#emulator);
    const messages: AmiMessage[] = [];
    const decoder = new AmiMessageDecoder((message) => messages.push(message), {
      expectBanner: false,
      maxLineBytes: 1022,
      maxFieldsPerMessage: 128,
    });
    try {
      while (!this.#closing) {
        if (this.#faultsNow().stopReading === true) {
          this.#stopReading();
          await this.#changed();
          continue;
        }
        const reader = this.#reader ??= this.#readable.getReader();
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (this.#reader !== reader) continue; // Released by stopReading.
          throw error;
        }
        const { value, done } = chunk;
        if (done) break;
        // Read just before the fault was set: hold these bytes until cleared.
        while (this.#faultsNow().stopReading === true && !this.#closing) {
          await this.#changed();
        }
        if (this.#closing) break;
        state.onTrace?.({ session: this.id, direction: "in", data: value });
        try {
          decoder.push(value);
        } catch (error) {
          if (error instanceof LimitExceededError) {
            this.#enqueue(
              formatPacket([
                ["Response", "Error"],
                [
                  "Message",
                  error.limit === "maxLineBytes"
                    ? "Failed to parse message: line too long"
                    : "Too many lines in message or allocation failure",
                ],
              ]),
              "response",
            );
          }
        }
        for (const message of messages.splice(0)) {
          // A handler that never settles must not keep the session alive.
          await this.#untilEnded(this.#core.receive(message));
          if (this.#ended) break;
        }
      }
    } catch {
      // The transport failed; the session ends below.
    }
    if (!this.#closing) this.#end("client closed", "client");
  }

  async #writeLoop(): Promise<void> {
    const writer = this.#writer!;
    const state = stateOf(this.#emulator);
    while (!this.#ended) {
      const unit = this.#queue[0];
      if (unit === undefined || this.#faultsNow().stallWrites === true) {
        if (this.#closing && unit === undefined) break;
        await this.#changed();
        continue;
      }
      this.#queue.shift();
      this.#queuedBytes -= unit.bytes.length;
      const size = this.#faultsNow().writeChunkSize ?? 0;
      const pieces: Uint8Array[] = [];
      if (size >= 1) {
        for (let i = 0; i < unit.bytes.length; i += size) {
          pieces.push(unit.bytes.subarray(i, i + size));
        }
      } else {
        pieces.push(unit.bytes);
      }
      for (let i = 0; i < pieces.length && !this.#ended; i++) {
        if (i > 0) {
          await new Promise<void>((resolve) =>
            this.#later(resolve, CHUNK_GAP_MS)
          );
        }
        const ok = await this.#writeWithTimeout(
          writer,
          pieces[i]!,
          state.writeTimeoutMs,
        );
        if (!ok) return;
        state.onTrace?.({
          session: this.id,
          direction: "out",
          data: pieces[i]!,
        });
      }
    }
    if (!this.#ended) {
      try {
        await writer.close();
      } catch {
        // Already closed by the client.
      }
      this.#end(this.#closeReason ?? "closed", "closed");
    }
  }

  /**
   * `promise`'s outcome, or {@linkcode ENDED} once the session ends,
   * whichever comes first. Unlike racing a promise that lives as long as the
   * session, it leaves no reaction behind (racing one kept a reaction per
   * write and per action: ~840 bytes per event until the session ended).
   */
  #untilEnded<T>(promise: Promise<T>): Promise<T | typeof ENDED> {
    if (this.#ended) return Promise.resolve(ENDED);
    return new Promise<T | typeof ENDED>((resolve, reject) => {
      const onEnded = () => resolve(ENDED);
      this.#endWaiters.add(onEnded);
      promise.then(
        (value) => {
          this.#endWaiters.delete(onEnded);
          resolve(value);
        },
        (error) => {
          this.#endWaiters.delete(onEnded);
          reject(error);
        },
      );
    });
  }

  /** Writes one piece; ends the session on error or after `timeoutMs` without progress. */
  async #writeWithTimeout(
    writer: WritableStreamDefaultWriter<Uint8Array>,
    piece: Uint8Array,
    timeoutMs: number,
  ): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = timeoutMs > 0 && timeoutMs < Infinity
      ? new Promise<"timeout">((resolve) =>
        timer = this.#later(() => resolve("timeout"), timeoutMs)
      )
      : new Promise<"timeout">(() => {});
    try {
      // Ending the session stops the wait: a write the client never takes
      // would otherwise keep `closed` (and the emulator's close) pending.
      const result = await this.#untilEnded(
        Promise.race([writer.write(piece).then(() => "ok" as const), timeout]),
      );
      if (result === ENDED) return false;
      if (result === "timeout") {
        this.#end("write timeout");
        return false;
      }
      return true;
    } catch {
      this.#end("write failed");
      return false;
    } finally {
      this.#clearTimer(timer);
    }
  }

  #closeGracefully(reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#closeReason = reason;
    this.#releaseHeld();
    this.#core.closing = true;
    this.#core.lifetime.abort();
    // The reader is cancelled only once the output is flushed: on TCP,
    // cancelling it closes the socket.
    this.#notify();
  }

  /**
   * Ends the session. `client`: the client left, so both streams end
   * cleanly; `closed`: the output was flushed and closed, so only the
   * client's side errors; `dropped`: both error with a ConnectionClosedError.
   */
  #end(
    reason: string,
    how: "client" | "closed" | "dropped" = "dropped",
  ): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closing = true;
    this.#closeReason ??= reason;
    this.#core.ended();
    for (const wake of [...this.#endWaiters]) wake();
    this.#endWaiters.clear();
    for (const id of this.#timers) clearTimeout(id);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#held = undefined;
    this.#notify();
    const error = how === "client" ? undefined : new ConnectionClosedError(
      `Cannot use AMI emulator session ${this.id}: the emulator ${how} it (${
        JSON.stringify(this.#closeReason)
      })`,
    );
    const reader = this.#reader;
    const writer = this.#writer;
    if (reader !== undefined) reader.cancel(error).catch(() => {});
    else this.#readable.cancel(error).catch(() => {});
    if (writer === undefined) this.#writable.abort(error).catch(() => {});
    else if (error === undefined) writer.close().catch(() => {});
    else writer.abort(error).catch(() => {});
    try {
      this.#onClose?.();
    } catch {
      // The transport may already be closed.
    }
    void this.#loops.then(() => {
      stateOf(this.#emulator).notify();
      this.#resolveClosed();
    });
  }
}
