// Copyright the @pyst/asterisk authors. MIT license.
// Speed of the config module on a generated pjsip.conf with 20,000
// endpoints built from templates (60,000 sections, 4.2 MB) and an
// extensions.conf with 100,000 `exten =>` lines (4.6 MB):
//
// - parse+resolve: text to the configuration Asterisk would load
//   (`resolveConfigSync`, what `readConfigFile` does once a file is read);
// - parse: text to a lossless, editable document (`parseConfig`);
// - stringify: a parsed document back to text.
//
// Each group's baseline is a plain `split("\n")` scan of the same text.
//
//   deno bench -P bench/config_bench.ts
//
// MB/s = text size / time per iteration. Documents are only built inside
// their own group, so they are not alive (and slowing the garbage
// collector) while the resolve groups run.

import {
  type ConfigDocument,
  parseConfig,
  resolveConfigSync,
} from "../config/mod.ts";
import {
  generateExtensionsConf,
  generatePjsipConf,
} from "../tests/config/_generate.ts";

const pjsip = generatePjsipConf(20_000);
const extensions = generateExtensionsConf(100_000);

let sink = 0;

function lineScan(text: string): number {
  let n = 0;
  for (const line of text.split("\n")) {
    n += line.length > 0 ? line.charCodeAt(0) : 0;
  }
  return n;
}

Deno.bench("baseline: split+scan pjsip.conf", {
  group: "pjsip.conf parse+resolve",
  baseline: true,
}, () => {
  sink += lineScan(pjsip);
});
Deno.bench("parse+resolve pjsip.conf (20k endpoints)", {
  group: "pjsip.conf parse+resolve",
}, () => {
  sink += resolveConfigSync(pjsip).categories.length;
});

Deno.bench("baseline: split+scan extensions.conf", {
  group: "extensions.conf parse+resolve",
  baseline: true,
}, () => {
  sink += lineScan(extensions);
});
Deno.bench("parse+resolve extensions.conf (100k exten)", {
  group: "extensions.conf parse+resolve",
}, () => {
  sink += resolveConfigSync(extensions).categories.length;
});

let pjsipDoc: ConfigDocument | undefined;
let extensionsDoc: ConfigDocument | undefined;

Deno.bench("baseline: split+scan both files", {
  group: "documents",
  baseline: true,
}, () => {
  sink += lineScan(pjsip) + lineScan(extensions);
});
Deno.bench("parse pjsip.conf into a document", { group: "documents" }, () => {
  sink += parseConfig(pjsip).lines.length;
});
Deno.bench(
  "parse extensions.conf into a document",
  { group: "documents" },
  () => {
    sink += parseConfig(extensions).lines.length;
  },
);
Deno.bench("stringify both documents", { group: "documents" }, () => {
  pjsipDoc ??= parseConfig(pjsip);
  extensionsDoc ??= parseConfig(extensions);
  sink += pjsipDoc.toString().length + extensionsDoc.toString().length;
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
