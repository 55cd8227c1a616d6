// Copyright the @pyst/asterisk authors. MIT license.
import type { AgiReply } from "./agi_reply.ts";

/**
 * How an {@linkcode AgiSession} reaches Asterisk: a byte stream for stdio AGI
 * and FastAGI ({@linkcode StreamAgiTransport}), or AMI for AsyncAGI. A
 * transport runs ONE command at a time; the session queues the rest.
 *
 * @example A transport that answers every command with `200 result=0`
 * ```ts
 * import { AgiSession, parseAgiEnvironment, type AgiReply, type AgiTransport } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const sent: string[] = [];
 * const transport: AgiTransport = {
 *   execute(line: string): Promise<AgiReply> {
 *     sent.push(line);
 *     return Promise.resolve({
 *       code: 200, result: "0", data: undefined, endpos: undefined, fields: {}, text: "",
 *       usage: undefined, interim: undefined, lines: ["200 result=0"],
 *     });
 *   },
 *   hangup: new Promise<void>(() => {}),
 *   close: () => Promise.resolve(),
 * };
 * const session = new AgiSession(parseAgiEnvironment(["agi_request: test"]), transport);
 * await session.answer();
 * assert.deepEqual(sent, ["ANSWER"]);
 * await session.close();
 * ```
 */
export interface AgiTransport {
  /**
   * Sends one command line and resolves with its complete reply (a 520 block
   * or GOSUB's two lines count as one). Never called again before the
   * previous call settled.
   *
   * @param line The command line, without its line feed.
   * @param signal Aborting it abandons the reply; since Asterisk cannot be
   * resynchronised, the transport then closes itself.
   * @returns The reply, whatever its status code.
   * @throws {ConnectionClosedError} If the transport closes first.
   * @throws {ProtocolError} If Asterisk sent something that is no reply.
   */
  execute(line: string, signal?: AbortSignal): Promise<AgiReply>;
  /**
   * Resolves when the transport learns that the channel hung up: a `HANGUP`
   * line, SIGHUP, AsyncAGIEnd, or the peer ending the stream. Never rejects.
   */
  readonly hangup: Promise<void>;
  /**
   * Closes the transport without hanging up; a pending `execute` rejects
   * with a `ConnectionClosedError`. Idempotent.
   */
  close(): Promise<void>;
}
