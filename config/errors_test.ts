// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import {
  ConfigAccessError,
  ConfigNotFoundError,
  ConfigSyntaxError,
} from "./mod.ts";

const opts = { permissions: "none" } as const;

Deno.test("config errors set name, keep evidence and cause", opts, () => {
  const cause = new Error("root");
  const syntax = new ConfigSyntaxError('Cannot load config "a": bad', {
    code: "missing-paren",
    file: "a",
    line: 2,
    column: 5,
    text: "[x](",
    cause,
  });
  assert.ok(syntax instanceof SyntaxError);
  assert.deepEqual(
    [
      syntax.name,
      syntax.code,
      syntax.file,
      syntax.line,
      syntax.column,
      syntax.text,
      syntax.cause,
    ],
    ["ConfigSyntaxError", "missing-paren", "a", 2, 5, "[x](", cause],
  );
  const missing = new ConfigNotFoundError("m", { path: "/p", cause });
  assert.deepEqual([missing.name, missing.path, missing.cause], [
    "ConfigNotFoundError",
    "/p",
    cause,
  ]);
  const access = new ConfigAccessError("m", {
    path: "../x",
    configDir: "/etc/asterisk",
  });
  assert.deepEqual(
    [access.name, access.path, access.configDir, access.file, access.line],
    ["ConfigAccessError", "../x", "/etc/asterisk", undefined, undefined],
  );
});
