// Copyright the @pyst/asterisk authors. MIT license.
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
} from "../errors.ts";
import { LineSplitter } from "../_internal/line_splitter.ts";
import { checkAgiLine } from "./_check_agi_line.ts";
import type { AgiReply } from "./agi_reply.ts";
import { AgiReplyDecoder } from "./agi_reply_decoder.ts";
import { AgiReplyRouter } from "./_agi_reply_router.ts";
import type { AgiTransport } from "./agi_transport.ts";
import {
  type AgiEnvironment,
  parseAgiEnvironment,
} from "./parse_agi_environment.ts";

/** Options of {@linkcode StreamAgiTransport}. */
export interface StreamAgiTransportOptions {
  /**
   * Whether the input starts with the environment block, to be read with
   * {@linkcode StreamAgiTransport.readEnvironment} before any command. Leave
   * it `false` when the block was already consumed (a FastAGI server that
   * read the header itself): replies are then expected from the start.
   *
   * @default {false}
   */
  environment?: boolean;
  /**
   * Longest line accepted from Asterisk, in bytes without its line ending. A
   * longer line closes the transport with a `LimitExceededError`.
   *
   * @default {65536}
   */
  maxLineBytes?: number;
  /**
   * Most lines accepted in the environment block before its blank line.
   *
   * @default {1024}
   */
  maxEnvironmentLines?: number;
  /**
   * Most lines accepted in one `520-` usage block.
   *
   * @default {1024}
   */
  maxUsageLines?: number;
}

const encoder = new TextEncoder();

/**
 * An {@linkcode AgiTransport} over a byte stream pair: stdin/stdout for a
 * stdio AGI script, the socket for FastAGI, or an in-memory pair in tests.
 *
 * It reads continuously, so a `HANGUP` line (or the peer closing) is noticed
 * even while no command is in flight. With `environment: true`, first call
 * {@linkcode StreamAgiTransport.readEnvironment}; then
 * {@linkcode StreamAgiTransport.execute} one command at a time. A reply that
 * arrives with no command in flight, a line that fits no reply grammar, an
 * over-long line, or an abandoned command (its signal aborted) closes the
 * transport: Asterisk cannot be resynchronised.
 *
 * Within one chunk of input, a `HANGUP` notice is applied before the reply it
 * arrived with is delivered, so a `result=-1` caused by the hangup can be
 * recognised as one.
 *
 * @example Reading the environment and running a command
 * ```ts
 * import { StreamAgiTransport } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const encoder = new TextEncoder();
 * const asterisk = { say(_text: string): void {} };
 * const readable = new ReadableStream<Uint8Array>({
 *   start(controller) {
 *     asterisk.say = (text) => controller.enqueue(encoder.encode(text));
 *   },
 * });
 * const writable = new WritableStream<Uint8Array>({
 *   write() { asterisk.say("200 result=1 (PJSIP/alice-00000001)\n"); },
 * });
 * asterisk.say("agi_request: ivr.ts\nagi_channel: PJSIP/alice-00000001\n\n");
 *
 * const transport = new StreamAgiTransport(readable, writable, { environment: true });
 * const env = await transport.readEnvironment();
 * assert.equal(env.request, "ivr.ts");
 * const reply = await transport.execute("GET VARIABLE CHANNEL");
 * assert.equal(reply.data, "PJSIP/alice-00000001");
 * await transport.close();
 * ```
 */
export class StreamAgiTransport implements AgiTransport {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #splitter: LineSplitter;
  readonly #replies: AgiReplyRouter;
  readonly #maxEnvironmentLines: number;
  /** Environment lines until the blank line; undefined outside that phase. */
  #environmentLines: string[] | undefined;
  readonly #environment: Promise<AgiEnvironment>;
  #resolveEnvironment!: (env: AgiEnvironment) => void;
  #rejectEnvironment!: (error: unknown) => void;
  #environmentTaken = false;
  readonly #hangup: Promise<void>;
  #resolveHangup!: () => void;
  #hungUp = false;
  /** Why the transport no longer works; set once. */
  #failure: Error | undefined;
  #endedByPeer = false;
  readonly #loop: Promise<void>;

