// Copyright the @pyst/asterisk authors. MIT license.

import type { ConfigDocument } from "./config_document.ts";
import type { ResolvedConfig } from "./resolved_config.ts";
import type { ResolveConfigOptions } from "./resolve_config.ts";
import { inputOf, runSync, settingsOf } from "./_driver.ts";

/**
 * Like {@linkcode resolveConfig}, without a promise: the host (if any) and
 * the exec runner must answer synchronously. Handy for text without
 * includes.
 *
 * @param source The top-level text or document.
 * @param options The config directory, a synchronous host, limits.
 * @returns The resolved configuration, with Asterisk's warnings.
 * @throws {ConfigSyntaxError} If Asterisk would reject the file.
 * @throws {ConfigAccessError} If an include leaves the config directory.
 * @throws {LimitExceededError} If more than `maxFiles` files are read.
 * @throws {TypeError} If the host returns a promise.
 *
 * @example Templates, inheritance and `+=`
 * ```ts
 * import { resolveConfigSync } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const config = resolveConfigSync(`
 * [phone](!)
 * type = friend
 * codecs = ulaw
 * [alice](phone)
 * codecs +=,alaw
 * [bob](phone)
 * codecs += ,gsm
 * `);
 * assert.equal(config.get("alice", "codecs"), "ulaw,alaw");
 * assert.equal(config.get("bob", "codecs"), "ulaw ,gsm"); // text after += is kept as is
 * assert.equal(config.get("phone", "type"), undefined); // templates are hidden
 * assert.deepEqual(config.names(), ["alice", "bob"]);
 * ```
 */
export function resolveConfigSync(
  source: string | ConfigDocument,
  options: ResolveConfigOptions = {},
): ResolvedConfig {
  return runSync(
    inputOf(source, options),
    settingsOf(options),
    options.host,
    options,
  );
}
