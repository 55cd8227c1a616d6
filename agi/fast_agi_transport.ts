// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the {@linkcode AgiTransport} of one FastAGI connection, reading
 * and writing the `Deno.Conn` directly (no Web Streams in between: a FastAGI
 * server runs thousands of short calls, and the stream machinery cost more
 * CPU per call than the protocol itself). It follows the same rules as
 * `StreamAgiTransport`: one command at a time, a `HANGUP` line noticed at any
 * time (a read is always pending), applied before a reply that arrived with
 * it, and any protocol violation, over-long line, abandoned command or lost
 * connection closes the transport at once. Not re-exported from `mod.ts`.
 *
 * Closing by the client (the handler is done) is a half-close, as Asterisk
 * expects: the write side is shut, Asterisk ends the AGI, sends its final
 * `HANGUP` and closes, and the socket is closed when that EOF arrives, or
 * after `lingerMs` at the latest. Asterisk's last `HANGUP` then finds an
 * open socket (no "Broken pipe" in its log), and no read has to be
 * interrupted.
 *
 * @module
 */

import { ConnectionClosedError, ProtocolError } from "../errors.ts";
import { AgiReplyRouter } from "./_agi_reply_router.ts";
import { LineSplitter } from "../_internal/line_splitter.ts";
import { checkAgiLine } from "./_check_agi_line.ts";
import type { AgiReply } from "./agi_reply.ts";
import { AgiReplyDecoder } from "./agi_reply_decoder.ts";
import type { AgiTransport } from "./agi_transport.ts";
import type { Deadline, DeadlineQueue } from "./_deadline_queue.ts";

/** Bytes asked of the socket per read; AGI replies are short lines. */
const READ_BUFFER_BYTES = 4096;
/** A smaller `readBuffer` given is not used. */
const MIN_READ_BUFFER_BYTES = 1024;
/**
 * Bytes at the end of the read buffer kept for encoding command lines into
 * (a longer line gets its own encoding).
 */
const WRITE_SCRATCH_BYTES = 512;
const LF = 0x0a;

const encoder = new TextEncoder();

/** Options of {@linkcode FastAgiTransport}. */
export interface FastAgiTransportOptions {
  /** Longest reply line accepted, in bytes without its line ending. */
  maxLineBytes: number;
  /** After a half-close, how long to wait for Asterisk to close, in ms. */
  lingerMs: number;
  /** Closes the connection (the server's idempotent close). */
  closeConnection: () => void;
  /**
   * Deadlines of `lingerMs` shared by the server's connections (one timer
   * for all); without it, each close arms its own timer.
   */
  lingerDeadlines?: DeadlineQueue;
  /**
   * A buffer to read into (the header's, so a call allocates one buffer,
   * not two); `rest` may be a view of it. One of `READ_BUFFER_BYTES` is
   * allocated when it is absent or smaller than `MIN_READ_BUFFER_BYTES`.
   */
  readBuffer?: Uint8Array;
}

