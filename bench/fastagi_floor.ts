// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The floor of the FastAGI benchmark: a bare `Deno.listen` server, no
 * library, that runs the same six commands per call as the library's bench
 * handler (ANSWER, GET VARIABLE, SET VARIABLE, STREAM FILE, WAIT FOR DIGIT,
 * HANGUP). It reads the header up to the empty line, writes each command,
 * reads one reply line, checks that it starts with `200`, and closes after
 * HANGUP. No limits, no routing, no error reporting: the least any FastAGI
 * server must do.
 *
 * @module
 */

const encoder = new TextEncoder();
const LF = 0x0a;

/** The six command lines, as the library's `formatAgiCommand` writes them. */
export const FLOOR_COMMANDS: readonly string[] = [
  "ANSWER",
  "GET VARIABLE CALLERID(num)",
  "SET VARIABLE BENCH_RESULT ok",
  'STREAM FILE beep ""',
  "WAIT FOR DIGIT 1000",
  "HANGUP",
];
const COMMAND_BYTES = FLOOR_COMMANDS.map((line) => encoder.encode(line + "\n"));

/** Options of {@linkcode serveFloor}. */
export interface FloorOptions {
  /** @default {0} */
  port?: number;
  /** Receives each command's round trip in ms. */
  onRoundTrip?: (ms: number) => void;
}

/** A running floor server. */
export interface FloorServer {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** Calls completed. */
  readonly sessions: number;
  /** Stops accepting and waits for running calls. */
  shutdown(): Promise<void>;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

async function serveCall(
  conn: Deno.TcpConn,
  onRoundTrip: ((ms: number) => void) | undefined,
): Promise<void> {
  const buffer = new Uint8Array(4096);
  let held = 0;
  // Header: up to the first empty line.
  let headerEnd = -1;
  while (headerEnd === -1) {
    const count = await conn.read(buffer.subarray(held));
    if (count === null) throw new Error("Floor: closed inside the header");
    const from = Math.max(held - 1, 0);
    held += count;
    for (
      let at = buffer.indexOf(LF, from);
      at !== -1 && at < held;
      at = buffer.indexOf(LF, at + 1)
    ) {
      if (at > 0 && buffer[at - 1] === LF) {
        headerEnd = at + 1;
        break;
      }
    }
    if (headerEnd === -1 && held === buffer.length) {
      throw new Error("Floor: header too long");
    }
  }
  buffer.copyWithin(0, headerEnd, held);
  held -= headerEnd;
  for (const command of COMMAND_BYTES) {
    const t0 = performance.now();
    await writeAll(conn, command);
    let lf = buffer.indexOf(LF);
    while (lf === -1 || lf >= held) {
      const count = await conn.read(buffer.subarray(held));
      if (count === null) throw new Error("Floor: closed before a reply");
      held += count;
      lf = buffer.indexOf(LF);
    }
    // "200 ..." is all the floor checks.
    if (buffer[0] !== 0x32 || buffer[1] !== 0x30 || buffer[2] !== 0x30) {
      throw new Error("Floor: reply is not 200");
    }
    onRoundTrip?.(performance.now() - t0);
    buffer.copyWithin(0, lf + 1, held);
    held -= lf + 1;
  }
}

/**
 * Starts the floor server on 127.0.0.1.
 *
 * @param options Port and round-trip probe.
 * @returns The running server.
 */
export function serveFloor(options: FloorOptions = {}): FloorServer {
  const listener = Deno.listen({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
  });
  const running = new Set<Promise<void>>();
  let sessions = 0;
  const acceptLoop = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      const call = serveCall(conn, options.onRoundTrip)
        .then(() => void sessions++, () => {})
        .finally(() => {
          conn.close();
          running.delete(call);
        });
      running.add(call);
    }
  })();
  return {
    addr: listener.addr,
    get sessions() {
      return sessions;
    },
    async shutdown() {
      listener.close();
      await acceptLoop;
      await Promise.all(running);
    },
  };
}
