// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: plays Asterisk's side of FastAGI over a loopback socket.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A FastAGI header block, as Asterisk sends it. */
export function header(script = "ivr", extra = ""): string {
  return "agi_network: yes\n" +
    `agi_network_script: ${script}\n` +
    `agi_request: agi://127.0.0.1/${script}\n` +
    "agi_channel: PJSIP/alice-00000001\n" +
    "agi_callerid: 5551234\n" + extra + "\n";
}

/** Asterisk's end of one FastAGI connection. */
export class FakeAsterisk implements AsyncDisposable {
  readonly conn: Deno.TcpConn;
  #buffered = "";
  #eof = false;
  readonly #decoder = new TextDecoder();

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to a FastAGI server on loopback. */
  static async connect(port: number): Promise<FakeAsterisk> {
    return new FakeAsterisk(
      await Deno.connect({ hostname: "127.0.0.1", port }),
    );
  }

  /** Sends text (or bytes). */
  async send(data: string | Uint8Array): Promise<void> {
    let bytes = typeof data === "string" ? encoder.encode(data) : data;
    while (bytes.length > 0) {
      const n = await this.conn.write(bytes);
      bytes = bytes.subarray(n);
    }
  }

  /** The next command line, or `undefined` once the server closed. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const lf = this.#buffered.indexOf("\n");
      if (lf !== -1) {
        const line = this.#buffered.slice(0, lf);
        this.#buffered = this.#buffered.slice(lf + 1);
        return line;
      }
      if (this.#eof) return undefined;
      const buffer = new Uint8Array(16_384);
      let n: number | null;
      try {
        n = await this.conn.read(buffer);
      } catch {
        n = null;
      }
      if (n === null) {
        this.#eof = true;
        continue;
      }
      this.#buffered += this.#decoder.decode(buffer.subarray(0, n), {
        stream: true,
      });
    }
  }

  /** Resolves once the server has closed its end (lines before are skipped). */
  async closedByServer(): Promise<void> {
    while (await this.line() !== undefined) {
      // Skip.
    }
  }

  /** Closes our end. */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
