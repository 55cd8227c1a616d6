// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Read Asterisk `.conf` files exactly as Asterisk does, and edit them
 * without losing a byte.
 *
 * - {@linkcode readConfigFile} (Deno, `--allow-read` on the config
 *   directory) and {@linkcode loadConfig} (any file system) load a file
 *   the way `ast_config_load2` does: `#include`/`#tryinclude` with globs and
 *   braces resolved against the config directory, templates `(!)`,
 *   inheritance `(a,b)` copied at declaration time, appends `(+)` and
 *   `(+name=value)`, `+=`, duplicate sections and keys kept, the 10-level
 *   include limit, `#exec` only when asked for. {@linkcode resolveConfig}
 *   does the same for text in memory.
 * - The {@linkcode ResolvedConfig} answers lookups like Asterisk modules
 *   (case-insensitive, last value wins) and formats the AMI answers:
 *   {@linkcode getConfigFields}, {@linkcode formatGetConfigJson} (exact
 *   text, repeated keys repeated) and {@linkcode toGetConfigObject}.
 * - {@linkcode parseConfig} gives a lossless {@linkcode ConfigDocument}:
 *   every line, comment and line break kept; edits change only the lines
 *   they touch, and {@linkcode stringifyConfig} writes it back.
 * - Files Asterisk would reject raise {@linkcode ConfigSyntaxError} with
 *   file, line and column; what Asterisk only logs comes back as
 *   `warnings`; {@linkcode lintConfig} adds duplicate sections.
 * - `config/main.ts` is a CLI (`dump`, `lint`) built on
 *   {@linkcode runConfigCli}.
 *
 * @example Reading a file and looking up a value
 * ```ts
 * import { readConfigFile } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * // Usually: await readConfigFile("pjsip.conf") with --allow-read=/etc/asterisk
 * const config = await readConfigFile("oracle-sample.conf", {
 *   configDir: "tests/fixtures/config",
 * });
 * assert.equal(config.get("alice", "secret"), "alicepw");
 * assert.deepEqual(config.getAll("bob", "allow"), ["ulaw", "alaw", "gsm"]);
 * assert.deepEqual(config.names(), ["general", "alice", "bob", "multi", "last"]);
 * ```
 *
 * @example Editing one line and writing the file back
 * ```ts
 * import { parseConfig } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const text = "[6001]\ntype = endpoint\ncontext = internal   ; default\n\n[6001]\ntype = auth\npassword = old\n";
 * const doc = parseConfig(text, { file: "pjsip.conf" });
 * doc.set("6001", { password: "n3w" }, { where: { type: "auth" } });
 * assert.equal(doc.toString(), text.replace("password = old", "password = n3w"));
 * ```
 *
 * @module
 */

export {
  ConfigAccessError,
  type ConfigAccessErrorOptions,
  ConfigNotFoundError,
  type ConfigNotFoundErrorOptions,
  ConfigSyntaxError,
  type ConfigSyntaxErrorCode,
  type ConfigSyntaxErrorOptions,
} from "./errors.ts";
export { parseConfig, type ParseConfigOptions } from "./parse_config.ts";
export {
  type ConfigAddSectionOptions,
  type ConfigBlankLine,
  type ConfigCommentLine,
  type ConfigDirectiveLine,
  ConfigDocument,
  type ConfigDocumentOptions,
  type ConfigEditOptions,
  type ConfigItemLine,
  type ConfigLine,
  type ConfigLineBase,
  type ConfigLineProblem,
  type ConfigMalformedLine,
  type ConfigOperator,
  type ConfigRemoveOptions,
  type ConfigRemoveSectionOptions,
  type ConfigSectionLine,
  type ConfigWhereOptions,
} from "./config_document.ts";
export {
  type ConfigItemOptions,
  type ConfigRemoveItemOptions,
  ConfigSection,
} from "./config_section.ts";
export { stringifyConfig } from "./stringify_config.ts";
export {
  type ConfigDirEntry,
  type ConfigExecResult,
  type ConfigExecRunner,
  type ConfigHost,
  resolveConfig,
  type ResolveConfigOptions,
} from "./resolve_config.ts";
export { resolveConfigSync } from "./resolve_config_sync.ts";
export { loadConfig } from "./load_config.ts";
export {
  readConfigFile,
  type ReadConfigFileOptions,
} from "./read_config_file.ts";
export {
  type ConfigWarning,
  type ConfigWarningCode,
  ResolvedConfig,
  type ResolvedConfigInit,
} from "./resolved_config.ts";
export {
  ConfigCategory,
  type ConfigCategoryInit,
  type ConfigVariable,
} from "./config_category.ts";
export { getConfigFields, type GetConfigOptions } from "./get_config_fields.ts";
export { formatGetConfigJson } from "./format_get_config_json.ts";
export {
  type GetConfigCategoryObject,
  type GetConfigObject,
  type GetConfigValue,
  toGetConfigObject,
} from "./to_get_config_object.ts";
export { parseGetConfigJson } from "./parse_get_config_json.ts";
export { lintConfig } from "./lint_config.ts";
export {
  CONFIG_CLI_USAGE,
  type ConfigCliIo,
  type ConfigCliPermission,
  runConfigCli,
} from "./run_config_cli.ts";
