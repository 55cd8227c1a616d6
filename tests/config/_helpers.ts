// Copyright the @pyst/asterisk authors. MIT license.
// Helpers shared by the config tests.

import type { ConfigDirEntry, ConfigHost } from "../../config/mod.ts";

/** The directory of the config fixtures, as an absolute path. */
export const FIXTURES: string = decodeURIComponent(
  new URL("../fixtures/config", import.meta.url).pathname,
);

/** The directory of the transcript copies, as an absolute path. */
export const TRANSCRIPTS: string = decodeURIComponent(
  new URL("../fixtures/transcripts", import.meta.url).pathname,
);

/**
 * An in-memory file system: `files` maps absolute paths to contents;
 * directories are implied by the paths. Records every request in `log`.
 */
export function memoryHost(
  files: Record<string, string>,
  log: string[] = [],
): ConfigHost {
  return {
    readFile(path) {
      log.push(`read ${path}`);
      return Object.hasOwn(files, path) ? files[path] : undefined;
    },
    readDir(path) {
      log.push(`list ${path}`);
      const prefix = path.endsWith("/") ? path : path + "/";
      const entries = new Map<string, ConfigDirEntry>();
      for (const key of Object.keys(files)) {
        if (!key.startsWith(prefix)) continue;
        const rest = key.slice(prefix.length);
        const slash = rest.indexOf("/");
        const name = slash < 0 ? rest : rest.slice(0, slash);
        entries.set(name, { name, isFile: slash < 0, isDirectory: slash >= 0 });
      }
      return entries.size === 0 ? undefined : [...entries.values()].reverse();
    },
  };
}

/** An async wrapper around a host, to test the promise path. */
export function asyncHost(host: ConfigHost): ConfigHost {
  return {
    readFile: (path) => Promise.resolve(host.readFile(path)),
    readDir: (path) => Promise.resolve(host.readDir!(path)),
  };
}
