// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the decoded text of one AMI packet, handed from the decoder to
 * {@linkcode AmiMessage}, which then splits its fields only when first read.
 *
 * @module
 */

/**
 * The text of one packet: its lines, separated by LF (a CR before the LF is
 * allowed), without the blank line that ended it.
 */
export class AmiRawPacket implements Iterable<readonly [string, string]> {
  /** The packet text. */
  readonly text: string;

  /** @param text The packet text. */
  constructor(text: string) {
    this.text = text;
  }

  /**
   * Yields `[key, value]` per line, split on the first colon with one space
   * dropped (`AmiMessage` does the same lazily; this is for other readers).
   */
  *[Symbol.iterator](): Iterator<readonly [string, string]> {
    const lines = this.text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    for (const raw of lines) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      const colon = line.indexOf(":");
      if (colon === -1) {
        yield ["", line];
        continue;
      }
      const start = line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
      yield [line.slice(0, colon), line.slice(start)];
    }
  }
}
