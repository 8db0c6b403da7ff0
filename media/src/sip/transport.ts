/**
 * SIP transports (RFC 3261 section 18): UDP and TCP on one address. Bytes become typed messages here or
 * are dropped here; nothing half-parsed goes up. A malformed request whose routing headers can still be
 * read gets a stateless 400 (RFC 3261 section 8.2.2 spirit; the focus must never crash on bad input).
 */
import dgram from "node:dgram";
import net from "node:net";
import { isIPv6 } from "node:net";
import { parseMessage, serialize, StreamFramer, type SipMessage } from "./message.ts";
import { SipParseError } from "./errors.ts";

export type TransportName = "udp" | "tcp";

/** Where a message came from, or where to send one. */
export interface Peer {
  transport: TransportName;
  address: string;
  port: number;
}

export interface TransportEvents {
  message: (msg: SipMessage, from: Peer) => void;
  /** a message that could not be parsed: the raw bytes and why (for a stateless 400 and for logs) */
  malformed: (raw: Buffer, err: SipParseError, from: Peer) => void;
  error: (err: Error) => void;
}

export interface TransportOptions {
  host: string;
  /** 0: any free port (UDP and TCP then share the port UDP got) */
  port: number;
  tcp?: boolean;
  maxMessageSize?: number;
  /** idle TCP connections are closed after this (RFC 5626 keep-alives count as activity) */
  tcpIdleMs?: number;
}

/** UDP and (optionally) TCP listening on the same host and port, as RFC 3261 section 18 expects. */
export class SipTransport {
  private udp: dgram.Socket;
  private tcp: net.Server | null = null;
  private readonly connections = new Map<string, net.Socket>();
  private listeners: Partial<TransportEvents> = {};
  private closed = false;
  private boundPort = 0;

  private constructor(private readonly opts: TransportOptions) {
    this.udp = dgram.createSocket({ type: isIPv6(opts.host) ? "udp6" : "udp4" });
  }

  static async listen(opts: TransportOptions): Promise<SipTransport> {
    const t = new SipTransport(opts);
    await t.start();
    return t;
  }

  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this {
    this.listeners[event] = listener;
    return this;
  }

  get host(): string {
    return this.opts.host;
  }

  get port(): number {
    return this.boundPort;
  }

  private async start(): Promise<void> {
    // UDP first (it may pick the port), then TCP on the same number. With port 0 that number can already be
    // taken for TCP by another process: then both are given up and another number is tried.
    for (let attempt = 0; ; attempt++) {
      await this.bindUdp();
      if (this.opts.tcp === false) return;
      try {
        this.tcp = await this.listenTcp(this.boundPort);
        return;
      } catch (err) {
        await new Promise<void>((resolve) => this.udp.close(() => resolve()));
        if (this.opts.port !== 0 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 5) throw err;
        this.udp = dgram.createSocket({ type: isIPv6(this.opts.host) ? "udp6" : "udp4" });
      }
    }
  }

  private async bindUdp(): Promise<void> {
    const udp = this.udp;
    udp.on("message", (buf, rinfo) => this.onBytes(buf, { transport: "udp", address: rinfo.address, port: rinfo.port }));
    udp.on("error", (err) => this.listeners.error?.(err));
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(this.opts.port, this.opts.host, () => {
        udp.off("error", reject);
        resolve();
      });
    });
    this.boundPort = udp.address().port;
  }

  private async listenTcp(port: number): Promise<net.Server> {
    const server = net.createServer((socket) => this.adopt(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, this.opts.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => this.listeners.error?.(err));
    return server;
  }

  private adopt(socket: net.Socket): void {
    socket.setNoDelay(true);
    const peer: Peer = { transport: "tcp", address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
    const key = peerKey(peer);
    this.connections.set(key, socket);
    const framer = new StreamFramer({ maxSize: this.opts.maxMessageSize ?? 65_536 });
    socket.setTimeout(this.opts.tcpIdleMs ?? 300_000, () => socket.destroy());
    socket.on("data", (chunk) => {
      let messages: SipMessage[];
      try {
        messages = framer.push(chunk);
      } catch (err) {
        // A stream that went out of frame cannot be resynchronised (RFC 3261 section 18.3): close it.
        if (err instanceof SipParseError) this.listeners.malformed?.(chunk, err, peer);
        socket.destroy();
        return;
      }
      for (const m of messages) this.deliver(m, peer);
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (this.connections.get(key) === socket) this.connections.delete(key);
    });
  }

  private onBytes(buf: Buffer, from: Peer): void {
    if (this.closed) return;
    // RFC 5626 section 4.4.1: a CRLF keep-alive is not a message.
    if (buf.length <= 4 && buf.toString("latin1").trim() === "") return;
    let msg: SipMessage;
    try {
      msg = parseMessage(buf, { maxSize: this.opts.maxMessageSize ?? 65_536 });
    } catch (err) {
      if (err instanceof SipParseError) this.listeners.malformed?.(buf, err, from);
      else this.listeners.error?.(err as Error);
      return;
    }
    this.deliver(msg, from);
  }

  private deliver(msg: SipMessage, from: Peer): void {
    try {
      this.listeners.message?.(msg, from);
    } catch (err) {
      this.listeners.error?.(err as Error);
    }
  }

  /** Sends over UDP, or over the open TCP connection to that peer (opening one when there is none). */
  async send(msg: SipMessage, to: Peer): Promise<void> {
    if (this.closed) throw new Error("transport closed");
    const bytes = serialize(msg);
    if (to.transport === "udp") {
      await new Promise<void>((resolve, reject) => this.udp.send(bytes, to.port, to.address, (err) => (err ? reject(err) : resolve())));
      return;
    }
    let socket = this.connections.get(peerKey(to));
    if (!socket || socket.destroyed) {
      socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host: to.address, port: to.port }, () => {
          s.off("error", reject);
          resolve(s);
        });
        s.once("error", reject);
      });
      this.adopt(socket);
    }
    socket.write(bytes);
  }

  /** The sent-by of our Via (RFC 3261 section 18.1.1). */
  sentBy(): string {
    return `${isIPv6(this.opts.host) ? `[${this.opts.host}]` : this.opts.host}:${this.boundPort}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.connections.values()) s.destroy();
    this.connections.clear();
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
    if (this.tcp) await new Promise<void>((resolve) => this.tcp!.close(() => resolve()));
  }
}

export function peerKey(p: Peer): string {
  return `${p.transport}|${p.address}|${p.port}`;
}
