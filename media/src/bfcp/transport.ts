/**
 * BFCP transports of the floor control server, on one port number: TCP (RFC 8855 section 6.1: version 1,
 * messages framed by their Payload Length) and UDP (section 6.2: version 2, one message per datagram);
 * and, when a certificate is configured, TLS over TCP on a port of its own (section 6.1, RFC 8856 section
 * 4: TCP/TLS/BFCP; the SDP answer carries the certificate's fingerprint, RFC 8122).
 *
 * UDP reliability (section 6.2): the server answers a request with the R flag set and keeps the answer for
 * T2 (10 s), sending it again when the request is retransmitted (a duplicate is never processed twice);
 * the server's own messages (FloorRequestStatus and FloorStatus notifications) get a fresh Transaction ID
 * and are sent again after T1 (500 ms), doubling, until the client acknowledges them
 * (FloorRequestStatusAck, FloorStatusAck, or any response with that Transaction ID) or three
 * retransmissions went unanswered.
 */
import dgram from "node:dgram";
import { X509Certificate } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { decodeBfcp, encodeBfcp } from "./codec.ts";
import type { BfcpVersion } from "./constants.ts";
import { BfcpParseError } from "./errors.ts";
import { BfcpStreamFramer } from "./framer.ts";
import type { BfcpHeader, BfcpMessage } from "./messages.ts";
import type { BfcpParticipant } from "./identities.ts";
import type { BfcpLink, FloorControlServer } from "./floor-server.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Body = DistributiveOmit<BfcpMessage, keyof BfcpHeader>;

export interface BfcpTimers {
  /** first retransmission of the server's own messages over UDP (default 500 ms) */
  T1: number;
  /** how long an answer is kept for retransmitted requests over UDP (default 10 s) */
  T2: number;
  /** retransmissions before giving up (default 3) */
  maxRetransmissions: number;
}

const DEFAULT_TIMERS: BfcpTimers = { T1: 500, T2: 10_000, maxRetransmissions: 3 };
/** A TCP client that sends nothing for this long after connecting is dropped. */
const TCP_IDLE_MS = 30 * 60_000;
const MAX_TCP_LINKS = 10_000;

export interface BfcpTransportOptions {
  host: string;
  /** 0: any free port (the same number for TCP and UDP) */
  port: number;
  timers?: Partial<BfcpTimers>;
  /** TLS over TCP (TCP/TLS/BFCP): PEM certificate and key, and the port (0: any free port) */
  tls?: { cert: string; key: string; port: number } | null;
  onError?: (err: unknown) => void;
}

export class BfcpTransport {
  private tcp: net.Server | null = null;
  private tlsServer: tls.Server | null = null;
  /** the TLS listener's port and our certificate's SHA-256 fingerprint (RFC 8122 form), when TLS is on */
  tls: { port: number; fingerprint: string } | null = null;
  private udp: dgram.Socket | null = null;
  private readonly tcpLinks = new Set<TcpLink>();
  private readonly udpLinks = new Map<string, UdpLink>();
  readonly timers: BfcpTimers;
  port = 0;

  constructor(
    private readonly server: FloorControlServer,
    private readonly o: BfcpTransportOptions,
  ) {
    this.timers = { ...DEFAULT_TIMERS, ...o.timers };
  }

