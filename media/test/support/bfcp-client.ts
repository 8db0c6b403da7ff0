/**
 * A minimal BFCP (RFC 8855) floor participant / floor chair for the integration tests and the BFCP
 * benchmark, written from the RFC on purpose without the focus' own codec (media/src/bfcp), so that the
 * two implementations check each other.
 *
 * Wire format (RFC 8855 section 5):
 *
 *   COMMON-HEADER (12 octets, section 5.1)
 *     octet 0: Ver (3 bits) | R (1) | F (1) | Res (3)     octet 1: Primitive
 *     octets 2-3: Payload Length in 4-octet units, header excluded
 *     octets 4-7: Conference ID      octets 8-9: Transaction ID      octets 10-11: User ID
 *   Attributes (section 5.2): octet 0 = Type (7 bits) | M (1 bit), octet 1 = Length (octets of Type, M,
 *   Length and contents, padding excluded), then the contents, then zero padding to a multiple of 4.
 *   A grouped attribute (sections 5.2.14-5.2.18) starts with a 16-bit identifier and carries its nested
 *   attributes (with their padding) inside its own Length.
 *
 * Transports: TCP with version 1, messages back to back (section 6.1), the server's own messages with
 * Transaction ID 0; UDP with version 2 (section 6.2), one message a datagram, R set on responses, the
 * client retransmitting its requests (T1 = 500 ms, doubling) and acknowledging the server's requests
 * (FloorRequestStatus -> FloorRequestStatusAck, FloorStatus -> FloorStatusAck) with their Transaction ID.
 */
import dgram from "node:dgram";
import net from "node:net";

// ---- numbers of RFC 8855 sections 5.1 and 5.2 ----

export const Primitive = {
  FloorRequest: 1,
  FloorRelease: 2,
  FloorRequestQuery: 3,
  FloorRequestStatus: 4,
  UserQuery: 5,
  UserStatus: 6,
  FloorQuery: 7,
  FloorStatus: 8,
  ChairAction: 9,
  ChairActionAck: 10,
  Hello: 11,
  HelloAck: 12,
  Error: 13,
  FloorRequestStatusAck: 14,
  FloorStatusAck: 15,
  Goodbye: 16,
  GoodbyeAck: 17,
} as const;

export const Attr = {
  BENEFICIARY_ID: 1,
  FLOOR_ID: 2,
  FLOOR_REQUEST_ID: 3,
  PRIORITY: 4,
  REQUEST_STATUS: 5,
  ERROR_CODE: 6,
  ERROR_INFO: 7,
  PARTICIPANT_PROVIDED_INFO: 8,
  STATUS_INFO: 9,
  SUPPORTED_ATTRIBUTES: 10,
  SUPPORTED_PRIMITIVES: 11,
  USER_DISPLAY_NAME: 12,
  USER_URI: 13,
  BENEFICIARY_INFORMATION: 14,
  FLOOR_REQUEST_INFORMATION: 15,
  REQUESTED_BY_INFORMATION: 16,
  FLOOR_REQUEST_STATUS: 17,
  OVERALL_REQUEST_STATUS: 18,
} as const;

/** Request Status values (section 5.2.5). */
export const Status = { Pending: 1, Accepted: 2, Granted: 3, Denied: 4, Cancelled: 5, Released: 6, Revoked: 7 } as const;

/** Error codes (section 5.2.6). */
export const ErrorCode = {
  ConferenceDoesNotExist: 1,
  UserDoesNotExist: 2,
  UnknownPrimitive: 3,
  UnknownMandatoryAttribute: 4,
  UnauthorizedOperation: 5,
  InvalidFloorId: 6,
  FloorRequestIdDoesNotExist: 7,
  MaxFloorRequestsReached: 8,
  UseTls: 9,
  UnableToParseMessage: 10,
  UseDtls: 11,
  UnsupportedVersion: 12,
  IncorrectMessageLength: 13,
  GenericError: 14,
} as const;

// ---- encoding ----

