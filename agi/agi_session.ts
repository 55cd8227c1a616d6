// Copyright the @pyst/asterisk authors. MIT license.
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import { parseAgiTokens } from "./_agi_tokens.ts";
import { checkAgiLine } from "./_check_agi_line.ts";
import type { AgiReply } from "./agi_reply.ts";
import type { AgiTransport } from "./agi_transport.ts";
import {
  AgiCommandError,
  AgiDeadChannelError,
  AgiHangupError,
  AgiInvalidCommandError,
  AgiUsageError,
} from "./errors.ts";
import {
  type AgiArgument,
  agiQuoted,
  formatAgiCommand,
} from "./format_agi_command.ts";
import type { AgiEnvironment } from "./parse_agi_environment.ts";

/** One line seen by {@linkcode AgiSessionOptions.onTrace}. */
export interface AgiTraceEvent {
  /** `send`: a command line to Asterisk; `receive`: a reply line from it. */
  readonly direction: "send" | "receive";
  /** The line, without its line feed. */
  readonly line: string;
}

/** Options of {@linkcode AgiSession}. */
export interface AgiSessionOptions {
  /**
   * Default timeout of each command in milliseconds, from the moment it is
   * sent; `undefined` waits as long as Asterisk takes. A command that times
   * out closes the session (its late reply could not be told apart from the
   * next one).
   *
   * @default {undefined}
   */
  commandTimeoutMs?: number;
  /**
   * Most commands waiting behind the one in flight; one more fails with a
   * `LimitExceededError`.
   *
   * @default {64}
   */
  maxQueuedCommands?: number;
  /**
   * Observes every line sent and received, for debugging. An exception
   * thrown by it is ignored.
   *
   * @default {undefined}
   */
  onTrace?: (event: AgiTraceEvent) => void;
  /**
   * How long a `result=-1` reply waits for the hangup notice before it is
   * reported. Asterisk writes `200 result=-1` first and only then sends
   * SIGHUP, the `HANGUP` line or `AsyncAGIEnd`, so without this grace a
   * caller hanging up during STREAM FILE or WAIT FOR DIGIT would surface as
   * an {@linkcode AgiCommandError} rather than an {@linkcode AgiHangupError}.
   * `0` reports at once.
   *
   * @default {100}
   */
  hangupGraceMs?: number;
}

