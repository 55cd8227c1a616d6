// Copyright the @pyst/asterisk authors. MIT license.
/**
 * A FastAGI load generator that plays Asterisk: it opens calls to a FastAGI
 * server, sends the header block Asterisk sends, and answers ANSWER,
 * GET VARIABLE, SET VARIABLE, STREAM FILE, WAIT FOR DIGIT and HANGUP the way
 * Asterisk does (the replies are those of `tests/fixtures/transcripts/
 * fastagi.txt`). HANGUP is answered with `200 result=1` and the `HANGUP`
 * notice; the call then waits for the server to close, as Asterisk does.
 *
 * Used by `bench/fastagi_bench.ts` and `bench/fastagi_run.ts`; also runs on
 * its own:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/fastagi_loadgen.ts 4573 1000 50
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();
const LF = 0x0a;

/** Options of {@linkcode runFastAgiLoad}. */
export interface FastAgiLoadOptions {
  /** Server port. */
  port: number;
  /** Server address. @default {"127.0.0.1"} */
  hostname?: string;
  /** Calls to complete. */
  sessions: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** `agi_network_script` sent in each header. @default {"bench?mode=load"} */
  script?: string;
  /** Give up (and throw) after this long. @default {120000} */
  timeoutMs?: number;
}

/** What {@linkcode runFastAgiLoad} measured. */
export interface FastAgiLoadResult {
  /** Calls that ran to the server's close. */
  sessions: number;
  /** Commands answered in all. */
  commands: number;
  /** Wall time from the first connect to the last close, in ms. */
  elapsedMs: number;
  /** Calls that failed (connection refused, reset, unexpected command). */
  failures: number;
  /** The first failure, for the log. */
  firstFailure: unknown;
}

/** The header block of one call, as Asterisk writes it. */
export function fastAgiHeader(script: string, index: number): Uint8Array {
  return encoder.encode(
    "agi_network: yes\n" +
      `agi_network_script: ${script}\n` +
      `agi_request: agi://127.0.0.1:4573/${script}\n` +
      `agi_channel: Local/bench@agi-fast-${
        index.toString(16).padStart(8, "0")
      };2\n` +
      "agi_language: en\n" +
      "agi_type: Local\n" +
      `agi_uniqueid: 1795693536.${index}\n` +
      "agi_version: GIT-master-f0c1c1a7b7\n" +
      "agi_callerid: 5550001\n" +
      "agi_calleridname: Fast Caller\n" +
      "agi_callingpres: 0\n" +
      "agi_callingani2: 0\n" +
      "agi_callington: 0\n" +
      "agi_callingtns: 0\n" +
      "agi_dnid: unknown\n" +
      "agi_rdnis: unknown\n" +
      "agi_context: agi-fast\n" +
      "agi_extension: bench\n" +
      "agi_priority: 2\n" +
      "agi_enhanced: 0.0\n" +
      "agi_accountcode: \n" +
      "agi_threadid: 139972816299712\n" +
      "agi_arg_1: hello world\n" +
      "\n",
  );
}

const REPLIES: ReadonlyArray<readonly [string, Uint8Array]> = [
  ["ANSWER", encoder.encode("200 result=0\n")],
  ["GET VARIABLE ", encoder.encode("200 result=1 (5550001)\n")],
  ["SET VARIABLE ", encoder.encode("200 result=1\n")],
  ["STREAM FILE ", encoder.encode("200 result=0 endpos=3520\n")],
  ["WAIT FOR DIGIT ", encoder.encode("200 result=49\n")],
  ["HANGUP", encoder.encode("200 result=1\nHANGUP\n")],
];
const INVALID = encoder.encode("510 Invalid or unknown command\n");
const decoder = new TextDecoder();

/** Answers one command line; returns true for HANGUP. */
function reply(line: string): [Uint8Array, boolean] {
  for (const [prefix, bytes] of REPLIES) {
    if (line.startsWith(prefix)) return [bytes, prefix === "HANGUP"];
  }
  return [INVALID, false];
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** Plays one call; resolves with the number of commands answered. */
async function playCall(
  hostname: string,
  port: number,
  header: Uint8Array,
): Promise<number> {
  const conn = await Deno.connect({ hostname, port });
  let commands = 0;
  try {
    await writeAll(conn, header);
    const buffer = new Uint8Array(4096);
    let held = 0;
    let hungUp = false;
    for (;;) {
      const count = await conn.read(buffer.subarray(held));
      if (count === null) {
        if (!hungUp) {
          throw new Error("Cannot play call: server closed before HANGUP");
        }
        return commands;
      }
      held += count;
      let start = 0;
      let lf = buffer.indexOf(LF, start);
      while (lf !== -1 && lf < held) {
        const line = decoder.decode(buffer.subarray(start, lf));
        start = lf + 1;
        if (hungUp) {
          throw new Error(`Cannot play call: command after HANGUP: ${line}`);
        }
        const [bytes, isHangup] = reply(line);
        commands++;
        hungUp = isHangup;
        await writeAll(conn, bytes);
        lf = buffer.indexOf(LF, start);
      }
      if (start > 0) {
        buffer.copyWithin(0, start, held);
        held -= start;
      }
      if (held === buffer.length) {
        throw new Error("Cannot play call: command line too long");
      }
    }
  } finally {
    conn.close();
  }
}

/**
 * Plays `sessions` calls against a FastAGI server, `concurrency` at a time.
 *
 * @param options Target, count and concurrency.
 * @returns Counts and the wall time.
 */
export async function runFastAgiLoad(
  options: FastAgiLoadOptions,
): Promise<FastAgiLoadResult> {
  const hostname = options.hostname ?? "127.0.0.1";
  const script = options.script ?? "bench?mode=load";
  const deadline = performance.now() + (options.timeoutMs ?? 120_000);
  const headers = Array.from(
    { length: 64 },
    (_, index) => fastAgiHeader(script, index),
  );
  let started = 0;
  let sessions = 0;
  let commands = 0;
  let failures = 0;
  let firstFailure: unknown;
  const t0 = performance.now();
  async function worker(): Promise<void> {
    while (started < options.sessions) {
      if (performance.now() > deadline) {
        throw new Error(
          `Cannot finish load: timed out after ${sessions} calls`,
        );
      }
      const index = started++;
      try {
        const answered = await playCall(
          hostname,
          options.port,
          headers[index % 64]!,
        );
        commands += answered;
        sessions++;
      } catch (error) {
        failures++;
        firstFailure ??= error;
      }
    }
  }
  const workers = Math.min(options.concurrency, options.sessions);
  await Promise.all(Array.from({ length: workers }, worker));
  return {
    sessions,
    commands,
    elapsedMs: performance.now() - t0,
    failures,
    firstFailure,
  };
}

if (import.meta.main) {
  const [port = "4573", sessions = "1000", concurrency = "50"] = Deno.args;
  const result = await runFastAgiLoad({
    port: Number(port),
    sessions: Number(sessions),
    concurrency: Number(concurrency),
  });
  console.log(JSON.stringify({
    ...result,
    firstFailure: result.firstFailure === undefined
      ? undefined
      : String(result.firstFailure),
    sessionsPerSecond: Math.round(result.sessions / (result.elapsedMs / 1000)),
  }));
}