  async start(): Promise<void> {
    // TCP first (it may pick the port), then UDP on the same number; retry when that number is taken for UDP.
    for (let attempt = 0; ; attempt++) {
      const tcp = net.createServer((socket) => this.accept(socket));
      tcp.maxConnections = MAX_TCP_LINKS;
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(this.o.port, this.o.host, () => resolve());
      });
      const port = (tcp.address() as net.AddressInfo).port;
      const udp = dgram.createSocket(this.o.host.includes(":") ? "udp6" : "udp4");
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once("error", reject);
          udp.bind(port, this.o.host, () => resolve());
        });
      } catch (err) {
        udp.close();
        await new Promise<void>((r) => tcp.close(() => r()));
        if (this.o.port !== 0 || attempt >= 5) throw err;
        continue;
      }
      udp.on("error", (err) => this.o.onError?.(err));
      udp.on("message", (buf, rinfo) => this.datagram(buf, rinfo));
      tcp.on("error", (err) => this.o.onError?.(err));
      this.tcp = tcp;
      this.udp = udp;
      this.port = port;
      if (this.o.tls) await this.startTls(this.o.tls);
      return;
    }
  }

  private async startTls(opts: { cert: string; key: string; port: number }): Promise<void> {
    const fingerprint = new X509Certificate(opts.cert).fingerprint256;
    const server = tls.createServer({ cert: opts.cert, key: opts.key, minVersion: "TLSv1.2" }, (socket) => this.accept(socket));
    server.maxConnections = MAX_TCP_LINKS;
    // A failed handshake is the client's problem; the listener goes on.
    server.on("tlsClientError", (err) => this.o.onError?.(err));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, this.o.host, () => resolve());
    });
    server.on("error", (err) => this.o.onError?.(err));
    this.tlsServer = server;
    this.tls = { port: (server.address() as net.AddressInfo).port, fingerprint };
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const link = new TcpLink(socket, this.server, this.o.onError);
    this.tcpLinks.add(link);
    socket.once("close", () => {
      this.tcpLinks.delete(link);
      this.server.linkClosed(link);
    });
  }

  private datagram(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let link = this.udpLinks.get(key);
    if (!link) {
      link = new UdpLink(this.udp!, rinfo.address, rinfo.port, this.server, this.timers, () => {
        this.udpLinks.delete(key);
        this.server.linkClosed(link!);
      });
      this.udpLinks.set(key, link);
    }
    link.receive(buf);
  }

  /** Open associations (for leak checks). */
  get linkCount(): number {
    return this.tcpLinks.size + this.udpLinks.size;
  }

  async close(): Promise<void> {
    for (const l of this.tcpLinks) l.close();
    for (const l of [...this.udpLinks.values()]) l.close();
    await Promise.all([
      this.tcp ? new Promise<void>((r) => this.tcp!.close(() => r())) : null,
      this.tlsServer ? new Promise<void>((r) => this.tlsServer!.close(() => r())) : null,
      this.udp ? new Promise<void>((r) => this.udp!.close(() => r())) : null,
    ]);
  }
}

/** Section 6.1: one TCP connection; messages handled one after the other, in order. */
class TcpLink implements BfcpLink {
  readonly version: BfcpVersion = 1;
  readonly remoteAddress: string;
  participant: BfcpParticipant | null = null;
  private readonly framer: BfcpStreamFramer;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: net.Socket,
    server: FloorControlServer,
    onError?: (err: unknown) => void,
  ) {
    this.remoteAddress = socket.remoteAddress ?? "";
    this.framer = new BfcpStreamFramer({ version: 1, onInvalid: (err) => server.invalid(this, err) });
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on("error", (err) => onError?.(err));
    socket.on("data", (chunk) => {
      let messages: BfcpMessage[];
      try {
        messages = this.framer.push(chunk);
      } catch (err) {
        // The framing is lost (wrong version, oversized): answer if the header allows, then close.
        if (err instanceof BfcpParseError) server.invalid(this, err);
        socket.end();
        return;
      }
      for (const m of messages) this.queue = this.queue.then(() => server.handle(this, m));
    });
  }

  respond(request: BfcpHeader, msg: Body): void {
    this.write({ ...msg, version: 1, responder: false, conferenceId: request.conferenceId, transactionId: request.transactionId, userId: request.userId } as BfcpMessage);
  }

  /** Section 6.1: over a reliable transport the server's own messages carry Transaction ID 0. */
  notify(p: BfcpParticipant, msg: Body): void {
    this.write({ ...msg, version: 1, responder: false, conferenceId: p.confId, transactionId: 0, userId: p.userId } as BfcpMessage);
  }

  private write(msg: BfcpMessage): void {
    if (!this.socket.writable) return;
    this.socket.write(encodeBfcp(msg));
  }

  close(): void {
    this.socket.end();
  }
}

