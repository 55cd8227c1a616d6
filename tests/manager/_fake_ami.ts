// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helpers: an in-memory AMI "server" the test scripts by hand, a
 * connector that makes one per connection, and a replayer of recorded
 * transcripts that checks the client's bytes against the recording.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { AmiConnection, AmiConnector } from "../../manager/ami_client.ts";
import type { AmiMessage } from "../../manager/ami_message.ts";
import { AmiMessageDecoder } from "../../manager/ami_message_decoder.ts";
import { encodeAmiPacket } from "../../manager/encode_ami_packet.ts";
import type { TranscriptEntry } from "../../astemu/parse_transcript.ts";

const encoder = new TextEncoder();

/** Reacts to one action the client sent. */
export type FakeHandler = (action: AmiMessage, server: FakeAmiServer) => void;

/** Options of {@linkcode FakeAmiServer}. */
export interface FakeAmiServerOptions {
  /** Banner version, or `false` for no banner. */
  banner?: string | false;
  tls?: boolean;
  remoteHostname?: string;
  /** Answers actions; without it, read them with `next()`. */
  handler?: FakeHandler;
}

/** One in-memory AMI server connection. */
export class FakeAmiServer {
  readonly connection: AmiConnection;
  /** Every action received, in order. */
  readonly received: AmiMessage[] = [];
  /** Resolves when the client closed its side. */
  readonly done: Promise<void>;
  handler: FakeHandler | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queue: AmiMessage[] = [];
  #waiter: ((message: AmiMessage | undefined) => void) | undefined;
  #clientClosed = false;
  #closedByServer = false;

