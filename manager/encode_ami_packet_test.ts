// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  AMI_TRANSCRIPTS,
  loadAmiConnections,
  readerView,
  TRANSCRIPTS_DIR,
} from "../tests/astemu/_transcripts.ts";
import { encodeAmiPacket } from "./encode_ami_packet.ts";

const decoder = new TextDecoder();

Deno.test({
  name:
    "encodeAmiPacket reproduces every packet Asterisk sent in the transcripts",
  permissions: { read: [TRANSCRIPTS_DIR] },
  fn() {
    for (const file of AMI_TRANSCRIPTS) {
      for (const connection of loadAmiConnections(file)) {
        const view = readerView(connection.entries, "fromAsterisk");
        view.packets.forEach((fields, i) => {
          assert.deepEqual(
            encodeAmiPacket(fields),
            view.raw[i],
            `${connection.name} packet ${i}`,
          );
        });
      }
    }
  },
});

Deno.test(
  "encodeAmiPacket writes empty values with the space and bare lines for empty keys",
  {
    permissions: "none",
  },
  () => {
    assert.equal(
      decoder.decode(
        encodeAmiPacket([["Output", ""], ["", "No categories found"], [
          "JSON",
          '{"a":1}',
        ]]),
      ),
      'Output: \r\nNo categories found\r\nJSON: {"a":1}\r\n\r\n',
    );
    assert.equal(decoder.decode(encodeAmiPacket([])), "\r\n");
    // No length limit on the server side.
    assert.equal(
      encodeAmiPacket([["JSON", "x".repeat(100_000)]]).length,
      100_010,
    );
  },
);

Deno.test("encodeAmiPacket rejects CR or LF in keys and values", {
  permissions: "none",
}, () => {
  for (
    const field of [["A", "x\ny"], ["A", "x\r"], ["A\n", "x"], [
      "\rA",
      "x",
    ]] as const
  ) {
    assert.throws(() => encodeAmiPacket([field]), (error) => {
      assert.ok(error instanceof TypeError);
      assert.match(
        error.message,
        /^Cannot encode AMI packet: field .* contains CR or LF$/,
      );
      return true;
    });
  }
  assert.throws(
    () => encodeAmiPacket([["A", 1 as unknown as string]]),
    /each field must be a \[key, value\] pair of strings/,
  );
});
