// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Fuzz targets of the AGI side: the reply decoder, the environment parser,
 * the FastAGI header reader, and a whole AgiSession talking to a fake
 * Asterisk that replays mutated recordings (random chunking, vanishing,
 * stalling).
 *
 * @module
 */

import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../../errors.ts";
import { LineSplitter } from "../../_internal/line_splitter.ts";
import {
  type AgiDecoded,
  AgiReplyDecoder,
} from "../../agi/agi_reply_decoder.ts";
import { createAgiSession } from "../../agi/create_agi_session.ts";
import { AgiError } from "../../agi/errors.ts";
import { readFastAgiHeader } from "../../agi/fast_agi_header.ts";
import { parseAgiEnvironment } from "../../agi/parse_agi_environment.ts";
import { loadCorpus } from "./_corpus.ts";
import {
  expectDocumented,
  type FuzzCase,
  FuzzFinding,
  type FuzzTarget,
} from "./_harness.ts";
import { chunk, concatBytes, mutate, randomInput } from "./_mutate.ts";
import type { Prng } from "./_prng.ts";

const decoder = new TextDecoder();

function splitLines(bytes: Uint8Array, maxLineBytes: number): {
  lines: string[];
  errors: string[];
} {
  const lines: string[] = [];
  const errors: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), {
    maxLineBytes,
  });
  try {
    splitter.push(bytes);
  } catch (error) {
    errors.push(
      expectDocumented(error, [LimitExceededError], "LineSplitter.push"),
    );
  }
  const rest = splitter.flush();
  if (rest !== undefined) lines.push(rest);
  return { lines, errors };
}

