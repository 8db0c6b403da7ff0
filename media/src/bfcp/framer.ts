/**
 * Cutting a BFCP byte stream (TCP or TLS, RFC 8855 section 6.1) into messages. BFCP has no delimiter:
 * each message is its 12-octet COMMON-HEADER plus Payload Length * 4 octets, so the framer reads the
 * header, waits for that many octets, and decodes.
 */
import { BFCP_HEADER_SIZE, type BfcpVersion } from "./constants.ts";
import { checkBfcpFraming, decodeBfcp, readBfcpHeader } from "./codec.ts";
import { BfcpParseError } from "./errors.ts";
import type { BfcpMessage } from "./messages.ts";

/** Default largest message: far above what real floor control sends, far below what a peer could claim. */
export const BFCP_DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;

export interface BfcpStreamFramerOptions {
  /** Largest message accepted, header included (default 64 KiB); a larger Payload Length is TOO_LARGE. */
  maxMessageSize?: number;
  /** The version the stream must carry: 1, as RFC 8855 section 5.1 requires over reliable transports (default). */
  version?: BfcpVersion;
  /**
   * Called for a message that was framed correctly but failed to decode (UNKNOWN_PRIMITIVE,
   * UNKNOWN_MANDATORY_ATTRIBUTE, attribute errors); framing goes on with the next message, so the
   * connection survives and the server can answer with an Error (see `bfcpErrorReply`). Without it, push
   * throws such errors too.
   */
  onInvalid?: (err: BfcpParseError) => void;
}

/**
 * A stream framer: `push` each chunk received, get back the messages it completed. A failure that loses
 * the framing (a version other than the expected one, the F flag, a Payload Length above the limit) is
 * thrown and every later `push` throws it again: the connection must be closed, after an Error reply if
 * `err.header` allows one. Such a failure is reported once the 12 header octets have arrived, so the
 * error always carries them. Messages completed earlier in the same chunk are lost with it.
 */
export class BfcpStreamFramer {
  private readonly maxSize: number;
  private readonly version: BfcpVersion;
  private readonly onInvalid: ((err: BfcpParseError) => void) | undefined;
  // Unconsumed bytes live in store[start, end); the store grows by doubling and is only used for the
  // bytes of an incomplete message, so whole messages are decoded straight from the chunk.
  private store: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  private failure: BfcpParseError | null = null;

  constructor(opts?: BfcpStreamFramerOptions) {
    this.maxSize = opts?.maxMessageSize ?? BFCP_DEFAULT_MAX_MESSAGE_SIZE;
    this.version = opts?.version ?? 1;
    this.onInvalid = opts?.onInvalid;
  }

  /** Bytes received but not yet part of a returned message. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** The failure that stopped the framer, if one did. */
  get failed(): BfcpParseError | null {
    return this.failure;
  }

  push(chunk: Buffer): BfcpMessage[] {
    if (this.failure) throw this.failure;
    const out: BfcpMessage[] = [];
    try {
      if (this.start === this.end) {
        // Nothing pending: decode whole messages in place, keep only the tail.
        const used = this.drain(chunk, 0, chunk.length, out);
        this.start = this.end = 0;
        this.append(chunk.subarray(used));
      } else {
        this.append(chunk);
        this.start = this.drain(this.store, this.start, this.end, out);
        if (this.start === this.end) this.start = this.end = 0;
      }
    } catch (err) {
      if (err instanceof BfcpParseError) this.failure = err;
      throw err;
    }
    return out;
  }

  /** Decodes the complete messages in buf[from, to); returns where the first incomplete one starts. */
  private drain(buf: Buffer, from: number, to: number, out: BfcpMessage[]): number {
    let p = from;
    while (to - p >= BFCP_HEADER_SIZE) {
      const framing = checkBfcpFraming(readBfcpHeader(buf, p), { version: this.version, maxMessageSize: this.maxSize });
      if (typeof framing !== "number") throw framing;
      if (to - p < framing) break;
      const frame = buf.subarray(p, p + framing);
      p += framing;
      try {
        out.push(decodeBfcp(frame, { version: this.version }));
      } catch (err) {
        if (!(err instanceof BfcpParseError) || !this.onInvalid) throw err;
        this.onInvalid(err);
      }
    }
    return p;
  }

  private append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.store.length) {
      const live = this.end - this.start;
      const target = this.store.length >= live + chunk.length
        ? this.store
        : Buffer.allocUnsafe(Math.max(1024, 2 * this.store.length, live + chunk.length));
      this.store.copy(target, 0, this.start, this.end);
      this.store = target;
      this.start = 0;
      this.end = live;
    }
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
  }
}
