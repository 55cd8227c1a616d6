#!/usr/bin/env -S deno run --allow-net=127.0.0.1:4573
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * A FastAGI server with two routes, for a dialplan such as
 *
 * ```
 * exten => 100,1,AGI(agi://127.0.0.1/menu)
 * exten => 200,1,AGI(agi://127.0.0.1/callback?number=${CALLERID(num)})
 * ```
 *
 * - `menu`: answers, asks for one digit, remembers it in `CHOICE` and plays
 *   the matching prompt;
 * - `callback`: stores the caller's number in the AstDB and reads it back.
 *
 * Run it (Ctrl-C stops it after the running calls finish):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:4573 examples/fastagi_server.ts
 * deno run --allow-net=127.0.0.1 examples/fastagi_server.ts --port 0   # any free port
 * ```
 *
 * and call it from the emulated Asterisk, no PBX needed:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:4573 cli/main.ts agi run --dtmf 1 agi://127.0.0.1:4573/menu
 * ```
 *
 * @module
 */
import {
  type AgiSession,
  type FastAgiRequest,
  type FastAgiRoutes,
  serveFastAgi,
} from "@pyst/asterisk/agi";

/** `menu`: one digit picks the prompt. A hangup ends the call at any await. */
export async function menu(agi: AgiSession): Promise<void> {
  await agi.answer();
  await agi.verbose(`menu for ${agi.env.callerId}`, 1);
  const { digits } = await agi.getData("hello-world", {
    timeoutMs: 3000,
    maxDigits: 1,
  });
  await agi.setVariable("CHOICE", digits === "" ? "none" : digits);
  const prompt = digits === "1"
    ? "demo-congrats"
    : digits === "2"
    ? "tt-monkeys"
    : "vm-goodbye";
  await agi.streamFile(prompt, "#");
  await agi.hangup();
}

/** `callback?number=…`: remembers whom to call back. */
export async function callback(
  agi: AgiSession,
  request: FastAgiRequest,
): Promise<void> {
  await agi.answer();
  const number = request.params.get("number") ?? agi.env.callerId;
  await agi.databasePut({
    family: "callback",
    key: agi.env.uniqueId,
    value: number,
  });
  await agi.sayDigits(number);
  await agi.streamFile("beep");
  await agi.hangup();
}

/** The routes, by the script path of the `agi://` URL. */
export const routes: FastAgiRoutes = { menu, callback };

if (import.meta.main) {
  const at = Deno.args.indexOf("--port");
  const port = at === -1 ? 4573 : Number(Deno.args[at + 1]);
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  const server = serveFastAgi({
    port,
    signal: stop.signal,
    onListen: ({ hostname, port }) =>
      console.log(`FastAGI server listening on ${hostname}:${port}`),
  }, routes);
  await server.finished;
  Deno.removeSignalListener("SIGINT", onInterrupt);
  console.log("FastAGI server stopped");
}
