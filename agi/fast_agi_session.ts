// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: builds the {@linkcode AgiSession} of one FastAGI connection once
 * its header was read. Not re-exported from `mod.ts`.
 *
 * @module
 */

import { AgiSession, type AgiSessionOptions } from "./agi_session.ts";
import type { AgiEnvironment } from "./parse_agi_environment.ts";
import { FastAgiTransport } from "./fast_agi_transport.ts";
import type { DeadlineQueue } from "./_deadline_queue.ts";

/** Options of {@linkcode createFastAgiSession}. */
export interface FastAgiSessionOptions {
  /** Longest reply line accepted, in bytes. */
  maxLineBytes: number;
  /** After the handler is done, how long to wait for Asterisk to close. */
  closeTimeoutMs: number;
  /** Closes the connection (the server's idempotent close). */
  closeConnection: () => void;
  /** The server's shared deadlines of `closeTimeoutMs`. */
  closeDeadlines?: DeadlineQueue;
  /** A buffer to read into once `rest` was consumed (the header's). */
  readBuffer?: Uint8Array;
  /** Session options passed through (tracing, timeouts, queue limit). */
  session: AgiSessionOptions;
}

/**
 * A session over `conn`, whose header block was already consumed; `rest` are
 * bytes read past the header's blank line. Closing the session closes `conn`.
 *
 * @param env The parsed header.
 * @param conn The connection.
 * @param rest Bytes that followed the header in the same read.
 * @param options Limits and session options.
 * @returns The session.
 */
export function createFastAgiSession(
  env: AgiEnvironment,
  conn: Deno.Conn,
  rest: Uint8Array,
  options: FastAgiSessionOptions,
): AgiSession {
  const transport = new FastAgiTransport(conn, rest, {
    maxLineBytes: options.maxLineBytes,
    lingerMs: options.closeTimeoutMs,
    closeConnection: options.closeConnection,
    ...(options.closeDeadlines === undefined
      ? {}
      : { lingerDeadlines: options.closeDeadlines }),
    ...(options.readBuffer === undefined
      ? {}
      : { readBuffer: options.readBuffer }),
  });
  return new AgiSession(env, transport, options.session);
}