  constructor(options: FakeAmiServerOptions = {}) {
    const toClient = new TransformStream<Uint8Array, Uint8Array>();
    const toServer = new TransformStream<Uint8Array, Uint8Array>();
    this.connection = {
      readable: toClient.readable,
      writable: toServer.writable,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.remoteHostname === undefined
        ? {}
        : { remoteHostname: options.remoteHostname }),
    };
    this.handler = options.handler;
    this.#writer = toClient.writable.getWriter();
    const banner = options.banner ?? "13.0.0";
    if (banner !== false) this.write(`Asterisk Call Manager/${banner}\r\n`);
    this.done = this.#pump(toServer.readable);
  }

  /** Whether the client closed its side. */
  get clientClosed(): boolean {
    return this.#clientClosed;
  }

  async #pump(readable: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new AmiMessageDecoder((message) => {
      this.received.push(message);
      if (this.handler !== undefined) {
        this.handler(message, this);
        return;
      }
      const waiter = this.#waiter;
      if (waiter !== undefined) {
        this.#waiter = undefined;
        waiter(message);
      } else {
        this.#queue.push(message);
      }
    }, { expectBanner: false });
    const reader = readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        decoder.push(value);
      }
    } catch {
      // The client aborted its side.
    }
    this.#clientClosed = true;
    this.#waiter?.(undefined);
    this.#waiter = undefined;
  }

  /** The next action the client sends (fails the test after `ms`). */
  next(ms = 2000): Promise<AmiMessage> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#clientClosed) {
      return Promise.reject(new Error("FakeAmiServer: the client closed"));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`FakeAmiServer: no action within ${ms} ms`));
      }, ms);
      this.#waiter = (message) => {
        clearTimeout(timer);
        if (message === undefined) {
          reject(new Error("FakeAmiServer: the client closed"));
        } else resolve(message);
      };
    });
  }

  /** Writes raw text or bytes to the client. */
  write(data: string | Uint8Array): void {
    if (this.#closedByServer) return;
    this.#writer.write(typeof data === "string" ? encoder.encode(data) : data)
      .catch(() => {});
  }

  /** Writes one packet. */
  send(fields: [string, string][]): void {
    this.write(encodeAmiPacket(fields));
  }

  /** Answers an action, echoing its ActionID. */
  reply(
    action: AmiMessage,
    fields: [string, string][] = [],
    response = "Success",
  ): void {
    const id = action.actionId;
    this.send([
      ["Response", response],
      ...(id === undefined ? [] : [["ActionID", id] as [string, string]]),
      ...fields,
    ]);
  }

  /** The server closes the connection. */
  hangup(): void {
    if (this.#closedByServer) return;
    this.#closedByServer = true;
    this.#writer.close().catch(() => {});
  }
}

/**
 * A handler that logs in (plain or MD5 with challenge `1234`), answers
 * Filter, Events, Ping and Logoff, and passes anything else to `other`.
 */
export function standardHandler(
  other?: FakeHandler,
  options: { challenge?: string | false; events?: string[] } = {},
): FakeHandler {
  return (action, server) => {
    switch (action.action?.toLowerCase()) {
      case "challenge":
        if (options.challenge === false) {
          server.reply(action, [["Message", "Must specify AuthType"]], "Error");
        } else {
          server.reply(action, [["Challenge", options.challenge ?? "1234"]]);
        }
        return;
      case "login":
        server.reply(action, [["Message", "Authentication accepted"]]);
        return;
      case "filter":
        server.reply(action, [["Message", "Filter Added Successfully"]]);
        return;
      case "events":
        server.reply(action, [["Events", "On"]]);
        return;
      case "ping":
        server.reply(action, [["Ping", "Pong"], ["Timestamp", "1.0"]]);
        return;
      case "logoff":
        server.reply(
          action,
          [["Message", "Thanks for all the fish."]],
          "Goodbye",
        );
        server.hangup();
        return;
      default:
        if (other !== undefined) other(action, server);
        else {server.reply(
            action,
            [["Message", "Invalid/unknown command"]],
            "Error",
          );}
    }
  };
}

/** Makes a {@linkcode FakeAmiServer} per connection attempt. */
export class FakeConnector {
  readonly servers: FakeAmiServer[] = [];
  /** Attempts to refuse before the next success. */
  refuse = 0;
  /** Attempts made. */
  attempts = 0;
  options: FakeAmiServerOptions;
  #waiters: ((server: FakeAmiServer) => void)[] = [];

  constructor(options: FakeAmiServerOptions = {}) {
    this.options = options;
  }

  readonly connect: AmiConnector = () => {
    this.attempts++;
    if (this.refuse > 0) {
      this.refuse--;
      return Promise.reject(new Error("connection refused"));
    }
    const server = new FakeAmiServer(this.options);
    this.servers.push(server);
    for (const waiter of this.#waiters.splice(0)) waiter(server);
    return Promise.resolve(server.connection);
  };

  /** Resolves with the `n`th server (0-based) once it exists. */
  server(n: number): Promise<FakeAmiServer> {
    const existing = this.servers[n];
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const check = () => {
        const server = this.servers[n];
        if (server !== undefined) resolve(server);
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }
}

/** Waits until `predicate` holds, polling each macrotask (bounded). */
export async function until(
  predicate: () => boolean,
  ms = 2000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`Condition not met within ${ms} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Replays one recorded connection: writes the recorded `<<` lines, and
 * for each recorded `>>` packet reads the client's bytes and checks they
 * are identical. A recorded packet without an ActionID (which this client
 * never sends) is skipped: the replies after it arrive unsolicited.
 */
export class TranscriptReplay {
  readonly connection: AmiConnection;
  /** Resolves when the whole recording was replayed (or rejects). */
  readonly finished: Promise<void>;
  #entries: TranscriptEntry[];

  constructor(entries: TranscriptEntry[], options: { close?: boolean } = {}) {
    this.#entries = entries.filter((e) => e.direction !== "note");
    const toClient = new TransformStream<Uint8Array, Uint8Array>();
    const toServer = new TransformStream<Uint8Array, Uint8Array>();
    this.connection = {
      readable: toClient.readable,
      writable: toServer.writable,
    };
    this.finished = this.#run(
      toClient.writable.getWriter(),
      toServer.readable.getReader(),
      options.close ?? true,
    );
  }

  async #run(
    writer: WritableStreamDefaultWriter<Uint8Array>,
    reader: ReadableStreamDefaultReader<Uint8Array>,
    close: boolean,
  ): Promise<void> {
    const entries = this.#entries;
    let held: Uint8Array = new Uint8Array(0);
    let i = 0;
    while (i < entries.length) {
      const entry = entries[i]!;
      if (entry.direction === "fromAsterisk") {
        await writer.write(entry.bytes);
        i++;
        continue;
      }
      // One recorded client packet: up to and including its blank line.
      const packet: Uint8Array[] = [];
      while (i < entries.length && entries[i]!.direction === "toAsterisk") {
        const line = entries[i++]!;
        packet.push(line.bytes);
        if (line.text === "") break;
      }
      const expected = join(packet);
      const text = new TextDecoder().decode(expected);
      if (!/\r\nActionID: /i.test(text)) continue;
      while (held.length < expected.length) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`Replay: client closed, expected ${text}`);
        held = join([held, value]);
      }
      assert.equal(
        new TextDecoder().decode(held.subarray(0, expected.length)),
        text,
      );
      held = held.subarray(expected.length);
    }
    if (close) await writer.close();
    // Drain whatever else the client writes until it closes.
    try {
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
      }
    } catch {
      // Aborted by the client.
    }
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * A scripted AMI server on 127.0.0.1 (port 0): each accepted connection is
 * bridged to a {@linkcode FakeAmiServer} made with `options`.
 */
export class LoopbackAmiServer implements AsyncDisposable {
  readonly port: number;
  readonly servers: FakeAmiServer[] = [];
  options: FakeAmiServerOptions;
  #listener: Deno.Listener;
  #conns = new Set<Deno.Conn>();
  #tasks: Promise<void>[] = [];
  #accepting: Promise<void>;

  constructor(options: FakeAmiServerOptions = {}) {
    this.options = options;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        const fake = new FakeAmiServer(this.options);
        this.servers.push(fake);
        this.#tasks.push(this.#bridge(conn, fake));
      }
    } catch {
      // Listener closed.
    }
  }

  async #bridge(conn: Deno.Conn, fake: FakeAmiServer): Promise<void> {
    const up = fake.connection.readable.pipeTo(conn.writable).catch(() => {});
    const down = conn.readable.pipeTo(fake.connection.writable).catch(() => {});
    await Promise.all([up, down]);
    this.#conns.delete(conn);
    try {
      conn.close();
    } catch {
      // Closed by the pipes.
    }
  }

  /** Drops every open connection (the server side closes). */
  dropAll(): void {
    for (const fake of this.servers) fake.hangup();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    this.dropAll();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await Promise.all(this.#tasks);
  }
}