/** Who a message is from and about: the COMMON-HEADER fields a client chooses. */
export interface Ids {
  conferenceId: number;
  userId: number;
}

export interface HeaderFields extends Ids {
  version: number;
  responder?: boolean;
  primitive: number;
  transactionId: number;
}

/** One attribute, padded (section 5.2). `mandatory` is the M bit. */
export function attribute(type: number, contents: Buffer, mandatory = true): Buffer {
  const length = 2 + contents.length;
  if (length > 255) throw new RangeError(`attribute ${type}: ${length} octets do not fit the Length octet`);
  const out = Buffer.alloc(Math.ceil(length / 4) * 4);
  out[0] = (type << 1) | (mandatory ? 1 : 0);
  out[1] = length;
  contents.copy(out, 2);
  return out;
}

const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
};

/** BENEFICIARY-ID, FLOOR-ID, FLOOR-REQUEST-ID: Unsigned16 (sections 5.2.1-5.2.3). */
export const unsigned16 = (type: number, value: number) => attribute(type, u16(value));

/** PRIORITY (section 5.2.4): Prio in the 3 high bits, 13 reserved bits. */
export const priority = (prio: number) => attribute(Attr.PRIORITY, Buffer.from([prio << 5, 0]));

/** REQUEST-STATUS (section 5.2.5): Request Status, Queue Position. */
export const requestStatus = (status: number, queuePosition = 0) => attribute(Attr.REQUEST_STATUS, Buffer.from([status, queuePosition]));

/**
 * A grouped attribute (section 5.2.14 ff.): a 16-bit identifier then nested attributes. Its Length counts
 * the nested attributes with their padding, so the group needs no padding of its own.
 */
export function grouped(type: number, id: number, nested: Buffer[]): Buffer {
  return attribute(type, Buffer.concat([u16(id), ...nested]));
}

/** A whole message: COMMON-HEADER without fragment fields (F clear) and the attributes. */
export function message(h: HeaderFields, attrs: Buffer[] = []): Buffer {
  const body = Buffer.concat(attrs);
  if (body.length % 4 !== 0) throw new Error("attributes must be padded");
  const out = Buffer.alloc(12 + body.length);
  out[0] = (h.version << 5) | (h.responder ? 0x10 : 0);
  out[1] = h.primitive;
  out.writeUInt16BE(body.length / 4, 2);
  out.writeUInt32BE(h.conferenceId >>> 0, 4);
  out.writeUInt16BE(h.transactionId, 8);
  out.writeUInt16BE(h.userId, 10);
  body.copy(out, 12);
  return out;
}

/** The attributes of the requests this client sends (section 5.3), without the header. */
export const body = {
  /** FloorRequest (5.3.1): FLOOR-ID, [BENEFICIARY-ID], [PRIORITY]. */
  floorRequest(o: { floorId: number; beneficiaryId?: number; priority?: number }): { primitive: number; attrs: Buffer[] } {
    const attrs = [unsigned16(Attr.FLOOR_ID, o.floorId)];
    if (o.beneficiaryId !== undefined) attrs.push(unsigned16(Attr.BENEFICIARY_ID, o.beneficiaryId));
    if (o.priority !== undefined) attrs.push(priority(o.priority));
    return { primitive: Primitive.FloorRequest, attrs };
  },
  /** FloorRelease (5.3.2): FLOOR-REQUEST-ID. */
  floorRelease(floorRequestId: number) {
    return { primitive: Primitive.FloorRelease, attrs: [unsigned16(Attr.FLOOR_REQUEST_ID, floorRequestId)] };
  },
  /** FloorRequestQuery (5.3.3): FLOOR-REQUEST-ID. */
  floorRequestQuery(floorRequestId: number) {
    return { primitive: Primitive.FloorRequestQuery, attrs: [unsigned16(Attr.FLOOR_REQUEST_ID, floorRequestId)] };
  },
  /** FloorQuery (5.3.7): *FLOOR-ID. */
  floorQuery(floorIds: number[]) {
    return { primitive: Primitive.FloorQuery, attrs: floorIds.map((f) => unsigned16(Attr.FLOOR_ID, f)) };
  },
  /**
   * ChairAction (5.3.9): FLOOR-REQUEST-INFORMATION, holding one FLOOR-REQUEST-STATUS per floor of the
   * request, each with the chair's decision as its REQUEST-STATUS (section 11.1: Accepted, Denied,
   * Granted or Revoked).
   */
  chairAction(o: { floorRequestId: number; floorId: number; status: number; statusInfo?: string }) {
    const inner = [requestStatus(o.status, 0)];
    if (o.statusInfo !== undefined) inner.push(attribute(Attr.STATUS_INFO, Buffer.from(o.statusInfo, "utf8")));
    const frs = grouped(Attr.FLOOR_REQUEST_STATUS, o.floorId, inner);
    return { primitive: Primitive.ChairAction, attrs: [grouped(Attr.FLOOR_REQUEST_INFORMATION, o.floorRequestId, [frs])] };
  },
  hello() {
    return { primitive: Primitive.Hello, attrs: [] as Buffer[] };
  },
  goodbye() {
    return { primitive: Primitive.Goodbye, attrs: [] as Buffer[] };
  },
};