/** An {@linkcode AgiTransport} over a FastAGI connection after its header. */
export class FastAgiTransport implements AgiTransport {
  readonly #conn: Deno.Conn;
  readonly #closeSocket: () => void;
  #connectionClosed = false;
  readonly #lingerMs: number;
  readonly #lingerDeadlines: DeadlineQueue | undefined;
  readonly #splitter: LineSplitter;
  readonly #replies: AgiReplyRouter = new AgiReplyRouter(
    new AgiReplyDecoder(),
    () => this.#notifyHangup(),
  );
  readonly #hangup: Promise<void>;
  #resolveHangup!: () => void;
  #hungUp = false;
  /** Why the transport no longer works ("" while it works); set once. */
  #why = "";
  /** The error behind `#why`; built on first use when the client closed. */
  #failure: Error | undefined;
  /** True once the client closed: input is then drained, not decoded. */
  #draining = false;
  readonly #loop: Promise<void>;
  /** Where command lines are encoded (one line is written at a time). */
  readonly #scratch: Uint8Array;
  /** True while a write from the scratch area is under way. */
  #scratchBusy = false;

  /**
   * Starts reading `conn` at once.
   *
   * @param conn The connection, its header block already consumed.
   * @param rest Bytes read past the header's blank line.
   * @param options Limits.
   */
  constructor(
    conn: Deno.Conn,
    rest: Uint8Array,
    options: FastAgiTransportOptions,
  ) {
    this.#conn = conn;
    this.#closeSocket = options.closeConnection;
    this.#lingerMs = options.lingerMs;
    this.#lingerDeadlines = options.lingerDeadlines;
    this.#splitter = new LineSplitter(
      (line) => this.#replies.line(line),
      { maxLineBytes: options.maxLineBytes },
    );
    this.#hangup = new Promise((resolve) => (this.#resolveHangup = resolve));
    const given = options.readBuffer;
    const buffer = given !== undefined &&
        given.length >= MIN_READ_BUFFER_BYTES + WRITE_SCRATCH_BYTES
      ? given
      : new Uint8Array(READ_BUFFER_BYTES);
    const split = buffer.length - WRITE_SCRATCH_BYTES;
    this.#scratch = buffer.subarray(split);
    this.#loop = this.#run(rest, buffer.subarray(0, split));
  }

  /** Resolves when a `HANGUP` line arrives or Asterisk closes. Never rejects. */
  get hangup(): Promise<void> {
    return this.#hangup;
  }

  /**
   * Sends one command line and resolves with its complete reply.
   *
   * @param line The command line, without its line feed.
   * @param signal Aborting it rejects with its reason and closes the transport.
   * @returns The reply, whatever its status code.
   * @throws {TypeError} If the line cannot be sent, or a command is in flight.
   * @throws {ConnectionClosedError} If the transport is or gets closed.
   * @throws {ProtocolError} If Asterisk answers with something that is no reply.
   */
  execute(line: string, signal?: AbortSignal): Promise<AgiReply> {
    // Not an async function (one promise and its ticks less per command);
    // every failure still arrives as a rejection.
    try {
      checkAgiLine(line);
      if (this.#why !== "") {
        throw new ConnectionClosedError(
          `Cannot send AGI command ${JSON.stringify(line)}: transport closed`,
          { cause: this.#error() },
        );
      }
      const inFlight = this.#replies.pending;
      if (inFlight !== undefined) {
        throw new TypeError(
          `Cannot send AGI command ${JSON.stringify(line)}: ${
            JSON.stringify(inFlight.line)
          } is still in flight`,
        );
      }
      signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    const reply = new Promise<AgiReply>((resolve, reject) => {
      this.#replies.start({ line, resolve, reject });
    });
    if (signal === undefined) {
      // The usual case: no listener to add or remove.
      void this.#write(line);
      return reply;
    }
    return this.#executeWithSignal(line, signal, reply);
  }

  async #executeWithSignal(
    line: string,
    signal: AbortSignal,
    reply: Promise<AgiReply>,
  ): Promise<AgiReply> {
    const onAbort = () => {
      const reason = signal.reason;
      this.#fail(
        "the command was abandoned",
        reason instanceof Error
          ? reason
          : new ConnectionClosedError(String(reason)),
      );
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      void this.#write(line);
      return await reply;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Writes one command line; a failed write fails the transport (which
   * rejects the pending command). Never rejects.
   */
  async #write(line: string): Promise<void> {
    const bytes = this.#encode(line);
    // A peer that answers before it got the whole line could make the next
    // command start while this write is under way: it must not reuse the
    // scratch area then.
    const scratch = bytes.buffer === this.#scratch.buffer;
    if (scratch) this.#scratchBusy = true;
    try {
      let offset = 0;
      while (offset < bytes.length) {
        offset += await this.#conn.write(bytes.subarray(offset));
      }
    } catch (error) {
      this.#fail(
        "write failed",
        new ConnectionClosedError("Cannot write to Asterisk: write failed", {
          cause: error,
        }),
      );
    } finally {
      if (scratch) this.#scratchBusy = false;
    }
  }

  /** `line` and its LF as bytes, in the scratch area when they fit. */
  #encode(line: string): Uint8Array {
    const scratch = this.#scratch;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (!this.#scratchBusy && line.length * 3 < scratch.length) {
      const { written } = encoder.encodeInto(line, scratch);
      scratch[written] = LF;
      return scratch.subarray(0, written + 1);
    }
    return encoder.encode(line + "\n");
  }

  /**
   * Ends the call without hanging up (Asterisk then resumes the dialplan):
   * a pending command rejects with a `ConnectionClosedError`, the write side
   * is shut, and the connection is closed once Asterisk closes its side (or
   * after `lingerMs`). Idempotent.
   *
   * @returns When the connection is closed.
   */
  async close(): Promise<void> {
    if (this.#why === "") {
      this.#end("transport closed by the client", undefined);
      this.#draining = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let deadline: Deadline | undefined;
      try {
        await this.#conn.closeWrite();
        if (this.#lingerDeadlines === undefined) {
          timer = setTimeout(this.#closeConnection, this.#lingerMs);
        } else {
          deadline = this.#lingerDeadlines.add(this.#closeConnection);
        }
        await this.#loop;
      } catch {
        // The peer is gone already.
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        deadline?.cancel();
        this.#closeConnection();
      }
    }
    await this.#loop;
  }

  #closeConnection = (): void => {
    if (this.#connectionClosed) return;
    this.#connectionClosed = true;
    this.#closeSocket();
  };

  #notifyHangup(): void {
    if (this.#hungUp) return;
    this.#hungUp = true;
    this.#resolveHangup();
  }

  async #run(rest: Uint8Array, buffer: Uint8Array): Promise<void> {
    try {
      if (rest.length > 0) {
        // Before the first read: `rest` may be a view of `buffer`.
        this.#splitter.push(rest);
        this.#replies.deliver();
      }
      for (;;) {
        let count: number | null;
        try {
          count = await this.#conn.read(buffer);
        } catch (error) {
          // Our own close ends the pending read this way, too.
          if (this.#why === "") {
            this.#fail(
              "connection lost",
              new ConnectionClosedError(
                "Cannot read from Asterisk: connection lost",
                { cause: error },
              ),
            );
          }
          return;
        }
        if (this.#draining) {
          if (count === null) return;
          continue;
        }
        if (count === null) {
          const last = this.#splitter.flush();
          if (last !== undefined) this.#replies.line(last);
          this.#replies.deliver();
          // Asterisk closed: the channel is gone (or the AGI ended).
          this.#notifyHangup();
          this.#fail(
            "connection closed",
            new ConnectionClosedError(
              "Cannot read from Asterisk: connection closed",
            ),
          );
          return;
        }
        if (this.#why !== "") return;
        // The splitter copies what it keeps, so the buffer can be reused.
        this.#splitter.push(buffer.subarray(0, count));
        this.#replies.deliver();
      }
    } catch (error) {
      // A protocol violation or an over-long line: Asterisk cannot be
      // resynchronised.
      const failure = error instanceof Error
        ? error
        : new ProtocolError(String(error));
      this.#fail(failure.message || failure.name, failure);
    }
  }

  /**
   * Ends the transport on a failure: rejects the pending command and closes
   * the connection at once (which also ends the pending read).
   */
  #fail(why: string, error: Error): void {
    if (this.#why !== "") return;
    this.#end(why, error);
    this.#closeConnection();
  }

  /**
   * Marks the transport ended and rejects the pending command. `error` is
   * `undefined` for a close by the client; its error is then built only if
   * something needs it.
   */
  #end(why: string, error: Error | undefined): void {
    this.#why = why;
    this.#failure = error;
    const pending = this.#replies.clear();
    if (pending === undefined) return;
    const failure = this.#error();
    pending.reject(
      failure instanceof ConnectionClosedError
        ? new ConnectionClosedError(
          `Cannot run AGI command ${JSON.stringify(pending.line)}: ${why}`,
          { cause: failure },
        )
        : failure,
    );
  }

  #error(): Error {
    return this.#failure ??= new ConnectionClosedError(
      "Cannot use AGI transport: closed by the client",
    );
  }
}
