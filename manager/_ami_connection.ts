// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: one AMI transport as the client holds it (reader, writer, the
 * queue of bytes to write, the decoder, keep-alive state), and helpers for
 * opening and discarding transports.
 *
 * @module
 */
import type { AmiConnection } from "./ami_client.ts";
import type { AmiMessageDecoder } from "./ami_message_decoder.ts";

/** One transport and its reader/writer state. */
export class Connection {
  readonly info: AmiConnection;
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly banner: PromiseWithResolvers<string> = Promise.withResolvers();
  decoder!: AmiMessageDecoder;
  outbox: Uint8Array[] = [];
  /** Bytes in `outbox` plus a write the transport has not finished. */
  queuedBytes = 0;
  flushing = false;
  flushed: Promise<void> = Promise.resolve();
  readLoop: Promise<void> = Promise.resolve();
  /** Set when the connection is being torn down. */
  dead = false;
  /** Set once the loss was processed. */
  lost = false;
  keepAlive: ReturnType<typeof setInterval> | undefined;
  pinging = false;
  bannerSeen = false;
  /** Why the client dropped the connection, if it did. */
  dropReason: unknown;

  constructor(info: AmiConnection) {
    this.info = info;
    this.reader = info.readable.getReader();
    this.writer = info.writable.getWriter();
    this.banner.promise.catch(() => {});
  }
}

/** Joins byte chunks into one. */
export function concat(parts: Uint8Array[]): Uint8Array {
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
 * Settles like `promise`, or rejects with `signal`'s reason once it aborts;
 * a value that arrives after the abort goes to `onLate` (to be released).
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onLate?: (value: T) => void,
): Promise<T> {
  if (signal.aborted) {
    promise.then(onLate, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.then(onLate, () => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) return;
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Releases a transport that arrived after its attempt was abandoned. */
export function closeLate(info: AmiConnection): void {
  try {
    info.readable.cancel().catch(() => {});
    info.writable.abort().catch(() => {});
    info.close?.();
  } catch {
    // Best effort.
  }
}
