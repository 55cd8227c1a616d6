// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: what every `pyst` subcommand does its I/O through, and the
 * failure a subcommand reports instead of printing and exiting itself.
 *
 * @module
 */

/** The I/O of one `pyst` run, with every default filled in. */
export interface CliIo {
  /** Writes to standard output. */
  write(text: string): Promise<void>;
  /** Writes to standard error. */
  error(text: string): Promise<void>;
  /** Tells whether a permission is granted, without prompting. */
  queryPermission(
    descriptor: Deno.PermissionDescriptor,
  ): Promise<Deno.PermissionState>;
  /** Reads an environment variable; called only once its permission is granted. */
  getEnv(name: string): string | undefined;
  /** Aborted when the run should stop (Ctrl-C). */
  readonly signal: AbortSignal;
}

/**
 * A subcommand failed in a way it has already explained: the message goes
 * to stderr and the run ends with `status` (1 for a failed operation, 2 for
 * a usage or permission problem).
 */
export class CliFailure extends Error {
  /** The exit status. */
  readonly status: number;

  /**
   * Creates a failure.
   *
   * @param message The explanation, sentence case, no final period.
   * @param status The exit status.
   * @param options An optional `cause`.
   */
  constructor(message: string, status = 1, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "CliFailure";
    this.status = status;
  }
}
