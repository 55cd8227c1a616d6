// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { categoryMatches, strsep } from "./_filter.ts";
import type { ConfigVariable } from "./config_category.ts";

const opts = { permissions: "none" } as const;

function cat(name: string, isTemplate: boolean, vars: [string, string][]) {
  const variables: ConfigVariable[] = vars.map(([n, value]) => ({
    name: n,
    value,
    object: false,
    inherited: false,
    file: "f",
    line: 1,
  }));
  return { name, isTemplate, variables };
}

Deno.test("strsep splits like ast_strsep with AST_STRSEP_STRIP", opts, () => {
  assert.deepEqual([...strsep("a=1, b = 2 ,c", ",")], ["a=1", "b = 2", "c"]);
  assert.deepEqual([...strsep('x="a,b",y', ",")], ['x="a,b"', "y"]);
  assert.deepEqual([...strsep("'q'", ",")], ["q"]);
  assert.deepEqual([...strsep("a\\,b,c", ",")], ["a\\,b", "c"]);
  assert.deepEqual([...strsep("a,", ",")], ["a", ""]);
  assert.deepEqual([...strsep("", ",")], [""]);
});

Deno.test("categoryMatches without a filter keeps non-templates", opts, () => {
  assert.equal(categoryMatches(cat("A", false, []), "a", undefined, ","), true);
  assert.equal(
    categoryMatches(cat("A", false, []), "b", undefined, ","),
    false,
  );
  assert.equal(categoryMatches(cat("A", true, []), "a", "", ","), false);
  assert.equal(categoryMatches(cat("A", false, []), "", undefined, ","), true);
});

Deno.test(
  "categoryMatches applies TEMPLATES=include and restrict",
  opts,
  () => {
    const template = cat("t", true, []);
    const plain = cat("p", false, []);
    assert.equal(
      categoryMatches(template, undefined, "TEMPLATES=include", ","),
      true,
    );
    assert.equal(
      categoryMatches(plain, undefined, "TEMPLATES=include", ","),
      true,
    );
    assert.equal(
      categoryMatches(template, undefined, "TEMPLATES=restrict", ","),
      true,
    );
    assert.equal(
      categoryMatches(plain, undefined, "TEMPLATES=restrict", ","),
      false,
    );
    // The keyword is case-sensitive, the value is not.
    assert.equal(
      categoryMatches(template, undefined, "TEMPLATES=INCLUDE", ","),
      true,
    );
    assert.equal(
      categoryMatches(template, undefined, "templates=include", ","),
      false,
    );
  },
);

Deno.test(
  "categoryMatches matches name=value regexes against one variable",
  opts,
  () => {
    const endpoint = cat("6001", false, [["type", "endpoint"], [
      "context",
      "internal",
    ]]);
    assert.equal(
      categoryMatches(endpoint, undefined, "type=endpoint", ","),
      true,
    );
    assert.equal(categoryMatches(endpoint, undefined, "type=^end", ","), true);
    assert.equal(
      categoryMatches(endpoint, undefined, "type=point$,context=int", ","),
      true,
    );
    assert.equal(categoryMatches(endpoint, undefined, "type=aor", ","), false);
    assert.equal(
      categoryMatches(endpoint, undefined, "type=endpoint&context=x", "&"),
      false,
    );
    // An expression without = never matches; a broken regex never matches.
    assert.equal(categoryMatches(endpoint, undefined, "type", ","), false);
    assert.equal(categoryMatches(endpoint, undefined, "type=(", ","), false);
    assert.equal(
      categoryMatches(endpoint, undefined, "[[:alpha:]]+=[[:alpha:]]+", ","),
      true,
    );
  },
);