/** Section 6.2: one UDP peer (address and port). */
class UdpLink implements BfcpLink {
  readonly version: BfcpVersion = 2;
  participant: BfcpParticipant | null = null;
  /** answers by request key, kept T2 for retransmitted requests; null while the request is being handled */
  private readonly answers = new Map<string, { buf: Buffer | null; timer: NodeJS.Timeout | null }>();
  /** the server's own transactions waiting for an acknowledgement */
  private readonly pending = new Map<number, NodeJS.Timeout>();
  private nextTid = 1;
  private queue: Promise<void> = Promise.resolve();
  private idle: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: dgram.Socket,
    readonly remoteAddress: string,
    private readonly remotePort: number,
    private readonly server: FloorControlServer,
    private readonly timers: BfcpTimers,
    private readonly onClose: () => void,
  ) {
    this.touch();
  }

  receive(buf: Buffer): void {
    this.touch();
    let msg: BfcpMessage;
    try {
      msg = decodeBfcp(buf, { version: 2 });
    } catch (err) {
      if (err instanceof BfcpParseError) this.server.invalid(this, err);
      return;
    }
    if (msg.responder) {
      // An acknowledgement (or any response) ends our transaction with that ID.
      const t = this.pending.get(msg.transactionId);
      if (t) {
        clearTimeout(t);
        this.pending.delete(msg.transactionId);
      }
      return;
    }
    const key = `${msg.conferenceId}|${msg.userId}|${msg.transactionId}`;
    const seen = this.answers.get(key);
    if (seen) {
      // A retransmitted request: the same answer again, never a second execution.
      if (seen.buf) this.send(seen.buf);
      return;
    }
    this.answers.set(key, { buf: null, timer: null });
    this.queue = this.queue.then(() => this.server.handle(this, msg));
  }

  respond(request: BfcpHeader, msg: Body): void {
    const buf = encodeBfcp({ ...msg, version: 2, responder: true, conferenceId: request.conferenceId, transactionId: request.transactionId, userId: request.userId } as BfcpMessage);
    const key = `${request.conferenceId}|${request.userId}|${request.transactionId}`;
    const entry = this.answers.get(key) ?? { buf: null, timer: null };
    entry.buf = buf;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.answers.delete(key), this.timers.T2);
    this.answers.set(key, entry);
    this.send(buf);
  }

  notify(p: BfcpParticipant, msg: Body): void {
    const tid = this.transactionId();
    const buf = encodeBfcp({ ...msg, version: 2, responder: false, conferenceId: p.confId, transactionId: tid, userId: p.userId } as BfcpMessage);
    this.send(buf);
    let tries = 0;
    const again = (interval: number) => {
      this.pending.set(tid, setTimeout(() => {
        if (tries++ >= this.timers.maxRetransmissions) {
          this.pending.delete(tid);
          return;
        }
        this.send(buf);
        again(interval * 2);
      }, interval));
    };
    again(this.timers.T1);
  }

  /** A Transaction ID not in use by one of our pending transactions; never 0 over UDP (section 6.2). */
  private transactionId(): number {
    do this.nextTid = this.nextTid >= 0xffff ? 1 : this.nextTid + 1;
    while (this.pending.has(this.nextTid));
    return this.nextTid;
  }

  private send(buf: Buffer): void {
    this.socket.send(buf, this.remotePort, this.remoteAddress);
  }

  /** A UDP peer silent for the idle time is forgotten (no connection tells us it left). */
  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.close(), TCP_IDLE_MS);
    this.idle.unref();
  }

  close(): void {
    if (this.idle) clearTimeout(this.idle);
    for (const t of this.pending.values()) clearTimeout(t);
    for (const a of this.answers.values()) if (a.timer) clearTimeout(a.timer);
    this.pending.clear();
    this.answers.clear();
    this.onClose();
  }
}

