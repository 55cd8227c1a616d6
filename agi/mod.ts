// Copyright the @pyst/asterisk authors. MIT license.
/**
 * AGI: write Asterisk Gateway Interface scripts with every AGI command typed.
 *
 * {@linkcode createAgiSession} reads the `agi_*` environment block from a
 * byte stream pair and returns an {@linkcode AgiSession}: one method per AGI
 * command (`answer`, `streamFile`, `getData`, `getVariable`, …), commands
 * queued one at a time, typed errors for 510/511/520, failures and hangups,
 * and a `signal` that aborts when the caller hangs up. A stdio AGI script
 * passes `Deno.stdin.readable` and `Deno.stdout.writable`; a FastAGI server
 * passes the socket. The lower layers are exported too:
 * {@linkcode parseAgiEnvironment}, {@linkcode AgiReplyDecoder},
 * {@linkcode formatAgiCommand} and the {@linkcode AgiTransport} interface.
 * {@linkcode serveAsyncAgi} gives every `AGI(agi:async)` channel the same
 * `AgiSession`, driven through an `AmiClient` (AsyncAGI).
 * {@linkcode runAgi} runs a stdio AGI script on stdin/stdout with no Deno
 * permission (SIGHUP becomes a hangup, the exit status sets `AGISTATUS`);
 * {@linkcode openEagiAudio} reads an EAGI script's audio from fd 3;
 * {@linkcode serveFastAgi} serves FastAGI with routing by script path and
 * query parameters, connection and header limits, and graceful shutdown.
 *
 * @example An IVR script (here over an in-memory Asterisk)
 * ```ts
 * import { AgiHangupError, createAgiSession } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * // A stand-in for Asterisk: the environment block, then one reply per command.
 * const replies = ["200 result=0", "200 result=42 (timeout)", "200 result=1", "HANGUP", "200 result=-1"];
 * const encoder = new TextEncoder();
 * const sent: string[] = [];
 * const asterisk = { say(_text: string): void {} };
 * const readable = new ReadableStream<Uint8Array>({
 *   start(controller) {
 *     asterisk.say = (text) => controller.enqueue(encoder.encode(text));
 *   },
 * });
 * const writable = new WritableStream<Uint8Array>({
 *   write(chunk) {
 *     sent.push(new TextDecoder().decode(chunk).trimEnd());
 *     let reply = replies.shift()!;
 *     if (reply === "HANGUP") reply = "HANGUP\n" + replies.shift()!;
 *     asterisk.say(reply + "\n");
 *   },
 * });
 * asterisk.say("agi_request: ivr.ts\nagi_callerid: 5551234\n\n");
 *
 * // The script: in production, createAgiSession(Deno.stdin.readable, Deno.stdout.writable).
 * await using agi = await createAgiSession(readable, writable);
 * await agi.answer();
 * const { digits, timedOut } = await agi.getData("enter-account", { timeoutMs: 3000, maxDigits: 4 });
 * assert.equal(digits, "42");
 * assert.equal(timedOut, true);
 * await agi.setVariable("ACCOUNT", digits);
 * await assert.rejects(agi.streamFile("goodbye"), AgiHangupError);
 * assert.equal(agi.hungUp, true);
 * assert.equal(agi.signal.aborted, true);
 * assert.deepEqual(sent, [
 *   "ANSWER",
 *   "GET DATA enter-account 3000 4",
 *   "SET VARIABLE ACCOUNT 42",
 *   'STREAM FILE goodbye ""',
 * ]);
 * ```
 *
 * @module
 */
export * from "./agi_reply.ts";
export * from "./agi_reply_decoder.ts";
export * from "./agi_session.ts";
export * from "./agi_transport.ts";
export * from "./create_agi_session.ts";
export * from "./errors.ts";
export * from "./format_agi_command.ts";
export * from "./parse_agi_environment.ts";
export * from "./stream_agi_transport.ts";
export * from "./agitb.ts";
export * from "./async_agi_action_error.ts";
export * from "./async_agi_server.ts";
export * from "./open_eagi_audio.ts";
export * from "./run_agi.ts";
export * from "./serve_fast_agi.ts";
