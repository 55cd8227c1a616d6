// Copyright the @pyst/asterisk authors. MIT license.
import { LineSplitter, type LineSplitterOptions } from "./line_splitter.ts";

/** Options of {@linkcode LineSplitterStream}. */
export interface LineSplitterStreamOptions {
  /**
   * Longest accepted line in bytes, without its line ending; a longer line
   * errors the stream with a `LimitExceededError`.
   *
   * @default {65536}
   */
  maxLineBytes?: number;
  /**
   * Whether an unterminated last line is emitted when the input ends.
   *
   * @default {true}
   */
  emitUnterminated?: boolean;
}

/**
 * Splits a byte stream into UTF-8 lines on LF or CRLF (see
 * {@linkcode LineSplitter}).
 */
export class LineSplitterStream extends TransformStream<Uint8Array, string> {
  /** @param options Limits and end-of-input behaviour. */
  constructor(options: LineSplitterStreamOptions = {}) {
    let splitter: LineSplitter;
    const splitterOptions: LineSplitterOptions = {};
    if (options.maxLineBytes !== undefined) {
      splitterOptions.maxLineBytes = options.maxLineBytes;
    }
    const emitUnterminated = options.emitUnterminated ?? true;
    super({
      start(controller) {
        splitter = new LineSplitter(
          (line) => controller.enqueue(line),
          splitterOptions,
        );
      },
      transform(chunk) {
        splitter.push(chunk);
      },
      flush(controller) {
        const rest = splitter.flush();
        if (rest !== undefined && emitUnterminated) controller.enqueue(rest);
      },
    });
  }
}
