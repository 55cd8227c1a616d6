// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Fuzz targets of the AMI side with both ends running: the AMI emulator fed
 * mutated client actions, and the AMI client fed a mutated Asterisk.
 *
 * @module
 */

import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../../errors.ts";
import { AmiClient } from "../../manager/ami_client.ts";
import { AmiMessageDecoder } from "../../manager/ami_message_decoder.ts";
import type { AmiAction } from "../../manager/encode_ami_action.ts";
import {
  AmiActionError,
  AmiAuthenticationError,
} from "../../manager/errors.ts";
import type { AmiEmulator } from "../../astemu/ami_emulator.ts";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import { loadCorpus } from "./_corpus.ts";
import {
  describe,
  expectDocumented,
  type FuzzCase,
  FuzzFinding,
  type FuzzTarget,
} from "./_harness.ts";
import { chunkAtMost, concatBytes, mutate, randomInput } from "./_mutate.ts";
import type { Prng } from "./_prng.ts";

const encoder = new TextEncoder();
const LOGIN = encoder.encode(
  "Action: Login\r\nUsername: admin\r\nSecret: admin\r\nEvents: on\r\n\r\n",
);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `promise`, or throws a finding after `ms`. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new FuzzFinding(`${what} within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The AMI emulator, fed mutated client actions over in-memory streams. */
export function amiEmulatorTarget(options: { maxBytes: number }): FuzzTarget {
  let emulator: AmiEmulator | undefined;
  let served = 0;
  const start = async () => {
    emulator = await startAmiEmulator({
      listen: false,
      authFailureDelayMs: 1,
      timeScale: 0.001,
    });
    served = 0;
  };
  return {
    name: "ami-emulator",
    open: start,
    async run({ rng, record }: FuzzCase): Promise<string> {
      // The emulator keeps every session and action for inspection: a fresh
      // one now and then keeps that history from looking like a leak.
      if (++served > 500) {
        await within(emulator!.close(), 5000, "The emulator did not close");
        await start();
      }
      const corpus = loadCorpus();
      const body = rng.chance(0.1)
        ? randomInput(rng, 4096)
        : mutate(rng, rng.pick(corpus.amiFromClient), {
          corpus: corpus.amiFromClient,
          maxBytes: options.maxBytes,
        });
      const input = rng.chance(0.8) ? concatBytes([LOGIN, body]) : body;
      const vanish = rng.chance(0.3);
      record("input", input);
      const errorsBefore = emulator!.handlerErrors.length;
      const { readable, writable, session } = emulator!.connectInMemory();
      // The client side: read everything the emulator says, as AMI.
      const received: string[] = [];
      const decoder = new AmiMessageDecoder((message) => {
        received.push(message.kind);
      });
      const drained = (async () => {
        try {
          for await (const piece of readable) decoder.push(piece);
          decoder.end();
        } catch (error) {
          if (error instanceof ProtocolError && vanish) return;
          if (
            error instanceof LimitExceededError ||
            error instanceof ProtocolError
          ) {
            throw new FuzzFinding(
              `The emulator wrote what is not AMI: ${describe(error)}`,
              { cause: error },
            );
          }
          // The stream was aborted (a drop): fine.
        }
      })();
      const writer = writable.getWriter();
      try {
        for (const piece of chunkAtMost(rng, input, 256)) {
          await writer.write(piece);
          if (rng.chance(0.05)) await delay(1);
        }
        if (vanish) await writer.abort(new Error("client vanished"));
        else await writer.close();
      } catch {
        // The emulator dropped us first.
      }
      await within(session.closed, 3000, "The emulator session did not close");
      await within(drained, 3000, "The emulator output did not end");
      const errors = emulator!.handlerErrors.slice(errorsBefore);
      if (errors.length > 0) {
        throw new FuzzFinding(
          `The emulator failed inside: ${describe(errors[0])}`,
          { cause: errors[0] },
        );
      }
      return `${session.authenticated ? "auth" : "noauth"}:${
        session.closeReason ?? "?"
      }`;
    },
    async close(): Promise<void> {
      // A clean client still logs in and pings.
      const { readable, writable } = emulator!.connectInMemory();
      const client = new AmiClient({ readable, writable }, {
        username: "admin",
        secret: "admin",
        timeout: 2000,
      });
      await client.connect();
      const pong = await client.send({ Action: "Ping" });
      if (pong.get("Ping") !== "Pong") {
        throw new FuzzFinding("A clean Ping after the cases got no Pong");
      }
      await client.logoff();
      await within(emulator!.close(), 5000, "The emulator did not close");
    },
  };
}

const CLIENT_ERRORS = [
  AmiActionError,
  AmiAuthenticationError,
  TimeoutError,
  ConnectionClosedError,
  ProtocolError,
  LimitExceededError,
];

/** Splits a server stream into its banner line and blank-line-ended packets. */
function packets(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const firstLf = bytes.indexOf(0x0a);
  let start = 0;
  if (firstLf !== -1) {
    out.push(bytes.subarray(0, firstLf + 1));
    start = firstLf + 1;
  }
  for (let i = start; i < bytes.length; i++) {
    if (
      bytes[i] === 0x0a &&
      (bytes[i - 1] === 0x0a ||
        (bytes[i - 1] === 0x0d && bytes[i - 2] === 0x0a))
    ) {
      out.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

/** The actions of a recorded client stream (what the client sent). */
function actions(bytes: Uint8Array): AmiAction[] {
  const out: AmiAction[] = [];
  const decoder = new AmiMessageDecoder((message) => {
    const action = message.get("Action");
    if (action === undefined || action === "" || /^login$/i.test(action)) {
      return;
    }
    const fields: Record<string, string> = { Action: action };
    for (const [key, value] of message.fields) {
      if (/^(action|actionid)$/i.test(key) || !/^[^:\s\0]+$/.test(key)) {
        continue;
      }
      fields[key] = value;
    }
    out.push(fields as AmiAction);
  }, { expectBanner: false });
  try {
    decoder.push(bytes);
    decoder.end();
  } catch {
    // The recording ends mid-packet: keep what was read.
  }
  return out;
}

/** A scripted Asterisk over in-memory streams that answers with mutated recordings. */
function fakeServer(
  rng: Prng,
  script: readonly Uint8Array[],
  vanishAt: number,
) {
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const writer = toClient.writable.getWriter();
  let next = 0;
  let closed = false;
  const say = async (count: number) => {
    for (let k = 0; k < count && next < script.length && !closed; k++) {
      if (next === vanishAt) {
        closed = true;
        await writer.close().catch(() => {});
        return;
      }
      for (const piece of chunkAtMost(rng, script[next++]!, 256)) {
        await writer.write(piece).catch(() => {});
      }
    }
  };
  const serving = (async () => {
    await say(1); // the banner
    const reader = toServer.readable.getReader();
    try {
      for (;;) {
        const { done } = await reader.read();
        if (done || closed) break;
        await say(rng.range(0, 3));
      }
    } catch {
      // The client aborted its side.
    }
    if (!closed) {
      closed = true;
      await writer.close().catch(() => {});
    }
  })();
  return {
    connection: { readable: toClient.readable, writable: toServer.writable },
    serving,
  };
}

/** The AMI client against a mutated Asterisk. */
export function amiClientTarget(options: { maxBytes: number }): FuzzTarget {
  return {
    name: "ami-client",
    async run({ rng, record }: FuzzCase): Promise<string> {
      const corpus = loadCorpus();
      const index = rng.int(corpus.amiFromServer.length);
      const server = mutate(rng, corpus.amiFromServer[index]!, {
        corpus: corpus.amiFromServer,
        maxBytes: options.maxBytes,
      });
      const script = packets(server);
      const vanishAt = rng.chance(0.3) ? rng.int(script.length + 1) : -1;
      record("server", server);
      record("vanishAt", String(vanishAt));
      const { connection, serving } = fakeServer(rng, script, vanishAt);
      const lifecycle: unknown[] = [];
      const client = new AmiClient(connection, {
        username: "oracle",
        secret: "oraclepw",
        authType: rng.pick(["plain", "auto", "md5"] as const),
        actionIdPrefix: "oracle",
        timeout: 50,
        connectTimeout: 200,
        maxLineBytes: rng.chance(0.3) ? rng.range(16, 512) : 1_048_576,
      });
      client.addEventListener("error", (event) => {
        lifecycle.push(event.detail.error);
      });
      const outcomes = new Set<string>();
      try {
        await client.connect();
        outcomes.add("connected");
      } catch (error) {
        outcomes.add(
          "connect:" +
            expectDocumented(error, CLIENT_ERRORS, "AmiClient.connect"),
        );
      }
      if (client.state === "connected") {
        const list = actions(
          corpus.amiFromClient[index] ?? new Uint8Array(),
        ).slice(0, 6);
        const settled = await Promise.allSettled(
          list.map((action) =>
            rng.chance(0.2)
              ? client.sendList(action, { timeout: 50 })
              : client.send(action, { timeout: 50 })
          ),
        );
        for (const result of settled) {
          outcomes.add(
            result.status === "fulfilled" ? "ok" : expectDocumented(
              result.reason,
              CLIENT_ERRORS,
              "AmiClient.send",
            ),
          );
        }
      }
      await within(client.close(), 2000, "AmiClient.close() did not resolve");
      await within(serving, 2000, "The fake server did not finish");
      if (client.pendingActions !== 0) {
        throw new FuzzFinding(
          `${client.pendingActions} actions still pending after close()`,
        );
      }
      for (const error of lifecycle) {
        outcomes.add(
          "event:" +
            expectDocumented(error, CLIENT_ERRORS, "AmiClient error event"),
        );
      }
      return [...outcomes].sort().join("+");
    },
  };
}
