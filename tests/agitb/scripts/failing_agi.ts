// Copyright the @pyst/asterisk authors. MIT license.
/**
 * A stdio AGI script with a bug, wrapped in agitb: it answers, stores a
 * token, reads the account and then fails while "charging" it.
 *
 * @module
 */
import {
  type AgiSession,
  createAgiSession,
  withAgitb,
} from "../../../agi/mod.ts";

async function chargeAccount(account: string | undefined): Promise<void> {
  await Promise.resolve();
  throw new Error(
    `Cannot charge account ${JSON.stringify(account)}: no balance`,
  );
}

/** The script's handler, for any transport. */
export async function handler(agi: AgiSession): Promise<void> {
  await agi.answer();
  await agi.setVariable("API_TOKEN", "tok-secret-1");
  const account = await agi.getVariable("ACCOUNT");
  await chargeAccount(account);
}

if (import.meta.main) {
  const session = await createAgiSession(
    Deno.stdin.readable,
    Deno.stdout.writable,
  );
  Deno.addSignalListener("SIGHUP", () => session.notifyHangup());
  try {
    await withAgitb(handler, { verboseLevel: 2 })(session);
  } catch {
    Deno.exitCode = 1;
  } finally {
    await session.close();
  }
}
