// Copyright the @pyst/asterisk authors. MIT license.
import { AgiError } from "./errors.ts";

/** Options of {@linkcode AsyncAgiActionError}. */
export interface AsyncAgiActionErrorOptions {
  /** The AGI command line that could not be queued. */
  command: string;
  /** The channel the command was for. */
  channel: string;
  /** The `Message` of Asterisk's `Response: Error`, if it had one. */
  responseMessage?: string | undefined;
  /** The underlying error (the manager's `AmiActionError`). */
  cause?: unknown;
}

/**
 * Asterisk refused to queue an AsyncAGI command: the AMI `AGI` action got
 * `Response: Error`, e.g. `Channel PJSIP/1-00000001 does not exist.` (the
 * channel hung up, and its `AsyncAGIEnd` was not seen) or `Failed to add AGI
 * command to channel … queue` (the channel is not in `AGI(agi:async)`).
 * The command never ran. The manager's `AmiActionError`, with the whole
 * reply, is the `cause`.
 *
 * @example Reading what Asterisk said
 * ```ts
 * import { AgiError, AsyncAgiActionError } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const error = new AsyncAgiActionError(
 *   'Cannot queue AGI command "ANSWER" for channel "Local/x-1;2": Channel Local/x-1;2 does not exist.',
 *   {
 *     command: "ANSWER",
 *     channel: "Local/x-1;2",
 *     responseMessage: "Channel Local/x-1;2 does not exist.",
 *   },
 * );
 * assert.ok(error instanceof AgiError);
 * assert.equal(error.name, "AsyncAgiActionError");
 * assert.equal(error.channel, "Local/x-1;2");
 * assert.equal(error.channelGone, true);
 * ```
 */
export class AsyncAgiActionError extends AgiError {
  /** The channel the command was for. */
  readonly channel: string;
  /** The `Message` of Asterisk's `Response: Error`, if it had one. */
  readonly responseMessage: string | undefined;

  /**
   * Creates the error.
   *
   * @param message What failed, sentence case, no final period.
   * @param options The command, the channel, Asterisk's message and the cause.
   */
  constructor(message: string, options: AsyncAgiActionErrorOptions) {
    super(message, { command: options.command, cause: options.cause });
    this.name = "AsyncAgiActionError";
    this.channel = options.channel;
    this.responseMessage = options.responseMessage;
  }

  /**
   * Whether Asterisk said the channel does not exist (it hung up).
   *
   * @returns `true` for `Channel … does not exist.`
   */
  get channelGone(): boolean {
    return this.responseMessage !== undefined &&
      /\bdoes not exist\b/i.test(this.responseMessage);
  }
}
