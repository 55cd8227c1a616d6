// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { LimitExceededError, ProtocolError } from "../errors.ts";
import { AmiMessageDecoderStream } from "./ami_message_decoder_stream.ts";

const encoder = new TextEncoder();

function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(parts.map((part) => encoder.encode(part)));
}

Deno.test(
  "AmiMessageDecoderStream decodes chunks into messages and exposes the version",
  {
    permissions: "none",
  },
  async () => {
    const stream = new AmiMessageDecoderStream();
    assert.equal(stream.version, undefined);
    const messages = await Array.fromAsync(
      streamOf(
        "Asterisk Call Manager/13.",
        "0.0\r\nResponse: Success\r\nActionID: 1\r",
        "\nMessage: Authentication accepted\r\n\r\nEvent: FullyBooted\r\n",
        "Status: Fully Booted\r\n\r\n",
      ).pipeThrough(stream),
    );
    assert.equal(stream.version, "13.0.0");
    assert.deepEqual(messages.map((m) => m.toObject()), [
      {
        Response: "Success",
        ActionID: "1",
        Message: "Authentication accepted",
      },
      { Event: "FullyBooted", Status: "Fully Booted" },
    ]);
  },
);

Deno.test("AmiMessageDecoderStream passes options through", {
  permissions: "none",
}, async () => {
  const versions: string[] = [];
  const stream = new AmiMessageDecoderStream({
    expectBanner: false,
    onBanner: (v) => versions.push(v),
  });
  const [action] = await Array.fromAsync(
    streamOf("Action: Ping\r\n\r\n").pipeThrough(stream),
  );
  assert.equal(action!.kind, "action");
  assert.deepEqual(versions, []);
  const limited = streamOf("Event: A\r\nB: 1\r\n\r\n").pipeThrough(
    new AmiMessageDecoderStream({
      expectBanner: false,
      maxFieldsPerMessage: 1,
    }),
  );
  await assert.rejects(Array.fromAsync(limited), LimitExceededError);
});

Deno.test(
  "AmiMessageDecoderStream errors when the input ends inside a packet",
  { permissions: "none" },
  async () => {
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (
          const message of streamOf(
            "Asterisk Call Manager/13.0.0\r\nEvent: A\r\n\r\nEvent: B\r\n",
          )
            .pipeThrough(new AmiMessageDecoderStream())
        ) seen.push(message.event!);
      })(),
      (error) =>
        error instanceof ProtocolError && error.line === "Event: B\r\n",
    );
    assert.deepEqual(seen, ["A"]);
  },
);
