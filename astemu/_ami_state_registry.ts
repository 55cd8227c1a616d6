// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: links each public `AmiEmulator` to its private shared state, so
 * sessions can reach it without it appearing in any public signature.
 *
 * @module
 */

import type { AmiEmulator } from "./ami_emulator.ts";
import type { EmulatorState } from "./_ami_server.ts";

const states = new WeakMap<AmiEmulator, EmulatorState>();

/** Registers an emulator's state. */
export function registerState(
  emulator: AmiEmulator,
  state: EmulatorState,
): void {
  states.set(emulator, state);
}

/**
 * The state of an emulator.
 *
 * @throws {TypeError} If `emulator` is not an `AmiEmulator`.
 */
export function stateOf(emulator: AmiEmulator): EmulatorState {
  const state = states.get(emulator);
  if (state === undefined) {
    throw new TypeError("Cannot use AMI emulator: not an AmiEmulator");
  }
  return state;
}
