// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Runs astemu's AMI emulator in a Worker (a core of its own, like a real
 * Asterisk) on 127.0.0.1 and posts `{ port }`. User `admin`, secret `admin`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { startAmiEmulator } from "../astemu/start_ami_emulator.ts";

const emulator = await startAmiEmulator({ writeTimeoutMs: 0 });
self.postMessage({ port: emulator.port });
self.onmessage = async () => {
  await emulator.close();
  self.postMessage({ closed: true });
};
