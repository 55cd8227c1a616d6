// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: a client over {@linkcode AmiEmulator.connectInMemory} that
 * records every packet, for tests that need no permissions.
 *
 * @module
 */

import type { AmiMessage } from "../../manager/ami_message.ts";
import { AmiMessageDecoder } from "../../manager/ami_message_decoder.ts";
import type { AmiEmulator, AmiEmulatorSession } from "../../astemu/mod.ts";

const encoder = new TextEncoder();

/** An in-memory AMI client. */
export class MemoryAmiClient {
  readonly session: AmiEmulatorSession;
  readonly packets: AmiMessage[] = [];
  readonly chunks: Uint8Array[] = [];
  readonly errors: unknown[] = [];
  version: string | undefined;
  eof = false;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #reading: Promise<void>;
  #paused = false;
  #resume: (() => void) | undefined;

  constructor(emulator: AmiEmulator) {
    const { readable, writable, session } = emulator.connectInMemory();
    this.session = session;
    this.#writer = writable.getWriter();
    const reader = readable.getReader();
    this.#reader = reader;
    const decoder = new AmiMessageDecoder((m) => this.packets.push(m), {
      onBanner: (v) => this.version = v,
    });
    this.#reading = (async () => {
      try {
        for (;;) {
          while (this.#paused) await new Promise<void>((r) => this.#resume = r);
          const { value, done } = await reader.read();
          if (done) break;
          this.chunks.push(value);
          try {
            decoder.push(value);
          } catch (error) {
            this.errors.push(error);
          }
        }
      } catch (error) {
        this.errors.push(error);
      }
      this.eof = true;
    })();
  }

  /** Stops reading (to let the emulator's writes back up). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#resume?.();
  }

  async send(text: string): Promise<void> {
    await this.#writer.write(
      encoder.encode(text.replaceAll(/(?<!\r)\n/g, "\r\n")),
    );
  }

  /** Waits until `check()` holds; throws after `timeoutMs`. */
  async until(
    check: () => boolean,
    timeoutMs = 3000,
    what = "condition",
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Sends an action and waits for the packet answering its ActionID. */
  async action(text: string, id: string): Promise<AmiMessage> {
    await this.send(text.replace(/\n\n$/, "") + `\nActionID: ${id}\n\n`);
    await this.until(
      () =>
        this.packets.some((m) => m.actionId === id && m.event === undefined),
      3000,
      id,
    );
    return this.packets.find((m) =>
      m.actionId === id && m.event === undefined
    )!;
  }

  /** Logs in as admin/admin with the given `Events:` value. */
  async login(
    events = "off",
    user = "admin",
    secret = "admin",
  ): Promise<AmiMessage> {
    return await this.action(
      `Action: Login\nUsername: ${user}\nSecret: ${secret}\nEvents: ${events}\n\n`,
      "login",
    );
  }

  /** Packets answering `id` (responses and list events). */
  answering(id: string): AmiMessage[] {
    return this.packets.filter((m) => m.actionId === id);
  }

  async close(): Promise<void> {
    this.resume();
    await this.#writer.close().catch(() => {});
    await this.#reader.cancel().catch(() => {});
    await this.#reading;
    await this.session.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
