// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { md5Hex } from "./md5.ts";

Deno.test({
  name: "md5Hex matches the RFC 1321 test suite",
  permissions: "none",
  fn: () => {
    const suite: [string, string][] = [
      ["", "d41d8cd98f00b204e9800998ecf8427e"],
      ["a", "0cc175b9c0f1b6a831c399e269772661"],
      ["abc", "900150983cd24fb0d6963f7d28e17f72"],
      ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
      ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
      [
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "d174ab98d277d9f5a5611c2c9f419d9f",
      ],
      [
        "1234567890".repeat(8),
        "57edf4a22be3c955ac49da2e2107b67a",
      ],
    ];
    for (const [input, digest] of suite) {
      assert.equal(md5Hex(input), digest, input);
    }
  },
});

Deno.test({
  name: "md5Hex reproduces the recorded Asterisk Challenge login key",
  permissions: "none",
  fn: () => {
    // From tests/fixtures/transcripts/ami-md5-login-and-auth-errors.txt.
    assert.equal(
      md5Hex("506426367" + "oraclepw"),
      "5a6cd03ecbacb8f08ff7a82ccbb115fb",
    );
  },
});

Deno.test({
  name: "md5Hex pads correctly at every length around the 56-byte boundary",
  permissions: "none",
  fn: () => {
    // Lengths 55, 56, 63, 64 and 65 exercise one- and two-block padding.
    const expected: Record<number, string> = {
      55: "ef1772b6dff9a122358552954ad0df65",
      56: "3b0c8ac703f828b04c6c197006d17218",
      63: "b06521f39153d618550606be297466d5",
      64: "014842d480b571495a4a0363793f7367",
      65: "c743a45e0d2e6a95cb859adae0248435",
    };
    for (const [length, digest] of Object.entries(expected)) {
      assert.equal(
        md5Hex("a".repeat(Number(length))),
        digest,
        `length ${length}`,
      );
    }
    // Non-ASCII input is hashed as its UTF-8 bytes (c3 a9).
    assert.equal(md5Hex("\u00e9"), "66ddcd97cfdeabb2f6fb8a999b4bc76f");
  },
});
