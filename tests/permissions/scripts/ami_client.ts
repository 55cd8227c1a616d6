// Copyright the @pyst/asterisk authors. MIT license.
/**
 * An AMI client, as a user writes it: documented to need
 * `--allow-net=PBX:5038`. Usage: `ami_client.ts HOST PORT USER SECRET`;
 * prints the Ping reply.
 *
 * @module
 */
import { connectAmi } from "../../../manager/connect_ami.ts";

const [hostname, port, username, secret] = Deno.args;
await using ami = await connectAmi({
  hostname: hostname!,
  port: Number(port),
  username: username!,
  secret: secret!,
  reconnect: false,
});
const reply = await ami.send({ Action: "Ping" });
console.log(`Ping: ${reply.get("Ping")}`);
