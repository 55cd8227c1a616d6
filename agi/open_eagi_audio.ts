// Copyright the @pyst/asterisk authors. MIT license.

/** Options of {@linkcode openEagiAudio}. */
export interface OpenEagiAudioOptions {
  /**
   * Where the audio is read from. Asterisk's EAGI() hands the script the
   * audio pipe as file descriptor 3; tests may point this elsewhere.
   *
   * @default {"/dev/fd/3"}
   */
  path?: string;
  /**
   * Size of the buffers the stream fills (and of the chunks it yields when
   * read without a BYOB reader). Asterisk writes one voice frame at a time
   * (320 bytes for 20 ms of 8 kHz `slin`).
   *
   * @default {4096}
   */
  chunkSize?: number;
}

/** What {@linkcode openEagiAudio} needs to know about the session. */
export interface EagiEnvironment {
  /** `agi_enhanced` read as a boolean: `true` for `1.0` (EAGI). */
  readonly enhanced: boolean;
}

/**
 * The inbound audio of an AGI script started by Asterisk's `EAGI()`
 * application, as a byte stream read from file descriptor 3.
 *
 * The audio is raw 16-bit signed linear PCM at 8 kHz in host byte order, or
 * the format named by the channel variable `EAGI_AUDIO_FORMAT`. Asterisk
 * writes it without blocking and drops frames the script does not read in
 * time, so read it steadily (or cancel the stream) while the call runs.
 *
 * The descriptor is opened lazily, on the first read, so a script that never
 * reads audio needs no permission at all. Reading needs
 * `--allow-read=/dev/fd/3` (Deno checks the path as given); without it the
 * stream errors with `Deno.errors.NotCapable` naming that flag. Cancelling
 * the stream closes the descriptor. Only stdio scripts get audio: Asterisk
 * refuses EAGI over FastAGI and AsyncAGI.
 *
 * @param env The session's environment (`session.env`), whose `enhanced`
 * field tells whether the audio pipe exists.
 * @param options Where to read from and in what chunk size.
 * @returns A byte stream (BYOB readers welcome) of the caller's audio.
 * @throws {TypeError} When `env.enhanced` is false (the script was started by
 * `AGI()`, so file descriptor 3 is closed) or `chunkSize` is not a positive
 * integer.
 *
 * @example Checking for audio before reading it
 * ```ts
 * import { openEagiAudio } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * // Started by AGI(), not EAGI(): there is no audio to read.
 * assert.throws(() => openEagiAudio({ enhanced: false }), TypeError);
 *
 * // Started by EAGI(): nothing is opened until the first read.
 * const audio = openEagiAudio({ enhanced: true });
 * await audio.cancel();
 * ```
 */
export function openEagiAudio(
  env: EagiEnvironment,
  options: OpenEagiAudioOptions = {},
): ReadableStream<Uint8Array> {
  const path = options.path ?? "/dev/fd/3";
  const chunkSize = options.chunkSize ?? 4096;
  if (!env.enhanced) {
    throw new TypeError(
      'Cannot open EAGI audio: the script was not started by EAGI() ("agi_enhanced" is not "1.0")',
    );
  }
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new TypeError(
      `Cannot open EAGI audio: chunkSize must be a positive integer, got ${chunkSize}`,
    );
  }
  let file: Deno.FsFile | undefined;
  let closed = false;
  const close = () => {
    closed = true;
    if (file === undefined) return;
    try {
      file.close();
    } catch {
      // Already closed.
    }
    file = undefined;
  };
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: chunkSize,
    async pull(controller) {
      file ??= await openAudio(path);
      if (closed) {
        close();
        return;
      }
      const request = controller.byobRequest!;
      const view = request.view!;
      let count: number | null;
      try {
        count = await file.read(
          new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
        );
      } catch (error) {
        close();
        throw error;
      }
      if (count === null) {
        close();
        controller.close();
        request.respond(0);
        return;
      }
      request.respond(count);
    },
    cancel() {
      close();
    },
  });
}

async function openAudio(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new Deno.errors.NotCapable(
        `Cannot open EAGI audio: read access to ${
          JSON.stringify(path)
        } is not granted: run with --allow-read=${path}`,
        { cause: error },
      );
    }
    throw error;
  }
}
