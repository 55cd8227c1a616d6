// Copyright the @pyst/asterisk authors. MIT license.
import type { AmiMessage } from "./ami_message.ts";
import {
  AmiMessageDecoder,
  type AmiMessageDecoderOptions,
} from "./ami_message_decoder.ts";

/**
 * Decodes a byte stream from an AMI peer into {@linkcode AmiMessage}s: a
 * `TransformStream` around {@linkcode AmiMessageDecoder}, with the same
 * options and behaviour. A limit error or an input that ends inside a packet
 * errors the stream.
 *
 * @example Decoding a socket's readable side
 * ```ts
 * import { AmiMessageDecoderStream } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode(
 *   "Asterisk Call Manager/13.0.0\r\n" +
 *     "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n",
 * );
 * const decoder = new AmiMessageDecoderStream();
 * const events = await Array.fromAsync(ReadableStream.from([bytes]).pipeThrough(decoder));
 * assert.equal(decoder.version, "13.0.0");
 * assert.equal(events[0]!.event, "FullyBooted");
 * ```
 */
export class AmiMessageDecoderStream
  extends TransformStream<Uint8Array, AmiMessage> {
  readonly #decoder: AmiMessageDecoder;

  /**
   * Creates the stream.
   *
   * @param options Banner handling and limits, as for {@linkcode AmiMessageDecoder}.
   * @throws {TypeError} If a limit is not a positive integer.
   */
  constructor(options: AmiMessageDecoderOptions = {}) {
    let controller: TransformStreamDefaultController<AmiMessage> | undefined;
    const decoder = new AmiMessageDecoder(
      (message) => controller!.enqueue(message),
      options,
    );
    super({
      start(c) {
        controller = c;
      },
      transform(chunk) {
        decoder.push(chunk);
      },
      flush() {
        decoder.end();
      },
    });
    this.#decoder = decoder;
  }

  /** The AMI version from the banner (e.g. `13.0.0`), once it was read. */
  get version(): string | undefined {
    return this.#decoder.version;
  }
}
