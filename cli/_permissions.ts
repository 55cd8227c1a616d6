// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: permission checks that name the exact `--allow-…` flag to add.
 *
 * @module
 */
import { CliFailure, type CliIo } from "./_io.ts";

/**
 * The flag that grants one permission, e.g. `--allow-net=127.0.0.1:5038`.
 *
 * @param descriptor The permission.
 * @returns The flag.
 */
export function flagFor(descriptor: Deno.PermissionDescriptor): string {
  const [kind, value] = describe(descriptor);
  return value === undefined ? `--allow-${kind}` : `--allow-${kind}=${value}`;
}

function describe(
  descriptor: Deno.PermissionDescriptor,
): [string, string | undefined] {
  switch (descriptor.name) {
    case "net":
      return ["net", descriptor.host];
    case "env":
      return ["env", descriptor.variable];
    case "read":
    case "write":
      return [
        descriptor.name,
        descriptor.path === undefined ? undefined : String(descriptor.path),
      ];
    case "run":
      return [
        "run",
        descriptor.command === undefined
          ? undefined
          : String(descriptor.command),
      ];
    case "sys":
      return ["sys", descriptor.kind];
    case "ffi":
      return [
        "ffi",
        descriptor.path === undefined ? undefined : String(descriptor.path),
      ];
    case "import":
      return ["import", descriptor.host];
  }
}

/**
 * The flags for the permissions that are not granted, one flag per kind
 * with the values comma-joined (`--allow-env=A,B`).
 *
 * @param io Where to query.
 * @param descriptors The permissions needed.
 * @returns The flags to add; empty when everything is granted.
 */
export async function missingFlags(
  io: CliIo,
  descriptors: readonly Deno.PermissionDescriptor[],
): Promise<string[]> {
  const byKind = new Map<string, (string | undefined)[]>();
  for (const descriptor of descriptors) {
    if ((await io.queryPermission(descriptor)) === "granted") continue;
    const [kind, value] = describe(descriptor);
    const values = byKind.get(kind) ?? [];
    if (!values.includes(value)) values.push(value);
    byKind.set(kind, values);
  }
  return [...byKind].map(([kind, values]) =>
    values.includes(undefined)
      ? `--allow-${kind}`
      : `--allow-${kind}=${values.join(",")}`
  );
}

/**
 * Fails (status 2) unless every permission is granted, naming the flags.
 *
 * @param io Where to query.
 * @param what The operation, e.g. `Cannot connect to AMI at "pbx:5038"`.
 * @param descriptors The permissions needed.
 * @throws {CliFailure} If one is missing.
 */
export async function requirePermissions(
  io: CliIo,
  what: string,
  descriptors: readonly Deno.PermissionDescriptor[],
): Promise<void> {
  const flags = await missingFlags(io, descriptors);
  if (flags.length > 0) {
    throw new CliFailure(
      `${what}: permission missing, run with ${flags.join(" ")}`,
      2,
    );
  }
}
