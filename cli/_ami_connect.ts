// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the connection flags every `pyst ami` subcommand (and the demo)
 * shares, credentials from flags or the environment, the permission check,
 * and the connect itself.
 *
 * @module
 */
import { type AmiClient, connectAmi } from "../manager/mod.ts";
import type { ConnectAmiOptions } from "../manager/mod.ts";
import { type FlagSpec, integerFlag, type ParsedArgs } from "./_args.ts";
import { UsageError } from "./_args.ts";
import { CliFailure, type CliIo } from "./_io.ts";
import { requirePermissions } from "./_permissions.ts";

/** The environment variables the credentials may come from. */
export const AMI_ENV = {
  host: "ASTERISK_AMI_HOST",
  port: "ASTERISK_AMI_PORT",
  username: "ASTERISK_AMI_USERNAME",
  secret: "ASTERISK_AMI_SECRET",
} as const;

/** The flags of every `pyst ami` subcommand. */
export const AMI_FLAGS: FlagSpec = {
  host: "string",
  port: "string",
  username: "string",
  secret: "string",
  tls: "boolean",
  auth: "string",
  timeout: "string",
  help: "boolean",
};

const ENV_FLAG = `--allow-env=${Object.values(AMI_ENV).join(",")}`;

/** Help text for the connection flags. */
export const AMI_FLAGS_HELP: string = `\
Connection (a flag wins over its environment variable):
  --host HOST       Asterisk's address   (env ${AMI_ENV.host}; default 127.0.0.1)
  --port PORT       the manager port     (env ${AMI_ENV.port}; default 5038, 5039 with --tls)
  --username NAME   the manager user     (env ${AMI_ENV.username})
  --secret SECRET   the user's secret    (env ${AMI_ENV.secret}; better than the flag,
                    which other users can see in the process list)
  --tls             connect with TLS
  --auth TYPE       login method: md5, plain or auto (default auto: MD5 if offered)
  --timeout MS      action timeout in milliseconds (default 10000)
  -h, --help        this text

Environment variables are read only when allowed:
  ${ENV_FLAG}
`;

/** Where to connect and as whom. */
export interface AmiTarget {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  readonly tls: boolean;
  readonly authType: "auto" | "md5" | "plain";
  readonly timeout: number | undefined;
}

/**
 * Works out the target from the flags and (where allowed) the environment,
 * then checks the net permission for it.
 *
 * @param parsed The parsed flags.
 * @param io Permission queries and the environment.
 * @returns The target.
 * @throws {CliFailure} Without credentials or the net permission (status 2).
 * @throws {UsageError} On a malformed port, auth type or timeout.
 */
export async function resolveAmiTarget(
  parsed: ParsedArgs,
  io: CliIo,
): Promise<AmiTarget> {
  const unreadable: string[] = [];
  const setting = async (
    flag: keyof typeof AMI_ENV,
  ): Promise<string | undefined> => {
    const value = parsed.strings.get(flag);
    if (value !== undefined) return value;
    const variable = AMI_ENV[flag];
    const state = await io.queryPermission({ name: "env", variable });
    if (state !== "granted") {
      unreadable.push(variable);
      return undefined;
    }
    const fromEnv = io.getEnv(variable);
    return fromEnv === "" ? undefined : fromEnv;
  };
  const hostname = (await setting("host")) ?? "127.0.0.1";
  const tls = parsed.booleans.has("tls");
  const portText = await setting("port");
  let port = tls ? 5039 : 5038;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw new UsageError(
        `the port must be a number from 1 to 65535, got ${
          JSON.stringify(portText)
        }`,
      );
    }
  }
  const username = await setting("username");
  const secret = await setting("secret");
  const missing: string[] = [];
  if (username === undefined) missing.push("user name (--username)");
  if (secret === undefined) missing.push("secret (--secret)");
  if (missing.length > 0) {
    const names = [
      ...(username === undefined ? [AMI_ENV.username] : []),
      ...(secret === undefined ? [AMI_ENV.secret] : []),
    ];
    const blocked = names.filter((name) => unreadable.includes(name));
    throw new CliFailure(
      `Cannot log in to AMI: no ${missing.join(" and no ")}; ` +
        (blocked.length > 0
          ? `pass the flag, or set ${
            blocked.join(" and ")
          } and run with --allow-env=${blocked.join(",")}`
          : `pass the flag or set ${names.join(" and ")}`),
      2,
    );
  }
  const auth = parsed.strings.get("auth") ?? "auto";
  if (auth !== "auto" && auth !== "md5" && auth !== "plain") {
    throw new UsageError(
      `--auth must be md5, plain or auto, got ${JSON.stringify(auth)}`,
    );
  }
  const timeout = integerFlag(parsed, "timeout", 1);
  const address = hostname.includes(":") ? `[${hostname}]` : hostname;
  await requirePermissions(
    io,
    `Cannot connect to AMI at ${JSON.stringify(`${address}:${port}`)}`,
    [{ name: "net", host: `${address}:${port}` }],
  );
  return {
    hostname,
    port,
    username: username!,
    secret: secret!,
    tls,
    authType: auth,
    timeout,
  };
}

/**
 * Connects and logs in, turning connection failures into a
 * {@linkcode CliFailure} that says where it tried.
 *
 * @param target Where and as whom.
 * @param io Where warnings go.
 * @param options More client options (events, reconnect…).
 * @returns The logged-in client.
 * @throws {CliFailure} If connecting or logging in fails (status 1).
 */
export async function openAmi(
  target: AmiTarget,
  io: CliIo,
  options: Partial<ConnectAmiOptions> = {},
): Promise<AmiClient> {
  try {
    return await connectAmi({
      hostname: target.hostname,
      port: target.port,
      username: target.username,
      secret: target.secret,
      tls: target.tls,
      authType: target.authType,
      reconnect: false,
      ...(target.timeout === undefined
        ? {}
        : { timeout: target.timeout, connectTimeout: target.timeout }),
      onWarning: (message) => void io.error(`warning: ${message}\n`),
      signal: io.signal,
      ...options,
    });
  } catch (error) {
    const where = JSON.stringify(`${target.hostname}:${target.port}`);
    const message = error instanceof Error ? error.message : String(error);
    throw new CliFailure(
      message.startsWith("Cannot ")
        ? message
        : `Cannot connect to AMI at ${where}: ${message}`,
      1,
      { cause: error },
    );
  }
}
