// Copyright the @pyst/asterisk authors. MIT license.
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import {
  amiActions,
  type AmiEventMask,
  type AmiOriginateParams,
} from "./ami_actions.ts";
import type {
  AmiEventSubscription,
  AmiEventSubscriptionOptions,
} from "./ami_event_subscription.ts";
import type { AmiMessage } from "./ami_message.ts";
import { AmiMessageDecoder } from "./ami_message_decoder.ts";
import { type AmiAction, encodeAmiAction } from "./encode_ami_action.ts";
import { AmiActionError, AmiAuthenticationError } from "./errors.ts";
import { type AmiBackoff, exponentialBackoff } from "./exponential_backoff.ts";
import { isListEnd, listStart } from "./_event_list.ts";
import { formatEventMask } from "./_event_mask.ts";
import { EventQueue } from "./_event_queue.ts";
import {
  checkCount,
  checkDuration,
  describe,
  filterAction,
  listenerKey,
  randomPrefix,
  redact,
} from "./_ami_client_options.ts";
import { closeLate, concat, Connection, raceAbort } from "./_ami_connection.ts";
import { logIn } from "./_ami_login.ts";
import {
  actionIdKey,
  AWAITING_RESULT,
  closedError,
  COLLECTING,
  LIST,
  ORIGINATE,
  type Pending,
  PendingTable,
  QUEUED,
  SENT,
  SINGLE,
  type SubmitOptions,
} from "./_pending_actions.ts";

/**
 * One transport to an AMI server: the byte streams plus what the client
 * needs to know about them. `connectAmi` builds it from `Deno.connect` or
 * `Deno.connectTls`; tests build it from in-memory streams.
 */
export interface AmiConnection {
  /** Bytes from the server. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the server. */
  readonly writable: WritableStream<Uint8Array>;
  /** Whether the transport is encrypted (TLS). @default {false} */
  readonly tls?: boolean;
  /**
   * Host name or address of the server, used only to warn when a plain
   * secret would cross a non-loopback link without TLS. Leave it out for
   * in-memory transports.
   */
  readonly remoteHostname?: string;
  /** Closes the underlying resource (socket), if streams alone do not. */
  close?(): void;
}

/**
 * Opens a new transport. The client calls it for the first connection and
 * for every reconnect; it should honour `signal`.
 */
export type AmiConnector = (signal: AbortSignal) => Promise<AmiConnection>;

/**
 * How to log in: `md5` uses Challenge/MD5 (the secret never crosses the
 * wire), `plain` sends the secret, `auto` tries MD5 and falls back to plain
 * when the server refuses the Challenge.
 */
export type AmiAuthType = "auto" | "md5" | "plain";

/**
 * A session event filter: a legacy regex (`"Event: Hangup"`, a leading `!`
 * excludes) or advanced `MatchCriteria` (Asterisk 18.26, 20.11, 21.6, 22.1
 * and later).
 */
export type AmiFilter = string | {
  /** Legacy regex. */
  readonly filter?: string;
  /** Advanced criteria, e.g. `action(include),name(Newchannel)`. */
  readonly matchCriteria?: string;
};

/** Where a client is in its life. */
export type AmiClientState =
  | "idle"
  | "connecting"
  | "connected"
  | "reconnecting"
  | "closing"
  | "closed";

/**
 * An event handler. Its exceptions (and rejections, if it returns a
 * promise) are reported as `error` lifecycle events and never stop
 * dispatch; the client does not wait for returned promises.
 */
export type AmiEventHandler = (event: AmiMessage) => void | Promise<void>;

/** One packet seen by `onTrace`. Secrets (`Secret`, `Key`) are masked. */
export type AmiTraceEvent =
  | { readonly direction: "send"; readonly action: AmiAction }
  | { readonly direction: "receive"; readonly message: AmiMessage };

/** Options of {@linkcode AmiClient}. */
export interface AmiClientOptions {
  /** User name to log in with; without it the client does not log in. */
  username?: string;
  /** The user's secret. Never logged, never part of an error. */
  secret?: string;
  /**
   * Login method.
   *
   * @default {"auto"}
   */
  authType?: AmiAuthType;
  /**
   * Event mask sent with `Login` (`Events:`): `true` for all the user may
   * read, `false` for none, or categories. Kept up to date by
   * {@linkcode AmiClient.setEventMask} and re-sent on every reconnect.
   * Left out, no `Events` header is sent and Asterisk uses the user's read
   * permissions (the same as `true`).
   *
   * @default {undefined}
   */
  events?: AmiEventMask;
  /**
   * Session filters applied after every login (see
   * {@linkcode AmiClient.addFilter}).
   *
   * @default {[]}
   */
  filters?: readonly AmiFilter[];
  /**
   * Default timeout of every action, in milliseconds; `Infinity` disables it.
   *
   * @default {10000}
   */
  timeout?: number;
  /**
   * Most milliseconds from opening a transport to a completed login.
   *
   * @default {10000}
   */
  connectTimeout?: number;
  /**
   * Reconnect policy: `true` for {@linkcode exponentialBackoff} defaults,
   * a custom backoff, or `false`. A client built on one stream pair cannot
   * reconnect.
   *
   * @default {true} with a connector, `false` with a stream pair
   */
  reconnect?: boolean | AmiBackoff;
  /**
   * Sends a `Ping` this often (milliseconds) while connected; a Ping not
   * answered within the same interval drops the connection (and, with
   * `reconnect`, starts a reconnect). `0` disables it. Without it a TCP
   * connection that dies silently (a NAT or firewall forgetting it) would
   * leave event iterators waiting forever.
   *
   * @default {30000} with a connector, `0` with a stream pair
   */
  keepAlive?: number;
  /**
   * Most actions waiting for a reply at once (queued ones included).
   *
   * @default {10000}
   */
  maxPendingActions?: number;
  /**
   * Most bytes of actions waiting to be written: queued for a connection,
   * or handed to a transport that has not taken them yet (a server that
   * stops reading). One more action rejects with `LimitExceededError`
   * (limit `maxWriteQueueBytes`) and nothing of it is sent. Actions that
   * time out before they are written still count until they are, so this,
   * not `maxPendingActions`, bounds what a stalled server can pin. The
   * client's own Login, Challenge, Filter and keep-alive Ping are exempt.
   *
   * @default {8388608}
   */
  maxWriteQueueBytes?: number;
  /**
   * Default cap on the events of one event list (see
   * {@linkcode AmiSendListOptions.maxItems}).
   *
   * @default {100000}
   */
  maxListItems?: number;
  /**
   * Longest line accepted from the server, in bytes.
   *
   * @default {1048576}
   */
  maxLineBytes?: number;
  /**
   * Most bytes in one packet from the server.
   *
   * @default {8388608}
   */
  maxMessageBytes?: number;
  /**
   * Most lines in one packet from the server.
   *
   * @default {20000}
   */
  maxFieldsPerMessage?: number;
  /**
   * Prefix of generated ActionIDs; the counter follows a `-`.
   *
   * @default {12 random hex digits}
   */
  actionIdPrefix?: string;
  /**
   * Receives warnings (such as a plain secret about to cross a non-loopback
   * link without TLS). They are also dispatched as `warning` events;
   * nothing is ever written to the console.
   */
  onWarning?: (message: string) => void;
  /** Observes every packet sent and received, for debugging. */
  onTrace?: (event: AmiTraceEvent) => void;
}

/** Options of {@linkcode AmiClient.connect}. */
export interface AmiConnectOptions {
  /** Aborts the connection attempt (the client is then closed). */
  signal?: AbortSignal;
}

