// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Fuzz target: the AMI message decoder, fed mutated recordings of what
 * Asterisk sends (and of what clients send, with `expectBanner: false`).
 *
 * Oracles: only `LimitExceededError` and `ProtocolError` escape; the same
 * bytes give the same messages whole and in random chunks; no message
 * breaks a configured limit; a message's lazy lookups (`get`, `getAll`,
 * `kind`) agree with its field list.
 *
 * @module
 */

import { LimitExceededError, ProtocolError } from "../../errors.ts";
import type { AmiMessage } from "../../manager/ami_message.ts";
import {
  AmiMessageDecoder,
  type AmiMessageDecoderOptions,
} from "../../manager/ami_message_decoder.ts";
import { loadCorpus } from "./_corpus.ts";
import {
  expectDocumented,
  type FuzzCase,
  FuzzFinding,
  type FuzzTarget,
} from "./_harness.ts";
import { chunk, mutate, randomInput } from "./_mutate.ts";
import type { Prng } from "./_prng.ts";

const ALLOWED = [LimitExceededError, ProtocolError];

interface Decoded {
  readonly messages: AmiMessage[];
  readonly errors: string[];
  readonly version: string | undefined;
}

function decode(
  chunks: readonly Uint8Array[],
  options: AmiMessageDecoderOptions,
): Decoded {
  const messages: AmiMessage[] = [];
  const errors: string[] = [];
  const decoder = new AmiMessageDecoder(
    (message) => messages.push(message),
    options,
  );
  for (const piece of chunks) {
    try {
      decoder.push(piece);
    } catch (error) {
      errors.push(expectDocumented(error, ALLOWED, "AmiMessageDecoder.push"));
    }
  }
  try {
    decoder.end();
  } catch (error) {
    errors.push(expectDocumented(error, ALLOWED, "AmiMessageDecoder.end"));
  }
  return { messages, errors, version: decoder.version };
}

function limits(rng: Prng): AmiMessageDecoderOptions {
  const options: AmiMessageDecoderOptions = {};
  if (rng.chance(0.4)) options.maxLineBytes = rng.range(1, 2048);
  if (rng.chance(0.4)) options.maxFieldsPerMessage = rng.range(1, 64);
  if (rng.chance(0.4)) options.maxMessageBytes = rng.range(1, 16_384);
  return options;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Checks one message against the limits and its own lookups. */
function checkMessage(
  message: AmiMessage,
  options: AmiMessageDecoderOptions,
): void {
  const fields = message.fields;
  const maxFields = options.maxFieldsPerMessage ?? 20_000;
  const maxLine = options.maxLineBytes ?? 1_048_576;
  const maxMessage = options.maxMessageBytes ?? 8_388_608;
  // A legacy "Response: Follows" packet gains no fields: its first line is one.
  if (fields.length > maxFields) {
    throw new FuzzFinding(
      `Message has ${fields.length} fields, over maxFieldsPerMessage ${maxFields}`,
    );
  }
  let total = 0;
  const follows = fields[0]?.[0] === "Response" && fields[0][1] === "Follows";
  for (const [key, value] of fields) {
    // The shortest line that gives this field: "key:value" or "value".
    const line = utf8Length(key) + (key === "" ? 0 : 1) + utf8Length(value);
    if (!follows && line > maxLine) {
      throw new FuzzFinding(
        `Field ${
          JSON.stringify(key)
        } came from a line of at least ${line} bytes, over maxLineBytes ${maxLine}`,
      );
    }
    total += line;
  }
  if (!follows && total > maxMessage) {
    throw new FuzzFinding(
      `Message of at least ${total} bytes exceeds maxMessageBytes ${maxMessage}`,
    );
  }
  // Lazy lookups agree with the field list.
  for (const [key] of fields.slice(0, 8)) {
    const lower = key.toLowerCase();
    const matching = fields.filter(([k]) => k.toLowerCase() === lower);
    const expected = matching[0]?.[1];
    if (message.get(key) !== expected) {
      throw new FuzzFinding(
        `get(${JSON.stringify(key)}) gave ${
          JSON.stringify(message.get(key))
        }, the fields say ${JSON.stringify(expected)}`,
      );
    }
    const all = message.getAll(key);
    if (JSON.stringify(all) !== JSON.stringify(matching.map(([, v]) => v))) {
      throw new FuzzFinding(
        `getAll(${JSON.stringify(key)}) disagrees with the fields`,
      );
    }
  }
  const kind = message.kind;
  const has = (name: string) => fields.some(([k]) => k.toLowerCase() === name);
  const expectedKind = has("event")
    ? "event"
    : has("response")
    ? "response"
    : has("action")
    ? "action"
    : "unknown";
  if (kind !== expectedKind) {
    throw new FuzzFinding(`kind is ${kind}, the fields say ${expectedKind}`);
  }
  message.toObject();
}

function same(a: readonly AmiMessage[], b: readonly AmiMessage[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (JSON.stringify(a[i]!.fields) !== JSON.stringify(b[i]!.fields)) {
      return false;
    }
  }
  return true;
}

/** Options of {@linkcode amiDecoderTarget}. */
export interface AmiDecoderTargetOptions {
  /** Largest generated input, in bytes. */
  readonly maxBytes: number;
}

/** The AMI decoder target. */
export function amiDecoderTarget(
  options: AmiDecoderTargetOptions,
): FuzzTarget {
  return {
    name: "ami-decoder",
    run({ rng, record }: FuzzCase): string {
      const corpus = loadCorpus();
      const fromServer = rng.chance(0.75);
      const seeds = fromServer ? corpus.amiFromServer : corpus.amiFromClient;
      const all = [...corpus.amiFromServer, ...corpus.amiFromClient];
      const input = rng.chance(0.1)
        ? randomInput(rng, Math.min(options.maxBytes, 8192))
        : mutate(rng, rng.pick(seeds), {
          corpus: all,
          maxBytes: options.maxBytes,
        });
      const decoderOptions: AmiMessageDecoderOptions = {
        ...limits(rng),
        expectBanner: fromServer ? rng.chance(0.9) : false,
      };
      const chunks = chunk(rng, input);
      record("input", input);
      record("options", JSON.stringify(decoderOptions));
      record("chunks", JSON.stringify(chunks.map((c) => c.length)));
      const whole = decode([input], decoderOptions);
      const pieces = decode(chunks, decoderOptions);
      if (!same(whole.messages, pieces.messages)) {
        throw new FuzzFinding(
          `Decoding whole gave ${whole.messages.length} messages, in ${chunks.length} chunks ${pieces.messages.length}, or different fields`,
        );
      }
      if (whole.version !== pieces.version) {
        throw new FuzzFinding(
          `Banner version whole ${whole.version}, chunked ${pieces.version}`,
        );
      }
      for (const message of pieces.messages) {
        checkMessage(message, decoderOptions);
      }
      return pieces.errors.length === 0
        ? "ok"
        : [...new Set(pieces.errors)].sort().join("+");
    },
  };
}
