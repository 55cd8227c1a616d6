// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the text of an event mask header.
 *
 * @module
 */

import type { AmiEventMask } from "./ami_actions.ts";

/**
 * Formats an {@linkcode AmiEventMask} as the header text Asterisk reads.
 *
 * @param mask The mask.
 * @returns `on`, `off`, or the comma-joined categories.
 * @throws {TypeError} If a category is empty or holds a comma.
 */
export function formatEventMask(mask: AmiEventMask): string {
  if (mask === true) return "on";
  if (mask === false) return "off";
  if (typeof mask === "string") return mask;
  if (Array.isArray(mask)) {
    for (const category of mask as readonly unknown[]) {
      if (
        typeof category !== "string" || category === "" ||
        category.includes(",")
      ) {
        throw new TypeError(
          `Cannot format AMI event mask: category ${
            JSON.stringify(category)
          } must be a non-empty string without ","`,
        );
      }
    }
    return mask.join(",");
  }
  throw new TypeError(
    "Cannot format AMI event mask: expected a boolean, a string or a list",
  );
}
