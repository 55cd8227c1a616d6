// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Fuzz target: the FastAGI server over loopback. Each case plays a hostile
 * Asterisk: a mutated header block (sometimes cut short and left hanging),
 * mutated replies, garbage, or a vanishing peer, sent in random chunks.
 *
 * Oracles: every error the server reports is documented for its phase; the
 * server closes the connection within its header and command timeouts; it
 * holds no connection once the case ends; and after all cases a clean call
 * still runs from start to end.
 *
 * @module
 */

import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../../errors.ts";
import { AgiError } from "../../agi/errors.ts";
import {
  type FastAgiErrorContext,
  type FastAgiServer,
  serveFastAgi,
} from "../../agi/serve_fast_agi.ts";
import { type AgiScenario, loadCorpus } from "./_corpus.ts";
import {
  type ErrorClass,
  expectDocumented,
  type FuzzCase,
  FuzzFinding,
  type FuzzTarget,
} from "./_harness.ts";
import { chunkAtMost, mutate, randomInput } from "./_mutate.ts";

const ALLOWED: Readonly<Record<string, readonly ErrorClass[]>> = {
  accept: [LimitExceededError],
  header: [
    LimitExceededError,
    ProtocolError,
    TimeoutError,
    ConnectionClosedError,
  ],
  route: [ProtocolError],
  handler: [
    AgiError,
    ProtocolError,
    LimitExceededError,
    ConnectionClosedError,
    TimeoutError,
  ],
};

const HEADER_TIMEOUT_MS = 50;
const COMMAND_TIMEOUT_MS = 50;
const encoder = new TextEncoder();

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads lines from a connection until it closes (or `deadline` passes). */
class LineReader {
  readonly #conn: Deno.Conn;
  #buffered = "";
  #eof = false;
  readonly #decoder = new TextDecoder();

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The next line without LF, or `undefined` at EOF. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const lf = this.#buffered.indexOf("\n");
      if (lf !== -1) {
        const line = this.#buffered.slice(0, lf);
        this.#buffered = this.#buffered.slice(lf + 1);
        return line;
      }
      if (this.#eof) return undefined;
      const buffer = new Uint8Array(4096);
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch {
        n = null;
      }
      if (n === null) {
        this.#eof = true;
        continue;
      }
      this.#buffered += this.#decoder.decode(buffer.subarray(0, n), {
        stream: true,
      });
    }
  }
}

async function writeChunks(
  conn: Deno.Conn,
  bytes: Uint8Array,
  pieces: readonly Uint8Array[],
): Promise<void> {
  if (bytes.length === 0) return;
  for (const piece of pieces) await conn.write(piece);
}

