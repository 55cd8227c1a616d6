// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { parseConfig, stringifyConfig } from "./mod.ts";

const opts = { permissions: "none" } as const;

Deno.test("stringifyConfig equals toString and keeps a BOM", opts, () => {
  const doc = parseConfig("\ufeff[a]\r\nk=1\r\n");
  assert.equal(stringifyConfig(doc), "\ufeff[a]\r\nk=1\r\n");
  doc.remove("a", "k");
  assert.equal(stringifyConfig(doc), doc.toString());
  assert.equal(stringifyConfig(doc), "\ufeff[a]\r\n");
});
