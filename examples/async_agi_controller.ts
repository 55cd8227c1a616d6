#!/usr/bin/env -S deno run --allow-net=127.0.0.1:5038 --allow-env=ASTERISK_AMI_HOST,ASTERISK_AMI_PORT,ASTERISK_AMI_USERNAME,ASTERISK_AMI_SECRET
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * An AsyncAGI controller: every channel that enters `AGI(agi:async)` gets
 * a short survey driven over the one AMI connection (no script process, no
 * FastAGI port): a rating from 1 to 5 is stored in the AstDB under
 * `survey/<uniqueid>` and in the channel variable `RATING`, then the call
 * goes back to the dialplan (`ASYNCAGI BREAK`). Ctrl-C lets running surveys
 * finish, then logs off.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:5038 --allow-env=ASTERISK_AMI_HOST,ASTERISK_AMI_PORT,ASTERISK_AMI_USERNAME,ASTERISK_AMI_SECRET examples/async_agi_controller.ts
 * ```
 *
 * Dialplan:
 *
 * ```
 * exten => 300,1,Answer()
 *  same => n,AGI(agi:async)
 *  same => n,Playback(vm-goodbye)
 * ```
 *
 * The AMI user needs `agi` in its `read` and `write` permissions.
 * Connection settings come from the environment as in
 * `examples/event_logger.ts` (default: the emulator on 127.0.0.1:5038).
 *
 * @module
 */
import {
  type AgiSession,
  type AsyncAgiRequest,
  serveAsyncAgi,
} from "@pyst/asterisk/agi";
import { connectAmi } from "@pyst/asterisk/manager";
import { amiOptionsFromEnv } from "./_ami_env.ts";

/** The survey, for one channel. */
export async function survey(
  agi: AgiSession,
  request: AsyncAgiRequest,
): Promise<void> {
  const { digits } = await agi.getData("beep", {
    timeoutMs: 4000,
    maxDigits: 1,
  });
  const rating = /^[1-5]$/.test(digits) ? digits : "none";
  await agi.setVariable("RATING", rating);
  if (rating !== "none") {
    await agi.databasePut({
      family: "survey",
      key: agi.env.uniqueId,
      value: rating,
    });
    await agi.sayNumber(Number(rating));
  }
  console.log(`${request.channel}: rating ${rating}`);
}

if (import.meta.main) {
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  await using ami = await connectAmi({ ...amiOptionsFromEnv(), events: "agi" });
  const server = serveAsyncAgi(ami, survey, { signal: stop.signal });
  console.log("waiting for channels in AGI(agi:async)");
  await server.finished;
  Deno.removeSignalListener("SIGINT", onInterrupt);
  console.log("stopped");
}
