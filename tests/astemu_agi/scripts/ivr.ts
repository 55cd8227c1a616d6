// Copyright the @pyst/asterisk authors. MIT license.
/**
 * A small IVR written with the library, run by the tests as a stdio AGI
 * script (`deno run tests/astemu_agi/scripts/ivr.ts`) and served over
 * FastAGI: it answers, asks for one digit, remembers it, and plays the
 * matching prompt. Arguments: the department names for 1 and 2.
 *
 * @module
 */
import {
  AgiCommandError,
  AgiHangupError,
  type AgiSession,
} from "../../../agi/mod.ts";

/**
 * Whether an error means the caller hung up. Over stdio, Asterisk answers
 * the interrupted command with `-1` before it sends SIGHUP, so that reply
 * counts too.
 */
export function isHangup(error: unknown): boolean {
  return error instanceof AgiHangupError ||
    (error instanceof AgiCommandError && error.result === "-1");
}

/**
 * The IVR itself, for any transport. The department names come from
 * `args` (a stdio script gets them in argv as well as in the environment).
 */
export async function ivr(
  agi: AgiSession,
  args: readonly string[] = agi.env.args,
): Promise<void> {
  const [one = "sales", two = "support"] = args;
  await agi.answer();
  await agi.verbose(`IVR for ${agi.env.callerId}`, 1);
  const { digits, timedOut } = await agi.getData("menu", {
    timeoutMs: 3000,
    maxDigits: 1,
  });
  await agi.setVariable("CHOICE", timedOut && digits === "" ? "none" : digits);
  await agi.databasePut({ family: "ivr", key: "last", value: digits });
  const target = digits === "1" ? one : digits === "2" ? two : "vm-goodbye";
  await agi.streamFile(target);
  await agi.hangup();
}

if (import.meta.main) {
  const { createAgiSession } = await import("../../../agi/mod.ts");
  const session = await createAgiSession(
    Deno.stdin.readable,
    Deno.stdout.writable,
  );
  let sighup!: () => void;
  const sighupSeen = new Promise<void>((resolve) => (sighup = resolve));
  Deno.addSignalListener("SIGHUP", () => {
    session.notifyHangup();
    sighup();
  });
  let hungUp = true;
  try {
    await ivr(session, Deno.args);
  } catch (error) {
    if (!isHangup(error)) {
      hungUp = false;
      throw error;
    }
    console.error("caller hung up");
  } finally {
    // Asterisk sends SIGHUP just after the reply that showed the hangup; a
    // SIGHUP that lands while Deno exits kills the process (status 129), so
    // wait for it before leaving.
    if (hungUp) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        sighupSeen,
        new Promise((resolve) => (timer = setTimeout(resolve, 2000))),
      ]);
      clearTimeout(timer);
    }
    await session.close();
  }
}
