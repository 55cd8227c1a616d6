// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: the script end of an in-memory AGI dialogue with an
 * `AgiEmulator` (or any Asterisk side), as raw lines.
 *
 * @module
 */
import type { AgiAsteriskSide } from "../../astemu/agi_asterisk_side.ts";

const encoder = new TextEncoder();

/** Sends raw bytes to an Asterisk side and reads its lines back. */
export class FakeAgiScript {
  /** Settles when the Asterisk side is done. */
  readonly served: Promise<void>;
  /** Every byte received, in order. */
  received = "";
  /** How many bytes had been received when each SIGHUP came. */
  readonly sighups: number[] = [];
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #eof = false;
  #closed = false;

  constructor(side: AgiAsteriskSide) {
    const toAsterisk = new TransformStream<Uint8Array, Uint8Array>();
    const fromAsterisk = new TransformStream<Uint8Array, Uint8Array>();
    this.served = side.serve(toAsterisk.readable, fromAsterisk.writable, {
      onSighup: () => this.sighups.push(this.received.length),
    });
    this.#writer = toAsterisk.writable.getWriter();
    this.#reader = fromAsterisk.readable
      .pipeThrough(new TextDecoderStream())
      .getReader();
  }

  /** Writes text or bytes. */
  async send(data: string | Uint8Array): Promise<void> {
    await this.#writer.write(
      typeof data === "string" ? encoder.encode(data) : data,
    );
  }

  /** Reads one line without its LF; `undefined` at the end. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const lf = this.#buffer.indexOf("\n");
      if (lf !== -1) {
        const line = this.#buffer.slice(0, lf);
        this.#buffer = this.#buffer.slice(lf + 1);
        return line;
      }
      if (this.#eof) return undefined;
      const { value, done } = await this.#reader.read();
      if (done) this.#eof = true;
      else {
        this.#buffer += value;
        this.received += value;
      }
    }
  }

  /** Reads `count` lines. */
  async lines(count: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const line = await this.line();
      if (line === undefined) break;
      out.push(line);
    }
    return out;
  }

  /** Closes the script's output, reads the rest, waits for the end. */
  async finish(): Promise<string[]> {
    if (!this.#closed) {
      this.#closed = true;
      await this.#writer.close().catch(() => {});
    }
    const rest: string[] = [];
    for (;;) {
      const line = await this.line();
      if (line === undefined) break;
      rest.push(line);
    }
    await this.served;
    return rest;
  }
}
