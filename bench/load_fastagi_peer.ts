// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The Asterisk side of the FastAGI load tools: one call over loopback that
 * either behaves (sends the header block, answers each command the way
 * Asterisk does, waits for the server to close) or misbehaves in one of the
 * ways a real network does (vanishes mid-command, sends garbage, stalls in
 * the header or in a command, resets at once). Also the handler the server
 * runs for every call.
 *
 * @module
 */

import type { AgiSession } from "../agi/agi_session.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How a call behaves. */
export type CallRole =
  | "normal"
  | "vanish"
  | "garbage-reply"
  | "garbage-header"
  | "stall-header"
  | "stall-command"
  | "reset";

/** The commands the handler sends, in order. */
export const HANDLER_COMMANDS: readonly string[] = [
  "ANSWER",
  "SET VARIABLE LOAD 1",
  "GET VARIABLE CALLER",
  'STREAM FILE beep "#"',
];

/** The handler every load server runs: four commands, then it returns. */
export async function loadHandler(session: AgiSession): Promise<void> {
  await session.answer();
  await session.setVariable("LOAD", "1");
  await session.getVariable("CALLER");
  await session.streamFile("beep", "#");
}

/** The header block of one call, as Asterisk writes it. */
export function callHeader(index: number): Uint8Array {
  return encoder.encode(
    "agi_network: yes\n" +
      "agi_network_script: load\n" +
      "agi_request: agi://127.0.0.1/load\n" +
      `agi_channel: PJSIP/load-${index.toString(16).padStart(8, "0")}\n` +
      "agi_language: en\n" +
      "agi_type: PJSIP\n" +
      `agi_uniqueid: 1795693536.${index}\n` +
      "agi_version: GIT-master-f0c1c1a7b7\n" +
      "agi_callerid: 5550001\n" +
      "agi_calleridname: Load Caller\n" +
      "agi_callingpres: 0\n" +
      "agi_callingani2: 0\n" +
      "agi_callington: 0\n" +
      "agi_callingtns: 0\n" +
      "agi_dnid: unknown\n" +
      "agi_rdnis: unknown\n" +
      "agi_context: load\n" +
      "agi_extension: s\n" +
      "agi_priority: 1\n" +
      "agi_enhanced: 0.0\n" +
      "agi_accountcode: \n" +
      "agi_threadid: 139972816299712\n\n",
  );
}

/** What Asterisk answers to a command line. */
function replyTo(line: string): string {
  if (line === "ANSWER") return "200 result=0\n";
  if (line.startsWith("SET VARIABLE")) return "200 result=1\n";
  if (line.startsWith("GET VARIABLE")) return "200 result=1 (5550001)\n";
  if (line.startsWith("STREAM FILE")) return "200 result=0 endpos=8000\n";
  return "510 Invalid or unknown command\n";
}

/** What happened to one call, from Asterisk's side. */
export interface CallOutcome {
  /** The role it played. */
  readonly role: CallRole;
  /**
   * `completed`: every command answered, then the server closed;
   * `closed`: the server closed a misbehaving call; `left`: we vanished;
   * `hung`: the server neither finished nor closed before the deadline;
   * `broken`: something else (a reset by the server, a wrong command).
   */
  readonly result: "completed" | "closed" | "left" | "hung" | "broken";
  /** Commands the server sent. */
  readonly commands: number;
  /** From connect to the end, in milliseconds. */
  readonly ms: number;
  /** Detail for `broken`. */
  readonly detail?: string;
}

/** Options of {@linkcode runCall}. */
export interface RunCallOptions {
  readonly port: number;
  readonly index: number;
  readonly role: CallRole;
  /** Which command (0-based) a faulty role acts on. */
  readonly faultAt: number;
  /** Give up waiting for the server after this long. */
  readonly deadlineMs: number;
  /** A random source for garbage. */
  readonly random: () => number;
}

/** Plays one call. Never throws. */
export async function runCall(options: RunCallOptions): Promise<CallOutcome> {
  const started = performance.now();
  const { role } = options;
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port: options.port });
  } catch (error) {
    return {
      role,
      result: "broken",
      commands: 0,
      ms: performance.now() - started,
      detail: `connect: ${error}`,
    };
  }
  let commands = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const done = (
    result: CallOutcome["result"],
    detail?: string,
  ): CallOutcome => ({
    role,
    result,
    commands,
    ms: performance.now() - started,
    ...(detail === undefined ? {} : { detail }),
  });
  try {
    if (role === "reset") return done("left");
    timer = setTimeout(() => {
      timedOut = true;
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }, options.deadlineMs);
    const header = callHeader(options.index);
    if (role === "garbage-header") {
      await writeAll(conn, garbage(options.random, 200));
      await writeAll(conn, encoder.encode("\n\n"));
    } else if (role === "stall-header") {
      await writeAll(conn, header.subarray(0, header.length >> 1));
    } else {
      await writeAll(conn, header);
    }
    const lines = lineReader(conn);
    for (;;) {
      const line = await lines.next();
      if (line === undefined) {
        if (timedOut) return done("hung");
        if (role === "normal") {
          return commands === HANDLER_COMMANDS.length
            ? done("completed")
            : done("broken", `closed after ${commands} commands`);
        }
        return done("closed");
      }
      if (line !== HANDLER_COMMANDS[commands]) {
        return done("broken", `unexpected command ${JSON.stringify(line)}`);
      }
      const at = commands++;
      if (role !== "normal" && at === options.faultAt) {
        if (role === "vanish") return done("left");
        if (role === "stall-command") continue; // answer nothing
        if (role === "garbage-reply") {
          await writeAll(conn, garbage(options.random, 64));
          await writeAll(conn, encoder.encode("\n"));
          continue;
        }
      }
      await writeAll(conn, encoder.encode(replyTo(line)));
    }
  } catch (error) {
    if (timedOut) return done("hung");
    // The server closed while we wrote: fine for a faulty call.
    return role === "normal" ? done("broken", String(error)) : done("closed");
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

/** Random bytes without LF that are not a status line. */
function garbage(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    let byte = Math.floor(random() * 256);
    if (byte === 0x0a) byte = 0x3f;
    out[i] = byte;
  }
  out[0] = 0x78; // "x": never a digit, so never a status code
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

/** Reads LF-terminated lines; `undefined` at EOF (or on a reset). */
function lineReader(conn: Deno.Conn): { next(): Promise<string | undefined> } {
  let buffered = "";
  let eof = false;
  const buffer = new Uint8Array(4096);
  return {
    async next() {
      for (;;) {
        const lf = buffered.indexOf("\n");
        if (lf !== -1) {
          const line = buffered.slice(0, lf);
          buffered = buffered.slice(lf + 1);
          return line;
        }
        if (eof) return undefined;
        let n: number | null;
        try {
          n = await conn.read(buffer);
        } catch {
          n = null;
        }
        if (n === null) {
          eof = true;
          continue;
        }
        buffered += decoder.decode(buffer.subarray(0, n), { stream: true });
      }
    },
  };
}
