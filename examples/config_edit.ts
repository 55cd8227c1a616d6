#!/usr/bin/env -S deno run --allow-read=/etc/asterisk --allow-write=/etc/asterisk/pjsip.conf
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Change one endpoint's password in `pjsip.conf` without touching anything
 * else: the file is parsed losslessly, the one `password =` line in the
 * endpoint's `type=auth` section is changed, and every other byte
 * (comments, spacing, order) is written back as it was. Then the file is
 * read again the way Asterisk reads it (includes, templates…) to check the
 * change.
 *
 * ```sh
 * deno run --allow-read=/etc/asterisk --allow-write=/etc/asterisk/pjsip.conf examples/config_edit.ts /etc/asterisk/pjsip.conf 6001 n3w-s3cret
 * deno run --allow-read=. examples/config_edit.ts --dry-run tests/examples/testdata/pjsip.conf 6001 n3w   # print, don't write
 * ```
 *
 * @module
 */
import { parseConfig, readConfigFile } from "@pyst/asterisk/config";

if (import.meta.main) {
  const dryRun = Deno.args.includes("--dry-run");
  const [file, section, password] = Deno.args.filter((arg) =>
    arg !== "--dry-run"
  );
  if (file === undefined || section === undefined || password === undefined) {
    console.error(
      "Usage: config_edit.ts [--dry-run] FILE SECTION NEW-PASSWORD",
    );
    Deno.exit(2);
  }
  const doc = parseConfig(await Deno.readTextFile(file), { file });
  doc.set(section, { password }, { where: { type: "auth" } });
  if (dryRun) {
    console.log(doc.toString());
  } else {
    await Deno.writeTextFile(file, doc.toString());
    // Read it back as Asterisk would and check the value.
    const slash = file.lastIndexOf("/");
    const config = await readConfigFile(file.slice(slash + 1), {
      configDir: slash === -1 ? "." : file.slice(0, slash) || "/",
    });
    const auth = config.category(section, "type=auth");
    console.log(
      `${file}: [${section}] password ${
        auth?.get("password") === password ? "changed" : "NOT changed"
      }`,
    );
  }
}
