// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Where the AMI examples connect: `ASTERISK_AMI_HOST` (default 127.0.0.1),
 * `ASTERISK_AMI_PORT` (default 5038), `ASTERISK_AMI_USERNAME` and
 * `ASTERISK_AMI_SECRET` (default `admin`/`admin`, the emulator's user).
 * Point them at the emulator (`deno run --allow-net=127.0.0.1 cli/main.ts astemu`)
 * or at a real Asterisk.
 *
 * @module
 */
import type { ConnectAmiOptions } from "@pyst/asterisk/manager";

/** The `--allow-env` names the AMI examples read. */
export const AMI_ENV_NAMES = [
  "ASTERISK_AMI_HOST",
  "ASTERISK_AMI_PORT",
  "ASTERISK_AMI_USERNAME",
  "ASTERISK_AMI_SECRET",
] as const;

/** Connection options from the environment, with the emulator's defaults. */
export function amiOptionsFromEnv(): ConnectAmiOptions {
  const env = (name: (typeof AMI_ENV_NAMES)[number]) =>
    Deno.env.get(name) || undefined;
  return {
    hostname: env("ASTERISK_AMI_HOST") ?? "127.0.0.1",
    port: Number(env("ASTERISK_AMI_PORT") ?? 5038),
    username: env("ASTERISK_AMI_USERNAME") ?? "admin",
    secret: env("ASTERISK_AMI_SECRET") ?? "admin",
  };
}
