// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the AMI login handshake (Challenge/MD5 with a fallback to a
 * plain secret, or plain only), and the warning when a plain secret would
 * cross a link that is neither TLS nor loopback.
 *
 * @module
 */
import { ProtocolError } from "../errors.ts";
import { md5Hex } from "../_internal/md5.ts";
import type { AmiAuthType, AmiConnection } from "./ami_client.ts";
import type { AmiMessage } from "./ami_message.ts";
import type { AmiAction } from "./encode_ami_action.ts";
import { AmiActionError, AmiAuthenticationError } from "./errors.ts";

/** What {@linkcode logIn} needs. */
export interface LoginOptions {
  /** The user name. */
  readonly username: string;
  /** The secret (never sent with MD5). */
  readonly secret: string;
  /** The login method. */
  readonly authType: AmiAuthType;
  /** The `Events` header of the Login, read when the Login is built. */
  readonly events: () => string | undefined;
  /** The transport, for the plain-secret warning. */
  readonly info: AmiConnection;
  /** Sends one action on the connection being opened; resolves with its reply. */
  readonly request: (action: AmiAction) => Promise<AmiMessage>;
  /** Receives the plain-secret warning. */
  readonly warn: (message: string) => void;
}

/**
 * Logs in: `Challenge` (unless `plain`), then `Login` with the MD5 key, or
 * with the secret when the server refused the Challenge (`auto`) or the
 * method is `plain`.
 *
 * @throws {AmiAuthenticationError} If the server rejects the login (or,
 * with `md5`, the Challenge).
 * @throws {ProtocolError} With `md5`, if the Challenge reply has no
 * challenge.
 */
export async function logIn(options: LoginOptions): Promise<void> {
  const { username, secret, authType, request } = options;
  let challenge: string | undefined;
  if (authType !== "plain") {
    try {
      const reply = await request({ Action: "Challenge", AuthType: "MD5" });
      challenge = reply.get("Challenge");
    } catch (error) {
      if (!(error instanceof AmiActionError)) throw error;
      if (authType === "md5") {
        throw new AmiAuthenticationError(username, error.reply, {
          cause: error,
        });
      }
    }
    if (challenge === undefined && authType === "md5") {
      throw new ProtocolError(
        "Cannot log in to AMI: the Challenge reply has no Challenge header",
      );
    }
  }
  const events = options.events();
  let login: AmiAction;
  if (challenge !== undefined) {
    login = {
      Action: "Login",
      AuthType: "MD5",
      Username: username,
      Key: md5Hex(challenge + secret),
      Events: events,
    };
  } else {
    const warning = plainSecretWarning(options.info, username);
    if (warning !== undefined) options.warn(warning);
    login = {
      Action: "Login",
      Username: username,
      Secret: secret,
      Events: events,
    };
  }
  try {
    await request(login);
  } catch (error) {
    // "Asterisk is shutting down" is no verdict on the credentials.
    if (error instanceof AmiActionError && !isShuttingDown(error)) {
      throw new AmiAuthenticationError(username, error.reply, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The warning to give before a plain secret crosses `info`, if any. */
function plainSecretWarning(
  info: AmiConnection,
  username: string,
): string | undefined {
  const host = info.remoteHostname;
  if (info.tls === true || host === undefined || isLoopback(host)) {
    return undefined;
  }
  return `Sending the AMI secret of ${
    JSON.stringify(username)
  } in plain text to ${
    JSON.stringify(host)
  } without TLS: use TLS, or a server that offers MD5 Challenge login`;
}

function isShuttingDown(error: AmiActionError): boolean {
  return /shutting down/i.test(error.responseMessage ?? "");
}

/** Loopback names and addresses, where a plain secret stays on the host. */
function isLoopback(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]")
    ? host.slice(1, -1)
    : host;
  const lower = bare.toLowerCase();
  return lower === "localhost" || lower.endsWith(".localhost") ||
    lower === "::1" ||
    /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower);
}
