// Copyright the @pyst/asterisk authors. MIT license.
// Runs the resolver generator against a host, synchronously or not.

import type { ConfigDocument } from "./config_document.ts";
import type { ResolvedConfig } from "./resolved_config.ts";
import type { ConfigHost, ResolveConfigOptions } from "./resolve_config.ts";
import {
  type IoReply,
  type IoRequest,
  resolve,
  type ResolverInput,
  type ResolverSettings,
} from "./_resolver.ts";
import { documentStates } from "./_document_model.ts";
import {
  CONFIG_DIR,
  MAX_FILES,
  MAX_INCLUDE_DEPTH,
  MAX_LINE_BYTES,
} from "./_defaults.ts";

/** Reads the settings out of the public options, checking them. */
export function settingsOf(options: ResolveConfigOptions): ResolverSettings {
  const positive = (
    name: string,
    value: number | undefined,
    fallback: number,
  ) => {
    const n = value ?? fallback;
    if (!Number.isInteger(n) || n < 1) {
      throw new TypeError(
        `Cannot resolve config: ${name} must be a positive integer, got ${n}`,
      );
    }
    return n;
  };
  return {
    configDir: options.configDir ?? CONFIG_DIR,
    maxLineBytes: positive(
      "maxLineBytes",
      options.maxLineBytes,
      MAX_LINE_BYTES,
    ),
    maxIncludeDepth: positive(
      "maxIncludeDepth",
      options.maxIncludeDepth,
      MAX_INCLUDE_DEPTH,
    ),
    maxFiles: positive("maxFiles", options.maxFiles, MAX_FILES),
    allowOutsideConfigDir: options.allowOutsideConfigDir ?? false,
    strict: options.strict ?? false,
    exec: options.exec !== undefined,
  };
}

/** The resolver input for a text or a document. */
export function inputOf(
  source: string | ConfigDocument,
  options: ResolveConfigOptions,
): ResolverInput {
  if (typeof source === "string") {
    return { kind: "text", text: source, file: options.file ?? "<string>" };
  }
  const state = documentStates.get(source);
  if (state === undefined) {
    throw new TypeError("Cannot resolve config: not a ConfigDocument");
  }
  return {
    kind: "lines",
    lines: state.lines(),
    file: options.file ?? state.file,
  };
}

function perform(
  request: IoRequest,
  host: ConfigHost | undefined,
  options: ResolveConfigOptions,
): unknown {
  switch (request.op) {
    case "read":
      return host === undefined ? undefined : host.readFile(request.path);
    case "list":
      return host?.readDir === undefined
        ? undefined
        : host.readDir(request.path);
    case "exec":
      return options.exec!(request.command);
  }
}

function check(request: IoRequest, value: unknown): unknown {
  if (
    request.op === "read" && value !== undefined && typeof value !== "string"
  ) {
    throw new TypeError(
      `Cannot read ${
        JSON.stringify(request.path)
      }: readFile returned ${typeof value}, not a string or undefined`,
    );
  }
  if (request.op === "exec") {
    const out = value as { stdout?: unknown } | null;
    if (
      out === null || typeof out !== "object" || typeof out.stdout !== "string"
    ) {
      throw new TypeError(
        "Cannot run #exec: the runner did not return { stdout: string }",
      );
    }
  }
  return value;
}

/** Runs a resolution with a host whose calls may return promises. */
export async function runAsync(
  input: ResolverInput,
  settings: ResolverSettings,
  host: ConfigHost | undefined,
  options: ResolveConfigOptions,
): Promise<ResolvedConfig> {
  const generator = resolve(input, settings);
  let step = generator.next();
  while (!step.done) {
    let reply: IoReply;
    try {
      reply = {
        ok: true,
        value: check(step.value, await perform(step.value, host, options)),
      };
    } catch (error) {
      reply = { ok: false, error };
    }
    step = generator.next(reply);
  }
  return step.value;
}

/** Runs a resolution with a synchronous host. */
export function runSync(
  input: ResolverInput,
  settings: ResolverSettings,
  host: ConfigHost | undefined,
  options: ResolveConfigOptions,
): ResolvedConfig {
  const generator = resolve(input, settings);
  let step = generator.next();
  while (!step.done) {
    let reply: IoReply | undefined;
    let value: unknown;
    try {
      value = perform(step.value, host, options);
    } catch (error) {
      value = undefined;
      reply = { ok: false, error };
    }
    if (value instanceof Promise) {
      value.catch(() => {});
      generator.return(undefined as never);
      throw new TypeError(
        `Cannot resolve config synchronously: the host returned a Promise for "${step.value.op}"; use resolveConfig`,
      );
    }
    try {
      reply ??= { ok: true, value: check(step.value, value) };
    } catch (error) {
      reply = { ok: false, error };
    }
    step = generator.next(reply);
  }
  return step.value;
}