/** Per-command options, accepted by every command method. */
export interface AgiCommandOptions {
  /**
   * Timeout in milliseconds from the moment the command is sent; on expiry
   * the command rejects with a `TimeoutError` and the session closes.
   *
   * @default {AgiSessionOptions.commandTimeoutMs}
   */
  commandTimeoutMs?: number;
  /**
   * Aborting it drops the command if it is still queued, or rejects it and
   * closes the session if it was already sent.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** What STREAM FILE and GET OPTION return. */
export interface AgiPlaybackResult {
  /** The escape digit that stopped playback, or `undefined`. */
  readonly digit: string | undefined;
  /** Where playback stopped, in samples (8000 per second for 8 kHz audio). */
  readonly endposSamples: number | undefined;
}

/** What CONTROL STREAM FILE returns. */
export interface AgiControlStreamResult {
  /** The stop digit that ended playback, or `undefined`. */
  readonly digit: string | undefined;
  /** Where playback stopped, in milliseconds. */
  readonly endposMs: number | undefined;
}

/** What GET DATA returns. */
export interface AgiGetDataResult {
  /** The digits entered, without the ending `#` ("" for none). */
  readonly digits: string;
  /** Whether input ended because the timeout expired. */
  readonly timedOut: boolean;
}

/** What RECORD FILE returns. */
export interface AgiRecordResult {
  /** Why recording stopped: `dtmf` (an escape digit) or `timeout` (also silence). */
  readonly reason: string;
  /** The escape digit that stopped recording, or `undefined`. */
  readonly digit: string | undefined;
  /** The length recorded, in samples. */
  readonly endposSamples: number | undefined;
}

/** One hypothesis of SPEECH RECOGNIZE. */
export interface AgiSpeechHypothesis {
  /** The engine's confidence score. */
  readonly score: number;
  /** The recognised text. */
  readonly text: string;
  /** The grammar that matched. */
  readonly grammar: string;
}

/** What SPEECH RECOGNIZE returns. */
export interface AgiSpeechResult {
  /** `speech`, `digit` or `timeout`. */
  readonly reason: string;
  /** The digit pressed when `reason` is `digit`. */
  readonly digit: string | undefined;
  /** Where the prompt stopped, in samples. */
  readonly endposSamples: number | undefined;
  /** The hypotheses when `reason` is `speech`, best first as Asterisk sent them. */
  readonly results: readonly AgiSpeechHypothesis[];
}

/** What GOSUB returns. */
export interface AgiGosubResult {
  /** Whether the subroutine ended without `Return` (hung up or fell off). */
  readonly abnormalExit: boolean;
  /** Asterisk's text, e.g. `Gosub complete`. */
  readonly text: string;
}

/** Options of {@linkcode AgiSession.controlStreamFile}. */
export interface AgiControlStreamFileOptions extends AgiCommandOptions {
  /** Milliseconds to skip on fast forward or rewind. @default {3000} */
  skipMs?: number;
  /** Fast-forward digit. @default {"#"} */
  fastForwardDigit?: string;
  /** Rewind digit. @default {"*"} */
  rewindDigit?: string;
  /** Pause digit. @default {undefined} (none) */
  pauseDigit?: string;
  /** Where to start, in milliseconds. @default {0} */
  offsetMs?: number;
}

/** Options of {@linkcode AgiSession.getData}. */
export interface AgiGetDataOptions extends AgiCommandOptions {
  /**
   * Asterisk's wait for each digit in milliseconds; 0 uses 6000 ms for the
   * first digit and 2000 ms between digits; negative waits forever.
   *
   * @default {0}
   */
  timeoutMs?: number;
  /** Most digits to collect. @default {1024} */
  maxDigits?: number;
}

/** Options of {@linkcode AgiSession.getOption}. */
export interface AgiGetOptionOptions extends AgiCommandOptions {
  /**
   * Milliseconds to wait for a digit after playback.
   *
   * @default {undefined} (the channel's digit timeout)
   */
  timeoutMs?: number;
}

/** Options of {@linkcode AgiSession.gosub}. */
export interface AgiGosubOptions extends AgiCommandOptions {
  /** The priority (number or label). @default {1} */
  priority?: number | string;
  /** Arguments of the subroutine (`ARG1`…), joined with commas. @default {[]} */
  args?: readonly (string | number)[];
}

/** Options of {@linkcode AgiSession.recordFile}. */
export interface AgiRecordFileOptions extends AgiCommandOptions {
  /** Digits that stop recording. @default {""} */
  escapeDigits?: string;
  /** Longest recording in milliseconds; -1 for no limit. @default {-1} */
  timeoutMs?: number;
  /** Append from this sample offset. @default {undefined} */
  offsetSamples?: number;
  /** Play a beep first. @default {false} */
  beep?: boolean;
  /** Stop after this many seconds of silence. @default {undefined} */
  silenceSeconds?: number;
}

/** Options of {@linkcode AgiSession.sayAlpha}. */
export interface AgiSayAlphaOptions extends AgiCommandOptions {
  /**
   * Which letters are announced with their case.
   *
   * @default {undefined} (Asterisk's default)
   */
  caseSensitivity?: "all" | "lower" | "none" | "upper";
}

/** Options of {@linkcode AgiSession.sayDateTime}. */
export interface AgiSayDateTimeOptions extends AgiCommandOptions {
  /**
   * The say format, e.g. `ABdY 'digits/at' IMp`.
   *
   * @default {undefined} (Asterisk's default for the channel language)
   */
  format?: string;
  /** The time zone, e.g. `Europe/Paris`. @default {undefined} (the system's) */
  timezone?: string;
}

/** Options of {@linkcode AgiSession.sayNumber}. */
export interface AgiSayNumberOptions extends AgiCommandOptions {
  /** Gender for languages that need it, e.g. `f`. @default {undefined} */
  gender?: string;
}

/** Options of {@linkcode AgiSession.streamFile}. */
export interface AgiStreamFileOptions extends AgiCommandOptions {
  /** Where to start, in samples. @default {undefined} */
  offsetSamples?: number;
}

/** Options of {@linkcode AgiSession.speechRecognize}. */
export interface AgiSpeechRecognizeOptions extends AgiCommandOptions {
  /** Where to start the prompt, in samples. @default {undefined} */
  offsetSamples?: number;
}

/** An AGI DATABASE entry, for {@linkcode AgiSession.databasePut}. */
export interface AgiDatabaseEntry {
  /** The family (first part of the AstDB key). */
  readonly family: string;
  /** The key within the family. */
  readonly key: string;
  /** The value to store. */
  readonly value: string;
}

interface Queued {
  readonly line: string;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (reply: AgiReply) => void;
  readonly reject: (error: unknown) => void;
  onAbort: (() => void) | undefined;
}

const INTEGER = /^-?\d+$/;
const DEFAULT_DATETIME_FORMAT = "ABdY 'digits/at' IMp";
const DEFAULT_DATETIME_FORMAT_DE = "A dBY HMS";

/**
 * Commands whose `result=-1` says "no such channel", never a hangup of ours:
 * their failure is reported at once, without waiting for a hangup notice.
 */
const NO_HANGUP_MEANING = /^(CHANNEL STATUS|HANGUP) \S/i;

/**
 * One AGI conversation with Asterisk about one channel, over any
 * {@linkcode AgiTransport}. Commands run one at a time: calls made while one
 * is in flight wait in a queue and are never pipelined (Asterisk would cancel
 * a playing command and never answer it).
 *
 * Every AGI command of stock Asterisk has a typed method returning what a
 * script wants (a digit as a one-character string or `undefined`, a variable
 * or `undefined` when unset, a boolean for success); {@linkcode command}
 * sends any other line. Errors are typed: {@linkcode AgiInvalidCommandError}
 * (510), {@linkcode AgiDeadChannelError} (511), {@linkcode AgiUsageError}
 * (520), {@linkcode AgiHangupError}, {@linkcode AgiCommandError} (a failure
 * result), `TimeoutError`, `ConnectionClosedError`.
 *
 * Hangup works as in Asterisk: when the channel hangs up (a `HANGUP` line,
 * SIGHUP via {@linkcode notifyHangup}, or the stream ending), `hungUp` turns
 * true and `signal` aborts, but the session keeps running commands — those
 * Asterisk allows on a dead channel (GET VARIABLE, SET VARIABLE, VERBOSE,
 * NOOP, DATABASE *, EXEC…) still work, the others fail with
 * {@linkcode AgiDeadChannelError}.
 *
 * @example A short IVR over an in-memory Asterisk
 * ```ts
 * import { createAgiSession } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const replies = ["200 result=0", "200 result=49 endpos=1200", "200 result=1"];
 * const encoder = new TextEncoder();
 * const sent: string[] = [];
 * const asterisk = { say(_text: string): void {} };
 * const readable = new ReadableStream<Uint8Array>({
 *   start(controller) {
 *     asterisk.say = (text) => controller.enqueue(encoder.encode(text));
 *   },
 * });
 * const writable = new WritableStream<Uint8Array>({
 *   write(chunk) {
 *     sent.push(new TextDecoder().decode(chunk));
 *     asterisk.say(replies.shift() + "\n");
 *   },
 * });
 * asterisk.say("agi_request: ivr.ts\nagi_callerid: 5551234\n\n");
 *
 * await using session = await createAgiSession(readable, writable);
 * assert.equal(session.env.callerId, "5551234");
 * await session.answer();
 * const { digit } = await session.streamFile("press-1", "12");
 * assert.equal(digit, "1");
 * await session.setVariable("CHOICE", digit ?? "none");
 * assert.deepEqual(sent, ["ANSWER\n", 'STREAM FILE press-1 "12"\n', "SET VARIABLE CHOICE 1\n"]);
 * ```
 */
export class AgiSession {
  /** The environment Asterisk sent when the AGI started. */
  readonly env: AgiEnvironment;
  readonly #transport: AgiTransport;
  /** Built when `signal` is first read (most calls never read it). */
  #controller: AbortController | undefined;
  /** What aborts `signal` (the first of hangup and close), once known. */
  #abortedBy: "hangup" | "closed" | undefined;
  readonly #commandTimeoutMs: number | undefined;
  readonly #maxQueued: number;
  readonly #onTrace: ((event: AgiTraceEvent) => void) | undefined;
  readonly #queue: Queued[] = [];
  #running = false;
  #hungUp = false;
  readonly #hangupGraceMs: number;
  /** Whether the session no longer runs commands; set once. */
  #closed = false;
  /**
   * Why the session no longer runs commands; `undefined` after `close()`
   * until something needs the error (building an `Error` costs microseconds
   * per call, and usually nobody looks at it).
   */
  #closedBy: Error | undefined;

