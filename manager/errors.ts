// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Error classes specific to the AMI client. Connection loss, timeouts,
 * protocol violations and exceeded limits use the shared classes of
 * `@pyst/asterisk` (`ConnectionClosedError`, `TimeoutError`,
 * `ProtocolError`, `LimitExceededError`).
 *
 * @module
 */

import type { AsteriskErrorOptions } from "../errors.ts";
import type { AmiMessage } from "./ami_message.ts";

/**
 * Asterisk answered an action with `Response: Error` (or, for an event list,
 * sent an error after the list began). The reply is kept whole.
 *
 * @example Reading the server's message
 * ```ts
 * import { AmiActionError, AmiMessage } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const reply = new AmiMessage([
 *   ["Response", "Error"],
 *   ["ActionID", "a-1"],
 *   ["Message", "Permission denied"],
 * ]);
 * const error = new AmiActionError("Ping", reply);
 * assert.equal(error.name, "AmiActionError");
 * assert.equal(error.action, "Ping");
 * assert.equal(error.actionId, "a-1");
 * assert.equal(error.responseMessage, "Permission denied");
 * assert.equal(error.message, 'Cannot run AMI action "Ping": Permission denied');
 * ```
 */
export class AmiActionError extends Error {
  /** The `Action` that failed, e.g. `Originate`. */
  readonly action: string;
  /** The ActionID of the failed action, as echoed by the server. */
  readonly actionId: string | undefined;
  /** The reply's `Message` header, if it had one. */
  readonly responseMessage: string | undefined;
  /** The whole reply. */
  readonly reply: AmiMessage;

  /**
   * Creates an action error from the server's reply.
   *
   * @param action The action name that was sent.
   * @param reply The `Response: Error` packet.
   * @param options An optional `cause`.
   */
  constructor(
    action: string,
    reply: AmiMessage,
    options: AsteriskErrorOptions = {},
  ) {
    const text = reply.get("Message");
    super(
      `Cannot run AMI action ${JSON.stringify(action)}: ${
        text === undefined || text === ""
          ? `server replied ${JSON.stringify(reply.response ?? "")}`
          : text
      }`,
      { cause: options.cause },
    );
    this.name = "AmiActionError";
    this.action = action;
    this.actionId = reply.actionId;
    this.responseMessage = text;
    this.reply = reply;
  }
}

/**
 * Asterisk rejected the login (wrong secret or key, unknown user, login
 * already in use). The secret is never part of the error.
 *
 * @example Inspecting a rejected login
 * ```ts
 * import { AmiAuthenticationError, AmiMessage } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const reply = new AmiMessage([
 *   ["Response", "Error"],
 *   ["Message", "Authentication failed"],
 * ]);
 * const error = new AmiAuthenticationError("admin", reply);
 * assert.equal(error.username, "admin");
 * assert.equal(
 *   error.message,
 *   'Cannot log in to AMI: authentication rejected for "admin": Authentication failed',
 * );
 * ```
 */
export class AmiAuthenticationError extends Error {
  /** The user name that was rejected. */
  readonly username: string;
  /** The reply's `Message` header, if it had one. */
  readonly responseMessage: string | undefined;
  /** The whole reply. */
  readonly reply: AmiMessage;

  /**
   * Creates an authentication error from the server's reply.
   *
   * @param username The user name that was sent.
   * @param reply The `Response: Error` packet.
   * @param options An optional `cause`.
   */
  constructor(
    username: string,
    reply: AmiMessage,
    options: AsteriskErrorOptions = {},
  ) {
    const text = reply.get("Message");
    super(
      `Cannot log in to AMI: authentication rejected for ${
        JSON.stringify(username)
      }${text === undefined || text === "" ? "" : `: ${text}`}`,
      { cause: options.cause },
    );
    this.name = "AmiAuthenticationError";
    this.username = username;
    this.responseMessage = text;
    this.reply = reply;
  }
}
