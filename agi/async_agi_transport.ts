// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal to the AsyncAGI server (not re-exported by `mod.ts`): the
 * {@linkcode AgiTransport} of one channel in `AGI(agi:async)`, and the
 * URL-decoding of the `Env` and `Result` headers.
 *
 * @module
 */

import { ConnectionClosedError, ProtocolError } from "../errors.ts";
import type { AmiMessage } from "../manager/ami_message.ts";
import type { AmiAction } from "../manager/encode_ami_action.ts";
import { AmiActionError } from "../manager/errors.ts";
import { checkAgiLine } from "./_check_agi_line.ts";
import { AsyncAgiActionError } from "./async_agi_action_error.ts";
import type { AgiReply } from "./agi_reply.ts";
import { AgiReplyDecoder } from "./agi_reply_decoder.ts";
import type { AgiTransport } from "./agi_transport.ts";
import { AgiHangupError } from "./errors.ts";

/** What a transport needs from the server that owns it. */
export interface AsyncAgiLink {
  /** Sends an AMI action (the client's `send`). */
  send(action: AmiAction): Promise<AmiMessage>;
  /** A CommandID no other command of this server uses. */
  nextCommandId(): string;
  /**
   * Routes `AsyncAGIExec` events carrying `commandId` to `transport`, or
   * stops routing them when `transport` is `undefined`.
   */
  track(commandId: string, transport: AsyncAgiTransport | undefined): void;
  /** Reports that the `ASYNCAGI BREAK` sent by `close()` failed. */
  breakFailed(error: unknown, channel: string): void;
}

/** Options of {@linkcode AsyncAgiTransport}. */
export interface AsyncAgiTransportOptions {
  /**
   * Most lines accepted in one `520-` usage block.
   *
   * @default {1024}
   */
  maxUsageLines?: number;
}

/** Why a transport runs no more commands. */
type Ending = "hangup" | "break" | "gone" | "closed";

interface InFlight {
  readonly id: string;
  readonly line: string;
  readonly isBreak: boolean;
  readonly resolve: (reply: AgiReply) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

const BREAK = /^\s*ASYNCAGI\s+BREAK(?:\s|$)/i;
const HEX = /^[0-9A-Fa-f]{2}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Decodes a value Asterisk encoded with `ast_uri_encode` (every byte outside
 * `A-Z a-z 0-9 - _ . ! ~ * ' ( )` as `%XX`); `+` stays `+`. Bytes that are no
 * UTF-8 become U+FFFD.
 *
 * @param value The header value.
 * @param what What is decoded, for the error message.
 * @returns The decoded text.
 * @throws {ProtocolError} If a `%` is not followed by two hex digits.
 */
export function decodeAsyncAgiValue(value: string, what: string): string {
  let percent = value.indexOf("%");
  if (percent === -1) return value;
  const bytes = new Uint8Array(value.length * 3);
  let length = 0;
  let from = 0;
  while (percent !== -1) {
    if (percent > from) {
      length += encoder.encodeInto(
        value.slice(from, percent),
        bytes.subarray(length),
      ).written;
    }
    const hex = value.slice(percent + 1, percent + 3);
    if (!HEX.test(hex)) {
      throw new ProtocolError(
        `Cannot decode ${what}: "%" at offset ${percent} is not followed by two hex digits`,
        { line: value },
      );
    }
    bytes[length++] = parseInt(hex, 16);
    from = percent + 3;
    percent = value.indexOf("%", from);
  }
  if (from < value.length) {
    length += encoder.encodeInto(value.slice(from), bytes.subarray(length))
      .written;
  }
  return decoder.decode(bytes.subarray(0, length));
}

/**
 * The {@linkcode AgiTransport} of one AsyncAGI channel. Each command goes out
 * as an AMI `AGI` action with a fresh `CommandID` and completes when the
 * server routes the matching `AsyncAGIExec` here; `AsyncAGIEnd` means hangup
 * (unless this transport ran `ASYNCAGI BREAK`); `close()` sends `ASYNCAGI
 * BREAK` so the call continues in the dialplan.
 */
export class AsyncAgiTransport implements AgiTransport {
  /** The channel name the `AGI` actions address. */
  readonly channel: string;
  readonly #link: AsyncAgiLink;
  readonly #maxUsageLines: number;
  readonly #hangup: Promise<void>;
  #resolveHangup!: () => void;
  #hungUp = false;
  #inFlight: InFlight | undefined;
  #ending: Ending | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Creates the transport of one channel.
   *
   * @param channel The channel name, from `AsyncAGIStart`.
   * @param link How to reach Asterisk through the server.
   * @param options Limits.
   * @throws {TypeError} If `maxUsageLines` is not a positive integer.
   */
  constructor(
    channel: string,
    link: AsyncAgiLink,
    options: AsyncAgiTransportOptions = {},
  ) {
    const maxUsageLines = options.maxUsageLines ?? 1024;
    if (!Number.isInteger(maxUsageLines) || maxUsageLines < 1) {
      throw new TypeError(
        `Cannot create AsyncAGI transport: maxUsageLines must be a positive integer, got ${maxUsageLines}`,
      );
    }
    this.channel = channel;
    this.#link = link;
    this.#maxUsageLines = maxUsageLines;
    this.#hangup = new Promise((resolve) => this.#resolveHangup = resolve);
  }

