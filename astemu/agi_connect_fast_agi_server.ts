// Copyright the @pyst/asterisk authors. MIT license.
import { TimeoutError } from "../errors.ts";
import type { AgiAsteriskSide } from "./agi_asterisk_side.ts";

/** Options of {@linkcode connectFastAgiServer}. */
export interface ConnectFastAgiServerOptions {
  /**
   * How long to wait for the TCP connection (Asterisk's `MAX_AGI_CONNECT`).
   *
   * @default {2000}
   */
  connectTimeoutMs?: number;
  /**
   * Longest the whole call may take in real time; then the connection is
   * closed and a `TimeoutError` thrown.
   *
   * @default {30000}
   */
  timeoutMs?: number;
  /**
   * Aborting closes the connection and rejects with the signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Where an `agi://` URL points. */
export interface FastAgiAddress {
  /** Host name or IP address (IPv6 without brackets). */
  readonly hostname: string;
  /** TCP port; 4573 when the URL names none. */
  readonly port: number;
  /** What follows the first `/` after the host, query included (`agi_network_script`). */
  readonly script: string;
}

/**
 * Connects to a FastAGI server the way Asterisk does for
 * `AGI(agi://host[:port]/script?query)`: TCP to the host (port 4573 unless
 * given), 2 s to connect, then `side` (an {@linkcode AgiEmulator} built with
 * `transport: "fastagi"`, or an {@linkcode AgiTranscriptReplayer}) plays
 * Asterisk over the socket, `HANGUP` lines included. Resolves when the
 * dialogue is over and the socket closed.
 *
 * Needs `--allow-net` for the host and port.
 *
 * @param url An `agi://` URL.
 * @param side Asterisk's side of the dialogue.
 * @param options Timeouts and a signal.
 * @returns The address that was called.
 * @throws {TypeError} If the URL is not `agi://host…`.
 * @throws {TimeoutError} If connecting or the call takes too long.
 * @throws {Deno.errors.ConnectionRefused} If nothing listens there.
 *
 * @example Calling a tiny FastAGI server
 * ```ts
 * import { AgiEmulator, connectFastAgiServer } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * // A FastAGI "server" that answers the call and hangs up its end.
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = (async () => {
 *   const conn = await listener.accept();
 *   const buffer = new Uint8Array(4096);
 *   let text = "";
 *   const waitFor = async (needle: string) => {
 *     while (!text.includes(needle)) {
 *       const n = await conn.read(buffer);
 *       if (n === null) break;
 *       text += new TextDecoder().decode(buffer.subarray(0, n));
 *     }
 *   };
 *   await waitFor("\n\n");
 *   await conn.write(new TextEncoder().encode("ANSWER\n"));
 *   await waitFor("200 result=0\n");
 *   conn.close();
 *   return text;
 * })();
 *
 * const url = `agi://127.0.0.1:${listener.addr.port}/ivr?lang=en`;
 * const emulator = new AgiEmulator({ transport: "fastagi", request: url });
 * const address = await connectFastAgiServer(url, emulator);
 * assert.equal(address.script, "ivr?lang=en");
 * assert.ok((await served).startsWith("agi_network: yes\nagi_network_script: ivr?lang=en\n"));
 * assert.equal(emulator.call.answered, true);
 * ```
 */
export async function connectFastAgiServer(
  url: string | URL,
  side: AgiAsteriskSide,
  options: ConnectFastAgiServerOptions = {},
): Promise<FastAgiAddress> {
  const address = parseFastAgiUrl(String(url));
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  options.signal?.throwIfAborted();
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({
    hostname: address.hostname,
    port: address.port,
  });
  const conn = await Promise.race([
    connecting,
    new Promise<never>((_, reject) => {
      connectTimer = setTimeout(() => {
        connecting.then((late) => late.close(), () => {});
        reject(
          new TimeoutError(
            `Cannot connect to FastAGI server ${
              JSON.stringify(String(url))
            }: no connection after ${connectTimeoutMs} ms`,
            connectTimeoutMs,
          ),
        );
      }, connectTimeoutMs);
    }),
  ]).finally(() => clearTimeout(connectTimer));
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch {
      // Already closed by the streams.
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new TimeoutError(
          `Cannot finish FastAGI call to ${
            JSON.stringify(String(url))
          }: still running after ${timeoutMs} ms`,
          timeoutMs,
        ),
      );
    }, timeoutMs);
    onAbort = () => reject(options.signal!.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const dialogue = side.serve(conn.readable, conn.writable);
  try {
    await Promise.race([dialogue, stop]);
  } catch (error) {
    close();
    await dialogue.catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) {
      options.signal?.removeEventListener("abort", onAbort);
    }
    close();
  }
  return address;
}

/**
 * Splits an `agi://host[:port][/script]` URL.
 *
 * @param url The URL.
 * @returns Host, port and script.
 * @throws {TypeError} If it is not an `agi://` URL with a host.
 */
export function parseFastAgiUrl(url: string): FastAgiAddress {
  const match = /^agi:\/\/(\[[^\]]*\]|[^/:]*)(?::(\d+))?(?:\/(.*))?$/is.exec(
    url,
  );
  if (match === null || match[1] === "") {
    throw new TypeError(
      `Cannot call FastAGI server: ${
        JSON.stringify(url)
      } is not an agi://host[:port]/script URL`,
    );
  }
  const host = match[1]!;
  const port = match[2] === undefined ? 4573 : Number(match[2]);
  if (port < 1 || port > 65535) {
    throw new TypeError(
      `Cannot call FastAGI server: port ${port} in ${
        JSON.stringify(url)
      } is out of range`,
    );
  }
  return {
    hostname: host.startsWith("[") ? host.slice(1, -1) : host,
    port,
    script: match[3] ?? "",
  };
}