  /**
   * Creates a session over a transport whose environment was already read.
   * Most scripts use {@linkcode createAgiSession} instead.
   *
   * @param env The environment block.
   * @param transport How commands reach Asterisk.
   * @param options Timeouts, limits and tracing.
   * @throws {TypeError} If an option is out of range.
   */
  constructor(
    env: AgiEnvironment,
    transport: AgiTransport,
    options: AgiSessionOptions = {},
  ) {
    this.env = env;
    this.#transport = transport;
    this.#commandTimeoutMs = checkTimeout(
      options.commandTimeoutMs,
      "commandTimeoutMs",
    );
    const maxQueued = options.maxQueuedCommands ?? 64;
    if (!Number.isInteger(maxQueued) || maxQueued < 0) {
      throw new TypeError(
        `Cannot create AGI session: maxQueuedCommands must be a non-negative integer, got ${maxQueued}`,
      );
    }
    this.#maxQueued = maxQueued;
    this.#onTrace = options.onTrace;
    const grace = options.hangupGraceMs ?? 100;
    if (!Number.isFinite(grace) || grace < 0) {
      throw new TypeError(
        `Cannot create AGI session: hangupGraceMs must be a non-negative number, got ${grace}`,
      );
    }
    this.#hangupGraceMs = grace;
    transport.hangup.then(() => this.notifyHangup(), () => {});
  }

  /**
   * Aborts when the channel hangs up (reason: an {@linkcode AgiHangupError})
   * or the session closes (reason: the error that closed it). Pass it to
   * your own I/O so that it stops with the call.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortedBy !== undefined) {
        this.#controller.abort(this.#abortReason(this.#abortedBy));
      }
    }
    return this.#controller.signal;
  }

  /** Whether the channel is known to have hung up. */
  get hungUp(): boolean {
    return this.#hungUp;
  }

  /** Whether the session was closed (by {@linkcode close}, a timeout or a lost connection). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Records a hangup learned outside the AGI stream; the stdio runner calls
   * it on SIGHUP. Queued and later commands still run (dead mode).
   */
  notifyHangup(): void {
    if (this.#hungUp) return;
    this.#hungUp = true;
    this.#abort("hangup");
  }

  /** Aborts `signal` (now, or when it is first read) unless it was already. */
  #abort(by: "hangup" | "closed"): void {
    if (this.#abortedBy !== undefined) return;
    this.#abortedBy = by;
    if (this.#controller !== undefined) {
      this.#controller.abort(this.#abortReason(by));
    }
  }

  #abortReason(by: "hangup" | "closed"): Error {
    return by === "hangup"
      ? new AgiHangupError("Cannot continue AGI call: channel hung up")
      : this.#closedReason();
  }

