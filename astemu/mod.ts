// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Emulators of Asterisk's side, for unit tests and debugging of code that
 * talks to Asterisk.
 *
 * The AMI emulator ({@linkcode startAmiEmulator}) is an in-process Manager
 * Interface server that behaves like Asterisk on the wire: banner, plain and
 * MD5 login, per-user permissions and event masks, `Ping`, `Command`,
 * `Originate` with its channel events, event lists, `Getvar`/`Setvar`,
 * `DBGet`/`DBPut`, `UserEvent`, `Filter`, `GetConfig`. Tests script actions,
 * emit events, inspect what the client sent, replay recorded transcripts
 * and inject faults (drops, stalls, tiny writes, delayed or reordered
 * responses, wrong ActionIDs, garbage, over-long lines, `Shutdown`). It
 * listens on 127.0.0.1 (or not at all, with `connectInMemory`).
 *
 * Transcripts in the project's recording format are read with
 * {@linkcode parseTranscript}.
 *
 * @example A unit test of user code written against the emulator
 * ```ts
 * import { startAmiEmulator } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * // The code under test: logs in and asks for the number of active calls.
 * async function activeCalls(readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>) {
 *   const writer = writable.getWriter();
 *   await writer.write(new TextEncoder().encode(
 *     "Action: Login\r\nUsername: admin\r\nSecret: admin\r\nEvents: off\r\n\r\n" +
 *       "Action: Command\r\nActionID: 1\r\nCommand: core show calls\r\n\r\n",
 *   ));
 *   let text = "";
 *   for await (const chunk of readable.pipeThrough(new TextDecoderStream())) {
 *     text += chunk;
 *     const match = /Output: (\d+) active calls?/.exec(text);
 *     if (match) {
 *       await writer.close();
 *       return Number(match[1]);
 *     }
 *   }
 *   throw new Error("no answer");
 * }
 *
 * await using emulator = await startAmiEmulator({
 *   listen: false,
 *   commands: { "core show calls": "3 active calls\n12 calls processed" },
 * });
 * const { readable, writable } = emulator.connectInMemory();
 * assert.equal(await activeCalls(readable, writable), 3);
 * assert.equal(emulator.actions.at(-1)?.action.get("Command"), "core show calls");
 * ```
 *
 * @module
 */

export * from "./parse_transcript.ts";
export * from "./ami_emulator.ts";
export * from "./ami_emulator_session.ts";
export * from "./start_ami_emulator.ts";
// Types of the AMI core that the emulator's API mentions.
export type { AmiMessage, AmiMessageKind } from "../manager/ami_message.ts";
export type { AmiFieldValue } from "../manager/encode_ami_action.ts";
// Types of the AGI library that the AGI emulator's API mentions (a script
// is a function of an `AgiSession`), with the types their members use.
export type * from "../agi/agi_session.ts";
export type { AgiReply } from "../agi/agi_reply.ts";
export type { AgiEnvironment } from "../agi/parse_agi_environment.ts";
export type { CreateAgiSessionOptions } from "../agi/create_agi_session.ts";
export type { StreamAgiTransportOptions } from "../agi/stream_agi_transport.ts";
export * from "./agi_asterisk_side.ts";
export type { AgiCallResult } from "./agi_call_result.ts";
export * from "./agi_channel_model.ts";
export * from "./agi_command_parser.ts";
export {
  connectFastAgiServer,
  type ConnectFastAgiServerOptions,
  type FastAgiAddress,
} from "./agi_connect_fast_agi_server.ts";
export type { AgiScript, AgiScriptRunOptions } from "./agi_drive_script.ts";
export * from "./agi_emulate_call.ts";
export * from "./agi_emulator.ts";
export * from "./agi_replay_call.ts";
export * from "./agi_run_stdio_script.ts";
export * from "./agi_start_async_agi_call.ts";
export * from "./agi_transcript_replayer.ts";
