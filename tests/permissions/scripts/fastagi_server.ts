// Copyright the @pyst/asterisk authors. MIT license.
/**
 * A FastAGI server, as a user writes it: documented to need
 * `--allow-net=HOST:PORT`. Usage: `fastagi_server.ts PORT`; prints
 * `listening PORT` once it listens, then serves until SIGTERM.
 *
 * @module
 */
import { serveFastAgi } from "../../../agi/serve_fast_agi.ts";

const port = Number(Deno.args[0]);
const controller = new AbortController();
Deno.addSignalListener("SIGTERM", () => controller.abort());
const server = serveFastAgi({
  port,
  signal: controller.signal,
  shutdownTimeoutMs: 1000,
  onListen: (addr) => console.log(`listening ${addr.port}`),
}, async (session) => {
  await session.answer();
  await session.setVariable("SERVED", session.env.channel);
});
await server.finished;