/** Options of {@linkcode AmiClient.send} and {@linkcode AmiClient.command}. */
export interface AmiSendOptions {
  /**
   * Milliseconds to wait for the reply; `Infinity` waits forever.
   *
   * @default {the client's `timeout`}
   */
  timeout?: number;
  /** Aborts the wait; the action rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Whether the action may be sent again after a reconnect if the
   * connection dropped before its reply. Otherwise such an action rejects
   * with `ConnectionClosedError`.
   *
   * @default {false}
   */
  idempotent?: boolean;
}

/** Options of {@linkcode AmiClient.sendList}. */
export interface AmiSendListOptions extends AmiSendOptions {
  /**
   * Most events the list may hold; more rejects with
   * `LimitExceededError` (limit `maxItems`).
   *
   * @default {the client's `maxListItems`}
   */
  maxItems?: number;
}

/** The result of {@linkcode AmiClient.sendList}. */
export interface AmiEventListResult {
  /** The reply that opened the list (`EventList: start`). */
  readonly response: AmiMessage;
  /** The list's events, in order, without the closing event. */
  readonly events: readonly AmiMessage[];
  /**
   * The closing event (`…Complete`), or `undefined` when the reply said no
   * list would follow.
   */
  readonly complete: AmiMessage | undefined;
}

/** Options of {@linkcode AmiClient.originate}. */
export interface AmiOriginateOptions {
  /**
   * Milliseconds to wait for the `OriginateResponse`.
   *
   * @default {the Originate `Timeout` (30000 if unset) plus the client's `timeout`}
   */
  timeout?: number;
  /** Aborts the wait (the call itself is not cancelled). */
  signal?: AbortSignal;
  /** Called with the reply once Asterisk has queued the call. */
  onQueued?: (response: AmiMessage) => void;
}

/**
 * The outcome of an originated call, from `OriginateResponse`'s `Reason`:
 * `answered` (4), `busy` (5), `congestion` (8), `no-answer` (3, rang
 * until the timeout), `hangup` (1), `ring` (2), `failed` (0, e.g. the
 * channel could not be created), `unknown` (anything else).
 */
export type AmiOriginateReason =
  | "failed"
  | "hangup"
  | "ring"
  | "no-answer"
  | "answered"
  | "busy"
  | "congestion"
  | "unknown";

/** The result of {@linkcode AmiClient.originate}. */
export interface AmiOriginateResult {
  /** Whether the call was answered (`Response: Success`). */
  readonly success: boolean;
  /** The numeric `Reason`, or -1 when absent. */
  readonly reason: number;
  /** `reason` in words. */
  readonly reasonText: AmiOriginateReason;
  /** The new channel's name (or the requested one on failure). */
  readonly channel: string | undefined;
  /** The new channel's unique id, if one was created. */
  readonly uniqueId: string | undefined;
  /** The reply that queued the call (`undefined` if the event came first). */
  readonly response: AmiMessage | undefined;
  /** The `OriginateResponse` event. */
  readonly event: AmiMessage;
}

/** Detail of `connected` and `reconnected`. */
export interface AmiConnectedDetail {
  /** The AMI version from the banner. */
  readonly version: string | undefined;
  /** 0 for the first connection, else the reconnect attempt that worked. */
  readonly attempt: number;
}

/** Detail of `disconnected`. */
export interface AmiDisconnectedDetail {
  /** Why, if known (`undefined` for a deliberate close). */
  readonly error: unknown;
}

/** Detail of `reconnecting`. */
export interface AmiReconnectingDetail {
  /** The attempt about to be made, from 1. */
  readonly attempt: number;
  /** Milliseconds before it. */
  readonly delayMs: number;
  /** Why the previous connection or attempt ended. */
  readonly error: unknown;
}

/** Detail of `error`. */
export interface AmiErrorDetail {
  /** What went wrong (a handler's exception, a bad packet, giving up…). */
  readonly error: unknown;
  /** The event being dispatched, when a handler or filter threw. */
  readonly event: AmiMessage | undefined;
}

/** Detail of `warning`. */
export interface AmiWarningDetail {
  /** The warning text. */
  readonly message: string;
}

/** The lifecycle events of {@linkcode AmiClient}, by type. */
export interface AmiClientEventMap {
  /** Logged in and ready (first connection and every reconnect). */
  connected: CustomEvent<AmiConnectedDetail>;
  /** The connection ended. */
  disconnected: CustomEvent<AmiDisconnectedDetail>;
  /** A reconnect attempt is scheduled. */
  reconnecting: CustomEvent<AmiReconnectingDetail>;
  /** A reconnect succeeded (after its `connected`). */
  reconnected: CustomEvent<AmiConnectedDetail>;
  /** Asterisk sent `FullyBooted`. */
  fullyBooted: CustomEvent<AmiMessage>;
  /** Something failed that no caller was waiting for. */
  error: CustomEvent<AmiErrorDetail>;
  /** A packet matched no pending action (unknown, late or missing ActionID). */
  unmatched: CustomEvent<AmiMessage>;
  /** A warning (also passed to `onWarning`). */
  warning: CustomEvent<AmiWarningDetail>;
}

const DEFAULT_TIMEOUT = 10_000;
const DEFAULT_MAX_PENDING = 10_000;
const DEFAULT_MAX_WRITE_QUEUE_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_LIST_ITEMS = 100_000;

const REASONS: Readonly<Record<number, AmiOriginateReason>> = {
  0: "failed",
  1: "hangup",
  2: "ring",
  3: "no-answer",
  4: "answered",
  5: "busy",
  8: "congestion",
};

type Listener = EventListenerOrEventListenerObject;

/**
 * An Asterisk Manager Interface client over any pair of byte streams.
 *
 * - Actions are plain data (`{ Action: "Ping" }`) or built with
 *   `amiActions`; each gets a unique ActionID (random per-client prefix)
 *   and its reply is matched by ActionID, never by order, with a timeout.
 *   `Response: Error` rejects with {@linkcode AmiActionError}.
 * - {@linkcode AmiClient.sendList} collects an event list,
 *   {@linkcode AmiClient.command} returns CLI output (modern `Output:` and
 *   legacy `Response: Follows` alike), {@linkcode AmiClient.originate}
 *   waits for the `OriginateResponse`.
 * - Events reach every {@linkcode AmiClient.events} iterator (each with its
 *   own bounded buffer) and every {@linkcode AmiClient.on} handler in wire
 *   order; the socket is read continuously, whatever the consumers do.
 * - Lifecycle events (`connected`, `disconnected`, `reconnecting`,
 *   `reconnected`, `fullyBooted`, `error`, `unmatched`, `warning`) are
 *   dispatched on the client itself, an `EventTarget`.
 * - With a connector, a lost connection is re-opened with backoff, the
 *   login, event mask and filters are re-applied; actions that were in
 *   flight reject with `ConnectionClosedError` unless sent as `idempotent`,
 *   and actions sent while reconnecting wait for the new connection (within
 *   their timeout).
 *
 * Use `connectAmi` for TCP/TLS; build the client yourself for any other
 * transport.
 *
 * @example A client on any stream pair
 * ```ts
 * import { AmiClient } from "@pyst/asterisk/manager";
 * import { startAmiEmulator } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * await using asterisk = await startAmiEmulator({ listen: false });
 * // Any { readable, writable } byte stream pair will do; this one is in memory.
 * const { readable, writable } = asterisk.connectInMemory();
 * const ami = new AmiClient({ readable, writable }, {
 *   username: "admin",
 *   secret: "admin",
 * });
 * const log: string[] = [];
 * ami.addEventListener("connected", (event) => {
 *   log.push(`connected to AMI ${event.detail.version}`);
 * });
 * await ami.connect();
 * assert.equal((await ami.send({ Action: "Ping" })).get("Ping"), "Pong");
 * await ami.logoff();
 * assert.deepEqual(log, ["connected to AMI 13.0.0"]);
 * assert.equal(ami.state, "closed");
 * ```
 */
