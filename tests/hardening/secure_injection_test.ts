// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Secure defaults: CR, LF and NUL are refused in AMI headers and AGI
 * arguments, so a value can never smuggle an extra header, action or
 * command onto the wire; the refusal is a TypeError and nothing is written.
 */
import assert from "node:assert/strict";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import { createAgiSession } from "../../agi/create_agi_session.ts";
import { formatAgiCommand } from "../../agi/format_agi_command.ts";
import { amiActions } from "../../manager/ami_actions.ts";
import { encodeAmiAction } from "../../manager/encode_ami_action.ts";
import { connectClient } from "./_ami.ts";

const BAD = ["\r", "\n", "\0", "\r\n"];

Deno.test("encodeAmiAction refuses CR, LF and NUL in values, keys and Variable names", async (t) => {
  for (const bad of BAD) {
    const shown = JSON.stringify(bad);
    await t.step(`value with ${shown}`, () => {
      assert.throws(
        () =>
          encodeAmiAction({
            Action: "Setvar",
            Variable: "X",
            Value: `a${bad}Action: Originate`,
          }),
        TypeError,
      );
    });
    await t.step(`action name with ${shown}`, () => {
      assert.throws(
        () => encodeAmiAction({ Action: `Ping${bad}Action: Originate` }),
        TypeError,
      );
    });
    await t.step(`header name with ${shown}`, () => {
      assert.throws(
        () => encodeAmiAction({ Action: "Ping", [`X${bad}Y`]: "1" }),
        TypeError,
      );
    });
    await t.step(`Variable map name and value with ${shown}`, () => {
      assert.throws(
        () =>
          encodeAmiAction({
            Action: "Originate",
            Variable: { [`A${bad}B`]: "1" },
          }),
        TypeError,
      );
      assert.throws(
        () =>
          encodeAmiAction({
            Action: "Originate",
            Variable: { A: `1${bad}Action: Logoff` },
          }),
        TypeError,
      );
    });
    await t.step(`array element with ${shown}`, () => {
      assert.throws(
        () =>
          encodeAmiAction({
            Action: "Originate",
            Variable: ["A=1", `B=2${bad}X: y`],
          }),
        TypeError,
      );
    });
  }
  await t.step("a header name with a colon or a space", () => {
    assert.throws(
      () => encodeAmiAction({ Action: "Ping", "Action: Logoff\r\nX": "1" }),
      TypeError,
    );
    assert.throws(
      () => encodeAmiAction({ Action: "Ping", "Channel ": "x" }),
      TypeError,
    );
  });
  await t.step("what the typed builders make is refused too", () => {
    assert.throws(
      () =>
        encodeAmiAction(
          amiActions.setvar({ Variable: "X", Value: "a\nAction: Logoff" }),
        ),
      TypeError,
    );
    assert.throws(
      () =>
        encodeAmiAction(amiActions.originate({
          Channel: "PJSIP/100\r\nApplication: System",
          Application: "Playback",
          Data: "x",
        })),
      TypeError,
    );
  });
});

Deno.test("AmiClient: an action with CR/LF in a value rejects and nothing reaches Asterisk", async () => {
  await using emulator = await startAmiEmulator({ listen: false });
  const { client } = await connectClient(emulator);
  const before = emulator.actions.length;
  const attempts = [
    client.send({
      Action: "Setvar",
      Variable: "X",
      Value: "1\r\nAction: Originate\r\nChannel: Local/s@evil",
    }),
    client.send({ Action: "Ping\r\nAction: Logoff" }),
    client.command("core show version\nmodule unload res_agi.so"),
    client.setEventMask(["call\r\nAction: Logoff"]),
    client.addFilter("Event: Hangup\r\nAction: Logoff"),
    client.originate({
      Channel: "Local/s@park",
      Application: "Wait",
      Data: "1\r\nAction: Logoff",
    }),
  ];
  for (const attempt of attempts) await assert.rejects(attempt, TypeError);
  // Only the Ping below reaches the emulator, and the session is intact.
  assert.equal((await client.send({ Action: "Ping" })).get("Ping"), "Pong");
  const received = emulator.actions.slice(before).map((r) =>
    r.action.get("Action")
  );
  assert.deepEqual(received, ["Ping"]);
  assert.equal(client.pendingActions, 0);
  await client.logoff();
});

Deno.test("formatAgiCommand refuses CR, LF and NUL in every argument and in the command", async (t) => {
  for (const bad of BAD) {
    await t.step(JSON.stringify(bad), () => {
      assert.throws(
        () => formatAgiCommand("SET VARIABLE", ["X", `a${bad}HANGUP`]),
        TypeError,
      );
      assert.throws(
        () => formatAgiCommand("EXEC", ["Dial", `PJSIP/1${bad}EXEC System rm`]),
        TypeError,
      );
      assert.throws(
        () => formatAgiCommand(`ANSWER${bad}EXEC System x`),
        TypeError,
      );
    });
  }
  await t.step(
    "a line starting with failure (ends the AGI in res_agi.c)",
    () => {
      assert.throws(() => formatAgiCommand("failure"), TypeError);
      assert.throws(() => formatAgiCommand("FAILURE now"), TypeError);
    },
  );
  await t.step("quotes and backslashes are escaped, not interpreted", () => {
    assert.equal(
      formatAgiCommand("SET VARIABLE", ["X", 'a" EXEC System "x\\']),
      'SET VARIABLE X "a\\" EXEC System \\"x\\\\"\n',
    );
  });
});

Deno.test("AgiSession: typed methods and command() refuse CR/LF/NUL and write nothing", async () => {
  const encoder = new TextEncoder();
  const written: string[] = [];
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(encoder.encode("agi_request: x\nagi_channel: PJSIP/1-1\n\n"));
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      written.push(new TextDecoder().decode(chunk));
      controller.enqueue(encoder.encode("200 result=1\n"));
    },
  });
  await using session = await createAgiSession(readable, writable);
  const attempts: (() => Promise<unknown>)[] = [
    () => session.setVariable("X", "1\nEXEC System reboot"),
    () => session.setVariable("X\rY", "1"),
    () => session.exec("Dial", "PJSIP/100\nHANGUP"),
    () => session.verbose("hello\0world"),
    () => session.streamFile("beep\n", "#"),
    () => session.databasePut({ family: "f", key: "k", value: "v\r\n" }),
    () => session.command("ANSWER\nHANGUP"),
    () => session.command("failure"),
  ];
  for (const attempt of attempts) await assert.rejects(attempt(), TypeError);
  assert.deepEqual(written, []);
  assert.equal(session.closed, false);
  await session.answer();
  assert.deepEqual(written, ["ANSWER\n"]);
});