/** The FastAGI server target. */
export function fastAgiTarget(options: { maxBytes: number }): FuzzTarget {
  let server: FastAgiServer | undefined;
  let reported: { error: unknown; context: FastAgiErrorContext }[] = [];
  let clean: AgiScenario | undefined;
  let handled = 0;
  const completed: string[][] = [];

  const checkReported = (): string[] => {
    const labels: string[] = [];
    for (const { error, context } of reported) {
      labels.push(
        context.phase + ":" +
          expectDocumented(
            error,
            ALLOWED[context.phase] ?? [],
            `FastAGI server (${context.phase})`,
          ),
      );
    }
    reported = [];
    return labels;
  };

  return {
    name: "fastagi-server",
    // deno-lint-ignore require-await
    async open(): Promise<void> {
      const corpus = loadCorpus();
      clean = corpus.agi.find((s) => s.file === "fastagi.txt")!;
      const scenario = clean;
      server = serveFastAgi({
        port: 0,
        headerTimeoutMs: HEADER_TIMEOUT_MS,
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
        maxHeaderBytes: 4096,
        maxLineBytes: 4096,
        shutdownTimeoutMs: 1000,
        onError: (error, context) => reported.push({ error, context }),
      }, async (session) => {
        handled++;
        const answered: string[] = [];
        for (const step of scenario.steps) {
          try {
            await session.command(step.command);
            answered.push(step.command);
          } catch (error) {
            if (session.closed) throw error;
            answered.push(step.command);
            expectDocumented(error, ALLOWED.handler!, "AgiSession.command");
          }
        }
        completed.push(answered);
      });
    },
    async run({ rng, record }: FuzzCase): Promise<string> {
      const corpus = loadCorpus();
      const scenario = rng.pick(corpus.agi);
      const headers = corpus.agi.map((s) => s.environment);
      const mode = rng.pick(
        ["mutate", "mutate", "stall-header", "garbage", "vanish"] as const,
      );
      const header = mode === "garbage"
        ? randomInput(rng, 2048)
        : mode === "stall-header"
        ? scenario.environment.subarray(
          0,
          rng.int(scenario.environment.length - 1),
        )
        : rng.chance(0.5)
        ? mutate(rng, scenario.environment, {
          corpus: headers,
          maxBytes: options.maxBytes,
        })
        : scenario.environment;
      const replies = scenario.steps.map((s) =>
        rng.chance(0.2)
          ? mutate(rng, s.reply, { maxBytes: options.maxBytes })
          : s.reply
      );
      const vanishAt = mode === "vanish" ? rng.int(replies.length) : -1;
      record("mode", mode);
      record("header", header);
      replies.forEach((reply, index) => record(`reply${index}`, reply));
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: server!.addr.port,
      });
      const started = performance.now();
      try {
        try {
          await writeChunks(conn, header, chunkAtMost(rng, header, 128));
        } catch {
          // The server refused the header and closed while we wrote.
        }
        const reader = new LineReader(conn);
        // Answer each command line with the next recorded reply until the
        // server closes (the handler ended or gave up on us).
        for (let index = 0;; index++) {
          const line = await reader.line();
          if (line === undefined) break;
          if (index === vanishAt) break;
          const reply = replies[index] ?? encoder.encode("200 result=0\n");
          try {
            await writeChunks(conn, reply, chunkAtMost(rng, reply, 128));
          } catch {
            break; // The server closed while we wrote.
          }
        }
      } finally {
        conn.close();
      }
      // The server must let go of the connection promptly.
      const bound = HEADER_TIMEOUT_MS + COMMAND_TIMEOUT_MS * 4 + 2000;
      while (server!.connections > 0) {
        if (performance.now() - started > bound) {
          throw new FuzzFinding(
            `The server still holds ${
              server!.connections
            } connections ${bound} ms after the case began`,
          );
        }
        await delay(2);
      }
      const labels = checkReported();
      return labels.length === 0 ? "ok" : [...new Set(labels)].sort().join("+");
    },
    async close(): Promise<void> {
      // After everything, a clean call still runs from start to end.
      const scenario = clean!;
      const before = completed.length;
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: server!.addr.port,
      });
      try {
        await conn.write(scenario.environment);
        const reader = new LineReader(conn);
        for (const step of scenario.steps) {
          const line = await reader.line();
          if (line !== step.command) {
            throw new FuzzFinding(
              `A clean call after the fuzz cases got ${
                JSON.stringify(line)
              }, expected ${JSON.stringify(step.command)}`,
            );
          }
          // Reply plainly: the recorded HANGUP notices would end the call.
          await conn.write(encoder.encode("200 result=0\n"));
        }
        if (await reader.line() !== undefined) {
          throw new FuzzFinding("The server did not close after the handler");
        }
      } finally {
        conn.close();
      }
      await server!.shutdown();
      if (completed.length !== before + 1) {
        throw new FuzzFinding("The clean call's handler did not complete");
      }
      const leftovers = checkReported();
      if (leftovers.length > 0) {
        throw new FuzzFinding(
          `A clean call reported errors: ${leftovers.join(", ")}`,
        );
      }
      if (handled === 0) throw new FuzzFinding("No case reached a handler");
    },
  };
}
