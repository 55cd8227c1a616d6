// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Regression tests for what the fuzzer found, one per finding, each with
 * the smallest input that showed it (`deno task fuzz` prints the seed and
 * case that replay the original).
 */
import assert from "node:assert/strict";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import type { AmiMessage } from "../../manager/ami_message.ts";
import { AmiMessageDecoder } from "../../manager/ami_message_decoder.ts";

const encoder = new TextEncoder();

/**
 * Logs in to an in-memory emulator session, sends `actions`, then a Ping,
 * and returns every packet the emulator wrote up to the Ping's answer (or
 * up to the end of the session).
 */
async function exchange(actions: string): Promise<{
  packets: AmiMessage[];
  closeReason: string | undefined;
}> {
  await using emulator = await startAmiEmulator({
    listen: false,
    timeScale: 0.001,
  });
  const { readable, writable, session } = emulator.connectInMemory();
  const writer = writable.getWriter();
  await writer.write(encoder.encode(
    "Action: Login\r\nUsername: admin\r\nSecret: admin\r\n\r\n" + actions +
      "Action: Ping\r\nActionID: final-ping\r\n\r\n",
  ));
  const packets: AmiMessage[] = [];
  const decoder = new AmiMessageDecoder((message) => packets.push(message));
  const reader = readable.getReader();
  const deadline = setTimeout(() => session.drop(), 2000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      decoder.push(value);
      if (packets.some((p) => p.actionId === "final-ping")) break;
    }
  } catch {
    // Dropped.
  } finally {
    clearTimeout(deadline);
  }
  // Let a background task (an Originate) finish before the emulator closes.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await writer.close().catch(() => {});
  reader.releaseLock();
  return { packets, closeReason: session.closeReason };
}

/**
 * Fuzz finding (ami-emulator, seed 20261126 family): a header value with a
 * CR inside a line (AMI splits lines on LF only, so the CR is part of the
 * value, as in Asterisk) made the emulator's packet writer throw. For
 * Originate the throw happened in the background call task: an unhandled
 * rejection that kills the test process. For other actions the session
 * silently died without answering.
 */
Deno.test("AMI emulator answers actions whose values hold a bare CR and keeps the session", async (t) => {
  const cases: [string, string][] = [
    [
      "Ping with a CR in its ActionID",
      "Action: Ping\r\nActionID: a\rb\r\n\r\n",
    ],
    [
      "UserEvent with a CR in a header",
      "Action: UserEvent\r\nActionID: ue\r\nUserEvent: X\r\nFoo: a\rb\r\n\r\n",
    ],
    [
      "DBGet of a value with a CR",
      "Action: DBPut\r\nActionID: put\r\nFamily: f\r\nKey: k\r\nVal: a\rb\r\n\r\n" +
      "Action: DBGet\r\nActionID: get\r\nFamily: f\r\nKey: k\r\n\r\n",
    ],
    [
      "Originate with a CR in Channel",
      "Action: Originate\r\nActionID: orig\r\nChannel: Local/s@park\rX\r\n" +
      "Application: Wait\r\nData: 1\r\nAsync: true\r\n\r\n",
    ],
    [
      "Originate with a CR in Data",
      "Action: Originate\r\nActionID: orig\r\nChannel: Local/s@park\r\n" +
      "Application: Wait\r\nData: 1\rx\r\nAsync: true\r\n\r\n",
    ],
  ];
  for (const [name, actions] of cases) {
    await t.step(name, async () => {
      const { packets, closeReason } = await exchange(actions);
      assert.ok(
        packets.some((p) => p.actionId === "final-ping"),
        `the Ping after it was not answered (session ended: ${closeReason})`,
      );
    });
  }
});
