// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { TimeoutError } from "../errors.ts";
import { connectAmi } from "./connect_ami.ts";
import { md5Hex } from "../_internal/md5.ts";
import {
  LoopbackAmiServer,
  standardHandler,
  until,
} from "../tests/manager/_fake_ami.ts";

Deno.test("connectAmi logs in over TCP with MD5 and round-trips an action", async () => {
  await using server = new LoopbackAmiServer({ handler: standardHandler() });
  const warnings: string[] = [];
  const client = await connectAmi({
    port: server.port,
    username: "admin",
    secret: "pw",
    onWarning: (message) => warnings.push(message),
  });
  assert.equal(client.version, "13.0.0");
  assert.equal((await client.send({ Action: "Ping" })).get("Ping"), "Pong");
  const login = server.servers[0]!.received[1]!;
  assert.equal(login.get("Key"), md5Hex("1234pw"));
  await client.logoff();
  assert.equal(server.servers[0]!.received.at(-1)!.action, "Logoff");
  assert.deepEqual(warnings, []);
});

Deno.test("connectAmi reconnects over TCP after the server drops the connection", async () => {
  await using server = new LoopbackAmiServer({ handler: standardHandler() });
  const client = await connectAmi({
    port: server.port,
    username: "admin",
    secret: "pw",
    reconnect: () => 5,
  });
  let reconnected = 0;
  client.addEventListener("reconnected", () => reconnected++);
  server.dropAll();
  await until(() => reconnected === 1);
  assert.equal(server.servers.length, 2);
  assert.equal((await client.send({ Action: "Ping" })).get("Ping"), "Pong");
  await client.close();
});

Deno.test("connectAmi times out on a server that never sends the banner", async () => {
  await using server = new LoopbackAmiServer({ banner: false });
  await assert.rejects(
    connectAmi({
      port: server.port,
      username: "a",
      secret: "b",
      connectTimeout: 50,
    }),
    TimeoutError,
  );
});

Deno.test("connectAmi honours an abort signal and validates the port", async () => {
  await using server = new LoopbackAmiServer({ banner: false });
  const controller = new AbortController();
  const connecting = connectAmi({
    port: server.port,
    username: "a",
    secret: "b",
    signal: controller.signal,
  });
  const reason = new Error("cancelled");
  setTimeout(() => controller.abort(reason), 10);
  await assert.rejects(connecting, (error) => error === reason);
  await assert.rejects(connectAmi({ port: 70_000 }), TypeError);
});
