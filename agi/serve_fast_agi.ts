// Copyright the @pyst/asterisk authors. MIT license.

import { type AgitbOptions, withAgitb } from "./agitb.ts";
import { LimitExceededError, ProtocolError, TimeoutError } from "../errors.ts";
import type { AgiSession, AgiSessionOptions } from "./agi_session.ts";
import { AgiHangupError } from "./errors.ts";
import {
  type FastAgiHeader,
  parseFastAgiScript,
  readFastAgiHeader,
  trimSlashes,
} from "./fast_agi_header.ts";
import { createFastAgiSession } from "./fast_agi_session.ts";
import { DeadlineQueue } from "./_deadline_queue.ts";
import { parseAgiEnvironment } from "./parse_agi_environment.ts";

/** What a FastAGI handler learns about the call besides its session. */
export interface FastAgiRequest {
  /** `agi_network_script` as sent: the part of the `agi://` URL after the host ("" if none). */
  readonly script: string;
  /** The script's path without query and surrounding `/`, e.g. `sales/ivr`. */
  readonly path: string;
  /** The script's query string parsed, e.g. `mode=test&n=1`. */
  readonly params: URLSearchParams;
  /** Asterisk's address. */
  readonly remoteAddr: Deno.NetAddr;
}

/**
 * Runs one FastAGI call. The connection is closed when the returned promise
 * settles; a rejection is reported to `onError` and affects no other call.
 */
export type FastAgiHandler = (
  session: AgiSession,
  request: FastAgiRequest,
) => void | Promise<void>;

/**
 * Handlers by script path (`agi://host/<path>?query`); the key `"*"` catches
 * every path without its own handler. Leading and trailing `/` are ignored.
 */
export type FastAgiRoutes = Readonly<Record<string, FastAgiHandler>>;

/** Where a FastAGI server error happened. */
export type FastAgiErrorPhase = "accept" | "header" | "route" | "handler";

/** Context passed to `onError` alongside the error. */
export interface FastAgiErrorContext {
  /**
   * `accept` (accepting failed, or `maxConnections` was reached), `header`
   * (the header block was bad, too large, too slow or cut off), `route` (no
   * handler for the script) or `handler` (the handler threw).
   */
  readonly phase: FastAgiErrorPhase;
  /** The peer, when a connection was accepted. */
  readonly remoteAddr: Deno.NetAddr | undefined;
  /** The request, once its header was read. */
  readonly request: FastAgiRequest | undefined;
}

/**
 * Options of {@linkcode serveFastAgi}. The {@linkcode AgiSessionOptions}
 * (`commandTimeoutMs`, `maxQueuedCommands`, `hangupGraceMs`, `onTrace`, …)
 * apply to every call's session.
 */
export interface ServeFastAgiOptions extends AgiSessionOptions {
  /**
   * Address to bind. Binding anything but loopback exposes the server, so
   * only do it when Asterisk runs on another host.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Port to bind; `0` picks a free one (read it from `addr`).
   *
   * @default {4573}
   */
  port?: number;
  /**
   * Connections served at once (header phase included). A connection over
   * the limit is closed at once and reported as a `LimitExceededError`, so
   * Asterisk fails that AGI (`AGISTATUS=FAILURE`) instead of waiting.
   *
   * @default {1024}
   */
  maxConnections?: number;
  /**
   * Largest header block accepted, in bytes. A larger one closes the
   * connection with a `LimitExceededError`.
   *
   * @default {65536}
   */
  maxHeaderBytes?: number;
  /**
   * Time a new connection gets to send its whole header block. Asterisk sends
   * it at once; a peer that is slower is closed with a `TimeoutError`.
   *
   * @default {5000}
   */
  headerTimeoutMs?: number;
  /**
   * How long `shutdown()` lets running calls finish before it closes their
   * connections (their pending commands then fail).
   *
   * @default {30000}
   */
  shutdownTimeoutMs?: number;
  /**
   * When a call ends (its handler returned or threw), the server shuts its
   * side of the connection for writing; Asterisk then ends the AGI, sends its
   * final `HANGUP` and closes, and the server closes the socket. A peer that
   * has not closed within this time is cut off.
   *
   * @default {1000}
   */
  closeTimeoutMs?: number;
  /**
   * Longest AGI reply line accepted, in bytes.
   *
   * @default {65536}
   */
  maxLineBytes?: number;
  /** Aborting it starts `shutdown()`. */
  signal?: AbortSignal;
  /** Called once the server listens, with the bound address. */
  onListen?: (addr: Deno.NetAddr) => void;
  /**
   * Receives every error that ended a connection, with where it happened.
   * It must not throw (what it throws is ignored). The default writes the
   * error to `console.error`, except an `AgiHangupError` from a handler,
   * which is how a call normally ends when the caller hangs up.
   */
  onError?: (error: unknown, context: FastAgiErrorContext) => void;
  /**
   * agitb: when a handler throws, write a report (error, async stack with
   * source lines, the AGI environment, the last commands, secrets redacted)
   * to Asterisk through VERBOSE and to stderr before the error reaches
   * `onError`. `true` uses the defaults of {@linkcode AgitbOptions}.
   *
   * @default {false}
   */
  agitb?: boolean | AgitbOptions;
}

