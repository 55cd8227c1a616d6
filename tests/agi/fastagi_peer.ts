// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: plays Asterisk's side of one FastAGI call over a real
 * loopback connection (connect, write the header block, read command lines,
 * write replies), with every wait bounded in time.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The header block Asterisk sends, with `script` as `agi_network_script`. */
export function fastAgiHeader(
  script: string,
  overrides: Readonly<Record<string, string>> = {},
): string {
  const fields: Record<string, string> = {
    agi_network: "yes",
    agi_network_script: script,
    agi_request: `agi://127.0.0.1:4573/${script}`,
    agi_channel: "Local/args@agi-fast-00000005;2",
    agi_language: "en",
    agi_type: "Local",
    agi_uniqueid: "1795693536.11",
    agi_version: "GIT-master-f0c1c1a7b7",
    agi_callerid: "5550001",
    agi_calleridname: "Fast Caller",
    agi_callingpres: "0",
    agi_callingani2: "0",
    agi_callington: "0",
    agi_callingtns: "0",
    agi_dnid: "unknown",
    agi_rdnis: "unknown",
    agi_context: "agi-fast",
    agi_extension: "args",
    agi_priority: "2",
    agi_enhanced: "0.0",
    agi_accountcode: "",
    agi_threadid: "139972816299712",
    ...overrides,
  };
  return Object.entries(fields).map(([key, value]) => `${key}: ${value}\n`)
    .join("") + "\n";
}

/** One connection to a FastAGI server, seen from Asterisk's side. */
export class FastAgiPeer {
  readonly #conn: Deno.TcpConn;
  readonly #buffer = new Uint8Array(65536);
  #held = 0;
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects to `127.0.0.1:port`. */
  static async connect(port: number): Promise<FastAgiPeer> {
    return new FastAgiPeer(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Writes text (or bytes) as is; resolves false if the server is gone. */
  async send(data: string | Uint8Array): Promise<boolean> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    try {
      let offset = 0;
      while (offset < bytes.length) {
        offset += await this.#conn.write(bytes.subarray(offset));
      }
      return true;
    } catch (error) {
      if (
        error instanceof Deno.errors.BrokenPipe ||
        error instanceof Deno.errors.ConnectionReset
      ) return false;
      throw error;
    }
  }

  /**
   * Reads one line (without its LF); `null` when the server closed first.
   * Fails after `timeoutMs`.
   */
  async readLine(timeoutMs = 5000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lf = this.#buffer.subarray(0, this.#held).indexOf(0x0a);
      if (lf !== -1) {
        const line = decoder.decode(this.#buffer.subarray(0, lf));
        this.#buffer.copyWithin(0, lf + 1, this.#held);
        this.#held -= lf + 1;
        return line;
      }
      const count = await this.#read(deadline);
      if (count === null) {
        if (this.#held > 0) {
          throw new Error(
            `Peer: server closed after a partial line: ${
              decoder.decode(this.#buffer.subarray(0, this.#held))
            }`,
          );
        }
        return null;
      }
    }
  }

  /**
   * Resolves with how long it took the server to close the connection,
   * failing if it sends anything first or stays open past `timeoutMs`.
   */
  async expectClose(timeoutMs = 5000): Promise<number> {
    const start = Date.now();
    const line = await this.readLine(timeoutMs);
    if (line !== null) {
      throw new Error(`Peer: expected close, got ${JSON.stringify(line)}`);
    }
    return Date.now() - start;
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #read(deadline: number): Promise<number | null> {
    const wait = deadline - Date.now();
    if (wait <= 0) throw new Error("Peer: timed out waiting for the server");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), wait);
    });
    try {
      const read = this.#conn.read(this.#buffer.subarray(this.#held)).catch(
        (error) => {
          if (error instanceof Deno.errors.ConnectionReset) return null;
          throw error;
        },
      );
      const result = await Promise.race([read, timeout]);
      if (result === "timeout") {
        // Closing ends the pending read; wait for it so no op leaks.
        this.close();
        await read.catch(() => null);
        throw new Error("Peer: timed out waiting for the server");
      }
      if (result !== null) this.#held += result;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Plays a whole call: header, then answers each command with `answer(line)`
 * until the server closes. Returns the command lines received.
 */
export async function playFastAgiCall(
  port: number,
  header: string,
  answer: (line: string) => string,
  timeoutMs = 10_000,
): Promise<string[]> {
  using peer = await FastAgiPeer.connect(port);
  await peer.send(header);
  const lines: string[] = [];
  for (;;) {
    const line = await peer.readLine(timeoutMs);
    if (line === null) return lines;
    lines.push(line);
    await peer.send(answer(line));
  }
}
