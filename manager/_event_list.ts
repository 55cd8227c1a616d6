// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: how an AMI event list starts and ends.
 *
 * Since AMI 2.7.0 (Asterisk 13.2) the ack carries `EventList: start` (some
 * actions write `Start`) and the last event `EventList: Complete`. Older
 * servers omit the flag; there the ack's `Message` says "… will follow" and
 * the last event's name ends in `Complete`.
 *
 * @module
 */

import type { AmiMessage } from "./ami_message.ts";

/** How a reply to a list action opens the list. */
export type ListStart = "explicit" | "heuristic" | "none";

/**
 * Classifies the (successful) reply to a list action.
 *
 * @param reply The response packet.
 * @returns `explicit` for `EventList: start` (any case), `heuristic` for an
 * ack without the flag whose message says "will follow", `none` otherwise
 * (the action produced no list).
 */
export function listStart(reply: AmiMessage): ListStart {
  const flag = reply.get("EventList");
  if (flag !== undefined) {
    return flag.toLowerCase() === "start" ? "explicit" : "none";
  }
  const message = reply.get("Message");
  return message !== undefined && /will follow/i.test(message)
    ? "heuristic"
    : "none";
}

/**
 * Tells whether an event with the list's ActionID ends the list: it has
 * `EventList: Complete` (any case), or it has no `EventList` flag and its
 * name ends in `Complete` (pre-2.7 servers, and `WaitEventComplete`).
 *
 * @param event The event packet.
 * @returns Whether it is the list's last packet.
 */
export function isListEnd(event: AmiMessage): boolean {
  const flag = event.get("EventList");
  if (flag !== undefined) return flag.toLowerCase() === "complete";
  const name = event.event;
  return name !== undefined && name.length > 8 &&
    name.slice(-8).toLowerCase() === "complete";
}
