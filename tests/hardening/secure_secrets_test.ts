// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Secure defaults: secrets never appear in logs, errors, traces,
 * transcripts or agitb reports; with MD5 login the secret never crosses the
 * wire at all.
 */
import assert from "node:assert/strict";
import { withAgitb } from "../../agi/agitb.ts";
import { emulateAgiCall } from "../../astemu/agi_emulate_call.ts";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import { AmiClient, type AmiTraceEvent } from "../../manager/ami_client.ts";
import { AmiAuthenticationError } from "../../manager/errors.ts";

const SECRET = "s3cr3t-Zq81";
const decoder = new TextDecoder();

/** Everything a thrown error can show: message, stack, causes, fields. */
function everything(value: unknown): string {
  return Deno.inspect(value, {
    depth: 10,
    showHidden: true,
    getters: true,
    iterableLimit: 1000,
    strAbbreviateSize: 100_000,
  }) +
    (value instanceof Error ? `${value.stack}${everything(value.cause)}` : "");
}

for (const authType of ["plain", "md5", "auto"] as const) {
  Deno.test(
    `AMI ${authType} login: no secret in traces, lifecycle events or inspection${
      authType === "plain" ? "" : "; none on the wire"
    }`,
    async () => {
      const wire: string[] = [];
      await using emulator = await startAmiEmulator({
        listen: false,
        users: { alice: { secret: SECRET, read: "all", write: "all" } },
        onTrace: (trace) => {
          if (trace.direction === "in") wire.push(decoder.decode(trace.data));
        },
      });
      const traces: AmiTraceEvent[] = [];
      const seen: unknown[] = [];
      const { readable, writable } = emulator.connectInMemory();
      const client = new AmiClient({ readable, writable }, {
        username: "alice",
        secret: SECRET,
        authType,
        onTrace: (event) => traces.push(event),
        onWarning: (message) => seen.push(message),
      });
      for (const type of ["error", "warning", "connected", "unmatched"]) {
        client.addEventListener(type, (event) => seen.push(event));
      }
      await client.connect();
      await client.send({ Action: "Ping" });
      const login = traces.find((t) =>
        t.direction === "send" && t.action.Action === "Login"
      );
      assert.ok(login !== undefined && login.direction === "send");
      assert.equal(
        login.action[authType === "plain" ? "Secret" : "Key"],
        "********",
      );
      assert.doesNotMatch(everything(traces), new RegExp(SECRET));
      assert.doesNotMatch(everything(seen), new RegExp(SECRET));
      assert.doesNotMatch(everything(client), new RegExp(SECRET));
      const onWire = wire.join("");
      if (authType === "plain") {
        assert.match(onWire, new RegExp(`Secret: ${SECRET}`));
      } else {
        assert.doesNotMatch(onWire, new RegExp(SECRET));
        assert.match(onWire, /Key: [0-9a-f]{32}\r\n/);
      }
      await client.logoff();
    },
  );
}

Deno.test("A rejected AMI login: the error names the user, never the secret", async () => {
  await using emulator = await startAmiEmulator({
    listen: false,
    authFailureDelayMs: 1,
  });
  for (const authType of ["plain", "md5"] as const) {
    const { readable, writable } = emulator.connectInMemory();
    const client = new AmiClient({ readable, writable }, {
      username: "admin",
      secret: SECRET,
      authType,
    });
    const errors: unknown[] = [];
    client.addEventListener("error", (event) => errors.push(event.detail));
    const error = await client.connect().then(
      () => assert.fail("login accepted"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof AmiAuthenticationError);
    assert.equal(error.username, "admin");
    assert.doesNotMatch(everything(error), new RegExp(SECRET));
    assert.doesNotMatch(everything(errors), new RegExp(SECRET));
    assert.doesNotMatch(everything(client), new RegExp(SECRET));
  }
});

Deno.test("agitb reports never show secret values: arguments, variables, AstDB, replies, errors", async () => {
  let report = "";
  const script = withAgitb(async (agi) => {
    await agi.setVariable("DB_PASSWORD", "pw-set-1");
    await agi.getVariable("SIP_SECRET");
    await agi.getFullVariable("${API_TOKEN}");
    await agi.databaseGet("auth", "password");
    await agi.databasePut({ family: "cred", key: "pin", value: "pw-put-4" });
    await agi.command("SET VARIABLE AUTH_TOKEN pw-cmd-5");
    await agi.command("GET VARIABLE SIP_SECRET");
    await agi.exec("Set", "SECRET_KEY=pw-exec-6");
    throw new Error("Cannot log in: password=pw-msg-7", {
      cause: new Error("token: pw-cause-8"),
    });
  }, {
    stderr: false,
    verboseLevel: false,
    readSource: () => undefined,
    writeReport: (text) => void (report = text),
  });
  await emulateAgiCall(script, {
    args: ["secret=pw-arg-9"],
    variables: { SIP_SECRET: "pw-var-2", API_TOKEN: "pw-var-3" },
    database: { "auth/password": "pw-db-10" },
  });
  assert.match(report, /Uncaught error/);
  const leaked = report.match(/pw-[a-z]+-\d+/g) ?? [];
  assert.deepEqual(leaked, [], `agitb report shows secrets:\n${report}`);
});
