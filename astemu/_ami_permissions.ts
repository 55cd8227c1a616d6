// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: AMI permission categories and masks, as `main/manager.c` reads
 * them (`perms[]`, `strings_to_mask`, `get_perm`, `authority_to_str`).
 *
 * @module
 */

/** Category names and bits, in Asterisk's order. */
export const CATEGORIES: readonly (readonly [string, number])[] = [
  ["system", 1 << 0],
  ["call", 1 << 1],
  ["log", 1 << 2],
  ["verbose", 1 << 3],
  ["command", 1 << 4],
  ["agent", 1 << 5],
  ["user", 1 << 6],
  ["config", 1 << 7],
  ["dtmf", 1 << 8],
  ["reporting", 1 << 9],
  ["cdr", 1 << 10],
  ["dialplan", 1 << 11],
  ["originate", 1 << 12],
  ["agi", 1 << 13],
  ["cc", 1 << 14],
  ["aoc", 1 << 15],
  ["test", 1 << 16],
  ["security", 1 << 17],
  ["message", 1 << 18],
];

/** Every category bit (Asterisk's `all`). */
export const ALL = 0x7fffffff;

const TRUE = /^(?:yes|true|y|t|1|on)$/i;
const FALSE = /^(?:no|false|n|f|0|off)$/i;

/**
 * `get_perm`: the bits of the categories named in a comma-separated list
 * (exact, case-sensitive names; `all` sets every bit; unknown names are
 * ignored).
 */
export function namesToMask(list: string): number {
  let mask = 0;
  for (const name of list.split(",")) {
    const trimmed = name.trim();
    if (trimmed === "all") mask |= ALL;
    for (const [label, bit] of CATEGORIES) if (label === trimmed) mask |= bit;
  }
  return mask;
}

/**
 * `strings_to_mask`: an `Events:`/`EventMask:` value as a mask; -1 for an
 * empty value (meaning "unchanged").
 */
export function eventsToMask(value: string): number {
  if (value === "") return -1;
  if (/^[0-9]+$/.test(value)) return Number.parseInt(value, 10) | 0;
  if (FALSE.test(value)) return 0;
  if (TRUE.test(value)) return ALL;
  return namesToMask(value);
}

/**
 * `authority_to_str` for an event's `Privilege:` line: the category names
 * set in `mask`, comma-joined, then `all`; `<none>` when empty.
 */
export function privilegeOf(mask: number): string {
  const names = CATEGORIES.filter(([, bit]) => (mask & bit) !== 0).map((
    [name],
  ) => name);
  if (names.length === 0) return "<none>";
  names.push("all");
  return names.join(",");
}

/** The category bits of a `Privilege:` value such as `call,all`. */
export function privilegeToMask(privilege: string): number {
  let mask = 0;
  for (const name of privilege.split(",")) {
    const trimmed = name.trim().toLowerCase();
    for (const [label, bit] of CATEGORIES) if (label === trimmed) mask |= bit;
  }
  return mask;
}