  /**
   * Starts reading `readable` at once.
   *
   * @param readable Bytes from Asterisk (the environment block first when
   * `environment` is true).
   * @param writable Bytes to Asterisk.
   * @param options Limits.
   * @throws {TypeError} If a stream is locked or a limit is not a positive integer.
   */
  constructor(
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    options: StreamAgiTransportOptions = {},
  ) {
    const maxEnvironmentLines = options.maxEnvironmentLines ?? 1024;
    if (!Number.isInteger(maxEnvironmentLines) || maxEnvironmentLines < 1) {
      throw new TypeError(
        `Cannot create AGI transport: maxEnvironmentLines must be a positive integer, got ${maxEnvironmentLines}`,
      );
    }
    this.#maxEnvironmentLines = maxEnvironmentLines;
    this.#replies = new AgiReplyRouter(
      options.maxUsageLines === undefined
        ? new AgiReplyDecoder()
        : new AgiReplyDecoder({ maxUsageLines: options.maxUsageLines }),
      () => this.notifyHangup(),
    );
    this.#splitter = new LineSplitter(
      (line) => this.#onLine(line),
      options.maxLineBytes === undefined
        ? {}
        : { maxLineBytes: options.maxLineBytes },
    );
    this.#reader = readable.getReader();
    try {
      this.#writer = writable.getWriter();
    } catch (error) {
      this.#reader.releaseLock();
      throw error;
    }
    if (options.environment === true) this.#environmentLines = [];
    else this.#environmentTaken = true;
    this.#environment = new Promise((resolve, reject) => {
      this.#resolveEnvironment = resolve;
      this.#rejectEnvironment = reject;
    });
    // Nobody may be waiting for the environment when the input fails.
    this.#environment.catch(() => {});
    this.#hangup = new Promise((resolve) => (this.#resolveHangup = resolve));
    this.#loop = this.#run();
  }

  /**
   * Resolves when the channel hung up: a `HANGUP` line, a call to
   * {@linkcode StreamAgiTransport.notifyHangup}, or the peer ending the
   * stream. Never rejects.
   */
  get hangup(): Promise<void> {
    return this.#hangup;
  }

  /** Whether {@linkcode StreamAgiTransport.hangup} has resolved. */
  get hungUp(): boolean {
    return this.#hungUp;
  }

  /**
   * Records a hangup learned outside the stream (SIGHUP for stdio AGI).
   * Pending and later commands still run; Asterisk answers most of them with
   * 511.
   */
  notifyHangup(): void {
    if (this.#hungUp) return;
    this.#hungUp = true;
    this.#resolveHangup();
  }

  /**
   * Waits for the environment block (up to its blank line) and parses it.
   *
   * @param signal Stops waiting (and closes the transport) when aborted.
   * @returns The environment.
   * @throws {ProtocolError} If the input ends before the blank line.
   * @throws {LimitExceededError} If the block exceeds `maxEnvironmentLines`
   * or a line exceeds `maxLineBytes`.
   * @throws {TypeError} If called twice, or the transport was not created
   * with `environment: true`.
   */
  async readEnvironment(signal?: AbortSignal): Promise<AgiEnvironment> {
    if (this.#environmentTaken) {
      throw new TypeError(
        "Cannot read AGI environment: it was already read, or the transport was created without environment: true",
      );
    }
    this.#environmentTaken = true;
    if (signal === undefined) return await this.#environment;
    signal.throwIfAborted();
    const onAbort = () =>
      this.#fail(toError(signal.reason), "reading was abandoned");
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await this.#environment;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Sends one command line and resolves with its complete reply.
   *
   * @param line The command line, without its line feed.
   * @param signal Aborting it rejects with its reason and closes the
   * transport (the reply can no longer be told apart from the next one).
   * @returns The reply, whatever its status code.
   * @throws {TypeError} If the line cannot be sent (CR, LF, NUL, `failure…`,
   * too long), the environment was not read yet, or a command is in flight.
   * @throws {ConnectionClosedError} If the transport is or gets closed.
   * @throws {ProtocolError} If Asterisk answers with something that is no reply.
   */
  async execute(line: string, signal?: AbortSignal): Promise<AgiReply> {
    checkAgiLine(line);
    if (this.#failure !== undefined) {
      throw new ConnectionClosedError(
        `Cannot send AGI command ${JSON.stringify(line)}: transport closed`,
        { cause: this.#failure },
      );
    }
    if (this.#environmentLines !== undefined) {
      throw new TypeError(
        `Cannot send AGI command ${
          JSON.stringify(line)
        }: the environment block was not read yet`,
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
    const reply = new Promise<AgiReply>((resolve, reject) => {
      this.#replies.start({ line, resolve, reject });
    });
    const onAbort = () =>
      this.#fail(toError(signal!.reason), "the command was abandoned");
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      try {
        await this.#writer.write(encoder.encode(line + "\n"));
      } catch (error) {
        this.#fail(
          new ConnectionClosedError("Cannot write to Asterisk: write failed", {
            cause: error,
          }),
          "write failed",
        );
      }
      return await reply;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Closes both streams without hanging up (Asterisk then resumes the
   * dialplan); a pending command rejects with a `ConnectionClosedError`.
   * Idempotent.
   *
   * @returns When both streams are closed.
   */
  async close(): Promise<void> {
    this.#fail(
      new ConnectionClosedError(
        "Cannot use AGI transport: closed by the client",
      ),
      "transport closed by the client",
    );
    await this.#loop;
  }

  async #run(): Promise<void> {
    let ending: Error;
    let why: string;
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await this.#reader.read();
        } catch (error) {
          ending = new ConnectionClosedError(
            "Cannot read from Asterisk: connection lost",
            {
              cause: error,
            },
          );
          why = "connection lost";
          break;
        }
        if (chunk.done) {
          const rest = this.#splitter.flush();
          if (rest !== undefined && this.#failure === undefined) {
            this.#onLine(rest);
          }
          this.#replies.deliver();
          ending = new ConnectionClosedError(
            "Cannot read from Asterisk: connection closed",
          );
          why = "connection closed";
          break;
        }
        this.#splitter.push(chunk.value);
        this.#replies.deliver();
      }
      // The peer ended the stream (not our own cancel): the channel is gone.
      if (this.#failure === undefined) {
        this.#endedByPeer = true;
        this.notifyHangup();
      }
    } catch (error) {
      ending = toError(error);
      why = ending.message;
    }
    this.#fail(ending!, why!);
    await this.#release();
  }

  #onLine(line: string): void {
    const environment = this.#environmentLines;
    if (environment !== undefined) {
      if (line === "") {
        this.#environmentLines = undefined;
        this.#resolveEnvironment(parseAgiEnvironment(environment));
        return;
      }
      if (environment.length >= this.#maxEnvironmentLines) {
        throw new LimitExceededError(
          "maxEnvironmentLines",
          this.#maxEnvironmentLines,
          `Cannot read AGI environment: more than ${this.#maxEnvironmentLines} lines before the blank line`,
        );
      }
      environment.push(line);
      return;
    }
    this.#replies.line(line);
  }

  /**
   * Ends the transport once: rejects everything waiting and cancels the
   * reader (the loop then releases the streams). `why` words the end for the
   * message of a rejected command.
   */
  #fail(error: Error, why: string): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    const closed = error instanceof ConnectionClosedError;
    if (this.#environmentLines !== undefined) {
      this.#environmentLines = undefined;
      this.#rejectEnvironment(
        this.#endedByPeer
          ? new ProtocolError(
            "Cannot read AGI environment: input ended before the blank line",
            {
              cause: error,
            },
          )
          : closed
          ? new ConnectionClosedError(`Cannot read AGI environment: ${why}`, {
            cause: error,
          })
          : error,
      );
    }
    const pending = this.#replies.clear();
    if (pending !== undefined) {
      pending.reject(
        closed
          ? new ConnectionClosedError(
            `Cannot run AGI command ${JSON.stringify(pending.line)}: ${why}`,
            { cause: error },
          )
          : error,
      );
    }
    this.#reader.cancel(error).catch(() => {});
  }

  async #release(): Promise<void> {
    this.#reader.releaseLock();
    try {
      await this.#writer.close();
    } catch {
      // Already closed or errored by the peer: nothing left to flush.
    }
    this.#writer.releaseLock();
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error
    ? reason
    : new ConnectionClosedError(String(reason));
}