// ---- decoding ----

export interface StatusValue {
  status: number;
  queuePosition: number;
}

export interface FloorRequestInfo {
  floorRequestId: number;
  overall?: { floorRequestId: number; requestStatus?: StatusValue; statusInfo?: string };
  floors: { floorId: number; requestStatus?: StatusValue; statusInfo?: string }[];
  beneficiaryId?: number;
  priority?: number;
}

export interface RawAttribute {
  type: number;
  mandatory: boolean;
  contents: Buffer;
}

/** What the tests look at in a received message. */
export interface Received {
  version: number;
  responder: boolean;
  primitive: number;
  conferenceId: number;
  transactionId: number;
  userId: number;
  attributes: RawAttribute[];
  /** FloorRequestStatus, FloorStatus, UserStatus */
  floorRequests: FloorRequestInfo[];
  /** FloorStatus */
  floorId?: number;
  /** Error */
  errorCode?: number;
  /** Error with code 4: the unknown attribute types its details list */
  unknownAttributes?: number[];
  errorInfo?: string;
  /** HelloAck */
  supportedPrimitives?: number[];
  supportedAttributes?: number[];
  /** the datagram or frame as received */
  raw: Buffer;
}

export class DecodeError extends Error {}

/** Walks the attributes in buf[from, to) (section 5.2); checks every Length against the container. */
function attributes(buf: Buffer, from: number, to: number): RawAttribute[] {
  const out: RawAttribute[] = [];
  let p = from;
  while (p < to) {
    if (to - p < 2) throw new DecodeError(`attribute header cut at ${p}`);
    const length = buf[p + 1]!;
    if (length < 2) throw new DecodeError(`attribute Length ${length} at ${p}`);
    const padded = Math.ceil(length / 4) * 4;
    if (p + padded > to) throw new DecodeError(`attribute at ${p} runs past its container`);
    out.push({ type: buf[p]! >> 1, mandatory: (buf[p]! & 1) === 1, contents: buf.subarray(p + 2, p + length) });
    p += padded;
  }
  return out;
}

function statusValue(a: RawAttribute): StatusValue {
  return { status: a.contents[0]!, queuePosition: a.contents[1]! };
}

function statusGroup(a: RawAttribute): { id: number; requestStatus?: StatusValue; statusInfo?: string } {
  const g: { id: number; requestStatus?: StatusValue; statusInfo?: string } = { id: a.contents.readUInt16BE(0) };
  for (const n of attributes(a.contents, 2, a.contents.length)) {
    if (n.type === Attr.REQUEST_STATUS) g.requestStatus = statusValue(n);
    if (n.type === Attr.STATUS_INFO) g.statusInfo = n.contents.toString("utf8");
  }
  return g;
}

