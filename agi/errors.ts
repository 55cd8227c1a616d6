// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Error classes of the AGI module, one per outcome a caller handles
 * differently. Each keeps the command line that was sent (`command`) and the
 * decoded reply (`reply`, when there was one) as raw evidence.
 *
 * @module
 */

import type { AgiReply } from "./agi_reply.ts";

/** Options accepted by every AGI error constructor. */
export interface AgiErrorOptions {
  /** The command line that was sent, without its line feed ("" if none). */
  command?: string;
  /** The reply that produced the error, when there was one. */
  reply?: AgiReply | undefined;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Base class of the AGI command errors: a command did not do what was asked.
 *
 * @example Branching on any AGI command error
 * ```ts
 * import { AgiError, AgiInvalidCommandError } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const error = new AgiInvalidCommandError(
 *   'Cannot run AGI command "FOO": invalid or unknown command',
 *   { command: "FOO" },
 * );
 * assert.ok(error instanceof AgiError);
 * assert.equal(error.command, "FOO");
 * ```
 */
export class AgiError extends Error {
  /** The command line that was sent, without its line feed ("" if none). */
  readonly command: string;
  /** The reply that produced the error, when there was one. */
  readonly reply: AgiReply | undefined;

  /**
   * Creates an AGI error.
   *
   * @param message What failed, sentence case, no final period.
   * @param options The command, the reply and an optional cause.
   */
  constructor(message: string, options: AgiErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "AgiError";
    this.command = options.command ?? "";
    this.reply = options.reply;
  }
}

/**
 * The channel hung up: Asterisk sent `HANGUP`, the script got SIGHUP, or a
 * command answered `result=-1` with the channel known to be gone.
 *
 * @example Telling a hangup apart from other failures
 * ```ts
 * import { AgiError, AgiHangupError } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const error = new AgiHangupError('Cannot run AGI command "ANSWER": channel hung up', {
 *   command: "ANSWER",
 * });
 * assert.equal(error.name, "AgiHangupError");
 * assert.ok(error instanceof AgiError);
 * ```
 */
export class AgiHangupError extends AgiError {
  /**
   * Creates a hangup error.
   *
   * @param message What was interrupted.
   * @param options The command, the reply and an optional cause.
   */
  constructor(message: string, options: AgiErrorOptions = {}) {
    super(message, options);
    this.name = "AgiHangupError";
  }
}

/**
 * Asterisk answered `510 Invalid or unknown command`: no module registered
 * the command words.
 *
 * @example The 510 reply is kept
 * ```ts
 * import { AgiInvalidCommandError } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const error = new AgiInvalidCommandError(
 *   'Cannot run AGI command "FOO BAR": invalid or unknown command',
 *   { command: "FOO BAR" },
 * );
 * assert.equal(error.name, "AgiInvalidCommandError");
 * assert.equal(error.reply, undefined);
 * ```
 */
export class AgiInvalidCommandError extends AgiError {
  /**
   * Creates an invalid-command error.
   *
   * @param message What failed.
   * @param options The command, the 510 reply and an optional cause.
   */
  constructor(message: string, options: AgiErrorOptions = {}) {
    super(message, options);
    this.name = "AgiInvalidCommandError";
  }
}

/**
 * Asterisk answered `511 Command Not Permitted on a dead channel or intercept
 * routine`: the channel is gone and the command is not allowed on a dead
 * channel. It is an {@linkcode AgiHangupError}, so one `catch` handles both;
 * in the rare case of AGI run from an intercept routine the channel is still
 * up (`AgiSession.hungUp` tells).
 *
 * @example Recognising a dead channel
 * ```ts
 * import { AgiDeadChannelError, AgiHangupError } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const error = new AgiDeadChannelError(
 *   'Cannot run AGI command "ANSWER": not permitted on a dead channel',
 *   { command: "ANSWER" },
 * );
 * assert.equal(error.name, "AgiDeadChannelError");
 * assert.ok(error instanceof AgiHangupError);
 * ```
 */
export class AgiDeadChannelError extends AgiHangupError {
  /**
   * Creates a dead-channel error.
   *
   * @param message What failed.
   * @param options The command, the 511 reply and an optional cause.
   */
  constructor(message: string, options: AgiErrorOptions = {}) {
    super(message, options);
    this.name = "AgiDeadChannelError";
  }
}

/**
 * Asterisk answered `520`: the arguments do not fit the command. `usage` holds
 * the usage text Asterisk sent ("" for the single-line form).
 *
 * @example Reading the usage text
 * ```ts
 * import { AgiUsageError } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const error = new AgiUsageError('Cannot run AGI command "STREAM FILE": invalid syntax', {
 *   command: "STREAM FILE",
 *   usage: "Send the given file.",
 * });
 * assert.equal(error.usage, "Send the given file.");
 * ```
 */
export class AgiUsageError extends AgiError {
  /** The usage text after `520-…follows:`, lines joined with LF ("" if none). */
  readonly usage: string;

  /**
   * Creates a usage error.
   *
   * @param message What failed.
   * @param options The command, the 520 reply, the usage text and an optional cause.
   */
  constructor(
    message: string,
    options: AgiErrorOptions & { usage?: string } = {},
  ) {
    super(message, options);
    this.name = "AgiUsageError";
    this.usage = options.usage ?? options.reply?.usage ?? "";
  }
}

/**
 * A command ran but failed: an application was not found (`EXEC` result -2),
 * `result=-1` on a live channel, GOSUB's `503`, or any other failure result.
 * `result` is the raw `result=` text.
 *
 * @example Reading the failing result
 * ```ts
 * import { AgiCommandError } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const error = new AgiCommandError(
 *   'Cannot run AGI command "EXEC NoSuchApp": application "NoSuchApp" not found',
 *   { command: "EXEC NoSuchApp", result: "-2" },
 * );
 * assert.equal(error.result, "-2");
 * ```
 */
export class AgiCommandError extends AgiError {
  /** The raw `result=` value ("" when there was none). */
  readonly result: string;

  /**
   * Creates a command error.
   *
   * @param message What failed.
   * @param options The command, the reply, the result and an optional cause.
   */
  constructor(
    message: string,
    options: AgiErrorOptions & { result?: string } = {},
  ) {
    super(message, options);
    this.name = "AgiCommandError";
    this.result = options.result ?? options.reply?.result ?? "";
  }
}
