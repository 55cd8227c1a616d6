// Copyright the @pyst/asterisk authors. MIT license.
// Speed of the config module: parse+resolve (what readConfigFile does once
// the text is read), parse alone, and writing a document back, on a
// generated pjsip.conf with 20,000 endpoints built from templates and an
// extensions.conf with 100,000 `exten =>` lines. The baseline of each group
// is a plain `split("\n")` scan of the same text.
//
//   deno bench bench/config_bench.ts
//
// MB/s = text size / average time; sizes are printed once at start.

import { parseConfig, resolveConfigSync } from "../config/mod.ts";
import {
  generateExtensionsConf,
  generatePjsipConf,
} from "../tests/config/_generate.ts";

const pjsip = generatePjsipConf(20_000);
const extensions = generateExtensionsConf(100_000);
const pjsipDoc = parseConfig(pjsip);
const extensionsDoc = parseConfig(extensions);

console.log(
  `pjsip.conf: ${pjsip.length} bytes, ${pjsip.split("\n").length} lines; ` +
    `extensions.conf: ${extensions.length} bytes, ${
      extensions.split("\n").length
    } lines`,
);

let sink = 0;

function lineScan(text: string): number {
  let n = 0;
  for (const line of text.split("\n")) {
    n += line.length > 0 ? line.charCodeAt(0) : 0;
  }
  return n;
}

Deno.bench("baseline: split+scan pjsip.conf", {
  group: "pjsip",
  baseline: true,
}, () => {
  sink += lineScan(pjsip);
});
Deno.bench(
  "parse+resolve pjsip.conf (20k endpoints)",
  { group: "pjsip" },
  () => {
    sink += resolveConfigSync(pjsip).categories.length;
  },
);
Deno.bench("parse pjsip.conf", { group: "pjsip" }, () => {
  sink += parseConfig(pjsip).lines.length;
});
Deno.bench("stringify pjsip.conf document", { group: "pjsip" }, () => {
  sink += pjsipDoc.toString().length;
});

Deno.bench("baseline: split+scan extensions.conf", {
  group: "extensions",
  baseline: true,
}, () => {
  sink += lineScan(extensions);
});
Deno.bench("parse+resolve extensions.conf (100k exten)", {
  group: "extensions",
}, () => {
  sink += resolveConfigSync(extensions).categories.length;
});
Deno.bench("parse extensions.conf", { group: "extensions" }, () => {
  sink += parseConfig(extensions).lines.length;
});
Deno.bench(
  "stringify extensions.conf document",
  { group: "extensions" },
  () => {
    sink += extensionsDoc.toString().length;
  },
);

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