function floorRequestInfo(a: RawAttribute): FloorRequestInfo {
  const info: FloorRequestInfo = { floorRequestId: a.contents.readUInt16BE(0), floors: [] };
  for (const n of attributes(a.contents, 2, a.contents.length)) {
    switch (n.type) {
      case Attr.OVERALL_REQUEST_STATUS: {
        const g = statusGroup(n);
        info.overall = { floorRequestId: g.id, ...(g.requestStatus ? { requestStatus: g.requestStatus } : {}), ...(g.statusInfo ? { statusInfo: g.statusInfo } : {}) };
        break;
      }
      case Attr.FLOOR_REQUEST_STATUS: {
        const g = statusGroup(n);
        info.floors.push({ floorId: g.id, ...(g.requestStatus ? { requestStatus: g.requestStatus } : {}), ...(g.statusInfo ? { statusInfo: g.statusInfo } : {}) });
        break;
      }
      case Attr.BENEFICIARY_INFORMATION:
        info.beneficiaryId = n.contents.readUInt16BE(0);
        break;
      case Attr.PRIORITY:
        info.priority = n.contents[0]! >> 5;
        break;
    }
  }
  return info;
}

/** Decodes one whole message (header and attributes); throws DecodeError on a malformed one. */
export function decode(buf: Buffer): Received {
  if (buf.length < 12) throw new DecodeError(`${buf.length} octets: no COMMON-HEADER`);
  const total = 12 + buf.readUInt16BE(2) * 4;
  if (buf.length !== total) throw new DecodeError(`Payload Length says ${total} octets, got ${buf.length}`);
  if (buf[0]! & 0x08) throw new DecodeError("fragmented (F flag): not handled by this client");
  const m: Received = {
    version: buf[0]! >> 5,
    responder: (buf[0]! & 0x10) !== 0,
    primitive: buf[1]!,
    conferenceId: buf.readUInt32BE(4),
    transactionId: buf.readUInt16BE(8),
    userId: buf.readUInt16BE(10),
    attributes: attributes(buf, 12, total),
    floorRequests: [],
    raw: Buffer.from(buf),
  };
  for (const a of m.attributes) {
    switch (a.type) {
      case Attr.FLOOR_REQUEST_INFORMATION:
        m.floorRequests.push(floorRequestInfo(a));
        break;
      case Attr.FLOOR_ID:
        m.floorId = a.contents.readUInt16BE(0);
        break;
      case Attr.ERROR_CODE:
        m.errorCode = a.contents[0]!;
        if (m.errorCode === ErrorCode.UnknownMandatoryAttribute) m.unknownAttributes = [...a.contents.subarray(1)].map((b) => b >> 1);
        break;
      case Attr.ERROR_INFO:
        m.errorInfo = a.contents.toString("utf8");
        break;
      case Attr.SUPPORTED_PRIMITIVES:
        m.supportedPrimitives = [...a.contents];
        break;
      case Attr.SUPPORTED_ATTRIBUTES:
        m.supportedAttributes = [...a.contents].map((b) => b >> 1);
        break;
    }
  }
  return m;
}

/** The status of the (first) request a FloorRequestStatus reports: OVERALL-REQUEST-STATUS, else its floor's. */
export function statusOf(m: Received): (StatusValue & { floorRequestId: number }) | undefined {
  const info = m.floorRequests[0];
  if (!info) return undefined;
  const s = info.overall?.requestStatus ?? info.floors[0]?.requestStatus;
  return s ? { ...s, floorRequestId: info.floorRequestId } : undefined;
}

// ---- transports ----

/** What both transports offer the tests. */
export abstract class BfcpClient {
  /** every message received, in order (duplicates included) */
  readonly received: Received[] = [];
  private waiters = new Set<() => void>();
  private nextTid = 1;
  closed = false;

  constructor(
    readonly version: 1 | 2,
    public ids: Ids,
  ) {}

  protected deliver(m: Received): void {
    this.received.push(m);
    this.wake();
  }

