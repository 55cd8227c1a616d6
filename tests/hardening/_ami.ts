// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: an AmiClient logged in to an in-memory AMI emulator session,
 * with its lifecycle `error` and `warning` events collected.
 *
 * @module
 */

import type { AmiEmulator } from "../../astemu/ami_emulator.ts";
import type { AmiEmulatorSession } from "../../astemu/ami_emulator_session.ts";
import { AmiClient, type AmiClientOptions } from "../../manager/ami_client.ts";

/** A connected client, its emulator session and what it reported. */
export interface ConnectedClient {
  readonly client: AmiClient;
  readonly session: AmiEmulatorSession;
  /** Errors dispatched as `error` lifecycle events. */
  readonly errors: unknown[];
  /** Warnings dispatched as `warning` lifecycle events. */
  readonly warnings: string[];
}

/** Connects and logs in a client (as `admin`) to an in-memory session. */
export async function connectClient(
  emulator: AmiEmulator,
  options: AmiClientOptions = {},
): Promise<ConnectedClient> {
  const { readable, writable, session } = emulator.connectInMemory();
  const client = new AmiClient({ readable, writable }, {
    username: "admin",
    secret: "admin",
    ...options,
  });
  const errors: unknown[] = [];
  const warnings: string[] = [];
  client.addEventListener("error", (event) => errors.push(event.detail.error));
  client.addEventListener(
    "warning",
    (event) => warnings.push(event.detail.message),
  );
  await client.connect();
  return { client, session, errors, warnings };
}

/** Resolves once `condition()` holds, polling; rejects after `ms`. */
export async function until(
  condition: () => boolean,
  ms = 5000,
  what = "condition",
): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > ms) {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
