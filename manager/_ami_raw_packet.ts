// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the decoded text of one AMI packet, handed from the decoder to
 * {@linkcode AmiMessage} so that fields are split only when first read.
 *
 * @module
 */

/**
 * The text of one packet: its lines, each ending in LF (a CR before the LF is
 * allowed), without the blank line that ended it. Iterating it yields the
 * fields exactly as {@linkcode AmiMessage} stores them.
 */
export class AmiRawPacket implements Iterable<readonly [string, string]> {
  /** The packet text. */
  readonly text: string;

  /** @param text The packet text. */
  constructor(text: string) {
    this.text = text;
  }

  /** Yields `[key, value]` per line, split on the first colon. */
  *[Symbol.iterator](): Iterator<readonly [string, string]> {
    const index = indexFields(this.text);
    const text = this.text;
    for (let i = 0; i < index.length; i += 4) {
      yield [
        text.slice(index[i]!, index[i + 1]!),
        text.slice(index[i + 2]!, index[i + 3]!),
      ];
    }
  }
}

/**
 * Indexes the fields of a packet text: four numbers per line, `keyStart`,
 * `keyEnd`, `valueStart`, `valueEnd`. The key is what precedes the first
 * colon; the value follows it, less exactly one space. A line without a colon
 * has an empty key and the whole line as value. Lines end in LF, with an
 * optional CR before it; a final line without LF counts too.
 */
export function indexFields(text: string): number[] {
  const index: number[] = [];
  const length = text.length;
  let pos = 0;
  let colon = text.indexOf(":");
  while (pos < length) {
    let lf = text.indexOf("\n", pos);
    if (lf === -1) lf = length;
    let end = lf;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    // Remember the next colon so lines without one cost no rescans.
    if (colon !== -1 && colon < pos) colon = text.indexOf(":", pos);
    if (colon !== -1 && colon < end) {
      let valueStart = colon + 1;
      if (valueStart < end && text.charCodeAt(valueStart) === 32) valueStart++;
      index.push(pos, colon, valueStart, end);
    } else {
      index.push(pos, pos, pos, end);
    }
    pos = lf + 1;
  }
  return index;
}
