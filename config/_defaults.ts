// Copyright the @pyst/asterisk authors. MIT license.
// Defaults shared by the parser, the resolver and the file adapter.

/** Longest line Asterisk reads: an 8192-byte buffer less LF and NUL. */
export const MAX_LINE_BYTES = 8190;
/** Asterisk's `MAX_INCLUDE_LEVEL`. */
export const MAX_INCLUDE_DEPTH = 10;
/** How many files one load may read before it is taken for a loop. */
export const MAX_FILES = 10_000;
/** Asterisk's usual `astetcdir`. */
export const CONFIG_DIR = "/etc/asterisk";
/** Largest file the Deno adapter reads. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