function checkDecoded(decoded: AgiDecoded, line: string): void {
  if (decoded.type === "hangup") {
    if (!line.startsWith("HANGUP")) {
      throw new FuzzFinding(
        `A hangup notice came from ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    return;
  }
  const reply = decoded.reply;
  if (!Number.isInteger(reply.code) || reply.code < 0 || reply.code > 999) {
    throw new FuzzFinding(`Reply code ${reply.code} is not a status code`);
  }
  if (reply.lines.length === 0) {
    throw new FuzzFinding("A reply has no lines");
  }
  if (reply.result.includes(" ")) {
    throw new FuzzFinding(
      `Result ${JSON.stringify(reply.result)} holds a space`,
    );
  }
  if (reply.endpos !== undefined && !Number.isFinite(reply.endpos)) {
    throw new FuzzFinding(`endpos ${reply.endpos} is not a number`);
  }
  if (
    reply.data !== undefined &&
    !reply.lines.some((raw) => raw.includes(`(${reply.data})`))
  ) {
    throw new FuzzFinding(
      `Data ${
        JSON.stringify(reply.data)
      } is not between parentheses in the reply`,
    );
  }
}

/** The AGI reply decoder target (lines from the line splitter). */
export function agiReplyTarget(options: { maxBytes: number }): FuzzTarget {
  return {
    name: "agi-reply-decoder",
    run({ rng, record }: FuzzCase): string {
      const corpus = loadCorpus();
      const parts: Uint8Array[] = [];
      const count = rng.range(1, 40);
      for (let i = 0; i < count; i++) {
        parts.push(rng.pick(corpus.agiReplyLines));
      }
      const input = rng.chance(0.1)
        ? randomInput(rng, Math.min(options.maxBytes, 4096))
        : mutate(rng, concatBytes(parts), {
          corpus: corpus.agiReplyLines,
          maxBytes: options.maxBytes,
        });
      const maxUsageLines = rng.chance(0.3) ? rng.range(1, 8) : 1024;
      const maxLineBytes = rng.chance(0.3) ? rng.range(1, 512) : 65_536;
      record("input", input);
      record("options", JSON.stringify({ maxUsageLines, maxLineBytes }));
      const { lines, errors } = splitLines(input, maxLineBytes);
      const replies = new AgiReplyDecoder({ maxUsageLines });
      for (const line of lines) {
        let decoded: AgiDecoded | undefined;
        try {
          decoded = replies.push(line);
        } catch (error) {
          errors.push(
            expectDocumented(
              error,
              [ProtocolError, LimitExceededError],
              "AgiReplyDecoder.push",
            ),
          );
          if (replies.pending) {
            throw new FuzzFinding(
              "The decoder kept a half-read reply after throwing",
            );
          }
          continue;
        }
        if (decoded !== undefined) checkDecoded(decoded, line);
      }
      return errors.length === 0 ? "ok" : [...new Set(errors)].sort().join("+");
    },
  };
}

/** The environment parser and FastAGI header reader target. */
export function agiEnvironmentTarget(
  options: { maxBytes: number },
): FuzzTarget {
  return {
    name: "agi-environment",
    async run({ rng, record }: FuzzCase): Promise<string> {
      const corpus = loadCorpus();
      const scenario = rng.pick(corpus.agi);
      const input = rng.chance(0.1)
        ? randomInput(rng, Math.min(options.maxBytes, 4096))
        : mutate(rng, scenario.environment, {
          corpus: corpus.agi.map((s) => s.environment),
          maxBytes: options.maxBytes,
        });
      record("input", input);
      // The parser never throws, whatever the lines.
      const lines = decoder.decode(input).split("\n").map((line) =>
        line.endsWith("\r") ? line.slice(0, -1) : line
      );
      let env;
      try {
        env = parseAgiEnvironment(lines);
      } catch (error) {
        throw new FuzzFinding(
          `parseAgiEnvironment threw: ${(error as Error).message}`,
          { cause: error },
        );
      }
      const blank = lines.indexOf("");
      const expected = blank === -1 ? lines.length : blank;
      if (env.raw.length !== expected) {
        throw new FuzzFinding(
          `raw has ${env.raw.length} lines, the block has ${expected}`,
        );
      }
      if (env.args.length > 1024) {
        throw new FuzzFinding(`${env.args.length} arguments kept`);
      }
      // The FastAGI header reader, fed the same bytes in random chunks.
      const maxHeaderBytes = rng.chance(0.3) ? rng.range(1, 1024) : 65_536;
      const chunks = chunk(rng, input);
      let next = 0;
      const reader = {
        read(buffer: Uint8Array): Promise<number | null> {
          const piece = chunks[next];
          if (piece === undefined) return Promise.resolve(null);
          const n = Math.min(buffer.length, piece.length);
          buffer.set(piece.subarray(0, n));
          if (n === piece.length) next++;
          else chunks[next] = piece.subarray(n);
          return Promise.resolve(n);
        },
      };
      try {
        const header = await readFastAgiHeader(reader, maxHeaderBytes);
        for (const line of header.lines) {
          if (!line.startsWith("agi_")) {
            throw new FuzzFinding(
              `Header line ${JSON.stringify(line.slice(0, 80))} accepted`,
            );
          }
        }
        parseAgiEnvironment(header.lines);
        return "ok";
      } catch (error) {
        if (error instanceof FuzzFinding) throw error;
        return expectDocumented(
          error,
          [LimitExceededError, ProtocolError, ConnectionClosedError],
          "readFastAgiHeader",
        );
      }
    },
  };
}

const SESSION_ERRORS = [
  AgiError,
  ProtocolError,
  LimitExceededError,
  ConnectionClosedError,
  TimeoutError,
];

/** A fake Asterisk: replies to each command line with the next recorded bytes. */
function fakeAsterisk(
  rng: Prng,
  environment: Uint8Array,
  replies: readonly Uint8Array[],
  fault: "none" | "vanish" | "stall",
  faultAt: number,
): {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let step = 0;
  const say = (bytes: Uint8Array) => {
    if (closed) return;
    for (const piece of chunk(rng, bytes)) controller.enqueue(piece);
  };
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      say(environment);
    },
    cancel() {
      closed = true;
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write() {
      if (closed) throw new Error("broken pipe");
      const index = step++;
      if (index === faultAt && fault === "vanish") {
        closed = true;
        controller.close();
        return;
      }
      if (index === faultAt && fault === "stall") return;
      say(replies[index] ?? new TextEncoder().encode("200 result=0\n"));
    },
  });
  return { readable, writable };
}

/** A whole AgiSession against a fake Asterisk replaying mutated recordings. */
export function agiSessionTarget(options: { maxBytes: number }): FuzzTarget {
  return {
    name: "agi-session",
    async run({ rng, record }: FuzzCase): Promise<string> {
      const corpus = loadCorpus();
      const scenario = rng.pick(corpus.agi);
      const all = scenario.steps.map((s) => s.reply);
      const environment = rng.chance(0.2)
        ? mutate(rng, scenario.environment, { maxBytes: options.maxBytes })
        : scenario.environment;
      const replies = scenario.steps.map((s) =>
        rng.chance(0.15)
          ? mutate(rng, s.reply, { corpus: all, maxBytes: options.maxBytes })
          : s.reply
      );
      const fault = rng.pick(["none", "none", "vanish", "stall"] as const);
      const faultAt = rng.int(scenario.steps.length);
      record("environment", environment);
      replies.forEach((reply, index) => record(`reply${index}`, reply));
      record("fault", `${fault}@${faultAt}`);
      const { readable, writable } = fakeAsterisk(
        rng,
        environment,
        replies,
        fault,
        faultAt,
      );
      const outcomes = new Set<string>();
      let session;
      // A block without its blank line waits for more: the caller bounds it.
      const envTimeout = new AbortController();
      const timer = setTimeout(
        () => envTimeout.abort(new TimeoutError("Environment too slow", 100)),
        100,
      );
      try {
        session = await createAgiSession(readable, writable, {
          commandTimeoutMs: 60,
          maxLineBytes: rng.chance(0.3) ? rng.range(16, 256) : 65_536,
          signal: envTimeout.signal,
        });
      } catch (error) {
        await readable.cancel().catch(() => {});
        return "env:" + expectDocumented(
          error,
          [
            ProtocolError,
            LimitExceededError,
            ConnectionClosedError,
            TimeoutError,
          ],
          "createAgiSession",
        );
      } finally {
        clearTimeout(timer);
      }
      try {
        for (const step of scenario.steps) {
          try {
            await session.command(step.command);
            outcomes.add("ok");
          } catch (error) {
            outcomes.add(
              expectDocumented(error, SESSION_ERRORS, "AgiSession.command"),
            );
          }
        }
      } finally {
        await session.close();
      }
      if (!session.closed) {
        throw new FuzzFinding("Session not closed after close()");
      }
      return [...outcomes].sort().join("+");
    },
  };
}
