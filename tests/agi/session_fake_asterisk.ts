// Copyright the @pyst/asterisk authors. MIT license.
/**
 * An in-memory stand-in for Asterisk's side of an AGI stream, for the AGI
 * session and transport tests: what the script writes is split into lines
 * and queued (or handed to `onLine`), and what the test sends is enqueued on
 * the script's readable.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Asterisk's end of an in-memory AGI stream pair. */
export class FakeAsterisk {
  /** Bytes to the script (give this to the code under test). */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes from the script (give this to the code under test). */
  readonly writable: WritableStream<Uint8Array>;
  /** Every chunk the script wrote, as written. */
  readonly writes: Uint8Array[] = [];
  /** Whether the script closed its writable. */
  writableClosed = false;
  /** Whether the script cancelled its readable. */
  readableCancelled = false;
  /**
   * Receives each complete line the script writes (without LF); when unset,
   * lines queue up for {@linkcode nextLine}.
   */
  onLine: ((line: string) => void) | undefined;
  /** Makes the next write fail with this error. */
  failWrites: Error | undefined;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #partial = "";
  readonly #lines: string[] = [];
  readonly #waiters: Array<(line: string) => void> = [];

  constructor() {
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => {
        this.readableCancelled = true;
        this.#closed = true;
      },
    });
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (this.failWrites !== undefined) throw this.failWrites;
        this.writes.push(chunk.slice());
        const text = this.#partial + decoder.decode(chunk);
        const lines = text.split("\n");
        this.#partial = lines.pop()!;
        for (const line of lines) this.#line(line);
      },
      close: () => {
        this.writableClosed = true;
      },
    });
  }

  /** Sends text or bytes to the script as one chunk. */
  send(data: string | Uint8Array): void {
    if (this.#closed) return;
    this.#controller.enqueue(
      typeof data === "string" ? encoder.encode(data) : data,
    );
  }

  /** Ends the script's input (Asterisk closed the stream). */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller.close();
  }

  /** Errors the script's input (connection reset). */
  fail(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller.error(error);
  }

  /** The next line the script writes, without its LF. */
  nextLine(): Promise<string> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Lines written and not yet taken by {@linkcode nextLine}. */
  get queuedLines(): readonly string[] {
    return this.#lines;
  }

  #line(line: string): void {
    if (this.onLine !== undefined) return this.onLine(line);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(line);
    else this.#lines.push(line);
  }
}

/** An environment block as Asterisk writes it, blank line included. */
export function environmentBlock(values: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    agi_request: "test.ts",
    agi_channel: "PJSIP/alice-00000001",
    agi_language: "en",
    ...values,
  };
  return Object.entries(all).map(([key, value]) => `${key}: ${value}\n`).join(
    "",
  ) + "\n";
}

/** Resolves when `signal` aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}
