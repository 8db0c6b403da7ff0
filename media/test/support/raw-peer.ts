/** A bare SIP peer on a UDP socket, for tests that must send exact bytes (retransmissions, junk) and see every answer. */
import dgram from "node:dgram";
import { parseMessage, type SipMessage, type SipResponse } from "../../src/sip/message.ts";

/** Joins lines with CRLF, ends the header section and appends the body with its Content-Length. */
export function sipBytes(lines: string[], body = ""): Buffer {
  return Buffer.from(`${lines.join("\r\n")}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, "utf8");
}

export class RawUdpPeer {
  /** every datagram received, parsed (or null when it did not parse) */
  readonly received: { raw: Buffer; msg: SipMessage | null }[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: dgram.Socket) {
    socket.on("message", (raw) => {
      let msg: SipMessage | null = null;
      try {
        msg = parseMessage(raw);
      } catch {
        // kept raw
      }
      this.received.push({ raw, msg });
      for (const w of this.waiters) w();
    });
  }

  static async open(host = "127.0.0.1"): Promise<RawUdpPeer> {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return new RawUdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(bytes: Buffer, port: number, host = "127.0.0.1"): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(bytes, port, host, (err) => (err ? reject(err) : resolve())));
  }

  /** Responses received so far with this status and CSeq method. */
  responses(status: number, method: string): SipResponse[] {
    return this.received
      .map((r) => r.msg)
      .filter((m): m is SipResponse => m?.kind === "response" && m.status === status && (m.headers.get("CSeq") ?? "").trim().endsWith(` ${method}`));
  }

  /** Resolves once `pred` holds for the messages received (checked on each arrival), or rejects after `timeoutMs`. */
  until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out; received: ${this.received.map((r) => r.raw.toString("latin1").split("\r\n")[0]).join(" | ")}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
