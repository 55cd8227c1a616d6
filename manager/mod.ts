// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Manager: an Asterisk Manager Interface (AMI) client you can trust in
 * production, and the protocol layers under it.
 *
 * {@linkcode connectAmi} opens TCP or TLS, logs in (Challenge/MD5 when the
 * server offers it) and returns an {@linkcode AmiClient}:
 *
 * - `send(action)`: actions are plain data or built with
 *   {@linkcode amiActions}; replies are matched by ActionID (never by
 *   order), every action has a timeout and takes an `AbortSignal`, and
 *   `Response: Error` rejects with {@linkcode AmiActionError}.
 * - `sendList(action)`: the reply and every event of an event list up to
 *   its `…Complete` event, without taking events that belong to others.
 * - `command(cli)`: CLI output as text, for Asterisk 14+'s `Output:`
 *   headers and the older `Response: Follows` body alike.
 * - `originate(params)`: places the call and resolves with the outcome of
 *   its `OriginateResponse`.
 * - `events(options)`: an async iterator per consumer over a bounded buffer
 *   with an overflow policy and a drop counter; `on(name, handler)` for
 *   callbacks. The socket is read continuously whatever consumers do, and
 *   a throwing handler is reported, never fatal.
 * - Lifecycle events on the client (`connected`, `disconnected`,
 *   `reconnecting`, `reconnected`, `fullyBooted`, `error`, `unmatched`,
 *   `warning`), reconnect with {@linkcode exponentialBackoff} that logs in
 *   again and re-applies the event mask and filters, `logoff()` and
 *   `close()` in any order, and `await using`.
 *
 * The lower layers are exported too: {@linkcode AmiMessage},
 * {@linkcode AmiMessageDecoder} and {@linkcode AmiMessageDecoderStream}
 * (bytes to packets), {@linkcode encodeAmiAction} and
 * {@linkcode formatAmiAction} (actions to bytes), {@linkcode encodeAmiPacket}
 * (server side).
 *
 * @example Log in, an action, an event list, events, originate-and-wait
 * ```ts
 * import { amiActions, connectAmi } from "@pyst/asterisk/manager";
 * import { startAmiEmulator } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * // An emulated Asterisk on 127.0.0.1 stands in for the real one.
 * await using asterisk = await startAmiEmulator({
 *   users: { admin: { secret: "s3cret" } },
 * });
 *
 * // Log in.
 * await using ami = await connectAmi({
 *   hostname: asterisk.hostname,
 *   port: asterisk.port,
 *   username: "admin",
 *   secret: "s3cret",
 * });
 *
 * // An action.
 * await ami.send(amiActions.setvar({ Variable: "GREETING", Value: "hello" }));
 * const reply = await ami.send(amiActions.getvar({ Variable: "GREETING" }));
 * assert.equal(reply.get("Value"), "hello");
 *
 * // Events: subscribe before they happen.
 * const hangups = ami.events({ filter: "Hangup" });
 *
 * // Originate and wait for the outcome.
 * const call = await ami.originate({
 *   Channel: "Local/s@default",
 *   Application: "Wait",
 *   Data: "60",
 * });
 * assert.equal(call.success, true);
 * assert.equal(call.reasonText, "answered");
 *
 * // An event list: one CoreShowChannel per channel (a Local call has two).
 * const { events: channels } = await ami.sendList(amiActions.coreShowChannels());
 * assert.equal(channels.length, 2);
 *
 * // Hang up, and read the two Hangup events.
 * await ami.send(amiActions.hangup({ Channel: call.channel! }));
 * const hungUp: string[] = [];
 * for await (const event of hangups) {
 *   hungUp.push(event.get("Channel")!);
 *   if (hungUp.length === 2) break;
 * }
 * assert.deepEqual(hungUp.sort(), channels.map((c) => c.get("Channel")!).sort());
 * ```
 *
 * @module
 */

export * from "./ami_message.ts";
export * from "./ami_message_decoder.ts";
export * from "./ami_message_decoder_stream.ts";
export * from "./encode_ami_action.ts";
export * from "./encode_ami_packet.ts";
export * from "./errors.ts";
export * from "./ami_actions.ts";
export * from "./ami_client.ts";
export * from "./ami_event_subscription.ts";
export * from "./connect_ami.ts";
export * from "./exponential_backoff.ts";
