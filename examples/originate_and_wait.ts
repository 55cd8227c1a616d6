#!/usr/bin/env -S deno run --allow-net=127.0.0.1:5038 --allow-env=ASTERISK_AMI_HOST,ASTERISK_AMI_PORT,ASTERISK_AMI_USERNAME,ASTERISK_AMI_SECRET
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Originate a call and wait for its outcome: rings `CHANNEL` (default
 * `PJSIP/100`) and, once answered, plays `hello-world` to it. Prints the
 * outcome and exits 0 if the call was answered, 1 if not (busy, no answer,
 * congestion, failure).
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:5038 --allow-env=ASTERISK_AMI_HOST,ASTERISK_AMI_PORT,ASTERISK_AMI_USERNAME,ASTERISK_AMI_SECRET examples/originate_and_wait.ts PJSIP/100
 * ```
 *
 * Connection settings come from the environment as in
 * `examples/event_logger.ts` (default: the emulator on 127.0.0.1:5038).
 *
 * @module
 */
import { connectAmi } from "@pyst/asterisk/manager";
import { amiOptionsFromEnv } from "./_ami_env.ts";

if (import.meta.main) {
  const channel = Deno.args[0] ?? "PJSIP/100";
  await using ami = await connectAmi(amiOptionsFromEnv());
  const outcome = await ami.originate({
    Channel: channel,
    Application: "Playback",
    Data: "hello-world",
    CallerID: "Demo <5000>",
    Timeout: 30_000,
  }, {
    onQueued: () => console.log(`calling ${channel}...`),
  });
  console.log(
    outcome.success
      ? `${outcome.channel} answered (uniqueid ${outcome.uniqueId})`
      : `${channel} was not answered: ${outcome.reasonText} (reason ${outcome.reason})`,
  );
  Deno.exitCode = outcome.success ? 0 : 1;
}
