// Copyright the @pyst/asterisk authors. MIT license.
import { AmiEmulator, type AmiEmulatorOptions } from "./ami_emulator.ts";

/**
 * Starts an {@linkcode AmiEmulator}, listening on 127.0.0.1 and a free port
 * by default (needs `--allow-net=127.0.0.1`). With `listen: false` it opens
 * no socket and needs no permission; connect with
 * {@linkcode AmiEmulator.connectInMemory}.
 *
 * @param options Users, behaviour, scripts, limits and the address.
 * @returns The running emulator; close it with `await using` or `close()`.
 * @throws {TypeError} On a malformed option.
 * @throws {Deno.errors.NotCapable} Without network permission for the address.
 *
 * @example Logging in over TCP
 * ```ts
 * import { startAmiEmulator } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * await using emulator = await startAmiEmulator();
 * const conn = await Deno.connect({ hostname: emulator.hostname, port: emulator.port });
 * await conn.write(new TextEncoder().encode(
 *   "Action: Login\r\nUsername: admin\r\nSecret: admin\r\nEvents: off\r\n\r\n",
 * ));
 * let text = "";
 * const buffer = new Uint8Array(4096);
 * while (!text.includes("Authentication accepted")) {
 *   const n = await conn.read(buffer);
 *   if (n === null) break;
 *   text += new TextDecoder().decode(buffer.subarray(0, n));
 * }
 * conn.close();
 * assert.ok(text.startsWith("Asterisk Call Manager/13.0.0\r\nResponse: Success\r\n"));
 * ```
 */
export async function startAmiEmulator(
  options: AmiEmulatorOptions = {},
): Promise<AmiEmulator> {
  const emulator = new AmiEmulator(options);
  if (options.listen !== false) {
    const address: { hostname?: string; port?: number } = {};
    if (options.hostname !== undefined) address.hostname = options.hostname;
    if (options.port !== undefined) address.port = options.port;
    try {
      await emulator.listen(address);
    } catch (error) {
      await emulator.close();
      throw error;
    }
  }
  return emulator;
}
