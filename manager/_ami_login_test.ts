// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import { md5Hex } from "../_internal/md5.ts";
import type { AmiAuthType, AmiConnection } from "./ami_client.ts";
import { AmiMessage } from "./ami_message.ts";
import type { AmiAction } from "./encode_ami_action.ts";
import { AmiActionError, AmiAuthenticationError } from "./errors.ts";
import { logIn } from "./_ami_login.ts";

const none = { permissions: "none" } as const;

/** A server scripted by action name; records what was sent and warned. */
function server(
  replies: Record<string, Record<string, string>>,
  options: { authType?: AmiAuthType; host?: string; tls?: boolean } = {},
) {
  const sent: AmiAction[] = [];
  const warnings: string[] = [];
  const info: AmiConnection = {
    readable: new ReadableStream(),
    writable: new WritableStream(),
    ...(options.host === undefined ? {} : { remoteHostname: options.host }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  };
  const run = () =>
    logIn({
      username: "admin",
      secret: "s3cret",
      authType: options.authType ?? "auto",
      events: () => "off",
      info,
      request: (action) => {
        sent.push(action);
        const reply = new AmiMessage(
          Object.entries(replies[action.Action] ?? { Response: "Success" }),
        );
        return reply.response === "Error"
          ? Promise.reject(new AmiActionError(action.Action, reply))
          : Promise.resolve(reply);
      },
      warn: (message) => warnings.push(message),
    });
  return { sent, warnings, run };
}

Deno.test(
  "logIn answers the Challenge with the MD5 key, never the secret",
  none,
  async () => {
    const s = server({ Challenge: { Response: "Success", Challenge: "1234" } });
    await s.run();
    assert.deepEqual(s.sent, [
      { Action: "Challenge", AuthType: "MD5" },
      {
        Action: "Login",
        AuthType: "MD5",
        Username: "admin",
        Key: md5Hex("1234s3cret"),
        Events: "off",
      },
    ]);
    assert.deepEqual(s.warnings, []);
  },
);

Deno.test(
  "logIn falls back to the plain secret when auto and the Challenge is refused, warning off loopback",
  none,
  async (t) => {
    const refused = { Challenge: { Response: "Error", Message: "Nope" } };
    for (
      const [host, tls, warned] of [
        ["pbx.example.net", false, true],
        ["pbx.example.net", true, false],
        ["127.0.0.1", false, false],
        ["[::1]", false, false],
        ["localhost", false, false],
      ] as const
    ) {
      await t.step(`${host}${tls ? " over TLS" : ""}`, async () => {
        const s = server(refused, { host, tls });
        await s.run();
        assert.deepEqual(s.sent.at(-1), {
          Action: "Login",
          Username: "admin",
          Secret: "s3cret",
          Events: "off",
        });
        assert.equal(s.warnings.length, warned ? 1 : 0);
        if (warned) {
          assert.equal(
            s.warnings[0],
            'Sending the AMI secret of "admin" in plain text to "pbx.example.net" without TLS: use TLS, or a server that offers MD5 Challenge login',
          );
        }
      });
    }
  },
);

Deno.test(
  "logIn with md5 fails without a usable Challenge; plain sends no Challenge",
  none,
  async () => {
    const refused = server(
      { Challenge: { Response: "Error", Message: "No" } },
      {
        authType: "md5",
      },
    );
    await assert.rejects(refused.run(), AmiAuthenticationError);
    assert.equal(refused.sent.length, 1);
    const empty = server({ Challenge: { Response: "Success" } }, {
      authType: "md5",
    });
    await assert.rejects(empty.run(), ProtocolError);
    const plain = server({}, { authType: "plain" });
    await plain.run();
    assert.deepEqual(plain.sent.map((a) => a.Action), ["Login"]);
  },
);

Deno.test(
  "logIn turns a refused Login into AmiAuthenticationError, except while Asterisk shuts down",
  none,
  async () => {
    const challenge = { Response: "Success", Challenge: "1" };
    const rejected = server({
      Challenge: challenge,
      Login: { Response: "Error", Message: "Authentication failed" },
    });
    await assert.rejects(
      rejected.run(),
      (error) =>
        error instanceof AmiAuthenticationError &&
        error.responseMessage === "Authentication failed",
    );
    const shutting = server({
      Challenge: challenge,
      Login: { Response: "Error", Message: "Asterisk is shutting down" },
    });
    await assert.rejects(
      shutting.run(),
      (error) =>
        error instanceof AmiActionError &&
        !(error instanceof AmiAuthenticationError),
    );
  },
);