  /** The error that closed the session, built on first use after `close()`. */
  #closedReason(): Error {
    return this.#closedBy ??= new ConnectionClosedError(
      "Cannot use AGI session: closed by the script",
    );
  }

  /**
   * Ends the session without hanging up: Asterisk resumes the dialplan.
   * Queued commands reject with a `ConnectionClosedError`. Idempotent.
   *
   * @returns When the transport is closed.
   */
  async close(): Promise<void> {
    this.#shutDown(undefined);
    await this.#transport.close();
  }

  /** Closes the session; for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Sends any command line (for commands without a typed method, e.g. those
   * of third-party modules) and returns its reply when its status is 200.
   *
   * @param line The command line, without its line feed.
   * @param options Timeout and signal.
   * @returns The reply.
   * @throws {TypeError} If the line cannot be sent (CR, LF, NUL, `failure…`, too long).
   * @throws {AgiInvalidCommandError} On 510.
   * @throws {AgiDeadChannelError} On 511.
   * @throws {AgiUsageError} On 520.
   * @throws {AgiCommandError} On any other status but 200.
   * @throws {TimeoutError} If the timeout expired (the session is then closed).
   * @throws {ConnectionClosedError} If the session is or gets closed.
   * @throws {LimitExceededError} If too many commands are queued.
   */
  async command(
    line: string,
    options: AgiCommandOptions = {},
  ): Promise<AgiReply> {
    checkAgiLine(line, "run");
    return await this.#execute(line, options);
  }

  /** Runs a checked line and maps its status code to a typed error. */
  async #execute(line: string, options: AgiCommandOptions): Promise<AgiReply> {
    const reply = await this.#enqueue(line, options);
    switch (reply.code) {
      case 200:
        if (reply.result === "-1" && !NO_HANGUP_MEANING.test(line)) {
          await this.#awaitHangupNotice();
        }
        return reply;
      case 510:
        throw new AgiInvalidCommandError(
          `Cannot run AGI command ${
            JSON.stringify(line)
          }: invalid or unknown command`,
          { command: line, reply },
        );
      case 511:
        throw new AgiDeadChannelError(
          `Cannot run AGI command ${
            JSON.stringify(line)
          }: not permitted on a dead channel or intercept routine`,
          { command: line, reply },
        );
      case 520:
        throw new AgiUsageError(
          `Cannot run AGI command ${
            JSON.stringify(line)
          }: invalid command syntax`,
          { command: line, reply, usage: reply.usage ?? "" },
        );
      default:
        throw new AgiCommandError(
          `Cannot run AGI command ${
            JSON.stringify(line)
          }: status ${reply.code} ${JSON.stringify(reply.text)}`,
          { command: line, reply },
        );
    }
  }

  // --- the AGI commands, alphabetical (PROTOCOL.md §1.6) ---------------------

  /**
   * ANSWER: answers the channel (nothing happens if it is already up).
   *
   * @param options Timeout and signal.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If answering failed.
   */
  async answer(options: AgiCommandOptions = {}): Promise<void> {
    const { line, reply } = await this.#run("ANSWER", [], options);
    if (integer(reply, line) < 0) {
      throw this.#failed(line, reply, "answer failed");
    }
  }

  /**
   * ASYNCAGI BREAK: ends an AsyncAGI session (harmless elsewhere).
   *
   * @param options Timeout and signal.
   */
  async asyncAgiBreak(options: AgiCommandOptions = {}): Promise<void> {
    await this.#run("ASYNCAGI BREAK", [], options);
  }

  /**
   * CHANNEL STATUS: the state of this channel or a named one: 0 down, 1
   * reserved, 2 off hook, 3 dialing, 4 ring, 5 ringing, 6 up, 7 busy, 8
   * dialing off hook, 9 pre-ring.
   *
   * @param channel A channel name; this channel when omitted.
   * @param options Timeout and signal.
   * @returns The state, or `undefined` if the named channel does not exist.
   */
  async channelStatus(
    channel?: string,
    options: AgiCommandOptions = {},
  ): Promise<number | undefined> {
    const { line, reply } = await this.#run(
      "CHANNEL STATUS",
      channel === undefined ? [] : [channel],
      options,
    );
    const state = integer(reply, line);
    return state < 0 ? undefined : state;
  }

  /**
   * CONTROL STREAM FILE: plays a file the caller can fast-forward, rewind and
   * pause with digits.
   *
   * @param file The sound file, without extension.
   * @param escapeDigits Digits that stop playback ("" for none).
   * @param options Control digits, skip and offset, timeout and signal.
   * @returns The stop digit and the end position in MILLISECONDS.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If playback failed.
   */
  async controlStreamFile(
    file: string,
    escapeDigits = "",
    options: AgiControlStreamFileOptions = {},
  ): Promise<AgiControlStreamResult> {
    const tail: AgiArgument[] = [
      options.skipMs ?? 3000,
      agiQuoted(options.fastForwardDigit ?? "#"),
      agiQuoted(options.rewindDigit ?? "*"),
      agiQuoted(options.pauseDigit ?? ""),
    ];
    const given = [
      options.skipMs,
      options.fastForwardDigit,
      options.rewindDigit,
      options.pauseDigit,
      options.offsetMs,
    ].findLastIndex((value) => value !== undefined);
    if (options.offsetMs !== undefined) tail.push(options.offsetMs);
    const { line, reply } = await this.#run(
      "CONTROL STREAM FILE",
      [file, agiQuoted(escapeDigits), ...tail.slice(0, given + 1)],
      options,
    );
    return { digit: this.#digit(reply, line), endposMs: reply.endpos };
  }

  /**
   * DATABASE DEL: deletes one AstDB entry.
   *
   * @param family The family.
   * @param key The key.
   * @param options Timeout and signal.
   * @returns Whether Asterisk reported success (it does for a missing key too).
   */
  async databaseDel(
    family: string,
    key: string,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    const { reply } = await this.#run("DATABASE DEL", [family, key], options);
    return reply.result === "1";
  }

  /**
   * DATABASE DELTREE: deletes a family, or the keys under a key tree.
   * Asterisk's result is inverted against its documentation (0 when entries
   * were deleted); this returns the plain meaning.
   *
   * @param family The family.
   * @param keyTree Only delete keys under this prefix.
   * @param options Timeout and signal.
   * @returns Whether at least one entry was deleted.
   */
  async databaseDelTree(
    family: string,
    keyTree?: string,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    const { reply } = await this.#run(
      "DATABASE DELTREE",
      keyTree === undefined ? [family] : [family, keyTree],
      options,
    );
    return reply.result === "0";
  }

  /**
   * DATABASE GET: reads one AstDB entry.
   *
   * @param family The family.
   * @param key The key.
   * @param options Timeout and signal.
   * @returns The value, or `undefined` if there is no such entry.
   * @throws {AgiCommandError} If Asterisk failed to read it.
   */
  async databaseGet(
    family: string,
    key: string,
    options: AgiCommandOptions = {},
  ): Promise<string | undefined> {
    const { line, reply } = await this.#run(
      "DATABASE GET",
      [family, key],
      options,
    );
    return this.#value(reply, line);
  }

  /**
   * DATABASE PUT: stores one AstDB entry.
   *
   * @param entry The family, key and value.
   * @param options Timeout and signal.
   * @returns Whether Asterisk stored it.
   */
  async databasePut(
    entry: AgiDatabaseEntry,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    const { reply } = await this.#run(
      "DATABASE PUT",
      [entry.family, entry.key, entry.value],
      options,
    );
    return reply.result === "1";
  }

  /**
   * EXEC: runs a dialplan application. Its options go as ONE argument
   * (Asterisk drops any further ones); an array is joined with commas.
   *
   * @param application The application, e.g. `Dial`.
   * @param args Its argument string, or arguments to join with commas.
   * @param options Timeout and signal.
   * @returns What the application returned (0 usually; -1 asks to hang up).
   * @throws {AgiCommandError} If the application does not exist (result -2).
   */
  async exec(
    application: string,
    args?: string | readonly (string | number)[],
    options: AgiCommandOptions = {},
  ): Promise<number> {
    const joined = typeof args === "string" || args === undefined
      ? args
      : args.join(",");
    const { line, reply } = await this.#run(
      "EXEC",
      joined === undefined ? [application] : [application, joined],
      options,
    );
    const result = integer(reply, line);
    if (result === -2) {
      throw new AgiCommandError(
        `Cannot run AGI command ${JSON.stringify(line)}: application ${
          JSON.stringify(application)
        } not found`,
        { command: line, reply },
      );
    }
    return result;
  }

  /**
   * GET DATA: plays a prompt and collects digits until `#`, the timeout or
   * `maxDigits`.
   *
   * @param file The prompt ("" for none).
   * @param options Asterisk's digit timeout and digit count, timeout and signal.
   * @returns The digits ("" if none) and whether the timeout ended input.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async getData(
    file: string,
    options: AgiGetDataOptions = {},
  ): Promise<AgiGetDataResult> {
    const args: AgiArgument[] = [file];
    if (options.timeoutMs !== undefined || options.maxDigits !== undefined) {
      args.push(options.timeoutMs ?? 0);
    }
    if (options.maxDigits !== undefined) args.push(options.maxDigits);
    const { line, reply } = await this.#run("GET DATA", args, options);
    if (reply.result === "-1") throw this.#failed(line, reply, "failed");
    return { digits: reply.result, timedOut: reply.data === "timeout" };
  }

  /**
   * GET FULL VARIABLE: evaluates an expression such as `${CALLERID(num)}`.
   *
   * @param expression The expression, `${…}` included.
   * @param channel Evaluate on this channel instead.
   * @param options Timeout and signal.
   * @returns The expansion, or `undefined` if the named channel does not exist.
   */
  async getFullVariable(
    expression: string,
    channel?: string,
    options: AgiCommandOptions = {},
  ): Promise<string | undefined> {
    const { line, reply } = await this.#run(
      "GET FULL VARIABLE",
      channel === undefined ? [expression] : [expression, channel],
      options,
    );
    return this.#value(reply, line);
  }

  /**
   * GET OPTION: like STREAM FILE, then waits for one digit.
   *
   * @param file The sound file.
   * @param escapeDigits Digits accepted ("" for none).
   * @param options How long to wait after playback, timeout and signal.
   * @returns The digit (or `undefined`) and the end position in samples.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If playback failed.
   */
  async getOption(
    file: string,
    escapeDigits = "",
    options: AgiGetOptionOptions = {},
  ): Promise<AgiPlaybackResult> {
    const args: AgiArgument[] = [file, agiQuoted(escapeDigits)];
    if (options.timeoutMs !== undefined) args.push(options.timeoutMs);
    const { line, reply } = await this.#run("GET OPTION", args, options);
    return { digit: this.#digit(reply, line), endposSamples: reply.endpos };
  }

  /**
   * GET VARIABLE: reads a channel variable or a function like `CHANNEL(name)`.
   *
   * @param name The variable name.
   * @param options Timeout and signal.
   * @returns The value ("" if set but empty), or `undefined` if unset.
   */
  async getVariable(
    name: string,
    options: AgiCommandOptions = {},
  ): Promise<string | undefined> {
    const { line, reply } = await this.#run("GET VARIABLE", [name], options);
    return this.#value(reply, line);
  }

  /**
   * GOSUB: runs a dialplan subroutine and waits for its `Return`.
   *
   * @param context The context.
   * @param extension The extension.
   * @param options Priority, subroutine arguments, timeout and signal.
   * @returns Whether it exited abnormally, and Asterisk's text.
   * @throws {AgiCommandError} If the label was not found or Gosub failed.
   */
  async gosub(
    context: string,
    extension: string,
    options: AgiGosubOptions = {},
  ): Promise<AgiGosubResult> {
    const args: AgiArgument[] = [context, extension, options.priority ?? 1];
    if (options.args !== undefined && options.args.length > 0) {
      args.push(options.args.join(","));
    }
    const { line, reply } = await this.#run("GOSUB", args, options);
    if (reply.result !== "0") {
      throw new AgiCommandError(
        `Cannot run AGI command ${JSON.stringify(line)}: ${
          reply.text || "Gosub failed"
        }`,
        { command: line, reply },
      );
    }
    return { abnormalExit: reply.text.includes("abnormal"), text: reply.text };
  }

  /**
   * HANGUP: hangs up this channel or a named one.
   *
   * @param channel A channel name; this channel when omitted.
   * @param options Timeout and signal.
   * @returns `false` if the named channel does not exist.
   */
  async hangup(
    channel?: string,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    const { reply } = await this.#run(
      "HANGUP",
      channel === undefined ? [] : [channel],
      options,
    );
    return reply.result === "1";
  }

  /**
   * NOOP: does nothing (a round trip; allowed on a dead channel).
   *
   * @param text Text Asterisk ignores.
   * @param options Timeout and signal.
   */
  async noop(text?: string, options: AgiCommandOptions = {}): Promise<void> {
    await this.#run("NOOP", text === undefined ? [] : [text], options);
  }

  /**
   * RECEIVE CHAR: waits for one character of text (on channels that support it).
   *
   * @param timeoutMs How long to wait; 0 waits forever.
   * @param options Timeout and signal.
   * @returns The character, or `undefined` on timeout.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async receiveChar(
    timeoutMs: number,
    options: AgiCommandOptions = {},
  ): Promise<string | undefined> {
    const { line, reply } = await this.#run(
      "RECEIVE CHAR",
      [timeoutMs],
      options,
    );
    return this.#digit(reply, line);
  }

  /**
   * RECEIVE TEXT: waits for a text message (on channels that support it).
   *
   * @param timeoutMs How long to wait.
   * @param options Timeout and signal.
   * @returns The text.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If no text came or it failed.
   */
  async receiveText(
    timeoutMs: number,
    options: AgiCommandOptions = {},
  ): Promise<string> {
    const { line, reply } = await this.#run(
      "RECEIVE TEXT",
      [timeoutMs],
      options,
    );
    if (reply.result !== "1") {
      throw this.#failed(line, reply, "no text received");
    }
    return reply.data ?? "";
  }

  /**
   * RECORD FILE: records the caller to a file.
   *
   * @param file The file, without extension.
   * @param format The format (extension), e.g. `wav`.
   * @param options Escape digits, length limit, offset, beep, silence, timeout and signal.
   * @returns Why recording stopped, the digit, and the length in samples.
   * @throws {AgiHangupError} If the caller hung up (`error.reply.endpos` holds
   * the length recorded; the file is kept).
   * @throws {AgiCommandError} If recording failed.
   */
  async recordFile(
    file: string,
    format: string,
    options: AgiRecordFileOptions = {},
  ): Promise<AgiRecordResult> {
    const args: AgiArgument[] = [
      file,
      format,
      agiQuoted(options.escapeDigits ?? ""),
      options.timeoutMs ?? -1,
    ];
    if (options.offsetSamples !== undefined) args.push(options.offsetSamples);
    if (options.beep === true) args.push("BEEP");
    if (options.silenceSeconds !== undefined) {
      args.push(`s=${options.silenceSeconds}`);
    }
    const { line, reply } = await this.#run("RECORD FILE", args, options);
    const reason = reply.data ?? "";
    if (reason === "hangup") throw this.#hangupError(line, reply);
    if (reason !== "dtmf" && reason !== "timeout") {
      throw this.#failed(
        line,
        reply,
        `recording failed${reason ? ` (${reason})` : ""}`,
      );
    }
    const code = integer(reply, line);
    return {
      reason,
      digit: reason === "dtmf" && code > 0
        ? String.fromCharCode(code)
        : undefined,
      endposSamples: reply.endpos,
    };
  }

  /**
   * SAY ALPHA: spells text letter by letter.
   *
   * @param text The text.
   * @param escapeDigits Digits that interrupt ("" for none).
   * @param options Case announcement, timeout and signal.
   * @returns The digit that interrupted, or `undefined`.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async sayAlpha(
    text: string,
    escapeDigits = "",
    options: AgiSayAlphaOptions = {},
  ): Promise<string | undefined> {
    const args: AgiArgument[] = [text, agiQuoted(escapeDigits)];
    if (options.caseSensitivity !== undefined) {
      args.push(options.caseSensitivity[0]!);
    }
    return await this.#say("SAY ALPHA", args, options);
  }

  /**
   * SAY DATE: says the date of a moment.
   *
   * @param time A `Date` or seconds since the epoch.
   * @param escapeDigits Digits that interrupt ("" for none).
   * @param options Timeout and signal.
   * @returns The digit that interrupted, or `undefined`.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async sayDate(
    time: Date | number,
    escapeDigits = "",
    options: AgiCommandOptions = {},
  ): Promise<string | undefined> {
    return await this.#say(
      "SAY DATE",
      [epoch(time), agiQuoted(escapeDigits)],
      options,
    );
  }

  /**
   * SAY DATETIME: says a moment in a say format.
   *
   * @param time A `Date` or seconds since the epoch.
   * @param escapeDigits Digits that interrupt ("" for none).
   * @param options Format and time zone, timeout and signal.
   * @returns The digit that interrupted, or `undefined`.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async sayDateTime(
    time: Date | number,
    escapeDigits = "",
    options: AgiSayDateTimeOptions = {},
  ): Promise<string | undefined> {
    const args: AgiArgument[] = [epoch(time), agiQuoted(escapeDigits)];
    if (options.format !== undefined || options.timezone !== undefined) {
      // A time zone needs a format before it; use Asterisk's own default.
      args.push(
        options.format ??
          (this.env.language === "de"
            ? DEFAULT_DATETIME_FORMAT_DE
            : DEFAULT_DATETIME_FORMAT),
      );
    }
    if (options.timezone !== undefined) args.push(options.timezone);
    return await this.#say("SAY DATETIME", args, options);
  }

  /**
   * SAY DIGITS: says digits one by one.
   *
   * @param digits The digits (must start with a number).
   * @param escapeDigits Digits that interrupt ("" for none).
   * @param options Timeout and signal.
   * @returns The digit that interrupted, or `undefined`.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async sayDigits(
    digits: string | number,
    escapeDigits = "",
    options: AgiCommandOptions = {},
  ): Promise<string | undefined> {
    return await this.#say(
      "SAY DIGITS",
      [digits, agiQuoted(escapeDigits)],
      options,
    );
  }

  /**
   * SAY NUMBER: says a number (a 32-bit integer).
   *
   * @param number The number.
   * @param escapeDigits Digits that interrupt ("" for none).
   * @param options Gender, timeout and signal.
   * @returns The digit that interrupted, or `undefined`.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async sayNumber(
    number: number,
    escapeDigits = "",
    options: AgiSayNumberOptions = {},
  ): Promise<string | undefined> {
    const args: AgiArgument[] = [number, agiQuoted(escapeDigits)];
    if (options.gender !== undefined) args.push(options.gender);
    return await this.#say("SAY NUMBER", args, options);
  }

  /**
   * SAY PHONETIC: spells text with the phonetic alphabet.
   *
   * @param text The text.
   * @param escapeDigits Digits that interrupt ("" for none).
   * @param options Timeout and signal.
   * @returns The digit that interrupted, or `undefined`.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async sayPhonetic(
    text: string,
    escapeDigits = "",
    options: AgiCommandOptions = {},
  ): Promise<string | undefined> {
    return await this.#say(
      "SAY PHONETIC",
      [text, agiQuoted(escapeDigits)],
      options,
    );
  }

  /**
   * SAY TIME: says the time of a moment.
   *
   * @param time A `Date` or seconds since the epoch.
   * @param escapeDigits Digits that interrupt ("" for none).
   * @param options Timeout and signal.
   * @returns The digit that interrupted, or `undefined`.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async sayTime(
    time: Date | number,
    escapeDigits = "",
    options: AgiCommandOptions = {},
  ): Promise<string | undefined> {
    return await this.#say(
      "SAY TIME",
      [epoch(time), agiQuoted(escapeDigits)],
      options,
    );
  }

  /**
   * SEND IMAGE: sends an image (on channels that support it).
   *
   * @param name The image name.
   * @param options Timeout and signal.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async sendImage(
    name: string,
    options: AgiCommandOptions = {},
  ): Promise<void> {
    const { line, reply } = await this.#run("SEND IMAGE", [name], options);
    if (integer(reply, line) < 0) throw this.#failed(line, reply, "failed");
  }

  /**
   * SEND TEXT: sends a text message (on channels that support it).
   *
   * @param text The text, sent as one argument.
   * @param options Timeout and signal.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async sendText(text: string, options: AgiCommandOptions = {}): Promise<void> {
    const { line, reply } = await this.#run(
      "SEND TEXT",
      [agiQuoted(text)],
      options,
    );
    if (integer(reply, line) < 0) throw this.#failed(line, reply, "failed");
  }

  /**
   * SET AUTOHANGUP: hangs up the channel after some seconds (0 cancels).
   *
   * @param seconds Seconds from now; fractions allowed.
   * @param options Timeout and signal.
   */
  async setAutoHangup(
    seconds: number,
    options: AgiCommandOptions = {},
  ): Promise<void> {
    await this.#run("SET AUTOHANGUP", [seconds], options);
  }

  /**
   * SET CALLERID: sets the caller id, e.g. `"Alice" <5551234>`.
   *
   * @param callerId The caller id, sent as one argument.
   * @param options Timeout and signal.
   */
  async setCallerId(
    callerId: string,
    options: AgiCommandOptions = {},
  ): Promise<void> {
    await this.#run("SET CALLERID", [callerId], options);
  }

  /**
   * SET CONTEXT: sets the context to continue in when AGI ends.
   *
   * @param context The context.
   * @param options Timeout and signal.
   */
  async setContext(
    context: string,
    options: AgiCommandOptions = {},
  ): Promise<void> {
    await this.#run("SET CONTEXT", [context], options);
  }

  /**
   * SET EXTENSION: sets the extension to continue at when AGI ends.
   *
   * @param extension The extension.
   * @param options Timeout and signal.
   */
  async setExtension(
    extension: string,
    options: AgiCommandOptions = {},
  ): Promise<void> {
    await this.#run("SET EXTENSION", [extension], options);
  }

  /**
   * SET MUSIC: turns music on hold on or off.
   *
   * @param enabled `true` for on.
   * @param musicClass The music class.
   * @param options Timeout and signal.
   */
  async setMusic(
    enabled: boolean,
    musicClass?: string,
    options: AgiCommandOptions = {},
  ): Promise<void> {
    const args: AgiArgument[] = [enabled ? "on" : "off"];
    if (musicClass !== undefined) args.push(musicClass);
    await this.#run("SET MUSIC", args, options);
  }

  /**
   * SET PRIORITY: sets the priority (number or label) to continue at when AGI ends.
   *
   * @param priority The priority or label.
   * @param options Timeout and signal.
   * @throws {AgiUsageError} If the label does not exist.
   */
  async setPriority(
    priority: number | string,
    options: AgiCommandOptions = {},
  ): Promise<void> {
    await this.#run("SET PRIORITY", [priority], options);
  }

  /**
   * SET VARIABLE: sets a channel variable (the value goes as ONE argument).
   *
   * @param name The variable name.
   * @param value The value.
   * @param options Timeout and signal.
   */
  async setVariable(
    name: string,
    value: string,
    options: AgiCommandOptions = {},
  ): Promise<void> {
    await this.#run("SET VARIABLE", [name, value], options);
  }

  /**
   * SPEECH ACTIVATE GRAMMAR: activates a loaded grammar.
   *
   * @param name The grammar.
   * @param options Timeout and signal.
   * @returns Whether it was activated.
   */
  async speechActivateGrammar(
    name: string,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    return await this.#ok("SPEECH ACTIVATE GRAMMAR", [name], options);
  }

  /**
   * SPEECH CREATE: creates a speech object with an engine.
   *
   * @param engine The engine name.
   * @param options Timeout and signal.
   * @returns Whether it was created.
   */
  async speechCreate(
    engine: string,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    return await this.#ok("SPEECH CREATE", [engine], options);
  }

  /**
   * SPEECH DEACTIVATE GRAMMAR: deactivates a grammar.
   *
   * @param name The grammar.
   * @param options Timeout and signal.
   * @returns Whether it was deactivated.
   */
  async speechDeactivateGrammar(
    name: string,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    return await this.#ok("SPEECH DEACTIVATE GRAMMAR", [name], options);
  }

  /**
   * SPEECH DESTROY: destroys the speech object.
   *
   * @param options Timeout and signal.
   * @returns `false` if there was none.
   */
  async speechDestroy(options: AgiCommandOptions = {}): Promise<boolean> {
    return await this.#ok("SPEECH DESTROY", [], options);
  }

  /**
   * SPEECH LOAD GRAMMAR: loads a grammar from a path.
   *
   * @param name The grammar name.
   * @param path Its path.
   * @param options Timeout and signal.
   * @returns Whether it was loaded.
   */
  async speechLoadGrammar(
    name: string,
    path: string,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    return await this.#ok("SPEECH LOAD GRAMMAR", [name, path], options);
  }

  /**
   * SPEECH RECOGNIZE: plays a prompt and recognises speech or a digit.
   *
   * @param prompt The prompt file.
   * @param timeoutSeconds How long to listen, in SECONDS.
   * @param options Prompt offset, timeout and signal.
   * @returns The reason (`speech`, `digit`, `timeout`), the hypotheses or
   * digit, and where the prompt stopped in samples.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If there is no speech object or it failed.
   */
  async speechRecognize(
    prompt: string,
    timeoutSeconds: number,
    options: AgiSpeechRecognizeOptions = {},
  ): Promise<AgiSpeechResult> {
    const args: AgiArgument[] = [prompt, timeoutSeconds];
    if (options.offsetSamples !== undefined) args.push(options.offsetSamples);
    const { line, reply } = await this.#run("SPEECH RECOGNIZE", args, options);
    // The reason is one word in parentheses; textN="…" after it may hold
    // parentheses of its own, so the tail is re-read from the raw line.
    const raw = reply.lines.at(-1) ?? "";
    const open = raw.indexOf(" (");
    const close = open === -1 ? -1 : raw.indexOf(")", open);
    if (reply.result !== "1" || close === -1) {
      throw this.#failed(line, reply, "recognition failed");
    }
    const reason = raw.slice(open + 2, close);
    if (reason === "hangup") throw this.#hangupError(line, reply);
    const { fields, endpos } = parseAgiTokens(raw, close + 1);
    const results: AgiSpeechHypothesis[] = [];
    const count = Math.min(Number(fields.results ?? 0), 1024);
    for (let i = 0; i < count; i++) {
      results.push({
        score: Number(fields[`score${i}`] ?? NaN),
        text: fields[`text${i}`] ?? "",
        grammar: fields[`grammar${i}`] ?? "",
      });
    }
    return {
      reason,
      digit: fields.digit,
      endposSamples: endpos === undefined ? undefined : Number(endpos),
      results,
    };
  }

  /**
   * SPEECH SET: sets an engine setting.
   *
   * @param name The setting.
   * @param value Its value.
   * @param options Timeout and signal.
   * @returns `false` if there is no speech object.
   */
  async speechSet(
    name: string,
    value: string,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    return await this.#ok("SPEECH SET", [name, value], options);
  }

  /**
   * SPEECH UNLOAD GRAMMAR: unloads a grammar.
   *
   * @param name The grammar.
   * @param options Timeout and signal.
   * @returns Whether it was unloaded.
   */
  async speechUnloadGrammar(
    name: string,
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    return await this.#ok("SPEECH UNLOAD GRAMMAR", [name], options);
  }

  /**
   * STREAM FILE: plays a sound file, interruptible by escape digits.
   *
   * @param file The sound file, without extension.
   * @param escapeDigits Digits that interrupt ("" for none).
   * @param options Start offset, timeout and signal.
   * @returns The digit that interrupted (or `undefined`) and the end
   * position in samples.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If playback failed (e.g. no such file; the
   * reply's `endpos` is then the offset given).
   */
  async streamFile(
    file: string,
    escapeDigits = "",
    options: AgiStreamFileOptions = {},
  ): Promise<AgiPlaybackResult> {
    const args: AgiArgument[] = [file, agiQuoted(escapeDigits)];
    if (options.offsetSamples !== undefined) args.push(options.offsetSamples);
    const { line, reply } = await this.#run("STREAM FILE", args, options);
    return { digit: this.#digit(reply, line), endposSamples: reply.endpos };
  }

  /**
   * TDD MODE: turns TDD (teletypewriter) mode on or off.
   *
   * @param mode `on`, `off`, `tdd` or `mate`.
   * @param options Timeout and signal.
   * @returns `false` if the channel is not TDD-capable.
   */
  async tddMode(
    mode: "on" | "off" | "tdd" | "mate",
    options: AgiCommandOptions = {},
  ): Promise<boolean> {
    return await this.#ok("TDD MODE", [mode], options);
  }

  /**
   * VERBOSE: logs a message on the Asterisk console.
   *
   * @param message The message, sent as one argument.
   * @param level The verbose level (1–4).
   * @param options Timeout and signal.
   */
  async verbose(
    message: string,
    level?: number,
    options: AgiCommandOptions = {},
  ): Promise<void> {
    const args: AgiArgument[] = [agiQuoted(message)];
    if (level !== undefined) args.push(level);
    await this.#run("VERBOSE", args, options);
  }

  /**
   * WAIT FOR DIGIT: waits for one digit.
   *
   * @param timeoutMs How long to wait; -1 waits forever.
   * @param options Timeout and signal.
   * @returns The digit, or `undefined` on timeout.
   * @throws {AgiHangupError} If the channel hung up.
   * @throws {AgiCommandError} If it failed.
   */
  async waitForDigit(
    timeoutMs: number,
    options: AgiCommandOptions = {},
  ): Promise<string | undefined> {
    const { line, reply } = await this.#run(
      "WAIT FOR DIGIT",
      [timeoutMs],
      options,
    );
    return this.#digit(reply, line);
  }

  // --- plumbing ---------------------------------------------------------------

  async #run(
    command: string,
    args: readonly AgiArgument[],
    options: AgiCommandOptions,
  ): Promise<{ line: string; reply: AgiReply }> {
    const line = formatAgiCommand(command, args).slice(0, -1);
    return { line, reply: await this.#execute(line, options) };
  }

  async #say(
    command: string,
    args: readonly AgiArgument[],
    options: AgiCommandOptions,
  ): Promise<string | undefined> {
    const { line, reply } = await this.#run(command, args, options);
    return this.#digit(reply, line);
  }

  async #ok(
    command: string,
    args: readonly AgiArgument[],
    options: AgiCommandOptions,
  ): Promise<boolean> {
    const { reply } = await this.#run(command, args, options);
    return reply.result === "1";
  }

  /** `0` → undefined, an ASCII code → its character, `-1` → a failure. */
  #digit(reply: AgiReply, line: string): string | undefined {
    if (reply.data === "hangup") throw this.#hangupError(line, reply);
    const code = integer(reply, line);
    if (code < 0) throw this.#failed(line, reply, "failed");
    return code === 0 ? undefined : String.fromCharCode(code);
  }

  /** `1 (value)` → value, `0` → undefined, else a failure. */
  #value(reply: AgiReply, line: string): string | undefined {
    if (reply.result === "1") return reply.data ?? "";
    if (reply.result === "0") return undefined;
    throw this.#failed(line, reply, "failed");
  }

  /** Gives a hangup notice that trails a `result=-1` reply time to land. */
  async #awaitHangupNotice(): Promise<void> {
    if (this.#hungUp || this.#hangupGraceMs === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#transport.hangup,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#hangupGraceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** The error for a failure result: a hangup if the channel is known gone. */
  #failed(line: string, reply: AgiReply, detail: string): Error {
    if (this.#hungUp) return this.#hangupError(line, reply);
    return new AgiCommandError(
      `Cannot run AGI command ${
        JSON.stringify(line)
      }: ${detail} (result ${reply.result})`,
      { command: line, reply },
    );
  }

  #hangupError(line: string, reply: AgiReply | undefined): AgiHangupError {
    return new AgiHangupError(
      `Cannot run AGI command ${JSON.stringify(line)}: channel hung up`,
      {
        command: line,
        reply,
      },
    );
  }

  #enqueue(line: string, options: AgiCommandOptions): Promise<AgiReply> {
    if (this.#closed) {
      return Promise.reject(this.#closedError(line, this.#closedReason()));
    }
    const timeoutMs =
      checkTimeout(options.commandTimeoutMs, "commandTimeoutMs") ??
        this.#commandTimeoutMs;
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#running && this.#queue.length >= this.#maxQueued) {
      return Promise.reject(
        new LimitExceededError(
          "maxQueuedCommands",
          this.#maxQueued,
          `Cannot queue AGI command ${
            JSON.stringify(line)
          }: ${this.#maxQueued} commands already wait`,
        ),
      );
    }
    // Nothing in flight (so nothing queued): send at once, without a queue
    // entry and its promise.
    if (!this.#running) return this.#sendNow(line, timeoutMs, signal);
    return new Promise<AgiReply>((resolve, reject) => {
      const item: Queued = {
        line,
        timeoutMs,
        signal,
        resolve,
        reject,
        onAbort: undefined,
      };
      if (signal !== undefined) {
        // While queued, an abort just drops the command.
        item.onAbort = () => {
          const index = this.#queue.indexOf(item);
          if (index !== -1) {
            this.#queue.splice(index, 1);
            reject(signal.reason);
          }
        };
        signal.addEventListener("abort", item.onAbort, { once: true });
      }
      this.#queue.push(item);
    });
  }

  /** Sends one command while no other is in flight, then drains the queue. */
  async #sendNow(
    line: string,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<AgiReply> {
    this.#running = true;
    try {
      return await this.#exchange(line, timeoutMs, signal);
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) void this.#pump();
    }
  }

  async #pump(): Promise<void> {
    this.#running = true;
    try {
      for (
        let item = this.#queue.shift();
        item !== undefined;
        item = this.#queue.shift()
      ) {
        item.signal?.removeEventListener("abort", item.onAbort!);
        await this.#send(item);
      }
    } finally {
      this.#running = false;
    }
  }

  async #send(item: Queued): Promise<void> {
    try {
      item.resolve(
        await this.#exchange(item.line, item.timeoutMs, item.signal),
      );
    } catch (error) {
      item.reject(error);
    }
  }

  /**
   * Runs one command on the transport; a failure other than a `TypeError`
   * (a line the transport refused) ends the session.
   */
  async #exchange(
    line: string,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<AgiReply> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (timeoutMs !== undefined) {
      const timeout = new AbortController();
      timer = setTimeout(() =>
        timeout.abort(
          new TimeoutError(
            `Cannot run AGI command ${
              JSON.stringify(line)
            }: no reply within ${timeoutMs} ms`,
            timeoutMs,
          ),
        ), timeoutMs);
      signal = signal === undefined
        ? timeout.signal
        : AbortSignal.any([signal, timeout.signal]);
    }
    this.#trace("send", line);
    try {
      const reply = await this.#transport.execute(line, signal);
      if (this.#onTrace !== undefined) {
        for (const received of reply.lines) this.#trace("receive", received);
      }
      return reply;
    } catch (error) {
      // The transport cannot be resynchronised after a failure: end the session.
      if (!(error instanceof TypeError)) {
        this.#shutDown(
          error instanceof Error
            ? error
            : new ConnectionClosedError(String(error)),
        );
        void this.#transport.close().catch(() => {});
      }
      throw error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /**
   * Marks the session closed once, rejects the queue and aborts `signal`.
   * `reason` is `undefined` for a close by the script (its error is then
   * built only if something needs it).
   */
  #shutDown(reason: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closedBy = reason;
    if (this.#queue.length > 0) {
      const cause = this.#closedReason();
      for (const item of this.#queue.splice(0)) {
        item.signal?.removeEventListener("abort", item.onAbort!);
        item.reject(this.#closedError(item.line, cause));
      }
    }
    this.#abort("closed");
  }

  #closedError(line: string, cause: Error): ConnectionClosedError {
    return new ConnectionClosedError(
      `Cannot run AGI command ${JSON.stringify(line)}: session closed`,
      { cause },
    );
  }

  #trace(direction: "send" | "receive", line: string): void {
    if (this.#onTrace === undefined) return;
    try {
      this.#onTrace({ direction, line });
    } catch {
      // A broken observer must not break the call.
    }
  }
}

function checkTimeout(
  value: number | undefined,
  name: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(
      `Cannot run AGI command: ${name} must be a positive number, got ${value}`,
    );
  }
  return value;
}

/** The `result=` value as an integer. */
function integer(reply: AgiReply, line: string): number {
  if (!INTEGER.test(reply.result)) {
    throw new ProtocolError(
      `Cannot read reply to AGI command ${JSON.stringify(line)}: result ${
        JSON.stringify(reply.result)
      } is not an integer`,
      { line: reply.lines.at(-1) ?? "" },
    );
  }
  return Number(reply.result);
}

function epoch(time: Date | number): number {
  const seconds = time instanceof Date
    ? Math.floor(time.getTime() / 1000)
    : time;
  if (!Number.isInteger(seconds)) {
    throw new TypeError(
      `Cannot say time: ${String(time)} is not a whole number of seconds`,
    );
  }
  return seconds;
}
