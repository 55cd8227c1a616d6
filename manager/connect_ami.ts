// Copyright the @pyst/asterisk authors. MIT license.
import { TimeoutError } from "../errors.ts";
import {
  AmiClient,
  type AmiClientOptions,
  type AmiConnection,
  type AmiConnector,
} from "./ami_client.ts";

/** TLS settings of {@linkcode connectAmi}. */
export interface ConnectAmiTlsOptions {
  /** PEM certificates to trust in addition to the system's. */
  caCerts?: string[];
}

/** Options of {@linkcode connectAmi}: the transport plus the client's. */
export interface ConnectAmiOptions extends AmiClientOptions {
  /**
   * Host name or address of Asterisk.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * TCP port of the manager interface.
   *
   * @default {5038, or 5039 with TLS}
   */
  port?: number;
  /**
   * Connect with TLS (`tlsenable=yes` in manager.conf): `true`, or TLS
   * settings.
   *
   * @default {false}
   */
  tls?: boolean | ConnectAmiTlsOptions;
  /** Aborts the connection attempt. */
  signal?: AbortSignal;
}

/**
 * Connects to Asterisk's manager interface over TCP or TLS, logs in, and
 * returns a ready {@linkcode AmiClient} that reconnects by itself (unless
 * `reconnect: false`). This is the thin Deno adapter around the client; it
 * needs `--allow-net=<host>:<port>`.
 *
 * @param options Where to connect, credentials, and client options.
 * @returns The logged-in client.
 * @throws {AmiAuthenticationError} If the login is rejected.
 * @throws {TimeoutError} If connecting and logging in take longer than
 * `connectTimeout`.
 * @throws {Deno.errors.ConnectionRefused} If nothing listens there (and
 * other `Deno.connect` errors).
 * @throws {Deno.errors.NotCapable} Without the net permission.
 *
 * @example Log in and run a CLI command
 * ```ts
 * import { connectAmi } from "@pyst/asterisk/manager";
 * import { startAmiEmulator } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * // Stands in for Asterisk; in production: hostname, port 5038 (or tls).
 * await using asterisk = await startAmiEmulator({
 *   users: { monitor: { secret: "s3cret", read: "call", write: "command" } },
 *   commands: { "core show calls": "0 active calls" },
 * });
 * await using ami = await connectAmi({
 *   hostname: asterisk.hostname,
 *   port: asterisk.port,
 *   username: "monitor",
 *   secret: "s3cret",
 *   events: ["call"],
 * });
 * assert.equal(ami.state, "connected");
 * assert.equal(await ami.command("core show calls"), "0 active calls");
 * ```
 *
 * @example A refused connection
 * ```ts
 * import { connectAmi } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * // Find a free port, then close it so nothing listens there.
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr;
 * listener.close();
 * await assert.rejects(
 *   connectAmi({ port, username: "admin", secret: "x" }),
 *   Deno.errors.ConnectionRefused,
 * );
 * ```
 */
export async function connectAmi(
  options: ConnectAmiOptions = {},
): Promise<AmiClient> {
  const {
    hostname = "127.0.0.1",
    tls = false,
    signal,
    port = tls === false ? 5038 : 5039,
    ...clientOptions
  } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(
      `Cannot connect to AMI: port must be an integer from 1 to 65535, got ${port}`,
    );
  }
  const connector: AmiConnector = async (abort) => {
    const conn = tls === false
      ? await Deno.connect({ hostname, port, signal: abort })
      : await Deno.connectTls({
        hostname,
        port,
        ...(tls === true || tls.caCerts === undefined
          ? {}
          : { caCerts: tls.caCerts }),
      });
    if (abort.aborted) {
      closeQuietly(conn);
      throw abort.reason ??
        new TimeoutError("Cannot connect to AMI: aborted", 0);
    }
    if (tls === false) (conn as Deno.TcpConn).setNoDelay(true);
    const connection: AmiConnection = {
      readable: conn.readable,
      writable: conn.writable,
      tls: tls !== false,
      remoteHostname: hostname,
      close: () => closeQuietly(conn),
    };
    return connection;
  };
  const client = new AmiClient(connector, clientOptions);
  await client.connect(signal === undefined ? {} : { signal });
  return client;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed by its streams.
  }
}
