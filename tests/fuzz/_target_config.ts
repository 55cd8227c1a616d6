// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Fuzz target: the config parser and resolver, fed mutated fixture files
 * (includes mutated too) through an in-memory host.
 *
 * Oracles: `parseConfig` never throws and gives back the exact text; the
 * resolver throws only its documented errors; without
 * `allowOutsideConfigDir` the host is never asked for a path outside the
 * config directory; `#exec` runs only when a runner is given; the
 * GetConfigJSON text Asterisk would send parses back to the same object.
 *
 * @module
 */

import { LimitExceededError } from "../../errors.ts";
import { ConfigAccessError, ConfigSyntaxError } from "../../config/errors.ts";
import { formatGetConfigJson } from "../../config/format_get_config_json.ts";
import { getConfigFields } from "../../config/get_config_fields.ts";
import { lintConfig } from "../../config/lint_config.ts";
import { parseConfig } from "../../config/parse_config.ts";
import { parseGetConfigJson } from "../../config/parse_get_config_json.ts";
import type {
  ConfigDirEntry,
  ResolveConfigOptions,
} from "../../config/resolve_config.ts";
import { resolveConfigSync } from "../../config/resolve_config_sync.ts";
import { toGetConfigObject } from "../../config/to_get_config_object.ts";
import { loadCorpus } from "./_corpus.ts";
import {
  expectDocumented,
  type FuzzCase,
  FuzzFinding,
  type FuzzTarget,
} from "./_harness.ts";
import { mutate, randomInput } from "./_mutate.ts";

const CONFIG_DIR = "/cfg";
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Whether `path` lies inside `CONFIG_DIR`, with no `..` segment. */
function inside(path: string): boolean {
  return path.startsWith(CONFIG_DIR + "/") &&
    !path.split("/").includes("..");
}

/** The config parser/resolver target. */
export function configTarget(options: { maxBytes: number }): FuzzTarget {
  return {
    name: "config",
    run({ rng, record }: FuzzCase): string {
      const corpus = loadCorpus();
      const names = [...corpus.config.keys()];
      const texts = names.map((name) =>
        encoder.encode(corpus.config.get(name)!)
      );
      const top = rng.chance(0.1)
        ? decoder.decode(randomInput(rng, Math.min(options.maxBytes, 4096)))
        : decoder.decode(
          mutate(rng, rng.pick(texts), {
            corpus: texts,
            maxBytes: options.maxBytes,
          }),
        );
      record("top", top);
      // Lossless parse: the document gives back the exact text.
      const maxLineBytes = rng.chance(0.2) ? rng.range(1, 200) : undefined;
      let doc;
      try {
        doc = parseConfig(
          top,
          maxLineBytes === undefined ? {} : { maxLineBytes },
        );
      } catch (error) {
        throw new FuzzFinding(
          `parseConfig threw: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (doc.toString() !== top) {
        throw new FuzzFinding("parseConfig(text).toString() differs from text");
      }
      // Included files: the fixtures, some mutated.
      const files = new Map<string, string>();
      for (const [name, text] of corpus.config) {
        files.set(
          `${CONFIG_DIR}/${name}`,
          rng.chance(0.2)
            ? decoder.decode(
              mutate(rng, encoder.encode(text), { maxBytes: 16_384 }),
            )
            : text,
        );
      }
      files.set("/etc/passwd", "[root]\nsecret = x\n");
      const requested: string[] = [];
      let execs = 0;
      const allowOutside = rng.chance(0.1);
      const withExec = rng.chance(0.2);
      const resolveOptions: ResolveConfigOptions = {
        configDir: CONFIG_DIR,
        allowOutsideConfigDir: allowOutside,
        strict: rng.chance(0.3),
        maxIncludeDepth: rng.chance(0.3) ? rng.range(1, 12) : 10,
        maxFiles: rng.chance(0.3) ? rng.range(1, 50) : 10_000,
        host: {
          readFile(path: string): string | undefined {
            requested.push(path);
            return files.get(path);
          },
          readDir(path: string): readonly ConfigDirEntry[] | undefined {
            requested.push(path + "/");
            const prefix = path.endsWith("/") ? path : path + "/";
            const entries = new Map<string, ConfigDirEntry>();
            for (const file of files.keys()) {
              if (!file.startsWith(prefix)) continue;
              const rest = file.slice(prefix.length);
              const slash = rest.indexOf("/");
              const name = slash === -1 ? rest : rest.slice(0, slash);
              entries.set(name, {
                name,
                isDirectory: slash !== -1,
                isFile: slash === -1,
              });
            }
            return entries.size === 0 ? undefined : [...entries.values()];
          },
        },
      };
      if (maxLineBytes !== undefined) {
        resolveOptions.maxLineBytes = maxLineBytes;
      }
      if (withExec) {
        resolveOptions.exec = (command) => {
          execs++;
          return { stdout: `[exec]\ncommand = ${command.slice(0, 40)}\n` };
        };
      }
      record("options", JSON.stringify({ ...resolveOptions, host: undefined }));
      let outcome = "ok";
      try {
        const config = resolveConfigSync(doc, resolveOptions);
        config.names();
        lintConfig(config);
        getConfigFields(config);
        const json = formatGetConfigJson(config);
        let parsed;
        try {
          parsed = parseGetConfigJson(json);
        } catch (error) {
          // Asterisk does not escape template lists or control characters.
          outcome = "json:" + expectDocumented(
            error,
            [SyntaxError],
            "parseGetConfigJson",
          );
        }
        if (
          parsed !== undefined &&
          JSON.stringify(parsed) !== JSON.stringify(toGetConfigObject(config))
        ) {
          throw new FuzzFinding(
            "parseGetConfigJson(formatGetConfigJson(c)) differs from toGetConfigObject(c)",
          );
        }
        for (const name of config.names().slice(0, 5)) {
          const category = config.category(name);
          if (category === undefined) {
            throw new FuzzFinding(
              `names() lists ${JSON.stringify(name)}, category() misses it`,
            );
          }
        }
      } catch (error) {
        if (error instanceof FuzzFinding) throw error;
        outcome = expectDocumented(
          error,
          [ConfigSyntaxError, ConfigAccessError, LimitExceededError],
          "resolveConfigSync",
        );
      }
      if (!allowOutside) {
        const escaped = requested.find((path) => !inside(path));
        if (escaped !== undefined) {
          throw new FuzzFinding(
            `The host was asked for ${
              JSON.stringify(escaped)
            }, outside the config directory`,
          );
        }
      }
      if (!withExec && execs > 0) {
        throw new FuzzFinding("#exec ran without a runner");
      }
      return outcome;
    },
  };
}
