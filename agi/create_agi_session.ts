// Copyright the @pyst/asterisk authors. MIT license.
import { AgiSession, type AgiSessionOptions } from "./agi_session.ts";
import {
  StreamAgiTransport,
  type StreamAgiTransportOptions,
} from "./stream_agi_transport.ts";

/** Options of {@linkcode createAgiSession}. */
export interface CreateAgiSessionOptions
  extends AgiSessionOptions, Omit<StreamAgiTransportOptions, "environment"> {
  /**
   * Stops waiting for the environment block when aborted (the streams are
   * then closed).
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Starts an AGI session over a byte stream pair (stdin/stdout of a stdio AGI
 * script, a FastAGI socket, or an in-memory pair): reads the environment
 * block up to its blank line, then returns a session whose commands go out
 * on `writable` and whose replies come in on `readable`.
 *
 * @param readable Bytes from Asterisk, starting with the environment block.
 * @param writable Bytes to Asterisk.
 * @param options Limits, timeouts, tracing and a signal.
 * @returns The session, once the environment was read.
 * @throws {ProtocolError} If the input ends before the blank line.
 * @throws {LimitExceededError} If the environment block is too large.
 * @throws {TypeError} If a stream is locked or an option is out of range.
 *
 * @example Reading the environment and a variable
 * ```ts
 * import { createAgiSession } from "@pyst/asterisk/agi";
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
 *   write() { asterisk.say("200 result=1 (en)\n"); },
 * });
 * asterisk.say(
 *   "agi_request: hello.ts\nagi_channel: PJSIP/alice-00000001\nagi_arg_1: first\n\n",
 * );
 *
 * await using session = await createAgiSession(readable, writable);
 * assert.equal(session.env.channel, "PJSIP/alice-00000001");
 * assert.deepEqual(session.env.args, ["first"]);
 * assert.equal(await session.getVariable("CHANNEL(language)"), "en");
 * ```
 */
export async function createAgiSession(
  readable: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
  options: CreateAgiSessionOptions = {},
): Promise<AgiSession> {
  const transportOptions: StreamAgiTransportOptions = { environment: true };
  if (options.maxLineBytes !== undefined) {
    transportOptions.maxLineBytes = options.maxLineBytes;
  }
  if (options.maxEnvironmentLines !== undefined) {
    transportOptions.maxEnvironmentLines = options.maxEnvironmentLines;
  }
  if (options.maxUsageLines !== undefined) {
    transportOptions.maxUsageLines = options.maxUsageLines;
  }
  const sessionOptions: AgiSessionOptions = {};
  if (options.commandTimeoutMs !== undefined) {
    sessionOptions.commandTimeoutMs = options.commandTimeoutMs;
  }
  if (options.hangupGraceMs !== undefined) {
    sessionOptions.hangupGraceMs = options.hangupGraceMs;
  }
  if (options.maxQueuedCommands !== undefined) {
    sessionOptions.maxQueuedCommands = options.maxQueuedCommands;
  }
  if (options.onTrace !== undefined) sessionOptions.onTrace = options.onTrace;
  const transport = new StreamAgiTransport(
    readable,
    writable,
    transportOptions,
  );
  try {
    const env = await transport.readEnvironment(options.signal);
    return new AgiSession(env, transport, sessionOptions);
  } catch (error) {
    await transport.close();
    throw error;
  }
}
