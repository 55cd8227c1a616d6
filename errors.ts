/**
 * Error classes shared by every part of `@pyst/asterisk`.
 *
 * Each class sets a stable `name`, accepts `{ cause }`, and keeps the raw
 * evidence that produced it as readonly fields, so a caller can branch on the
 * class and still log exactly what the peer sent.
 *
 * @module
 */

/** Options accepted by every error constructor of this package. */
export interface AsteriskErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * A peer sent bytes that break the protocol: a malformed packet, a reply that
 * fits no grammar, an unexpected end of stream.
 *
 * @example Inspecting a protocol error
 * ```ts
 * import { ProtocolError } from "@pyst/asterisk";
 * import assert from "node:assert/strict";
 *
 * const error = new ProtocolError("Cannot read AGI reply: no status code", {
 *   line: "garbage",
 * });
 * assert.equal(error.name, "ProtocolError");
 * assert.equal(error.line, "garbage");
 * ```
 */
export class ProtocolError extends Error {
  /** The offending line or text, when there is one. */
  readonly line: string | undefined;

  /**
   * Creates a protocol error.
   *
   * @param message What failed, sentence case, no final period.
   * @param options The offending `line` and an optional `cause`.
   */
  constructor(
    message: string,
    options: AsteriskErrorOptions & { line?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ProtocolError";
    this.line = options.line;
  }
}

/**
 * A configured limit (line length, packet size, queue depth, connections…)
 * was exceeded. It is a `RangeError`, so generic code can catch it as one.
 *
 * @example Reading the limit that was hit
 * ```ts
 * import { LimitExceededError } from "@pyst/asterisk";
 * import assert from "node:assert/strict";
 *
 * const error = new LimitExceededError("maxLineBytes", 1024);
 * assert.ok(error instanceof RangeError);
 * assert.equal(error.limit, "maxLineBytes");
 * assert.equal(error.max, 1024);
 * ```
 */
export class LimitExceededError extends RangeError {
  /** The name of the option whose limit was exceeded, e.g. `maxLineBytes`. */
  readonly limit: string;
  /** The configured maximum. */
  readonly max: number;

  /**
   * Creates a limit error.
   *
   * @param limit The option name, e.g. `maxLineBytes`.
   * @param max The configured maximum.
   * @param message Optional message; a default names the limit and maximum.
   * @param options An optional `cause`.
   */
  constructor(
    limit: string,
    max: number,
    message?: string,
    options: AsteriskErrorOptions = {},
  ) {
    super(message ?? `Cannot accept input: ${limit} of ${max} exceeded`, {
      cause: options.cause,
    });
    this.name = "LimitExceededError";
    this.limit = limit;
    this.max = max;
  }
}

/**
 * The connection closed (or was dropped) while something was still waiting on
 * it: a pending action, a pending AGI command, a login.
 *
 * @example Detecting a lost connection
 * ```ts
 * import { ConnectionClosedError } from "@pyst/asterisk";
 * import assert from "node:assert/strict";
 *
 * const error = new ConnectionClosedError("Cannot send action: connection closed");
 * assert.equal(error.name, "ConnectionClosedError");
 * ```
 */
export class ConnectionClosedError extends Error {
  /**
   * Creates a connection-closed error.
   *
   * @param message What was interrupted.
   * @param options An optional `cause`.
   */
  constructor(message: string, options: AsteriskErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "ConnectionClosedError";
  }
}

/**
 * An operation did not complete within its timeout.
 *
 * @example Reading the timeout that elapsed
 * ```ts
 * import { TimeoutError } from "@pyst/asterisk";
 * import assert from "node:assert/strict";
 *
 * const error = new TimeoutError("Cannot complete action \"Ping\": timed out", 5000);
 * assert.equal(error.timeoutMs, 5000);
 * ```
 */
export class TimeoutError extends Error {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * Creates a timeout error.
   *
   * @param message What timed out.
   * @param timeoutMs The timeout that elapsed, in milliseconds.
   * @param options An optional `cause`.
   */
  constructor(
    message: string,
    timeoutMs: number,
    options: AsteriskErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "TimeoutError";
    this.timeoutMs = timeoutMs;
  }
}