export class AmiClient extends EventTarget {
  readonly #connector: AmiConnector;
  readonly #backoff: AmiBackoff | undefined;
  readonly #username: string | undefined;
  readonly #secret: string | undefined;
  readonly #authType: AmiAuthType;
  readonly #timeout: number;
  readonly #connectTimeout: number;
  readonly #keepAlive: number;
  readonly #maxPending: number;
  readonly #maxWriteQueueBytes: number;
  readonly #maxListItems: number;
  readonly #decoderLimits: {
    maxLineBytes?: number;
    maxMessageBytes?: number;
    maxFieldsPerMessage?: number;
  };
  readonly #idPrefix: string;
  readonly #onWarning: ((message: string) => void) | undefined;
  readonly #onTrace: ((event: AmiTraceEvent) => void) | undefined;
  readonly #lifetime = new AbortController();
  readonly #pending = new PendingTable();
  readonly #subscriptions = new Set<EventQueue>();
  readonly #wrappers = new Map<string, Map<Listener, EventListener>>();
  #handlers = new Map<string, AmiEventHandler[]>();
  #wildcard: AmiEventHandler[] = [];
  #eventMask: AmiEventMask | undefined;
  #filters: AmiFilter[];
  #state: AmiClientState = "idle";
  #conn: Connection | undefined;
  #version: string | undefined;
  #idCounter = 0;
  #loggingOff = false;
  #connecting: Promise<void> | undefined;
  #shutdownPromise: Promise<void> | undefined;
  #logoffPromise: Promise<void> | undefined;
  #sleepTimer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;

  /**
   * Creates a client. It does nothing until {@linkcode AmiClient.connect}.
   *
   * @param source One stream pair (no reconnect possible), or a connector
   * the client calls for every (re)connection.
   * @param options Login, timeouts, reconnect policy, limits.
   * @throws {TypeError} If `source` or an option is invalid.
   */
  constructor(
    source: AmiConnection | AmiConnector,
    options: AmiClientOptions = {},
  ) {
    super();
    if (typeof source === "function") {
      this.#connector = source;
    } else if (
      typeof source === "object" && source !== null &&
      source.readable instanceof ReadableStream &&
      source.writable instanceof WritableStream
    ) {
      let used = false;
      this.#connector = () => {
        if (used) {
          return Promise.reject(
            new ConnectionClosedError(
              "Cannot reconnect to AMI: the client was given a single stream pair",
            ),
          );
        }
        used = true;
        return Promise.resolve(source);
      };
    } else {
      throw new TypeError(
        "Cannot create AMI client: expected a connector function or { readable, writable } streams",
      );
    }
    const reconnect = options.reconnect ?? typeof source === "function";
    if (typeof reconnect === "function") this.#backoff = reconnect;
    else if (reconnect === true) this.#backoff = exponentialBackoff();
    else if (reconnect !== false) {
      throw new TypeError(
        "Cannot create AMI client: reconnect must be a boolean or a backoff function",
      );
    }
    for (const key of ["username", "secret", "actionIdPrefix"] as const) {
      const value = options[key];
      if (value !== undefined && typeof value !== "string") {
        throw new TypeError(
          `Cannot create AMI client: ${key} must be a string`,
        );
      }
    }
    this.#username = options.username;
    this.#secret = options.secret;
    const authType = options.authType ?? "auto";
    if (authType !== "auto" && authType !== "md5" && authType !== "plain") {
      throw new TypeError(
        `Cannot create AMI client: authType must be "auto", "md5" or "plain", got ${
          JSON.stringify(authType)
        }`,
      );
    }
    this.#authType = authType;
    this.#eventMask = options.events;
    if (this.#eventMask !== undefined) formatEventMask(this.#eventMask);
    this.#filters = [...(options.filters ?? [])];
    for (const filter of this.#filters) filterAction(filter);
    this.#timeout = checkDuration("timeout", options.timeout, DEFAULT_TIMEOUT);
    this.#connectTimeout = checkDuration(
      "connectTimeout",
      options.connectTimeout,
      DEFAULT_TIMEOUT,
    );
    const keepAlive = options.keepAlive ??
      (typeof source === "function" ? 30_000 : 0);
    if (!Number.isFinite(keepAlive) || keepAlive < 0) {
      throw new TypeError(
        `Cannot create AMI client: keepAlive must be a non-negative number of milliseconds, got ${keepAlive}`,
      );
    }
    this.#keepAlive = keepAlive;
    this.#maxPending = checkCount(
      "maxPendingActions",
      options.maxPendingActions,
      DEFAULT_MAX_PENDING,
    );
    this.#maxWriteQueueBytes = checkCount(
      "maxWriteQueueBytes",
      options.maxWriteQueueBytes,
      DEFAULT_MAX_WRITE_QUEUE_BYTES,
    );
    this.#maxListItems = checkCount(
      "maxListItems",
      options.maxListItems,
      DEFAULT_MAX_LIST_ITEMS,
    );
    this.#decoderLimits = {};
    for (
      const key of [
        "maxLineBytes",
        "maxMessageBytes",
        "maxFieldsPerMessage",
      ] as const
    ) {
      const value = options[key];
      if (value !== undefined) {
        this.#decoderLimits[key] = checkCount(key, value, 1);
      }
    }
    this.#idPrefix = options.actionIdPrefix ?? randomPrefix();
    this.#onWarning = options.onWarning;
    this.#onTrace = options.onTrace;
  }

  /** Where the client is in its life. */
  get state(): AmiClientState {
    return this.#state;
  }

  /** The AMI version from the server's banner (e.g. `13.0.0`), once read. */
  get version(): string | undefined {
    return this.#version;
  }

  /** Actions waiting for their reply (or for a connection). */
  get pendingActions(): number {
    return this.#pending.size;
  }

  /**
   * Opens the connection, reads the banner and logs in (if a `username` was
   * given), applying the event mask and filters. Calling it again returns
   * the same promise. Actions sent before it resolves wait for it.
   *
   * @param options An abort signal.
   * @returns Resolves once the client is ready.
   * @throws {AmiAuthenticationError} If the login is rejected.
   * @throws {TimeoutError} If it takes longer than `connectTimeout`.
   * @throws {ConnectionClosedError} If the connection closes first, or the
   * client was closed.
   * @throws {ProtocolError} If the peer does not send an AMI banner.
   *
   * @example Connecting with a connector
   * ```ts
   * import { AmiClient } from "@pyst/asterisk/manager";
   * import { ConnectionClosedError } from "@pyst/asterisk";
   * import assert from "node:assert/strict";
   *
   * // A connector whose server closes at once.
   * const client = new AmiClient(() => {
   *   const empty = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
   *   return Promise.resolve({ readable: empty, writable: new WritableStream() });
   * }, { reconnect: false });
   * await assert.rejects(client.connect(), ConnectionClosedError);
   * assert.equal(client.state, "closed");
   * ```
   */
  connect(options: AmiConnectOptions = {}): Promise<void> {
    if (this.#connecting !== undefined) return this.#connecting;
    if (this.#state !== "idle") {
      return Promise.reject(
        new ConnectionClosedError("Cannot connect AMI client: client closed"),
      );
    }
    this.#state = "connecting";
    this.#connecting = this.#connectFirst(options.signal);
    return this.#connecting;
  }

  /**
   * Sends an action and resolves with its reply. Replies are matched by
   * ActionID; a caller-supplied `ActionID` is kept (it must not be pending).
   *
   * @param action The action, e.g. `{ Action: "Getvar", Variable: "X" }`.
   * @param options Timeout, abort signal, idempotence.
   * @returns The reply packet.
   * @throws {AmiActionError} On `Response: Error`.
   * @throws {TimeoutError} If no reply comes in time.
   * @throws {ConnectionClosedError} If the connection drops first (and the
   * action was not idempotent), or the client is closed.
   * @throws {LimitExceededError} If `maxPendingActions` are already pending.
   * @throws {TypeError} If the action cannot be encoded.
   *
   * @example Reading a variable
   * ```ts
   * import { AmiClient } from "@pyst/asterisk/manager";
   * import { startAmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using asterisk = await startAmiEmulator({
   *   listen: false,
   *   variables: { COLOR: "blue" },
   * });
   * await using ami = new AmiClient(asterisk.connectInMemory(), {
   *   username: "admin",
   *   secret: "admin",
   * });
   * await ami.connect();
   * const reply = await ami.send({ Action: "Getvar", Variable: "COLOR" });
   * assert.equal(reply.get("Value"), "blue");
   * ```
   */
  send(action: AmiAction, options: AmiSendOptions = {}): Promise<AmiMessage> {
    return this.#submit(
      action,
      SINGLE,
      this.#sendOptions(options, options.timeout),
    );
  }

  /**
   * Sends an action whose reply is an event list and resolves with the
   * reply and every list event up to the `…Complete` one. List events are
   * routed by ActionID only while the list is being collected, so other
   * events keep flowing to consumers. A reply without `EventList: start`
   * (or, from servers before AMI 2.7, without "will follow") resolves
   * with no events.
   *
   * @param action The list action, e.g. `{ Action: "CoreShowChannels" }`.
   * @param options Timeout (for the whole list), signal, idempotence, cap.
   * @returns The reply, the events and the closing event.
   * @throws {AmiActionError} On `Response: Error` (also after the list began).
   * @throws {TimeoutError} If the list does not complete in time.
   * @throws {LimitExceededError} If the list exceeds `maxItems`.
   * @throws {ConnectionClosedError} As {@linkcode AmiClient.send}.
   *
   * @example Listing channels
   * ```ts
   * import { AmiClient } from "@pyst/asterisk/manager";
   * import { startAmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using asterisk = await startAmiEmulator({ listen: false });
   * await using ami = new AmiClient(asterisk.connectInMemory(), {
   *   username: "admin",
   *   secret: "admin",
   * });
   * await ami.connect();
   * await ami.originate({ Channel: "Local/s@default", Application: "Wait", Data: "60" });
   * const { response, events, complete } = await ami.sendList({ Action: "CoreShowChannels" });
   * assert.equal(response.get("EventList"), "start");
   * assert.equal(events.length, 2);
   * assert.equal(complete?.get("ListItems"), "2");
   * ```
   */
  sendList(
    action: AmiAction,
    options: AmiSendListOptions = {},
  ): Promise<AmiEventListResult> {
    return this.#submit(action, LIST, {
      ...this.#sendOptions(options, options.timeout),
      maxItems: options.maxItems,
    });
  }

  /**
   * Runs a CLI command through the `Command` action and returns its
   * output, lines joined with `\n`. Works with the `Output:` headers of
   * Asterisk 14+ and the `Response: Follows` body of older versions.
   *
   * @param command The CLI command, e.g. `core show version`.
   * @param options Timeout, abort signal.
   * @returns The output text.
   * @throws {AmiActionError} If Asterisk reports an error (its output is in
   * the error's `reply`, as `Output` fields).
   * @throws {TypeError} If `command` is empty.
   *
   * @example Running a CLI command
   * ```ts
   * import { AmiClient } from "@pyst/asterisk/manager";
   * import { startAmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using asterisk = await startAmiEmulator({
   *   listen: false,
   *   commands: { "core show uptime": "System uptime: 5 minutes\nLast reload: 5 minutes" },
   * });
   * await using ami = new AmiClient(asterisk.connectInMemory(), {
   *   username: "admin",
   *   secret: "admin",
   * });
   * await ami.connect();
   * const output = await ami.command("core show uptime");
   * assert.equal(output, "System uptime: 5 minutes\nLast reload: 5 minutes");
   * ```
   */
  async command(
    command: string,
    options: AmiSendOptions = {},
  ): Promise<string> {
    if (typeof command !== "string" || command === "") {
      throw new TypeError(
        "Cannot run AMI command: the command must be a non-empty string",
      );
    }
    const reply = await this.send(
      { Action: "Command", Command: command },
      options,
    );
    return reply.getAll("Output").join("\n");
  }

  /**
   * Originates a call (`Async: true` is forced) and resolves with its
   * outcome from the matching `OriginateResponse` event: answered or not,
   * and why. The event is also delivered to event consumers.
   *
   * @param params The Originate headers.
   * @param options Timeout for the outcome, signal, `onQueued` callback.
   * @returns The outcome; a failed call resolves with `success: false`.
   * @throws {AmiActionError} If Asterisk refuses the Originate itself.
   * @throws {TimeoutError} If no `OriginateResponse` comes in time.
   * @throws {ConnectionClosedError} If the connection drops first.
   * @throws {TypeError} Without `Channel`, or with both or neither of
   * `Application` and `Exten`.
   *
   * @example Calling and waiting for the answer
   * ```ts
   * import { AmiClient } from "@pyst/asterisk/manager";
   * import { startAmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using asterisk = await startAmiEmulator({
   *   listen: false,
   *   originate: (call) => (call.channel === "PJSIP/busy" ? "busy" : "answer"),
   * });
   * await using ami = new AmiClient(asterisk.connectInMemory(), {
   *   username: "admin",
   *   secret: "admin",
   * });
   * await ami.connect();
   * const outcome = await ami.originate({
   *   Channel: "PJSIP/100",
   *   Application: "Playback",
   *   Data: "hello-world",
   * });
   * assert.equal(outcome.success, true);
   * assert.equal(outcome.reasonText, "answered");
   * const busy = await ami.originate({ Channel: "PJSIP/busy", Application: "Wait", Data: "1" });
   * assert.equal(busy.success, false);
   * assert.equal(busy.reasonText, "busy");
   * ```
   */
  originate(
    params: AmiOriginateParams,
    options: AmiOriginateOptions = {},
  ): Promise<AmiOriginateResult> {
    let action: AmiAction;
    try {
      action = amiActions.originate({ ...params, Async: true });
    } catch (error) {
      return Promise.reject(error);
    }
    const answerTimeout =
      typeof params.Timeout === "number" && Number.isFinite(params.Timeout)
        ? params.Timeout
        : 30_000;
    const timeout = options.timeout ?? answerTimeout + this.#timeout;
    return this.#submit(action, ORIGINATE, {
      ...this.#sendOptions({
        ...(options.signal ? { signal: options.signal } : {}),
      }, timeout),
      onQueued: options.onQueued,
    });
  }

  /**
   * Subscribes to events: returns an async iterator over every event that
   * arrives from now on (optionally filtered), in wire order, through a
   * bounded buffer with an explicit overflow policy.
   *
   * @param options Filter, buffer size, overflow policy, signal.
   * @returns The subscription; `break` or `close()` ends it.
   * @throws {TypeError} On a bad option.
   *
   * @example Reading events
   * ```ts
   * import { AmiClient } from "@pyst/asterisk/manager";
   * import { startAmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using asterisk = await startAmiEmulator({ listen: false });
   * await using ami = new AmiClient(asterisk.connectInMemory(), {
   *   username: "admin",
   *   secret: "admin",
   * });
   * await ami.connect();
   * const events = ami.events({ filter: ["PeerStatus"], bufferSize: 1000 });
   * asterisk.emit({ Event: "PeerStatus", Peer: "PJSIP/100", PeerStatus: "Reachable" }, {
   *   category: "system",
   * });
   * for await (const event of events) {
   *   assert.equal(event.get("Peer"), "PJSIP/100");
   *   break;
   * }
   * assert.equal(events.dropped, 0);
   * ```
   */
  events(options: AmiEventSubscriptionOptions = {}): AmiEventSubscription {
    const queue = new EventQueue(options, {
      onDetach: (detached) => this.#subscriptions.delete(detached),
      onFilterError: (error, event) => this.#reportError(error, event),
    });
    if (this.#state === "closing" || this.#state === "closed") queue.end();
    else if (!queue.closed) this.#subscriptions.add(queue);
    return queue;
  }

  /**
   * Adds an event handler for one event name (case-insensitive) or `*` for
   * all. Handlers run synchronously in wire order as packets are decoded;
   * exceptions are reported as `error` lifecycle events.
   *
   * @param name An event name, or `*`.
   * @param handler The handler.
   * @returns A function that removes the handler.
   * @throws {TypeError} If `name` is empty or `handler` not a function.
   *
   * @example A handler per event name
   * ```ts
   * import { AmiClient } from "@pyst/asterisk/manager";
   * import { startAmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using asterisk = await startAmiEmulator({ listen: false });
   * await using ami = new AmiClient(asterisk.connectInMemory(), {
   *   username: "admin",
   *   secret: "admin",
   * });
   * await ami.connect();
   * const seen: string[] = [];
   * const stop = ami.on("PeerStatus", (event) => void seen.push(event.get("Peer")!));
   * asterisk.emit({ Event: "PeerStatus", Peer: "PJSIP/100" }, { category: "system" });
   * await ami.send({ Action: "Ping" }); // the event was written before this reply
   * stop();
   * assert.deepEqual(seen, ["PJSIP/100"]);
   * ```
   */
  on(name: string, handler: AmiEventHandler): () => void {
    if (
      typeof name !== "string" || name === "" || typeof handler !== "function"
    ) {
      throw new TypeError(
        'Cannot add AMI event handler: expected an event name (or "*") and a function',
      );
    }
    if (name === "*") {
      this.#wildcard = [...this.#wildcard, handler];
    } else {
      const key = name.toLowerCase();
      const handlers = new Map(this.#handlers);
      handlers.set(key, [...(handlers.get(key) ?? []), handler]);
      this.#handlers = handlers;
    }
    return () => this.off(name, handler);
  }

  /**
   * Removes a handler added with {@linkcode AmiClient.on} (once per call).
   *
   * @param name The name it was added for.
   * @param handler The handler.
   */
  off(name: string, handler: AmiEventHandler): void {
    const without = (list: AmiEventHandler[]): AmiEventHandler[] => {
      const at = list.indexOf(handler);
      return at === -1 ? list : [...list.slice(0, at), ...list.slice(at + 1)];
    };
    if (name === "*") {
      this.#wildcard = without(this.#wildcard);
      return;
    }
    const key = String(name).toLowerCase();
    const list = this.#handlers.get(key);
    if (list === undefined) return;
    const handlers = new Map(this.#handlers);
    const rest = without(list);
    if (rest.length === 0) handlers.delete(key);
    else handlers.set(key, rest);
    this.#handlers = handlers;
  }

  /**
   * Changes the session's event mask (`Action: Events`) and remembers it
   * for every later login.
   *
   * @param mask `true`, `false`, or categories.
   * @param options Timeout, abort signal.
   * @returns The reply.
   * @throws {AmiActionError} If Asterisk rejects the mask.
   * @throws {TypeError} If the mask is malformed.
   */
  async setEventMask(
    mask: AmiEventMask,
    options: AmiSendOptions = {},
  ): Promise<AmiMessage> {
    const reply = await this.send(amiActions.events(mask), options);
    this.#eventMask = mask;
    return reply;
  }

  /**
   * Adds a session event filter (`Action: Filter`) and re-applies it after
   * every reconnect.
   *
   * @param filter A legacy regex or advanced criteria.
   * @param options Timeout, abort signal.
   * @returns The reply.
   * @throws {AmiActionError} If Asterisk rejects the filter.
   * @throws {TypeError} If the filter is empty.
   */
  async addFilter(
    filter: AmiFilter,
    options: AmiSendOptions = {},
  ): Promise<AmiMessage> {
    const reply = await this.send(filterAction(filter), options);
    this.#filters.push(filter);
    return reply;
  }

  /**
   * Logs off politely (`Action: Logoff`, waiting for `Goodbye`), then
   * closes. Safe to call any number of times, before or after
   * {@linkcode AmiClient.close}.
   *
   * @returns Resolves once the client is closed.
   */
  logoff(): Promise<void> {
    return this.#logoffPromise ??= this.#logoff();
  }

  /**
   * Closes the client at once: pending actions reject with
   * `ConnectionClosedError`, event iterators end, no reconnect happens.
   * Safe to call any number of times, in any order with
   * {@linkcode AmiClient.logoff}.
   *
   * @returns Resolves once the connection is released.
   */
  close(): Promise<void> {
    return this.#shutdown(undefined);
  }

  /** Logs off and closes (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.logoff();
  }

  /**
   * Adds a lifecycle listener; see {@linkcode AmiClientEventMap}. A
   * listener that throws is reported as an `error` event.
   *
   * @param type The event type.
   * @param listener The listener.
   * @param options Standard listener options.
   */
  override addEventListener<K extends keyof AmiClientEventMap>(
    type: K,
    listener: (this: AmiClient, event: AmiClientEventMap[K]) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /**
   * Adds a listener for any event type (untyped form).
   *
   * @param type The event type.
   * @param listener The listener.
   * @param options Standard listener options.
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: Listener | ((event: never) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (listener === null) return;
    const key = listenerKey(type, options);
    let wrappers = this.#wrappers.get(key);
    if (wrappers === undefined) this.#wrappers.set(key, wrappers = new Map());
    const original = listener as Listener;
    if (wrappers.has(original)) return;
    const once = typeof options === "object" && options.once === true;
    const map = wrappers;
    const wrapper = (event: Event): void => {
      if (once) map.delete(original);
      try {
        if (typeof original === "function") original.call(this, event);
        else original.handleEvent(event);
      } catch (error) {
        this.#listenerFailed(type, error);
      }
    };
    wrappers.set(original, wrapper);
    const signal = typeof options === "object" ? options.signal : undefined;
    signal?.addEventListener("abort", () => map.delete(original), {
      once: true,
    });
    super.addEventListener(type, wrapper, options);
  }

  /**
   * Removes a lifecycle listener.
   *
   * @param type The event type.
   * @param listener The listener.
   * @param options Standard listener options (`capture` must match).
   */
  override removeEventListener<K extends keyof AmiClientEventMap>(
    type: K,
    listener: (this: AmiClient, event: AmiClientEventMap[K]) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  /**
   * Removes a listener for any event type (untyped form).
   *
   * @param type The event type.
   * @param listener The listener.
   * @param options Standard listener options (`capture` must match).
   */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: Listener | ((event: never) => void) | null,
    options?: boolean | EventListenerOptions,
  ): void {
    if (listener === null) return;
    const wrappers = this.#wrappers.get(listenerKey(type, options));
    const wrapper = wrappers?.get(listener as Listener);
    if (wrapper === undefined) return;
    wrappers!.delete(listener as Listener);
    super.removeEventListener(type, wrapper, options);
  }

  // ---------------------------------------------------------------- sending

  #sendOptions(
    options: AmiSendOptions,
    timeout: number | undefined,
  ): SubmitOptions {
    return {
      timeout,
      signal: options.signal,
      idempotent: options.idempotent === true,
      maxItems: undefined,
      onQueued: undefined,
      internal: undefined,
    };
  }

  #submit<T>(
    action: AmiAction,
    mode: number,
    options: SubmitOptions,
  ): Promise<T> {
    if (
      typeof action !== "object" || action === null ||
      typeof action.Action !== "string"
    ) {
      return Promise.reject(
        new TypeError(
          "Cannot send AMI action: expected an object with an Action header",
        ),
      );
    }
    const name = action.Action;
    const internal = options.internal;
    if (internal === undefined) {
      if (this.#state === "idle") {
        return Promise.reject(
          new ConnectionClosedError(
            `Cannot send AMI action ${
              JSON.stringify(name)
            }: client not connected (call connect() first)`,
          ),
        );
      }
      if (
        this.#state === "closing" || this.#state === "closed" ||
        this.#loggingOff
      ) {
        return Promise.reject(
          new ConnectionClosedError(
            `Cannot send AMI action ${JSON.stringify(name)}: client closed`,
          ),
        );
      }
    }
    let timeout: number;
    let maxItems: number;
    try {
      timeout = checkDuration("timeout", options.timeout, this.#timeout);
      maxItems = checkCount("maxItems", options.maxItems, this.#maxListItems);
    } catch (error) {
      return Promise.reject(error);
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#pending.size >= this.#maxPending) {
      return Promise.reject(
        new LimitExceededError(
          "maxPendingActions",
          this.#maxPending,
          `Cannot send AMI action ${
            JSON.stringify(name)
          }: ${this.#maxPending} actions are already pending (maxPendingActions)`,
        ),
      );
    }
    let id: string;
    let wire: AmiAction;
    const idKey = actionIdKey(action);
    if (idKey !== undefined) {
      id = String(action[idKey]);
      if (id === "" || this.#pending.has(id)) {
        return Promise.reject(
          new TypeError(
            `Cannot send AMI action ${JSON.stringify(name)}: ActionID ${
              JSON.stringify(id)
            } is ${id === "" ? "empty" : "already pending"}`,
          ),
        );
      }
      wire = action;
    } else {
      id = this.#nextId();
      wire = { ...action, ActionID: id };
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeAmiAction(wire);
    } catch (error) {
      return Promise.reject(error);
    }
    if (internal === undefined) {
      const queued = this.#pending.waitingBytes +
        (this.#conn?.queuedBytes ?? 0);
      const max = this.#maxWriteQueueBytes;
      if (queued + bytes.length > max) {
        return Promise.reject(
          new LimitExceededError(
            "maxWriteQueueBytes",
            max,
            `Cannot send AMI action ${
              JSON.stringify(name)
            }: ${queued} bytes already wait to be written, ${bytes.length} more would pass ${max} (maxWriteQueueBytes)`,
          ),
        );
      }
    }
    if (internal === undefined && name.toLowerCase() === "logoff") {
      this.#loggingOff = true;
    }
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const pending: Pending = {
      id,
      name,
      mode,
      internal,
      idempotent: options.idempotent,
      bytes,
      wire,
      maxItems,
      signal,
      resolve: resolve as (value: never) => void,
      reject,
      onQueued: options.onQueued,
      state: QUEUED,
      waiting: false,
      done: false,
      reply: undefined,
      items: [],
      deadline: undefined,
      onAbort: undefined,
    };
    this.#pending.add(pending, timeout);
    const conn = internal ??
      (this.#state === "connected" ? this.#conn : undefined);
    if (conn !== undefined) this.#transmit(conn, pending);
    else this.#pending.wait(pending);
    return promise;
  }

  /** Sends an internal request (login, filter, keep-alive) on `conn`. */
  #request(
    conn: Connection,
    action: AmiAction,
    signal: AbortSignal | undefined,
    timeout: number = this.#timeout,
  ): Promise<AmiMessage> {
    return this.#submit(action, SINGLE, {
      timeout,
      signal,
      idempotent: false,
      maxItems: undefined,
      onQueued: undefined,
      internal: conn,
    });
  }

  #transmit(conn: Connection, pending: Pending): void {
    this.#pending.sent(pending);
    if (this.#onTrace !== undefined) {
      this.#trace({ direction: "send", action: redact(pending.wire) });
    }
    if (conn.dead) return;
    conn.outbox.push(pending.bytes);
    conn.queuedBytes += pending.bytes.length;
    if (!conn.flushing) {
      conn.flushing = true;
      conn.flushed = this.#flush(conn);
    }
  }

  async #flush(conn: Connection): Promise<void> {
    // Let the rest of this turn's actions join the same write.
    await undefined;
    try {
      while (conn.outbox.length > 0 && !conn.dead) {
        const parts = conn.outbox;
        conn.outbox = [];
        const chunk = parts.length === 1 ? parts[0]! : concat(parts);
        try {
          await conn.writer.write(chunk);
        } finally {
          conn.queuedBytes -= chunk.length;
        }
      }
    } catch (error) {
      this.#drop(
        conn,
        new ConnectionClosedError(
          "Cannot write to AMI server: connection lost",
          { cause: error },
        ),
      );
    } finally {
      conn.flushing = false;
    }
  }

  #nextId(): string {
    return `${this.#idPrefix}-${++this.#idCounter}`;
  }

  // -------------------------------------------------------------- receiving

  #receive(conn: Connection, message: AmiMessage): void {
    if (conn.dead) return;
    if (this.#onTrace !== undefined) {
      this.#trace({ direction: "receive", message });
    }
    const kind = message.kind;
    if (kind === "event") {
      if (this.#pending.collectors > 0) {
        const id = message.actionId;
        if (id !== undefined) {
          const pending = this.#pending.get(id);
          if (
            pending !== undefined && pending.mode !== SINGLE &&
            this.#collect(pending, message)
          ) return;
        }
      }
      this.#dispatch(message);
      return;
    }
    if (kind === "response") {
      const id = message.actionId;
      const pending = id === undefined ? undefined : this.#pending.get(id);
      if (
        pending !== undefined && pending.state !== QUEUED &&
        (pending.internal === undefined || pending.internal === conn)
      ) {
        this.#reply(pending, message);
        return;
      }
    }
    this.#unmatched(message);
  }

  #reply(pending: Pending, message: AmiMessage): void {
    const response = message.response;
    const failed = response !== undefined && response.toLowerCase() === "error";
    if (pending.mode === SINGLE) {
      if (failed) {
        this.#pending.fail(pending, new AmiActionError(pending.name, message));
      } else this.#pending.resolve(pending, message);
      return;
    }
    if (failed) {
      this.#pending.fail(pending, new AmiActionError(pending.name, message));
      return;
    }
    if (pending.state !== SENT) {
      // A second success for the same ActionID: not ours to use.
      this.#unmatched(message);
      return;
    }
    pending.reply = message;
    if (pending.mode === LIST) {
      if (listStart(message) === "none") {
        const result: AmiEventListResult = {
          response: message,
          events: [],
          complete: undefined,
        };
        this.#pending.resolve(pending, result);
      } else {
        pending.state = COLLECTING;
      }
      return;
    }
    pending.state = AWAITING_RESULT;
    if (pending.onQueued !== undefined) {
      try {
        pending.onQueued(message);
      } catch (error) {
        this.#reportError(error, message);
      }
    }
  }

  /** Offers an event to a list or originate; true if it was consumed. */
  #collect(pending: Pending, event: AmiMessage): boolean {
    if (pending.mode === LIST) {
      if (pending.state !== COLLECTING) return false;
      if (isListEnd(event)) {
        const result: AmiEventListResult = {
          response: pending.reply!,
          events: pending.items,
          complete: event,
        };
        this.#pending.resolve(pending, result);
        return true;
      }
      if (pending.items.length >= pending.maxItems) {
        this.#pending.fail(
          pending,
          new LimitExceededError(
            "maxItems",
            pending.maxItems,
            `Cannot collect AMI event list ${
              JSON.stringify(pending.name)
            }: more than ${pending.maxItems} events (maxItems)`,
          ),
        );
        return true;
      }
      pending.items.push(event);
      return true;
    }
    const name = event.event;
    if (name !== undefined && name.toLowerCase() === "originateresponse") {
      this.#pending.resolve(pending, originateResult(pending.reply, event));
    }
    return false;
  }

  #dispatch(event: AmiMessage): void {
    const name = event.event;
    if (name === "FullyBooted") this.#emit("fullyBooted", event);
    const subscriptions = this.#subscriptions;
    const handlers = this.#handlers;
    const wildcard = this.#wildcard;
    if (
      subscriptions.size === 0 && handlers.size === 0 && wildcard.length === 0
    ) return;
    const lower = name === undefined ? undefined : name.toLowerCase();
    for (const subscription of subscriptions) subscription.offer(event, lower);
    if (handlers.size > 0 && lower !== undefined) {
      const named = handlers.get(lower);
      if (named !== undefined) {
        for (const handler of named) this.#call(handler, event);
      }
    }
    for (const handler of wildcard) this.#call(handler, event);
  }

  #call(handler: AmiEventHandler, event: AmiMessage): void {
    try {
      const result = handler(event);
      if (
        result !== undefined &&
        typeof (result as Promise<void>).then === "function"
      ) {
        (result as Promise<void>).then(
          undefined,
          (error) => this.#reportError(error, event),
        );
      }
    } catch (error) {
      this.#reportError(error, event);
    }
  }

  #unmatched(message: AmiMessage): void {
    this.#emit("unmatched", message);
  }

  // ------------------------------------------------------------ connection

  async #connectFirst(signal: AbortSignal | undefined): Promise<void> {
    let conn: Connection;
    try {
      conn = await this.#open(signal, true);
      if (conn.lost) {
        throw new ConnectionClosedError(
          "Cannot connect to AMI: connection closed after login",
        );
      }
    } catch (error) {
      await this.#shutdown(error);
      throw error;
    }
    if (this.#state !== "connecting") {
      throw new ConnectionClosedError("Cannot connect to AMI: client closed");
    }
    this.#ready(conn, 0);
  }

  /** Opens a transport, reads the banner, logs in, applies filters. */
  async #open(
    external: AbortSignal | undefined,
    strict: boolean,
  ): Promise<Connection> {
    const controller = new AbortController();
    const abort = (reason: unknown) => controller.abort(reason);
    const lifetime = this.#lifetime.signal;
    const onLifetime = () => abort(lifetime.reason);
    const onExternal = () => abort(external!.reason);
    if (lifetime.aborted) onLifetime();
    else lifetime.addEventListener("abort", onLifetime, { once: true });
    if (external?.aborted) onExternal();
    else external?.addEventListener("abort", onExternal, { once: true });
    const limit = this.#connectTimeout;
    const timer = Number.isFinite(limit)
      ? setTimeout(
        () =>
          abort(
            new TimeoutError(
              `Cannot connect to AMI: not logged in within ${limit} ms`,
              limit,
            ),
          ),
        limit,
      )
      : undefined;
    const signal = controller.signal;
    let conn: Connection | undefined;
    try {
      const info = await raceAbort(this.#connector(signal), signal, closeLate);
      conn = this.#attach(info);
      this.#version = await raceAbort(conn.banner.promise, signal);
      await this.#login(conn, signal);
      for (const filter of [...this.#filters]) {
        try {
          await this.#request(conn, filterAction(filter), signal);
        } catch (error) {
          if (strict || !(error instanceof AmiActionError)) throw error;
          this.#reportError(error, undefined);
        }
      }
      return conn;
    } catch (error) {
      const reason = signal.aborted ? signal.reason : error;
      if (conn !== undefined) {
        this.#drop(conn, reason);
        await conn.readLoop;
      }
      throw reason;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      lifetime.removeEventListener("abort", onLifetime);
      external?.removeEventListener("abort", onExternal);
    }
  }

  #attach(info: AmiConnection): Connection {
    if (
      typeof info !== "object" || info === null ||
      !(info.readable instanceof ReadableStream) ||
      !(info.writable instanceof WritableStream)
    ) {
      throw new TypeError(
        "Cannot connect to AMI: the connector must return { readable, writable }",
      );
    }
    const conn = new Connection(info);
    conn.decoder = new AmiMessageDecoder(
      (message) => this.#receive(conn, message),
      {
        ...this.#decoderLimits,
        onBanner: (version) => {
          conn.bannerSeen = true;
          conn.banner.resolve(version);
        },
      },
    );
    this.#conn = conn;
    conn.readLoop = this.#read(conn);
    return conn;
  }

  async #read(conn: Connection): Promise<void> {
    let error: unknown;
    try {
      for (;;) {
        const { value, done } = await conn.reader.read();
        if (done) break;
        try {
          conn.decoder.push(value);
        } catch (decodeError) {
          this.#decodeFailed(conn, decodeError);
        }
      }
      try {
        conn.decoder.end();
      } catch (decodeError) {
        if (!conn.dead) error = decodeError;
      }
    } catch (readError) {
      error = readError;
    }
    this.#lost(conn, error);
  }

  #decodeFailed(conn: Connection, error: unknown): void {
    if (conn.dead) return;
    if (!conn.bannerSeen && error instanceof ProtocolError) {
      // Not an AMI server: fail the connection attempt.
      conn.banner.reject(error);
      return;
    }
    this.#reportError(error, undefined);
  }

  #login(conn: Connection, signal: AbortSignal): Promise<void> {
    const username = this.#username;
    if (username === undefined) return Promise.resolve();
    return logIn({
      username,
      secret: this.#secret ?? "",
      authType: this.#authType,
      events: () =>
        this.#eventMask === undefined
          ? undefined
          : formatEventMask(this.#eventMask),
      info: conn.info,
      request: (action) => this.#request(conn, action, signal),
      warn: (message) => this.#warn(message),
    });
  }

  /** The connection is logged in: flush waiting actions, start keep-alive. */
  #ready(conn: Connection, attempt: number): void {
    this.#state = "connected";
    for (const pending of this.#pending.values()) {
      if (pending.state === QUEUED && pending.internal === undefined) {
        this.#transmit(conn, pending);
      }
    }
    if (this.#keepAlive > 0) {
      conn.keepAlive = setInterval(() => this.#ping(conn), this.#keepAlive);
    }
    const detail: AmiConnectedDetail = { version: this.#version, attempt };
    this.#emit("connected", detail);
    if (attempt > 0) this.#emit("reconnected", detail);
  }

  #ping(conn: Connection): void {
    if (conn.pinging || conn.dead) return;
    conn.pinging = true;
    this.#request(conn, { Action: "Ping" }, undefined, this.#keepAlive).then(
      () => {
        conn.pinging = false;
      },
      (error) => {
        conn.pinging = false;
        if (error instanceof TimeoutError) this.#drop(conn, error);
      },
    );
  }

  /** Starts tearing a connection down; its read loop then calls #lost. */
  #drop(conn: Connection, reason: unknown): void {
    if (conn.dead) return;
    conn.dead = true;
    conn.dropReason = reason;
    conn.reader.cancel(reason).catch(() => {});
    conn.writer.abort(reason).catch(() => {});
    try {
      conn.info.close?.();
    } catch {
      // Already closed.
    }
  }

  #lost(conn: Connection, readError: unknown): void {
    if (conn.lost) return;
    conn.lost = true;
    const error = readError ?? conn.dropReason;
    if (conn.keepAlive !== undefined) clearInterval(conn.keepAlive);
    if (!conn.dead) {
      conn.dead = true;
      conn.writer.abort(error).catch(() => {});
      try {
        conn.info.close?.();
      } catch {
        // Already closed.
      }
    }
    conn.banner.reject(
      new ConnectionClosedError(
        "Cannot connect to AMI: connection closed before the banner",
        {
          cause: error,
        },
      ),
    );
    const current = this.#conn === conn;
    if (current) this.#conn = undefined;
    for (const pending of [...this.#pending.values()]) {
      if (pending.internal === conn) {
        this.#pending.fail(pending, closedError(pending, error));
      }
    }
    // While (re)connecting, the attempt in progress handles its own failure.
    if (!current || this.#state !== "connected") return;
    const graceful = this.#loggingOff;
    const reconnect = this.#backoff !== undefined && !graceful;
    for (const pending of [...this.#pending.values()]) {
      if (pending.internal !== undefined) continue;
      if (reconnect && (pending.state === QUEUED || pending.idempotent)) {
        this.#pending.wait(pending);
        pending.reply = undefined;
        pending.items = [];
      } else {
        this.#pending.fail(pending, closedError(pending, error));
      }
    }
    if (reconnect) {
      this.#state = "reconnecting";
      this.#emit("disconnected", { error });
      void this.#reconnect(error);
    } else {
      this.#state = "closing";
      this.#emit("disconnected", { error });
      void this.#shutdown(
        graceful
          ? undefined
          : new ConnectionClosedError("AMI connection closed", {
            cause: error,
          }),
      );
    }
  }

  async #reconnect(cause: unknown): Promise<void> {
    let lastError = cause;
    for (let attempt = 1; this.#state === "reconnecting"; attempt++) {
      let delay: number | undefined;
      try {
        delay = this.#backoff!(attempt);
      } catch (error) {
        lastError = error;
      }
      if (delay === undefined || !(delay >= 0)) {
        const error = new ConnectionClosedError(
          `Cannot reconnect to AMI: gave up after ${attempt - 1} attempts`,
          { cause: lastError },
        );
        this.#reportError(error, undefined);
        await this.#shutdown(error);
        return;
      }
      this.#emit("reconnecting", { attempt, delayMs: delay, error: lastError });
      await this.#sleep(delay);
      if (this.#state !== "reconnecting") return;
      let conn: Connection;
      try {
        conn = await this.#open(undefined, false);
      } catch (error) {
        lastError = error;
        // Wrong credentials will not get better; a login still in use
        // (the old session not yet noticed as gone) may.
        if (
          error instanceof AmiAuthenticationError &&
          !/already in use/i.test(error.responseMessage ?? "")
        ) {
          this.#reportError(error, undefined);
          await this.#shutdown(error);
          return;
        }
        continue;
      }
      if (this.#state !== "reconnecting") return;
      if (conn.lost) {
        lastError = new ConnectionClosedError(
          "Cannot reconnect to AMI: connection closed after login",
        );
        continue;
      }
      this.#ready(conn, attempt);
      return;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = undefined;
        if (this.#sleepTimer !== undefined) clearTimeout(this.#sleepTimer);
        this.#sleepTimer = undefined;
        resolve();
      };
      this.#sleepTimer = setTimeout(this.#wake, ms);
    });
  }

  async #logoff(): Promise<void> {
    const conn = this.#conn;
    if (
      this.#state === "connected" && conn !== undefined &&
      this.#shutdownPromise === undefined
    ) {
      this.#loggingOff = true;
      try {
        await this.#request(
          conn,
          { Action: "Logoff" },
          undefined,
          Math.min(this.#timeout, 5_000),
        );
      } catch {
        // Closing anyway.
      }
    }
    await this.close();
  }

  #shutdown(error: unknown): Promise<void> {
    return this.#shutdownPromise ??= this.#doShutdown(error);
  }

  async #doShutdown(error: unknown): Promise<void> {
    const wasConnected = this.#state === "connected";
    this.#state = "closing";
    this.#lifetime.abort(
      new ConnectionClosedError("Cannot connect to AMI: client closed"),
    );
    this.#wake?.();
    for (const pending of [...this.#pending.values()]) {
      this.#pending.fail(
        pending,
        new ConnectionClosedError(
          `Cannot complete AMI action ${
            JSON.stringify(pending.name)
          }: client closed`,
          { cause: error },
        ),
      );
    }
    for (const subscription of [...this.#subscriptions]) {
      if (error === undefined) subscription.end();
      else subscription.end(error);
    }
    this.#subscriptions.clear();
    const conn = this.#conn;
    if (conn !== undefined) {
      this.#drop(conn, new ConnectionClosedError("AMI client closed"));
      await conn.readLoop;
      await conn.flushed;
    }
    this.#state = "closed";
    if (wasConnected) this.#emit("disconnected", { error });
  }

  // -------------------------------------------------------------- reporting

  #emit<K extends keyof AmiClientEventMap>(
    type: K,
    detail: AmiClientEventMap[K]["detail"],
  ): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #reportError(error: unknown, event: AmiMessage | undefined): void {
    this.#emit("error", { error, event });
  }

  #warn(message: string): void {
    try {
      this.#onWarning?.(message);
    } catch {
      // A warning sink must not break the client.
    }
    this.#emit("warning", { message });
  }

  #listenerFailed(type: string, error: unknown): void {
    if (type === "error" || type === "warning") {
      try {
        this.#onWarning?.(
          `An AMI client ${JSON.stringify(type)} listener threw: ${
            describe(error)
          }`,
        );
      } catch {
        // Nowhere left to report it.
      }
      return;
    }
    this.#reportError(error, undefined);
  }

  #trace(event: AmiTraceEvent): void {
    try {
      this.#onTrace!(event);
    } catch (error) {
      this.#reportError(error, undefined);
    }
  }
}

function originateResult(
  response: AmiMessage | undefined,
  event: AmiMessage,
): AmiOriginateResult {
  const raw = event.get("Reason");
  const reason = raw !== undefined && /^-?\d+$/.test(raw.trim())
    ? Number(raw)
    : -1;
  const uniqueId = event.get("Uniqueid");
  return {
    success: (event.response ?? "").toLowerCase() === "success",
    reason,
    reasonText: REASONS[reason] ?? "unknown",
    channel: event.get("Channel"),
    uniqueId: uniqueId === undefined || uniqueId === "<unknown>"
      ? undefined
      : uniqueId,
    response,
    event,
  };
}