  /** Resolves when the channel hung up (`AsyncAGIEnd`, or a vanished channel). */
  get hangup(): Promise<void> {
    return this.#hangup;
  }

  /** Whether {@linkcode AsyncAgiTransport.hangup} has resolved. */
  get hungUp(): boolean {
    return this.#hungUp;
  }

  /** Whether the AsyncAGI session is over (hangup, BREAK, gone or closed). */
  get ended(): boolean {
    return this.#ending !== undefined;
  }

  /**
   * Queues one command on the channel and resolves with its reply.
   *
   * @param line The command line.
   * @param signal Aborting it rejects with its reason and closes the transport.
   * @returns The reply, whatever its status code.
   * @throws {TypeError} If the line cannot be sent, or a command is in flight.
   * @throws {AgiHangupError} If the channel hung up (`AsyncAGIEnd`).
   * @throws {AsyncAgiActionError} If Asterisk refused the `AGI` action.
   * @throws {ConnectionClosedError} If the transport is closed, the session
   * ended with `ASYNCAGI BREAK`, or the AMI connection was lost.
   * @throws {ProtocolError} If the `Result` holds no complete reply.
   */
  execute(line: string, signal?: AbortSignal): Promise<AgiReply> {
    try {
      checkAgiLine(line);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#ending !== undefined) {
      return Promise.reject(this.#endedError(line));
    }
    if (this.#inFlight !== undefined) {
      return Promise.reject(
        new TypeError(
          `Cannot send AGI command ${JSON.stringify(line)}: ${
            JSON.stringify(this.#inFlight.line)
          } is still in flight`,
        ),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#link.nextCommandId();
    const { promise, resolve, reject } = Promise.withResolvers<AgiReply>();
    const onAbort = signal === undefined ? undefined : () => {
      if (this.#settle(id) !== undefined) {
        reject(signal.reason);
        void this.close();
      }
    };
    this.#inFlight = {
      id,
      line,
      isBreak: BREAK.test(line),
      resolve,
      reject,
      signal,
      onAbort,
    };
    if (onAbort !== undefined) {
      signal!.addEventListener("abort", onAbort, { once: true });
    }
    this.#link.track(id, this);
    this.#link.send({
      Action: "AGI",
      Channel: this.channel,
      Command: line,
      CommandID: id,
    }).then(
      // Queued; the reply comes with AsyncAGIExec (possibly already did).
      () => {},
      (error) => this.#actionFailed(id, error),
    );
    return promise;
  }

  /**
   * Completes the command in flight with an `AsyncAGIExec` event the server
   * matched by its CommandID.
   *
   * @param event The event.
   */
  receiveExec(event: AmiMessage): void {
    const id = event.get("CommandId");
    if (id === undefined) return;
    const inFlight = this.#settle(id);
    if (inFlight === undefined) return;
    let reply: AgiReply;
    try {
      reply = decodeResult(event.get("Result"), inFlight.line, {
        maxUsageLines: this.#maxUsageLines,
      });
    } catch (error) {
      inFlight.reject(error);
      return;
    }
    if (inFlight.isBreak && reply.code === 200) this.#ending ??= "break";
    inFlight.resolve(reply);
  }

