// Copyright the @pyst/asterisk authors. MIT license.

import type { AgiSession } from "./agi_session.ts";
import {
  createAgiSession,
  type CreateAgiSessionOptions,
} from "./create_agi_session.ts";
import { type AgitbOptions, withAgitb } from "./agitb.ts";
import { AgiHangupError } from "./errors.ts";

/** Options of {@linkcode runAgi}. */
export interface RunAgiOptions extends Omit<CreateAgiSessionOptions, "signal"> {
  /**
   * Whether to end the process when the handler is done, with exit status 0
   * when it resolved and 1 when it threw (Asterisk then sets `AGISTATUS` to
   * `FAILURE`, unless the channel hung up, which gives `HANGUP` either way).
   * With `false`, `runAgi` resolves with that status instead and removes its
   * SIGHUP listener: a later SIGHUP then ends the process, Deno's default.
   *
   * @default {true}
   */
  exit?: boolean;
  /**
   * Receives the error that ended the script (a handler that threw, or an
   * environment block that could not be read). The default writes it to
   * stderr (Asterisk's console), except an `AgiHangupError`: the normal end
   * of a call whose caller hung up.
   */
  onError?: (error: unknown) => void;
  /**
   * Where Asterisk's lines come from. Tests and embedders may pass their own
   * stream; it is then used as is (and cancelled when the session closes).
   *
   * @default {Deno.stdin (acquired once per process, never torn down)}
   */
  readable?: ReadableStream<Uint8Array>;
  /**
   * Where commands go. Tests and embedders may pass their own stream.
   *
   * @default {Deno.stdout}
   */
  writable?: WritableStream<Uint8Array>;
  /**
   * agitb: when the handler throws, write a report (error, async stack with
   * source lines, the AGI environment, the last commands, secrets redacted)
   * to Asterisk through VERBOSE and to stderr, then exit non-zero. On by
   * default for stdio scripts, like pyst's `agitb`; `false` turns it off.
   *
   * @default {true}
   */
  agitb?: boolean | AgitbOptions;
}

/** The handler of a stdio AGI script. */
export type AgiScriptHandler = (session: AgiSession) => void | Promise<void>;

/**
 * Runs a stdio AGI script: reads the environment block from stdin, runs
 * `handler` with an {@linkcode AgiSession} whose commands go to stdout, and
 * exits with status 0 (the handler resolved) or 1 (it threw), which is what
 * Asterisk reads for `AGISTATUS`.
 *
 * Asterisk tells a stdio script about a hangup with SIGHUP (twice: once when
 * the channel hangs up, once when the AGI ends). `runAgi` installs a SIGHUP
 * listener before reading anything (without one, SIGHUP would kill the
 * process) and turns the signal into `session.notifyHangup()`: `hungUp`
 * becomes true, `signal` aborts, and commands that need a live channel fail
 * with `AgiDeadChannelError` or `AgiHangupError`.
 *
 * Needs no permission at all: run the script with `deno run script.ts` (or
 * a `#!/usr/bin/env -S deno run` shebang). Standard input is read through one
 * reader acquired once per process and never cancelled (denoland/deno#35601).
 *
 * @param handler The script: what to do with the call.
 * @param options Exit behaviour, error reporting, session limits.
 * @returns The exit status, when `exit` is `false` (otherwise the process
 * ends and the promise never settles).
 * @throws {TypeError} When an option is out of range.
 *
 * @example A stdio AGI script (here fed from memory, with `exit: false`)
 * ```ts
 * import { runAgi } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * // A stand-in for Asterisk: the environment block, then one reply per command.
 * const encoder = new TextEncoder();
 * const replies = ["200 result=0", "200 result=1"];
 * const sent: string[] = [];
 * let asterisk!: ReadableStreamDefaultController<Uint8Array>;
 * const readable = new ReadableStream<Uint8Array>({
 *   start(controller) {
 *     asterisk = controller;
 *     controller.enqueue(encoder.encode("agi_request: hello.ts\nagi_callerid: 5551234\n\n"));
 *   },
 * });
 * const writable = new WritableStream<Uint8Array>({
 *   write(chunk) {
 *     sent.push(new TextDecoder().decode(chunk));
 *     asterisk.enqueue(encoder.encode(replies.shift() + "\n"));
 *   },
 * });
 *
 * // In a real script: await runAgi(async (session) => { ... });
 * const status = await runAgi(async (session) => {
 *   await session.answer();
 *   await session.setVariable("GREETED", session.env.callerId);
 * }, { exit: false, readable, writable });
 * assert.equal(status, 0);
 * assert.deepEqual(sent, ["ANSWER\n", "SET VARIABLE GREETED 5551234\n"]);
 * ```
 */
