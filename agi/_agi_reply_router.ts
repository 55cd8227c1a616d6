// Copyright the @pyst/asterisk authors. MIT license.
import { ProtocolError } from "../errors.ts";
import type { AgiReply } from "./agi_reply.ts";
import type { AgiDecoded, AgiReplyDecoder } from "./agi_reply_decoder.ts";

/** The one command a transport has in flight. */
export interface PendingAgiCommand {
  readonly line: string;
  readonly resolve: (reply: AgiReply) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Routes decoded reply lines to the command in flight, shared by the byte
 * stream and FastAGI transports: `HANGUP` notices go to `onHangup` (also when
 * glued to a reply), a reply with no command in flight is a protocol error,
 * and a reply is handed over only by {@linkcode AgiReplyRouter.deliver},
 * after the whole chunk it came in was read — so a `HANGUP` in the same
 * chunk is applied first.
 */
export class AgiReplyRouter {
  readonly #decoder: AgiReplyDecoder;
  readonly #onHangup: () => void;
  #pending: PendingAgiCommand | undefined;
  /** A reply decoded from the current chunk, delivered once it is read. */
  #ready: AgiReply | undefined;

  constructor(decoder: AgiReplyDecoder, onHangup: () => void) {
    this.#decoder = decoder;
    this.#onHangup = onHangup;
  }

  /** The command in flight, if any. */
  get pending(): PendingAgiCommand | undefined {
    return this.#pending;
  }

  /** Records the command just sent; the caller checked none is in flight. */
  start(pending: PendingAgiCommand): void {
    this.#pending = pending;
  }

  /**
   * Decodes one line from Asterisk.
   *
   * @throws {ProtocolError} On a line that is no reply, or a reply with no
   * command in flight.
   */
  line(line: string): void {
    this.#route(this.#decoder.push(line), line);
  }

  /** Hands the reply decoded from the last chunk to its command. */
  deliver(): void {
    const reply = this.#ready;
    if (reply === undefined) return;
    const pending = this.#pending!;
    this.#ready = undefined;
    this.#pending = undefined;
    pending.resolve(reply);
  }

  /** Forgets the command in flight (and any undelivered reply); returns it. */
  clear(): PendingAgiCommand | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#ready = undefined;
    return pending;
  }

  #route(decoded: AgiDecoded | undefined, line: string): void {
    if (decoded === undefined) return;
    if (decoded.type === "hangup") {
      this.#onHangup();
      this.#route(decoded.after, line);
      return;
    }
    if (this.#pending === undefined || this.#ready !== undefined) {
      throw new ProtocolError(
        `Cannot read AGI reply: ${
          JSON.stringify(line.slice(0, 80))
        } arrived with no command in flight`,
        { line },
      );
    }
    this.#ready = decoded.reply;
  }
}
