// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: a bare TCP client that writes bytes as given and records
 * every byte and packet the server sends, for checking an AMI server on the
 * wire. Every wait is bounded in time.
 *
 * @module
 */

import type { AmiMessage } from "../../manager/ami_message.ts";
import { AmiMessageDecoder } from "../../manager/ami_message_decoder.ts";

const encoder = new TextEncoder();

/** A raw AMI client over TCP. */
export class RawAmiClient {
  readonly conn: Deno.TcpConn;
  /** Every packet received, in order. */
  readonly packets: AmiMessage[] = [];
  /** Every chunk received, as read. */
  readonly chunks: Uint8Array[] = [];
  /** Decoder errors (garbage, long lines…). */
  readonly errors: unknown[] = [];
  version: string | undefined;
  /** Set once the server closed the connection. */
  eof = false;
  lastDataAt = Date.now();
  readonly #decoder: AmiMessageDecoder;
  readonly #reading: Promise<void>;
  #wake: (() => void) | undefined;

  private constructor(conn: Deno.TcpConn, options: { maxLineBytes?: number }) {
    this.conn = conn;
    this.#decoder = new AmiMessageDecoder((m) => this.packets.push(m), {
      onBanner: (v) => this.version = v,
      ...options,
    });
    this.#reading = this.#read();
  }

  static async connect(
    hostname: string,
    port: number,
    options: { maxLineBytes?: number } = {},
  ): Promise<RawAmiClient> {
    return new RawAmiClient(await Deno.connect({ hostname, port }), options);
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(65_536);
    try {
      for (;;) {
        const n = await this.conn.read(buffer);
        if (n === null) break;
        const chunk = buffer.slice(0, n);
        this.chunks.push(chunk);
        this.lastDataAt = Date.now();
        try {
          this.#decoder.push(chunk);
        } catch (error) {
          this.errors.push(error);
        }
        this.#wake?.();
      }
    } catch (error) {
      this.errors.push(error);
    }
    this.eof = true;
    this.#wake?.();
  }

  /** All bytes received so far. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    let written = 0;
    while (written < bytes.length) {
      written += await this.conn.write(bytes.subarray(written));
    }
  }

  /** Waits until `check()` holds; throws after `timeoutMs`. */
  async until(
    check: () => boolean,
    timeoutMs = 3000,
    what = "condition",
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 50));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }

  /** Waits until nothing arrived for `quietMs` (at most `timeoutMs`). */
  async quiet(quietMs: number, timeoutMs = 3000): Promise<void> {
    await this.until(
      () => this.eof || Date.now() - this.lastDataAt >= quietMs,
      timeoutMs,
      "quiet",
    );
  }

  /** Waits for the server to close (at most `timeoutMs`). */
  async closed(timeoutMs = 3000): Promise<void> {
    await this.until(() => this.eof, timeoutMs, "the server to close");
  }

  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    await this.#reading;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A packet's fields as plain pairs. */
export function pairs(message: AmiMessage): [string, string][] {
  return message.fields.map(([k, v]) => [k, v]);
}
