// Copyright the @pyst/asterisk authors. MIT license.
// The Deno side of reading config files: a `ConfigHost` on the real file
// system (with a size cap and a symlink check) and an `#exec` runner that
// goes through `sh -c`, as Asterisk's `popen` does.

import { LimitExceededError } from "../errors.ts";
import { ConfigAccessError } from "./errors.ts";
import type {
  ConfigDirEntry,
  ConfigExecResult,
  ConfigHost,
} from "./resolve_config.ts";
import { joinPath } from "./_glob.ts";
import { quote } from "./_text.ts";

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.NotADirectory;
}

function trimDir(dir: string): string {
  let out = dir;
  while (out.length > 1 && out.endsWith("/")) out = out.slice(0, -1);
  return out;
}

function isInside(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(dir + "/");
}

async function readCapped(
  stream: ReadableStream<Uint8Array>,
  max: number,
  limit: string,
  what: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel();
        throw new LimitExceededError(
          limit,
          max,
          `Cannot read ${what}: larger than ${max} bytes`,
        );
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Settings of {@linkcode denoConfigHost}. */
export interface DenoHostSettings {
  configDir: string;
  allowOutsideConfigDir: boolean;
  maxFileBytes: number;
}

/** A `ConfigHost` on Deno's file system. */
export function denoConfigHost(settings: DenoHostSettings): ConfigHost {
  const dir = trimDir(settings.configDir);
  let realDir: Promise<string | undefined> | undefined;
  const realConfigDir = () =>
    realDir ??= Deno.realPath(dir).then(
      (real) => real,
      (error) => {
        if (isMissing(error)) return undefined;
        throw error;
      },
    );
  return {
    async readFile(path: string): Promise<string | undefined> {
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(path);
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      if (!info.isFile) return undefined;
      if (!settings.allowOutsideConfigDir && isInside(path, dir)) {
        // A symbolic link under the config directory must not lead out of it.
        const [real, base] = await Promise.all([
          Deno.realPath(path),
          realConfigDir(),
        ]);
        if (base !== undefined && !isInside(real, base)) {
          throw new ConfigAccessError(
            `Cannot read ${
              quote(path)
            }: it links outside the config directory ${
              quote(settings.configDir)
            }`,
            { path, configDir: settings.configDir },
          );
        }
      }
      if (info.size > settings.maxFileBytes) {
        throw new LimitExceededError(
          "maxFileBytes",
          settings.maxFileBytes,
          `Cannot read ${
            quote(path)
          }: larger than ${settings.maxFileBytes} bytes`,
        );
      }
      const file = await Deno.open(path);
      const bytes = await readCapped(
        file.readable,
        settings.maxFileBytes,
        "maxFileBytes",
        quote(path),
      );
      return decoder.decode(bytes);
    },

    async readDir(path: string): Promise<ConfigDirEntry[] | undefined> {
      const entries: ConfigDirEntry[] = [];
      try {
        for await (const entry of Deno.readDir(path)) {
          let isFile = entry.isFile;
          let isDirectory = entry.isDirectory;
          if (entry.isSymlink) {
            try {
              const target = await Deno.stat(joinPath(path, entry.name));
              isFile = target.isFile;
              isDirectory = target.isDirectory;
            } catch (error) {
              if (!isMissing(error)) throw error;
            }
          }
          entries.push({ name: entry.name, isFile, isDirectory });
        }
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      return entries;
    },
  };
}

/** Runs `command` with `sh -c`, as Asterisk's `popen` does. */
export async function runShell(
  command: string,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<ConfigExecResult> {
  const child = new Deno.Command("sh", {
    args: ["-c", command],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(signal === undefined ? {} : { signal }),
  }).spawn();
  const what = `the output of #exec ${quote(command)}`;
  const [stdout, stderr] = await Promise.allSettled([
    readCapped(child.stdout, maxBytes, "maxFileBytes", what),
    readCapped(child.stderr, maxBytes, "maxFileBytes", what),
  ]);
  if (stdout.status === "rejected" || stderr.status === "rejected") {
    try {
      child.kill();
    } catch {
      // Already gone.
    }
    await child.status;
    throw stdout.status === "rejected"
      ? stdout.reason
      : (stderr as PromiseRejectedResult).reason;
  }
  const status = await child.status;
  return {
    stdout: decoder.decode(stdout.value),
    stderr: decoder.decode(stderr.value),
    code: status.code,
  };
}
