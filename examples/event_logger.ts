#!/usr/bin/env -S deno run --allow-net=127.0.0.1:5038 --allow-env=ASTERISK_AMI_HOST,ASTERISK_AMI_PORT,ASTERISK_AMI_USERNAME,ASTERISK_AMI_SECRET
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * An AMI event logger: one line per channel event (new channel, state
 * change, hangup with its cause) until Ctrl-C, then a polite logoff.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:5038 --allow-env=ASTERISK_AMI_HOST,ASTERISK_AMI_PORT,ASTERISK_AMI_USERNAME,ASTERISK_AMI_SECRET examples/event_logger.ts
 * ```
 *
 * It connects to `ASTERISK_AMI_HOST:ASTERISK_AMI_PORT` (127.0.0.1:5038 by
 * default) as `ASTERISK_AMI_USERNAME`/`ASTERISK_AMI_SECRET` (`admin`/`admin`
 * by default, the emulator's user; `cli/main.ts astemu` starts one). For a
 * remote Asterisk, widen `--allow-net` to its address.
 *
 * @module
 */
import { type AmiMessage, connectAmi } from "@pyst/asterisk/manager";
import { amiOptionsFromEnv } from "./_ami_env.ts";

/** One log line for a channel event. */
export function formatChannelEvent(event: AmiMessage): string {
  const channel = event.get("Channel") ?? "?";
  switch (event.event) {
    case "Newchannel":
      return `+ ${channel} from ${event.get("CallerIDNum")} to ${
        event.get("Exten")
      }@${event.get("Context")}`;
    case "Newstate":
      return `~ ${channel} is ${event.get("ChannelStateDesc")}`;
    case "Hangup":
      return `- ${channel} hung up: ${event.get("Cause-txt")} (${
        event.get("Cause")
      })`;
    default:
      return `  ${channel} ${event.event}`;
  }
}

if (import.meta.main) {
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  // `await using` logs off when the block ends, however it ends.
  await using ami = await connectAmi({
    ...amiOptionsFromEnv(),
    events: "call",
  });
  console.log(`logged in to AMI ${ami.version}, waiting for calls`);
  const events = ami.events({
    filter: ["Newchannel", "Newstate", "Hangup"],
    signal: stop.signal,
  });
  try {
    for await (const event of events) {
      console.log(`${new Date().toISOString()} ${formatChannelEvent(event)}`);
    }
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  }
  Deno.removeSignalListener("SIGINT", onInterrupt);
  console.log("stopped");
}
