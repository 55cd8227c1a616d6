// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: checks of AMI client options and small helpers of the client
 * (ActionID prefix, filter actions, secret masking, listener keys).
 *
 * @module
 */
import { amiActions } from "./ami_actions.ts";
import type { AmiFilter } from "./ami_client.ts";
import type { AmiAction } from "./encode_ami_action.ts";

/**
 * A duration option: `fallback` when absent, else a non-negative number of
 * milliseconds or `Infinity`.
 */
export function checkDuration(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new TypeError(
      `Cannot configure AMI client: ${name} must be a non-negative number of milliseconds or Infinity, got ${value}`,
    );
  }
  return value;
}

/** A count option: `fallback` when absent, else a positive safe integer. */
export function checkCount(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(
      `Cannot configure AMI client: ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

/** Twelve random hex digits, the default ActionID prefix. */
export function randomPrefix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}

/** The `Filter` action that adds `filter`; throws a TypeError if it is malformed. */
export function filterAction(filter: AmiFilter): AmiAction {
  if (typeof filter === "string") {
    if (filter === "") {
      throw new TypeError("Cannot add AMI filter: the filter is empty");
    }
    return { Action: "Filter", Operation: "Add", Filter: filter };
  }
  if (typeof filter !== "object" || filter === null) {
    throw new TypeError(
      "Cannot add AMI filter: expected a string or { filter, matchCriteria }",
    );
  }
  return amiActions.filter({
    ...(filter.filter === undefined ? {} : { Filter: filter.filter }),
    ...(filter.matchCriteria === undefined
      ? {}
      : { MatchCriteria: filter.matchCriteria }),
  });
}

const SECRET_KEYS = new Set(["secret", "key"]);

/** `action` with its secrets (`Secret`, `Key`) masked, for traces. */
export function redact(action: AmiAction): AmiAction {
  let copy: Record<string, AmiAction[string]> | undefined;
  for (const key of Object.keys(action)) {
    if (SECRET_KEYS.has(key.toLowerCase())) {
      copy ??= { ...action };
      copy[key] = "********";
    }
  }
  return (copy as AmiAction | undefined) ?? action;
}

/** The key under which a listener is registered (capture and type). */
export function listenerKey(
  type: string,
  options: boolean | EventListenerOptions | undefined,
): string {
  const capture = typeof options === "boolean"
    ? options
    : options?.capture === true;
  return (capture ? "c:" : "b:") + type;
}

/** An error as one line of text. */
export function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}
