// Copyright the @pyst/asterisk authors. MIT license.
/**
 * `@pyst/asterisk`: drive the Asterisk PBX from Deno (and any runtime with
 * Web Streams) — AGI scripts and FastAGI servers, the AMI client, `.conf`
 * parsing, and an emulated Asterisk for tests.
 *
 * The package root exports the error classes every module shares; each area
 * has its own entry point:
 *
 * | import | what |
 * | --- | --- |
 * | `@pyst/asterisk/agi` | AGI scripts (stdio), FastAGI servers, AsyncAGI |
 * | `@pyst/asterisk/manager` | the AMI client |
 * | `@pyst/asterisk/config` | Asterisk `.conf` files, read and edited |
 * | `@pyst/asterisk/astemu` | emulated Asterisk for tests and debugging |
 *
 * @example Catching any exceeded limit
 * ```ts
 * import { LimitExceededError } from "@pyst/asterisk";
 * import assert from "node:assert/strict";
 *
 * const error = new LimitExceededError("maxLineBytes", 1024);
 * assert.ok(error instanceof RangeError);
 * ```
 *
 * @module
 */
export * from "./errors.ts";
