// Copyright the @pyst/asterisk authors. MIT license.
/**
 * A stdio AGI script, as a user writes it: documented to need no
 * permission at all (`deno run agi_stdio.ts`).
 *
 * @module
 */
import { runAgi } from "../../../agi/run_agi.ts";

await runAgi(async (agi) => {
  await agi.answer();
  const name = await agi.getVariable("CALLERID(name)");
  await agi.setVariable("GREETED", name ?? "nobody");
});