export async function runAgi(
  handler: AgiScriptHandler,
  options: RunAgiOptions = {},
): Promise<number> {
  const exit = options.exit ?? true;
  const agitb = options.agitb ?? true;
  const agitbOptions = agitb === true
    ? {}
    : agitb === false
    ? undefined
    : agitb;
  const run = agitbOptions === undefined
    ? handler
    : withAgitb(handler, agitbOptions);
  let inHandler = false;
  const onError = options.onError ?? ((error: unknown) => {
    // agitb already wrote the handler's error to stderr.
    if (inHandler && agitbOptions?.stderr !== false && agitbOptions) return;
    defaultOnError(error);
  });
  let session: AgiSession | undefined;
  let hangupSignalled = false;
  const onSighup = () => {
    hangupSignalled = true;
    session?.notifyHangup();
  };
  const listening = addSighupListener(onSighup);
  let status = 0;
  try {
    const {
      exit: _exit,
      onError: _onError,
      agitb: _agitb,
      readable,
      writable,
      ...rest
    } = options;
    session = await createAgiSession(
      readable ?? stdinReadable(),
      writable ?? stdoutWritable(),
      rest,
    );
    if (hangupSignalled) session.notifyHangup();
    inHandler = true;
    await run(session);
  } catch (error) {
    status = 1;
    report(onError, error);
  } finally {
    if (session !== undefined) {
      try {
        await session.close();
      } catch (error) {
        report(onError, error);
      }
    }
    if (!exit && listening) Deno.removeSignalListener("SIGHUP", onSighup);
  }
  if (exit) Deno.exit(status);
  return status;
}

function report(onError: (error: unknown) => void, error: unknown): void {
  try {
    onError(error);
  } catch {
    // A reporter that throws must not change the exit status.
  }
}

function defaultOnError(error: unknown): void {
  if (error instanceof AgiHangupError) return;
  console.error(error);
}

/** Installs the listener; false where SIGHUP does not exist (Windows). */
function addSighupListener(listener: () => void): boolean {
  try {
    Deno.addSignalListener("SIGHUP", listener);
    return true;
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}

// --- stdin and stdout, shared by every runAgi call of the process -----------

let stdinReader: ReadableStreamDefaultReader<Uint8Array> | undefined;
/** A read of stdin that a cancelled view left unfinished, for the next one. */
let stdinPending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;

/**
 * A view of `Deno.stdin.readable` whose cancellation does not reach stdin:
 * the reader is acquired once and kept, and a read in progress when a view
 * is cancelled is handed to the next view, so no byte is lost.
 */
function stdinReadable(): ReadableStream<Uint8Array> {
  stdinReader ??= Deno.stdin.readable.getReader();
  const reader = stdinReader;
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const read = stdinPending ??= reader.read();
      const result = await read;
      if (cancelled) return; // Left in stdinPending for the next view.
      stdinPending = undefined;
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
}

/** `Deno.stdout` as a stream whose closing leaves stdout open. */
function stdoutWritable(): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        offset += await Deno.stdout.write(chunk.subarray(offset));
      }
    },
  });
}
