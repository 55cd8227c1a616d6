// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Secure defaults of the transports: TLS works end to end; a plain secret
 * about to cross a non-loopback link without TLS raises a warning (never
 * with the secret in it); MD5 is preferred when offered; FastAGI binds
 * loopback unless told otherwise.
 */
import assert from "node:assert/strict";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import { serveFastAgi } from "../../agi/serve_fast_agi.ts";
import { AmiClient, type AmiConnection } from "../../manager/ami_client.ts";
import { connectAmi } from "../../manager/connect_ami.ts";

const TLS = new URL("./tls/", import.meta.url);
const SECRET = "s3cr3t-Zq81";

Deno.test("connectAmi over TLS: a certificate the caller trusts, login and actions work, no warning", async () => {
  const cert = await Deno.readTextFile(new URL("cert.pem", TLS));
  const key = await Deno.readTextFile(new URL("key.pem", TLS));
  await using emulator = await startAmiEmulator({
    listen: false,
    users: { alice: { secret: SECRET, read: "all", write: "all" } },
  });
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert,
    key,
  });
  // Bridge each TLS connection to an in-memory emulator session.
  const bridges: Promise<unknown>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      const { readable, writable } = emulator.connectInMemory();
      bridges.push(
        Promise.allSettled([
          conn.readable.pipeTo(writable),
          readable.pipeTo(conn.writable),
        ]),
      );
    }
  })();
  const warnings: string[] = [];
  const client = await connectAmi({
    hostname: "localhost",
    port: listener.addr.port,
    tls: { caCerts: [cert] },
    username: "alice",
    secret: SECRET,
    authType: "plain",
    reconnect: false,
    onWarning: (message) => warnings.push(message),
  });
  assert.equal((await client.send({ Action: "Ping" })).get("Ping"), "Pong");
  assert.equal(emulator.sessions.at(-1)?.username, "alice");
  await client.logoff();
  assert.deepEqual(warnings, []);
  // An untrusted certificate is refused before any byte of AMI.
  await assert.rejects(
    connectAmi({
      hostname: "localhost",
      port: listener.addr.port,
      tls: true,
      username: "alice",
      secret: SECRET,
      reconnect: false,
    }),
  );
  listener.close();
  await accepting;
  await Promise.all(bridges);
});

/** A connector to an in-memory emulator that claims the given transport. */
function claiming(
  emulator: Awaited<ReturnType<typeof startAmiEmulator>>,
  claim: { tls: boolean; remoteHostname?: string },
): () => Promise<AmiConnection> {
  return () => {
    const { readable, writable } = emulator.connectInMemory();
    return Promise.resolve({ readable, writable, ...claim });
  };
}

Deno.test("A plain secret to a non-loopback host without TLS raises a warning without the secret", async (t) => {
  await using emulator = await startAmiEmulator({
    listen: false,
    users: { alice: { secret: SECRET, read: "all", write: "all" } },
  });
  const cases: [
    string,
    { tls: boolean; remoteHostname?: string },
    "plain" | "auto",
    boolean,
  ][] = [
    [
      "plain to pbx.example.net without TLS",
      { tls: false, remoteHostname: "pbx.example.net" },
      "plain",
      true,
    ],
    [
      "plain to 192.0.2.10 without TLS",
      { tls: false, remoteHostname: "192.0.2.10" },
      "plain",
      true,
    ],
    [
      "plain to pbx.example.net over TLS",
      { tls: true, remoteHostname: "pbx.example.net" },
      "plain",
      false,
    ],
    [
      "plain to 127.0.0.1",
      { tls: false, remoteHostname: "127.0.0.1" },
      "plain",
      false,
    ],
    ["plain to ::1", { tls: false, remoteHostname: "::1" }, "plain", false],
    [
      "plain to localhost",
      { tls: false, remoteHostname: "localhost" },
      "plain",
      false,
    ],
    [
      "auto (MD5 offered) to pbx.example.net",
      { tls: false, remoteHostname: "pbx.example.net" },
      "auto",
      false,
    ],
  ];
  for (const [name, claim, authType, warned] of cases) {
    await t.step(name, async () => {
      const warnings: string[] = [];
      const events: string[] = [];
      const client = new AmiClient(claiming(emulator, claim), {
        username: "alice",
        secret: SECRET,
        authType,
        reconnect: false,
        onWarning: (message) => warnings.push(message),
      });
      client.addEventListener("warning", (e) => events.push(e.detail.message));
      await client.connect();
      await client.logoff();
      assert.equal(warnings.length, warned ? 1 : 0, warnings.join("\n"));
      assert.deepEqual(events, warnings);
      for (const warning of warnings) {
        assert.match(warning, /TLS/);
        assert.match(
          warning,
          new RegExp(claim.remoteHostname!.replace(/\./g, "\\.")),
        );
        assert.doesNotMatch(warning, new RegExp(SECRET));
      }
    });
  }
});

Deno.test("AmiClient prefers MD5 by default: the secret stays off the wire when the server offers Challenge", async () => {
  const wire: string[] = [];
  await using emulator = await startAmiEmulator({
    listen: false,
    users: { alice: { secret: SECRET, read: "all", write: "all" } },
    onTrace: (trace) => {
      if (trace.direction === "in") {
        wire.push(new TextDecoder().decode(trace.data));
      }
    },
  });
  const { readable, writable } = emulator.connectInMemory();
  const client = new AmiClient({ readable, writable }, {
    username: "alice",
    secret: SECRET,
  });
  await client.connect();
  await client.logoff();
  const text = wire.join("");
  assert.match(
    text,
    /Action: Challenge\r\nActionID: [^\r]+\r\nAuthType: MD5\r\n/,
  );
  assert.match(text, /AuthType: MD5\r\n/);
  assert.doesNotMatch(text, new RegExp(SECRET));
});

Deno.test("serveFastAgi binds 127.0.0.1 unless a hostname is given", async () => {
  await using server = serveFastAgi({ port: 0, onError: () => {} }, () => {});
  assert.equal(server.addr.hostname, "127.0.0.1");
  // Another address is used only when asked for (the tests may only use
  // loopback, so "localhost" stands in for a public address here).
  await using named = serveFastAgi({
    hostname: "localhost",
    port: 0,
    onError: () => {},
  }, () => {});
  assert.match(named.addr.hostname, /^(127\.0\.0\.1|::1)$/);
  assert.notEqual(named.addr.port, server.addr.port);
});
