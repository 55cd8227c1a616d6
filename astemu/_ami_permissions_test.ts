// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  ALL,
  eventsToMask,
  namesToMask,
  privilegeOf,
  privilegeToMask,
} from "./_ami_permissions.ts";

Deno.test("eventsToMask reads Events values like strings_to_mask", {
  permissions: "none",
}, () => {
  assert.equal(eventsToMask(""), -1);
  assert.equal(eventsToMask("off"), 0);
  assert.equal(eventsToMask("no"), 0);
  assert.equal(eventsToMask("on"), ALL);
  assert.equal(eventsToMask("YES"), ALL);
  assert.equal(eventsToMask("3"), 3);
  assert.equal(eventsToMask("call,agent"), (1 << 1) | (1 << 5));
  // Names are case-sensitive in Asterisk's get_perm.
  assert.equal(eventsToMask("Call"), 0);
  assert.equal(eventsToMask("all"), ALL);
});

Deno.test("privilegeOf and privilegeToMask round-trip category lists", {
  permissions: "none",
}, () => {
  assert.equal(privilegeOf(namesToMask("call")), "call,all");
  assert.equal(
    privilegeOf(namesToMask("system,security")),
    "system,security,all",
  );
  assert.equal(privilegeOf(0), "<none>");
  assert.equal(privilegeToMask("dialplan,all"), 1 << 11);
  assert.equal(privilegeToMask("Call"), 1 << 1);
  assert.equal(namesToMask("none"), 0);
  assert.equal(namesToMask("bogus,user"), 1 << 6);
});
