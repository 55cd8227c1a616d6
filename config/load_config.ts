// Copyright the @pyst/asterisk authors. MIT license.

import type { ResolvedConfig } from "./resolved_config.ts";
import type { ResolveConfigOptions } from "./resolve_config.ts";
import { runAsync, settingsOf } from "./_driver.ts";

/**
 * Loads a config file by name the way `ast_config_load2` does, with all
 * reading done by `options.host`: a relative name is joined to the config
 * directory, globs and braces are expanded, and every include follows the
 * same rules. {@linkcode readConfigFile} is this with Deno's file system.
 *
 * @param path The file name, relative to the config directory, or absolute.
 * @param options The host (required to read anything), the config directory, limits.
 * @returns The resolved configuration, with Asterisk's warnings.
 * @throws {ConfigNotFoundError} If no file matches `path`.
 * @throws {ConfigSyntaxError} If Asterisk would reject the file.
 * @throws {ConfigAccessError} If an include leaves the config directory.
 * @throws {LimitExceededError} If more than `maxFiles` files are read.
 *
 * @example Loading from an in-memory file system
 * ```ts
 * import { loadConfig } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const files = new Map([
 *   ["/pbx/pjsip.conf", "#include pjsip.d/*.conf\n"],
 *   ["/pbx/pjsip.d/a.conf", "[a]\ntype = aor\n"],
 *   ["/pbx/pjsip.d/b.conf", "[b]\ntype = aor\n"],
 * ]);
 * const config = await loadConfig("pjsip.conf", {
 *   configDir: "/pbx",
 *   host: {
 *     readFile: (path) => files.get(path),
 *     readDir: (dir) =>
 *       [...files.keys()].filter((path) => path.startsWith(dir + "/"))
 *         .map((path) => ({ name: path.slice(dir.length + 1), isFile: true, isDirectory: false })),
 *   },
 * });
 * assert.deepEqual(config.names(), ["a", "b"]);
 * ```
 */
export function loadConfig(
  path: string,
  options: ResolveConfigOptions,
): Promise<ResolvedConfig> {
  try {
    return runAsync(
      { kind: "path", path },
      settingsOf(options),
      options.host,
      options,
    );
  } catch (error) {
    return Promise.reject(error);
  }
}