  /**
   * Ends the session on `AsyncAGIEnd`: a hangup, unless `ASYNCAGI BREAK`
   * ended it or the transport was closed.
   */
  receiveEnd(): void {
    if (this.#ending !== undefined) return;
    this.#ending = "hangup";
    this.#markHungUp();
    const inFlight = this.#settle(this.#inFlight?.id);
    inFlight?.reject(
      new AgiHangupError(
        `Cannot run AGI command ${
          JSON.stringify(inFlight.line)
        }: channel hung up (AsyncAGIEnd)`,
        { command: inFlight.line },
      ),
    );
  }

  /**
   * Fails the command in flight because the AMI connection was lost (its
   * `AsyncAGIExec` may never come). Later commands are sent again.
   *
   * @param cause Why the connection was lost.
   */
  connectionLost(cause: unknown): void {
    const inFlight = this.#settle(this.#inFlight?.id);
    inFlight?.reject(
      new ConnectionClosedError(
        `Cannot run AGI command ${
          JSON.stringify(inFlight.line)
        }: AMI connection lost`,
        { cause },
      ),
    );
  }

  /**
   * Ends the session without hanging up: a command in flight rejects with a
   * `ConnectionClosedError`, and unless the session is already over,
   * `ASYNCAGI BREAK` is sent so the call continues in the dialplan. A failed
   * BREAK is reported to the server, never thrown. Idempotent.
   *
   * @returns When Asterisk acknowledged the BREAK (or it failed).
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const inFlight = this.#settle(this.#inFlight?.id);
    inFlight?.reject(
      new ConnectionClosedError(
        `Cannot run AGI command ${
          JSON.stringify(inFlight.line)
        }: transport closed by the client`,
      ),
    );
    if (this.#ending !== undefined) {
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    this.#ending = "closed";
    this.#closing = this.#link.send({
      Action: "AGI",
      Channel: this.channel,
      Command: "ASYNCAGI BREAK",
      CommandID: this.#link.nextCommandId(),
    }).then(
      () => {},
      (error) => this.#link.breakFailed(error, this.channel),
    );
    return this.#closing;
  }

  /** The `AGI` action failed: reject the command if it is still ours. */
  #actionFailed(id: string, error: unknown): void {
    if (this.#inFlight?.id !== id) return;
    const inFlight = this.#settle(id)!;
    if (!(error instanceof AmiActionError)) {
      inFlight.reject(error);
      return;
    }
    const failure = new AsyncAgiActionError(
      `Cannot queue AGI command ${JSON.stringify(inFlight.line)} for channel ${
        JSON.stringify(this.channel)
      }: ${error.responseMessage ?? "Asterisk replied Error"}`,
      {
        command: inFlight.line,
        channel: this.channel,
        responseMessage: error.responseMessage,
        cause: error,
      },
    );
    // Whatever Asterisk refused, the channel takes no more AsyncAGI commands.
    this.#ending ??= "gone";
    if (failure.channelGone) this.#markHungUp();
    inFlight.reject(failure);
  }

  /** Takes the command `id` out of flight, or returns undefined. */
  #settle(id: string | undefined): InFlight | undefined {
    const inFlight = this.#inFlight;
    if (inFlight === undefined || inFlight.id !== id) return undefined;
    this.#inFlight = undefined;
    this.#link.track(inFlight.id, undefined);
    if (inFlight.onAbort !== undefined) {
      inFlight.signal!.removeEventListener("abort", inFlight.onAbort);
    }
    return inFlight;
  }

  #markHungUp(): void {
    if (this.#hungUp) return;
    this.#hungUp = true;
    this.#resolveHangup();
  }

  #endedError(line: string): Error {
    const command = JSON.stringify(line);
    switch (this.#ending) {
      case "hangup":
        return new AgiHangupError(
          `Cannot run AGI command ${command}: channel hung up (AsyncAGIEnd)`,
          { command: line },
        );
      case "break":
        return new ConnectionClosedError(
          `Cannot run AGI command ${command}: AsyncAGI ended by ASYNCAGI BREAK`,
        );
      case "gone":
        return this.#hungUp
          ? new AgiHangupError(
            `Cannot run AGI command ${command}: channel ${
              JSON.stringify(this.channel)
            } does not exist`,
            { command: line },
          )
          : new ConnectionClosedError(
            `Cannot run AGI command ${command}: channel ${
              JSON.stringify(this.channel)
            } takes no AsyncAGI commands`,
          );
      default:
        return new ConnectionClosedError(
          `Cannot run AGI command ${command}: transport closed`,
        );
    }
  }
}

/**
 * Decodes the `Result` of `AsyncAGIExec` into one reply: URL-decoded text
 * ending in LF, possibly several lines (GOSUB's `100`/`200`, a `520-` block).
 */
function decodeResult(
  raw: string | undefined,
  line: string,
  options: { maxUsageLines: number },
): AgiReply {
  const what = `AsyncAGI reply to AGI command ${JSON.stringify(line)}`;
  if (raw === undefined) {
    throw new ProtocolError(
      `Cannot read ${what}: the AsyncAGIExec event has no Result`,
    );
  }
  const text = decodeAsyncAgiValue(raw, what);
  const lines = text.split("\n");
  // A complete Result ends in LF: its last piece is "". Anything else was cut.
  const tail = lines.pop()!;
  const replies = new AgiReplyDecoder(options);
  for (const part of lines) {
    const reply = decodeLine(replies, part);
    // Asterisk sends one reply per command; anything after it is ignored.
    if (reply !== undefined) return reply;
  }
  const truncated = " (Asterisk cuts AsyncAGI replies at 1024 bytes)";
  if (tail !== "") {
    try {
      const reply = decodeLine(replies, tail);
      if (reply !== undefined) return reply;
    } catch (error) {
      throw new ProtocolError(
        `Cannot read ${what}: the Result ends inside a line${truncated}`,
        { line: raw, cause: error },
      );
    }
  }
  throw new ProtocolError(
    `Cannot read ${what}: the Result ends inside a reply${
      tail === "" ? "" : truncated
    }`,
    { line: raw },
  );
}

/** Decodes one line; a reply glued after a (foreign) HANGUP still counts. */
function decodeLine(
  replies: AgiReplyDecoder,
  line: string,
): AgiReply | undefined {
  const decoded = replies.push(line);
  if (decoded?.type === "hangup") {
    return decoded.after?.type === "reply" ? decoded.after.reply : undefined;
  }
  return decoded?.reply;
}