  protected wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** A fresh Transaction ID for a request (never 0: section 8 of RFC 8855 keeps 0 for server notifications over TCP). */
  transactionId(): number {
    const t = this.nextTid;
    this.nextTid = this.nextTid >= 0xffff ? 1 : this.nextTid + 1;
    return t;
  }

  /** Resolves with the first received message (from index `from` on) that matches, or rejects after `ms`. */
  waitFor(pred: (m: Received) => boolean, ms = 5000, from = 0): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.received.slice(from).find(pred);
        if (hit) {
          done();
          resolve(hit);
        } else if (this.closed) {
          done();
          reject(new Error(`connection closed before the expected message; received: ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching BFCP message in ${ms} ms; received: ${this.describe()}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves when the transport is closed by the peer (TCP), rejects after `ms`. */
  waitClosed(ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.closed) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`still open after ${ms} ms`));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  describe(): string {
    return JSON.stringify(this.received.map((m) => ({ p: m.primitive, tid: m.transactionId, r: m.responder, s: statusOf(m), e: m.errorCode, info: m.errorInfo })));
  }

  /** Sends a request and resolves with its response (the message with its Transaction ID, R set over UDP). */
  abstract request(b: { primitive: number; attrs: Buffer[] }, opts?: { ids?: Ids; timeoutMs?: number }): Promise<Received>;
  /** Sends bytes as they are (a TCP write or one datagram). */
  abstract sendRaw(buf: Buffer): void;
  abstract close(): void;

  protected header(primitive: number, transactionId: number, ids: Ids = this.ids, responder = false): HeaderFields {
    return { version: this.version, responder, primitive, transactionId, ...ids };
  }
}

/** BFCP over TCP (RFC 8855 section 6.1): version 1, a message after the other on one connection. */
export class BfcpTcpClient extends BfcpClient {
  private buffered = Buffer.alloc(0);
  /** bytes that did not decode (the stream is then unusable) */
  readonly garbage: Buffer[] = [];

  private constructor(
    private readonly socket: net.Socket,
    ids: Ids,
  ) {
    super(1, ids);
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static connect(port: number, ids: Ids, opts: { host?: string; localAddress?: string } = {}): Promise<BfcpTcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: opts.host ?? "127.0.0.1", ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
      socket.setNoDelay(true);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new BfcpTcpClient(socket, ids));
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 12) {
      const total = 12 + this.buffered.readUInt16BE(2) * 4;
      if (this.buffered.length < total) break;
      const frame = this.buffered.subarray(0, total);
      this.buffered = this.buffered.subarray(total);
      try {
        this.deliver(decode(frame));
      } catch {
        this.garbage.push(Buffer.from(frame));
      }
    }
  }

  async request(b: { primitive: number; attrs: Buffer[] }, opts: { ids?: Ids; timeoutMs?: number } = {}): Promise<Received> {
    const tid = this.transactionId();
    const from = this.received.length;
    this.sendRaw(message(this.header(b.primitive, tid, opts.ids), b.attrs));
    return this.waitFor((m) => m.transactionId === tid, opts.timeoutMs ?? 5000, from);
  }

  sendRaw(buf: Buffer): void {
    this.socket.write(buf);
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface UdpOptions {
  /** acknowledge the server's FloorRequestStatus/FloorStatus notifications (default true) */
  autoAck?: boolean;
  /** retransmission timer T1 for the client's requests (default 500 ms, doubling) */
  t1Ms?: number;
  /** retransmissions before giving up (default 4) */
  maxRetransmissions?: number;
}

/** BFCP over UDP (RFC 8855 section 6.2): version 2, R flag on responses, retransmissions, acknowledgements. */
export class BfcpUdpClient extends BfcpClient {
  autoAck: boolean;
  private readonly t1: number;
  private readonly maxRetransmissions: number;
  /** datagrams sent (retransmissions included), for the tests */
  sent = 0;
  /** transmissions of the next request to leave unsent ("lost" on the way) */
  private nextLostSends = 0;
  /** responses to the next request to drop ("lost" on the way back) */
  private nextLostResponses = 0;
  /** responses still to drop, by Transaction ID */
  private readonly loseResponses = new Map<number, number>();
  /** transactions waiting for their response */
  private readonly pending = new Map<number, (m: Received) => void>();

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly port: number,
    private readonly host: string,
    ids: Ids,
    opts: UdpOptions,
  ) {
    super(2, ids);
    this.autoAck = opts.autoAck ?? true;
    this.t1 = opts.t1Ms ?? 500;
    this.maxRetransmissions = opts.maxRetransmissions ?? 4;
    socket.on("message", (buf) => this.onDatagram(buf));
  }

  static async open(port: number, ids: Ids, opts: UdpOptions & { host?: string; localAddress?: string } = {}): Promise<BfcpUdpClient> {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, opts.localAddress ?? "127.0.0.1", () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return new BfcpUdpClient(socket, port, opts.host ?? "127.0.0.1", ids, opts);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** The next request's first `copies` transmissions are not sent (as if lost on the way). */
  loseNextSends(copies = 1): void {
    this.nextLostSends = copies;
  }

  /** The next request's first `copies` responses are dropped (as if lost on the way back). */
  loseNextResponses(copies = 1): void {
    this.nextLostResponses = copies;
  }

  private onDatagram(buf: Buffer): void {
    let m: Received;
    try {
      m = decode(buf);
    } catch {
      return;
    }
    if (m.responder) {
      const lose = this.loseResponses.get(m.transactionId) ?? 0;
      if (lose > 0) {
        this.loseResponses.set(m.transactionId, lose - 1);
        this.dropped.push(m);
        return;
      }
      this.deliver(m);
      this.pending.get(m.transactionId)?.(m);
      return;
    }
    this.deliver(m);
    if (this.autoAck) this.ack(m);
  }

  /** responses dropped by loseNextResponses */
  readonly dropped: Received[] = [];

  /** Acknowledges a server request (section 6.2): the matching Ack, same Transaction ID, R set. */
  ack(m: Received): void {
    const primitive = m.primitive === Primitive.FloorRequestStatus ? Primitive.FloorRequestStatusAck : m.primitive === Primitive.FloorStatus ? Primitive.FloorStatusAck : m.primitive === Primitive.Goodbye ? Primitive.GoodbyeAck : null;
    if (primitive === null) return;
    this.sendRaw(message(this.header(primitive, m.transactionId, { conferenceId: m.conferenceId, userId: m.userId }, true)));
  }

  /**
   * Sends a request, retransmitting it after T1, 2*T1, ... until its response arrives (section 6.2); a
   * retransmission is the same datagram. Rejects after the last retransmission went unanswered.
   */
  request(b: { primitive: number; attrs: Buffer[] }, opts: { ids?: Ids; timeoutMs?: number } = {}): Promise<Received> {
    const tid = this.transactionId();
    const datagram = message(this.header(b.primitive, tid, opts.ids), b.attrs);
    const loseSend = this.nextLostSends;
    this.nextLostSends = 0;
    if (this.nextLostResponses > 0) this.loseResponses.set(tid, this.nextLostResponses);
    this.nextLostResponses = 0;
    let copies = 0;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const transmit = (interval: number) => {
        if (copies > this.maxRetransmissions) {
          this.pending.delete(tid);
          reject(new Error(`no response to transaction ${tid} after ${copies} transmissions; received: ${this.describe()}`));
          return;
        }
        if (copies >= loseSend) this.sendRaw(datagram);
        copies++;
        timer = setTimeout(() => transmit(interval * 2), interval);
      };
      this.pending.set(tid, (m) => {
        clearTimeout(timer);
        this.pending.delete(tid);
        resolve(m);
      });
      transmit(this.t1);
    });
  }

  sendRaw(buf: Buffer): void {
    this.sent++;
    this.socket.send(buf, this.port, this.host);
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }
}
