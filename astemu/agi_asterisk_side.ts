// Copyright the @pyst/asterisk authors. MIT license.

/** Options of {@linkcode AgiAsteriskSide.serve}. */
export interface AgiAsteriskSideServeOptions {
  /**
   * Delivers SIGHUP to a stdio script; transports without signals leave it
   * out.
   *
   * @default {nothing}
   */
  onSighup?: () => void;
}

/**
 * Something that plays Asterisk's side of an AGI dialogue over a byte
 * stream pair: an {@linkcode AgiEmulator} answering from a channel model, or
 * an {@linkcode AgiTranscriptReplayer} replaying a recording. The
 * transports ({@linkcode runStdioAgiScript}, {@linkcode connectFastAgiServer})
 * take either.
 */
export interface AgiAsteriskSide {
  /**
   * Runs the dialogue until the script closes its side or the AGI ends.
   *
   * @param readable What the script writes.
   * @param writable What the script reads; closed at the end.
   * @param options How to deliver SIGHUP.
   * @returns When the dialogue is over.
   */
  serve(
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    options?: AgiAsteriskSideServeOptions,
  ): Promise<void>;
}