/** A running FastAGI server, returned by {@linkcode serveFastAgi}. */
export interface FastAgiServer {
  /** The bound address (its `port` is the real one when `port: 0` was asked). */
  readonly addr: Deno.NetAddr;
  /** Connections open right now. */
  readonly connections: number;
  /** Resolves when the server has stopped and every connection is closed. */
  readonly finished: Promise<void>;
  /**
   * Stops accepting, lets running calls finish (up to `shutdownTimeoutMs`,
   * then closes their connections), and resolves with `finished`.
   */
  shutdown(): Promise<void>;
  /** Same as `shutdown()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const DEFAULTS = {
  hostname: "127.0.0.1",
  port: 4573,
  maxConnections: 1024,
  maxHeaderBytes: 65_536,
  headerTimeoutMs: 5_000,
  shutdownTimeoutMs: 30_000,
  closeTimeoutMs: 1_000,
  maxLineBytes: 65_536,
} as const;

/**
 * Serves FastAGI with one handler for every call: Asterisk's
 * `AGI(agi://host[:port]/script?query,args)` connects, sends its header
 * block, and `handler` drives the call through an {@linkcode AgiSession};
 * `request.path` and `request.params` carry the script and its query.
 *
 * Each connection is independent: a bad header, a slow peer or a handler
 * that throws closes that connection only and is reported to `onError`. When
 * the handler returns (after a hangup too), the server shuts its side of the
 * connection at once; Asterisk ends the AGI, sends its last `HANGUP` and
 * closes, and the socket is closed (after `closeTimeoutMs` at the latest).
 * `shutdown()` (or `await using`, or `signal`) stops accepting and waits for
 * running calls, up to a deadline.
 *
 * Needs `--allow-net=HOST:PORT` (e.g. `--allow-net=127.0.0.1:4573`).
 *
 * @param options Address, limits, timeouts and error reporting.
 * @param handler Runs each call.
 * @returns The running server.
 * @throws {TypeError} When an option is out of range or the handler is not
 * a function.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 * @throws {Deno.errors.NotCapable} Without the net permission.
 *
 * @example One handler that reads the caller and answers
 * ```ts
 * import { serveFastAgi } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const callers: string[] = [];
 * await using server = serveFastAgi({ port: 0 }, async (session, request) => {
 *   callers.push(`${session.env.callerId} via ${request.path}`);
 *   await session.answer();
 * });
 *
 * // Play Asterisk: connect, send the header block, answer ANSWER.
 * const conn = await Deno.connect({ port: server.addr.port });
 * await conn.write(new TextEncoder().encode(
 *   "agi_network: yes\nagi_network_script: ivr\nagi_callerid: 5551234\n\n",
 * ));
 * const buffer = new Uint8Array(64);
 * const n = await conn.read(buffer);
 * assert.equal(new TextDecoder().decode(buffer.subarray(0, n!)), "ANSWER\n");
 * await conn.write(new TextEncoder().encode("200 result=0\n"));
 * assert.equal(await conn.read(buffer), null); // the server closed its end
 * conn.close();
 * assert.deepEqual(callers, ["5551234 via ivr"]);
 * ```
 */
export function serveFastAgi(
  options: ServeFastAgiOptions,
  handler: FastAgiHandler,
): FastAgiServer;
/**
 * Serves FastAGI with handlers by script path: the call for
 * `agi://host/sales/ivr?lang=de` runs `routes["sales/ivr"]` with
 * `request.params.get("lang") === "de"`. The key `"*"` catches other paths;
 * a call without a handler is closed and reported to `onError` (phase
 * `route`, a `ProtocolError`).
 *
 * Each connection is independent: a bad header, a slow peer or a handler
 * that throws closes that connection only and is reported to `onError`. When
 * the handler returns (after a hangup too), the server shuts its side of the
 * connection at once; Asterisk ends the AGI, sends its last `HANGUP` and
 * closes, and the socket is closed (after `closeTimeoutMs` at the latest).
 * `shutdown()` (or `await using`, or `signal`) stops accepting and waits for
 * running calls, up to a deadline.
 *
 * Needs `--allow-net=HOST:PORT` (e.g. `--allow-net=127.0.0.1:4573`).
 *
 * @param options Address, limits, timeouts and error reporting.
 * @param routes Handlers by script path.
 * @returns The running server.
 * @throws {TypeError} When an option is out of range or the handler is not
 * a function.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 * @throws {Deno.errors.NotCapable} Without the net permission.
 *
 * @example Routing by path, with query parameters
 * ```ts
 * import { serveFastAgi } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * await using server = serveFastAgi({ port: 0 }, {
 *   "sales/ivr": async (session, request) => {
 *     seen.push(`${request.path} ${request.params.get("lang")}`);
 *     await session.answer();
 *   },
 * });
 *
 * const conn = await Deno.connect({ port: server.addr.port });
 * await conn.write(new TextEncoder().encode(
 *   "agi_network: yes\nagi_network_script: sales/ivr?lang=de\n" +
 *     "agi_request: agi://127.0.0.1/sales/ivr?lang=de\nagi_channel: PJSIP/1-1\n\n",
 * ));
 * const buffer = new Uint8Array(64);
 * const n = await conn.read(buffer);
 * assert.equal(new TextDecoder().decode(buffer.subarray(0, n!)), "ANSWER\n");
 * await conn.write(new TextEncoder().encode("200 result=0\n"));
 * assert.equal(await conn.read(buffer), null);
 * conn.close();
 * assert.deepEqual(seen, ["sales/ivr de"]);
 * ```
 */
export function serveFastAgi(
  options: ServeFastAgiOptions,
  routes: FastAgiRoutes,
): FastAgiServer;
export function serveFastAgi(
  options: ServeFastAgiOptions,
  handler: FastAgiHandler | FastAgiRoutes,
): FastAgiServer {
  return new Server(options, handler);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `Cannot start FastAGI server: ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

function defaultOnError(error: unknown, context: FastAgiErrorContext): void {
  if (context.phase === "handler" && error instanceof AgiHangupError) return;
  const peer = context.remoteAddr === undefined
    ? ""
    : ` from ${context.remoteAddr.hostname}:${context.remoteAddr.port}`;
  console.error(`FastAGI ${context.phase} error${peer}:`, error);
}

function findHandler(
  handler: FastAgiHandler | Map<string, FastAgiHandler>,
  path: string,
): FastAgiHandler | undefined {
  if (typeof handler === "function") return handler;
  return handler.get(path) ?? handler.get("*");
}

/** Per-connection state the server needs for shutdown. */
interface Connection {
  readonly conn: Deno.TcpConn;
  closed: boolean;
}

class Server implements FastAgiServer {
  readonly #listener: Deno.TcpListener;
  readonly #handler: FastAgiHandler | Map<string, FastAgiHandler>;
  readonly #maxConnections: number;
  readonly #maxHeaderBytes: number;
  readonly #headerTimeoutMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #maxLineBytes: number;
  readonly #closeTimeoutMs: number;
  /** Header and close deadlines of all connections, one timer each. */
  readonly #headerDeadlines: DeadlineQueue;
  readonly #closeDeadlines: DeadlineQueue;
  readonly #onError: (error: unknown, context: FastAgiErrorContext) => void;
  readonly #sessionOptions: AgiSessionOptions;
  readonly #agitb: AgitbOptions | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #connections = new Set<Connection>();
  readonly #finished: Promise<void>;
  #resolveFinished!: () => void;
  #accepting = true;
  #shuttingDown = false;
  #acceptDone: Promise<void> = Promise.resolve();
  #idle: (() => void) | undefined;

  constructor(
    options: ServeFastAgiOptions,
    handler: FastAgiHandler | FastAgiRoutes,
  ) {
    if (typeof handler === "function") {
      this.#handler = handler;
    } else {
      if (handler === null || typeof handler !== "object") {
        throw new TypeError(
          "Cannot start FastAGI server: handler must be a function or a routes object",
        );
      }
      const routes = new Map<string, FastAgiHandler>();
      for (const [path, route] of Object.entries(handler)) {
        if (typeof route !== "function") {
          throw new TypeError(
            `Cannot start FastAGI server: route ${
              JSON.stringify(path)
            } is not a function`,
          );
        }
        routes.set(path === "*" ? path : trimSlashes(path), route);
      }
      this.#handler = routes;
    }
    this.#maxConnections = positiveInteger(
      "maxConnections",
      options.maxConnections ?? DEFAULTS.maxConnections,
    );
    this.#maxHeaderBytes = positiveInteger(
      "maxHeaderBytes",
      options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes,
    );
    this.#headerTimeoutMs = positiveInteger(
      "headerTimeoutMs",
      options.headerTimeoutMs ?? DEFAULTS.headerTimeoutMs,
    );
    this.#shutdownTimeoutMs = positiveInteger(
      "shutdownTimeoutMs",
      options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
    );
    this.#maxLineBytes = positiveInteger(
      "maxLineBytes",
      options.maxLineBytes ?? DEFAULTS.maxLineBytes,
    );
    this.#closeTimeoutMs = positiveInteger(
      "closeTimeoutMs",
      options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
    );
    this.#headerDeadlines = new DeadlineQueue(this.#headerTimeoutMs);
    this.#closeDeadlines = new DeadlineQueue(this.#closeTimeoutMs);
    const agitb = options.agitb ?? false;
    this.#agitb = agitb === true ? {} : agitb === false ? undefined : agitb;
    const reportedByAgitb = this.#agitb !== undefined &&
      this.#agitb.stderr !== false;
    const onError = options.onError ??
      ((error: unknown, context: FastAgiErrorContext) => {
        // agitb already wrote the handler's error to stderr.
        if (context.phase === "handler" && reportedByAgitb) return;
        defaultOnError(error, context);
      });
    this.#onError = (error, context) => {
      try {
        onError(error, context);
      } catch {
        // A reporter that throws must not take the server down.
      }
    };
    // Everything that is not the server's own is a session option.
    const {
      hostname: _hostname,
      port: _port,
      maxConnections: _maxConnections,
      maxHeaderBytes: _maxHeaderBytes,
      headerTimeoutMs: _headerTimeoutMs,
      shutdownTimeoutMs: _shutdownTimeoutMs,
      closeTimeoutMs: _closeTimeoutMs,
      maxLineBytes: _maxLineBytes,
      signal: _signal,
      onListen: _onListen,
      onError: _onError,
      agitb: _agitb,
      ...sessionOptions
    } = options;
    this.#sessionOptions = sessionOptions;
    this.#signal = options.signal;
    this.#finished = new Promise((resolve) => this.#resolveFinished = resolve);
    this.#listener = Deno.listen({
      hostname: options.hostname ?? DEFAULTS.hostname,
      port: options.port ?? DEFAULTS.port,
      transport: "tcp",
    });
    options.onListen?.(this.#listener.addr);
    if (this.#signal !== undefined) {
      if (this.#signal.aborted) {
        queueMicrotask(() => void this.shutdown());
      } else {
        this.#signal.addEventListener("abort", this.#onAbort, { once: true });
      }
    }
    this.#acceptDone = this.#acceptLoop();
  }

  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  get connections(): number {
    return this.#connections.size;
  }

  get finished(): Promise<void> {
    return this.#finished;
  }

  #onAbort = (): void => {
    void this.shutdown();
  };

  shutdown(): Promise<void> {
    if (this.#shuttingDown) return this.#finished;
    this.#shuttingDown = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#stopAccepting();
    void this.#drain();
    return this.#finished;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #stopAccepting(): void {
    if (!this.#accepting) return;
    this.#accepting = false;
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
  }

  async #drain(): Promise<void> {
    // A connection accepted just before the listener closed is still served.
    await this.#acceptDone;
    if (this.#connections.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<void>((resolve) => this.#idle = resolve);
      const expired = new Promise<"expired">((resolve) => {
        timer = setTimeout(() => resolve("expired"), this.#shutdownTimeoutMs);
      });
      const outcome = await Promise.race([idle, expired]);
      clearTimeout(timer);
      if (outcome === "expired") {
        for (const connection of this.#connections) closeConnection(connection);
        if (this.#connections.size > 0) await idle;
      }
    }
    this.#resolveFinished();
  }

  async #acceptLoop(): Promise<void> {
    while (this.#accepting) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (!this.#accepting || error instanceof Deno.errors.BadResource) break;
        this.#onError(error, {
          phase: "accept",
          remoteAddr: undefined,
          request: undefined,
        });
        // E.g. out of file descriptors: give running calls a moment to end.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (this.#connections.size >= this.#maxConnections) {
        const remoteAddr = conn.remoteAddr;
        try {
          conn.close();
        } catch {
          // Already closed.
        }
        this.#onError(
          new LimitExceededError(
            "maxConnections",
            this.#maxConnections,
            `Cannot accept FastAGI connection from ${remoteAddr.hostname}:${remoteAddr.port}: ` +
              `maxConnections of ${this.#maxConnections} reached`,
          ),
          { phase: "accept", remoteAddr, request: undefined },
        );
        continue;
      }
      const connection: Connection = { conn, closed: false };
      this.#connections.add(connection);
      void this.#serve(connection);
    }
    this.#stopAccepting();
    if (!this.#shuttingDown) void this.shutdown();
  }

  async #serve(connection: Connection): Promise<void> {
    const { conn } = connection;
    const remoteAddr = conn.remoteAddr;
    let request: FastAgiRequest | undefined;
    let phase: FastAgiErrorPhase = "header";
    let session: AgiSession | undefined;
    try {
      const header = await this.#readHeader(connection);
      const env = parseAgiEnvironment(header.lines);
      const script = env.networkScript ?? "";
      const { path, params } = parseFastAgiScript(script);
      request = { script, path, params, remoteAddr };
      phase = "route";
      const handler = findHandler(this.#handler, path);
      if (handler === undefined) {
        throw new ProtocolError(
          `Cannot route FastAGI request: no handler for script path ${
            JSON.stringify(path)
          }`,
          { line: `agi_network_script: ${script}` },
        );
      }
      phase = "handler";
      session = createFastAgiSession(env, conn, header.rest, {
        maxLineBytes: this.#maxLineBytes,
        closeTimeoutMs: this.#closeTimeoutMs,
        closeConnection: () => closeConnection(connection),
        closeDeadlines: this.#closeDeadlines,
        readBuffer: header.buffer,
        session: this.#sessionOptions,
      });
      const run = this.#agitb === undefined
        ? handler
        : withAgitb(handler, this.#agitb);
      await run(session, request);
    } catch (error) {
      this.#onError(error, { phase, remoteAddr, request });
    } finally {
      if (session !== undefined) {
        try {
          await session.close();
        } catch {
          // The connection is going away anyway.
        }
      }
      closeConnection(connection);
      this.#connections.delete(connection);
      if (this.#connections.size === 0) this.#idle?.();
    }
  }

  async #readHeader(connection: Connection): Promise<FastAgiHeader> {
    let timedOut = false;
    const deadline = this.#headerDeadlines.add(() => {
      timedOut = true;
      closeConnection(connection);
    });
    try {
      return await readFastAgiHeader(connection.conn, this.#maxHeaderBytes);
    } catch (error) {
      if (!timedOut) throw error;
      throw new TimeoutError(
        `Cannot read FastAGI header: no complete block within ${this.#headerTimeoutMs} ms`,
        this.#headerTimeoutMs,
        { cause: error },
      );
    } finally {
      deadline.cancel();
    }
  }
}

function closeConnection(connection: Connection): void {
  if (connection.closed) return;
  connection.closed = true;
  try {
    connection.conn.close();
  } catch {
    // Already closed by the session.
  }
}
