/**
 * The SIP endpoint: transport + transaction layer (RFC 3261 sections 17-18) with an API close to
 * drachtio-srf's request handling, so that a deployment with drachtio-server could adopt it later:
 * `on("request", (req, res) => ...)` where `res.send(status, reason?, opts?)` answers through the server
 * transaction, and `request(...)` sends a request through a client transaction.
 *
 * It matches requests to server transactions (section 17.2.3), responses to client transactions
 * (section 17.1.3), applies RFC 3581 (rport) to incoming requests, and sends responses where section
 * 18.2.2 says. ACKs for 2xx and CANCELs are handed to the transaction user with their INVITE.
 */
import { randomBytes } from "node:crypto";
import { createResponse, type SipMessage, type SipRequest, type SipResponse } from "./message.ts";
import { parseVia, formatVia, parseCSeq, parseNameAddr, type Via } from "./address.ts";
import { SipHeaders } from "./headers.ts";
import { SipTransport, type Peer, type TransportOptions } from "./transport.ts";
import {
  InviteClientTransaction, InviteServerTransaction, NonInviteClientTransaction, NonInviteServerTransaction,
  type ClientTransaction, type ServerTransaction,
} from "./transaction.ts";
import { DEFAULT_TIMERS, type SipTimers } from "./timers.ts";
import { parseUri } from "./uri.ts";
import type { SipParseError } from "./errors.ts";

const MAGIC_COOKIE = "z9hG4bK";

export function newBranch(): string {
  return MAGIC_COOKIE + randomBytes(10).toString("hex");
}

export function newTag(): string {
  return randomBytes(6).toString("hex");
}

/** A response handle for one incoming request (drachtio-srf's `res`). */
export interface ResponseHandle {
  readonly transaction: ServerTransaction;
  send(status: number, reason?: string, opts?: { headers?: [string, string][]; body?: Buffer | string; contentType?: string; toTag?: string }): SipResponse;
  /** for responses built by hand */
  sendResponse(res: SipResponse): void;
}

export interface EndpointEvents {
  /** a new request (not ACK, not a retransmission); CANCEL comes with the INVITE transaction it cancels */
  request: (req: SipRequest, res: ResponseHandle, from: Peer) => void;
  /** an ACK to a 2xx (it has no transaction: RFC 3261 section 17.1.1.3) */
  ack: (ack: SipRequest, from: Peer) => void;
  /** a CANCEL that matched a pending INVITE; the endpoint already answered it 200 (section 9.2) */
  cancel: (invite: InviteServerTransaction, cancel: SipRequest) => void;
  /** a response that matched no client transaction (e.g. a retransmitted 2xx to INVITE after Timer M) */
  strayResponse: (res: SipResponse, from: Peer) => void;
  /** a message that did not parse; a request got a 400 when it could be answered at all */
  malformed: (raw: Buffer, err: SipParseError, from: Peer) => void;
  /** an INVITE transaction whose non-2xx final response was never ACKed */
  ackTimeout: (tx: InviteServerTransaction) => void;
  error: (err: Error) => void;
}

export interface EndpointOptions extends TransportOptions {
  timers?: Partial<SipTimers>;
  /** Server header / User-Agent */
  userAgent?: string;
}

export class SipEndpoint {
  readonly timers: SipTimers;
  private readonly server = new Map<string, ServerTransaction>();
  private readonly client = new Map<string, ClientTransaction>();
  private listeners: Partial<EndpointEvents> = {};

  private constructor(readonly transport: SipTransport, opts: EndpointOptions) {
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    this.userAgent = opts.userAgent ?? "dcon-focus";
    transport.on("message", (m, from) => this.onMessage(m, from));
    transport.on("malformed", (raw, err, from) => this.onMalformed(raw, err, from));
    transport.on("error", (err) => this.listeners.error?.(err));
  }

  readonly userAgent: string;

  static async listen(opts: EndpointOptions): Promise<SipEndpoint> {
    return new SipEndpoint(await SipTransport.listen(opts), opts);
  }

  on<E extends keyof EndpointEvents>(event: E, listener: EndpointEvents[E]): this {
    this.listeners[event] = listener;
    return this;
  }

  get port(): number {
    return this.transport.port;
  }

  /** Open transactions (for leak checks and metrics). */
  get transactionCount(): { server: number; client: number } {
    return { server: this.server.size, client: this.client.size };
  }

  // ---- incoming ----

  private onMessage(msg: SipMessage, from: Peer): void {
    if (msg.kind === "response") return this.onResponse(msg, from);
    const via = topVia(msg);
    if (!via) return; // parseMessage guarantees a Via; defensive for hand-made messages
    applyRport(msg, via, from);
    const key = serverKey(msg, via);
    if (msg.method === "ACK") {
      const tx = this.server.get(key);
      if (tx instanceof InviteServerTransaction && tx.state === "completed") tx.ack();
      else if (!(tx instanceof InviteServerTransaction && tx.state === "confirmed")) this.listeners.ack?.(msg, from);
      return;
    }
    const existing = this.server.get(key);
    if (existing) {
      existing.retransmission();
      return;
    }
    if (msg.method === "CANCEL") return this.onCancel(msg, via, from);
    const responseTo = responseDestination(msg, from);
    const tx = this.createServerTransaction(msg, key, responseTo);
    const handle = this.handle(msg, tx);
    const refusal = unsupportedUris(msg);
    if (refusal) {
      handle.send(refusal[0], refusal[1]);
      return;
    }
    try {
      this.listeners.request?.(msg, handle, from);
    } catch (err) {
      this.listeners.error?.(err as Error);
      if (tx.state === "proceeding" || tx.state === "trying") handle.send(500);
    }
    if (!this.listeners.request) handle.send(501);
  }

  private createServerTransaction(req: SipRequest, key: string, responseTo: Peer): ServerTransaction {
    const send = (m: SipMessage, to: Peer) => this.transmit(m, to);
    const onTerminated = () => {
      if (this.server.get(key) === tx) this.server.delete(key);
    };
    const tx: ServerTransaction = req.method === "INVITE"
      ? new InviteServerTransaction({
        request: req, responseTo, send, timers: this.timers, onTerminated,
        autoTrying: (r) => this.decorate(createResponse(r, 100)),
        onAckTimeout: () => this.listeners.ackTimeout?.(tx as InviteServerTransaction),
      })
      : new NonInviteServerTransaction({ request: req, responseTo, send, timers: this.timers, onTerminated });
    this.server.set(key, tx);
    return tx;
  }

  private handle(req: SipRequest, tx: ServerTransaction): ResponseHandle {
    return {
      transaction: tx,
      send: (status, reason, opts = {}) => {
        const toTag = opts.toTag ?? (status > 100 ? responseTag(tx) : undefined);
        const res = this.decorate(createResponse(req, status, reason, {
          ...(toTag ? { toTag } : {}),
          ...(opts.headers ? { headers: opts.headers } : {}),
          ...(opts.body !== undefined ? { body: Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body) } : {}),
          ...(opts.contentType ? { contentType: opts.contentType } : {}),
        }));
        tx.respond(res);
        return res;
      },
      sendResponse: (res) => tx.respond(res),
    };
  }

  /** CANCEL (RFC 3261 section 9.2): 200 to the CANCEL itself; the TU then answers the INVITE with 487. */
  private onCancel(cancel: SipRequest, via: Via, from: Peer): void {
    const key = serverKey(cancel, via);
    const tx = this.createServerTransaction(cancel, key, responseDestination(cancel, from));
    const invite = this.server.get(serverKey({ ...cancel, method: "INVITE" }, via));
    if (!(invite instanceof InviteServerTransaction)) {
      tx.respond(this.decorate(createResponse(cancel, 481, undefined, { toTag: newTag() })));
      return;
    }
    // Section 9.2: the CANCEL's 200 carries the To tag of the INVITE's responses (an early dialog's, after a 183).
    tx.respond(this.decorate(createResponse(cancel, 200, undefined, { toTag: responseTag(invite) })));
    if (invite.state === "proceeding") this.listeners.cancel?.(invite, cancel);
  }

  private onResponse(res: SipResponse, from: Peer): void {
    const via = topVia(res);
    const branch = via?.params.get("branch");
    const cseq = res.headers.get("CSeq");
    if (!branch || !cseq) return;
    let method: string;
    try {
      method = parseCSeq(cseq).method;
    } catch {
      return;
    }
    const tx = this.client.get(`${branch}|${method}`);
    if (tx) tx.receive(res);
    else this.listeners.strayResponse?.(res, from);
  }

  /** A malformed request gets a stateless 400 when its Via, From, To, Call-ID and CSeq can still be read. */
  private onMalformed(raw: Buffer, err: SipParseError, from: Peer): void {
    this.listeners.malformed?.(raw, err, from);
    const reply = badRequestFor(err, from);
    if (reply) void this.transport.send(reply.response, reply.to).catch(() => {});
  }

  // ---- outgoing ----

  /**
   * Sends a request through a new client transaction; adds the top Via (with a fresh branch and rport),
   * Max-Forwards and User-Agent when missing. Resolves with the final response (`tx.final`).
   */
  request(req: SipRequest, to: Peer, opts: { onProvisional?: (res: SipResponse) => void; onExtra2xx?: (res: SipResponse) => void } = {}): ClientTransaction {
    const branch = newBranch();
    req.headers.prepend("Via", formatVia({ protocol: "SIP/2.0", transport: to.transport.toUpperCase(), host: this.transport.host, port: this.transport.port, params: new Map<string, string | null>([["branch", branch], ["rport", null]]) }));
    if (!req.headers.has("Max-Forwards")) req.headers.set("Max-Forwards", "70");
    if (!req.headers.has("User-Agent")) req.headers.set("User-Agent", this.userAgent);
    const key = `${branch}|${req.method === "ACK" ? "INVITE" : req.method}`;
    const send = (m: SipMessage, peer: Peer) => this.transmit(m, peer);
    const onTerminated = () => {
      if (this.client.get(key) === tx) this.client.delete(key);
    };
    const tx: ClientTransaction = req.method === "INVITE"
      ? new InviteClientTransaction({ request: req, to, send, timers: this.timers, onTerminated, ...opts, ackFor: (res) => ackForNon2xx(req, res) })
      : new NonInviteClientTransaction({ request: req, to, send, timers: this.timers, onTerminated, ...(opts.onProvisional ? { onProvisional: opts.onProvisional } : {}) });
    this.client.set(key, tx);
    return tx;
  }

  /** Sends a message outside any transaction (an ACK for a 2xx, a 2xx retransmission by the TU). */
  sendStateless(msg: SipMessage, to: Peer): void {
    this.transmit(msg, to);
  }

  private transmit(msg: SipMessage, to: Peer): void {
    this.transport.send(msg, to).catch((err: Error) => this.listeners.error?.(err));
  }

  private decorate(res: SipResponse): SipResponse {
    if (!res.headers.has("Server")) res.headers.set("Server", this.userAgent);
    return res;
  }

  async close(): Promise<void> {
    for (const tx of [...this.server.values(), ...this.client.values()]) tx.terminate();
    this.server.clear();
    this.client.clear();
    await this.transport.close();
  }
}

function topVia(msg: { headers: SipHeaders }): Via | null {
  const first = msg.headers.getAll("Via")[0];
  if (!first) return null;
  try {
    return parseVia(first)[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * The To tag of a response whose transaction user gave none (RFC 3261 section 8.2.6.2: every response but
 * a 100 carries one, and the same one for all responses to a request): the tag the transaction's earlier
 * response had, else a new one. A To that has a tag already (in a dialog) keeps it: createResponse adds none.
 */
function responseTag(tx: ServerTransaction): string {
  const last = tx.lastResponse;
  if (last) {
    try {
      const tag = parseNameAddr(last.headers.get("To") ?? "").params.get("tag");
      if (tag) return tag;
    } catch {
      // a To we could not read: a new tag
    }
  }
  return newTag();
}

/**
 * The parser carries any absoluteURI in the Request-URI, From and To (RFC 3261 section 25.1; RFC 4475
 * sections 3.3.2-3.3.4), but only sip, sips and tel URIs can be acted on here (parseUri, parseNameAddr):
 * another Request-URI scheme gets 416 (section 8.2.2.1), another From or To scheme 400 (RFC 4475 section
 * 3.3.4), before the transaction user sees a request it could not read.
 */
function unsupportedUris(req: SipRequest): [number, string] | null {
  try {
    parseUri(req.uri);
  } catch {
    return [416, "Unsupported URI Scheme"];
  }
  for (const name of ["From", "To"] as const) {
    try {
      parseNameAddr(req.headers.get(name)!);
    } catch {
      return [400, `Bad Request (unsupported URI in ${name})`];
    }
  }
  return null;
}

/** Section 17.2.3: branch + sent-by + method (ACK matches its INVITE); RFC 2543 peers without the cookie by dialog identifiers. */
function serverKey(req: { method: string; headers: SipHeaders }, via: Via): string {
  const method = req.method === "ACK" ? "INVITE" : req.method;
  const branch = via.params.get("branch");
  if (branch?.startsWith(MAGIC_COOKIE)) return `${branch}|${via.host}:${via.port ?? ""}|${method}`;
  const cseq = req.headers.get("CSeq") ?? "";
  const seq = cseq.trim().split(/\s+/)[0];
  return `2543|${req.headers.get("Call-ID")}|${seq}|${req.headers.get("From")}|${via.host}:${via.port ?? ""}|${method}`;
}

/** RFC 3581 section 4 and RFC 3261 section 18.2.1: note where the request really came from. */
function applyRport(req: SipRequest, via: Via, from: Peer): void {
  let changed = false;
  if (via.host !== from.address) {
    via.params.set("received", from.address);
    changed = true;
  }
  if (via.params.has("rport") && via.params.get("rport") === null) {
    via.params.set("rport", String(from.port));
    via.params.set("received", from.address);
    changed = true;
  }
  if (!changed) return;
  const all = req.headers.getAll("Via");
  all[0] = formatVia(via);
  req.headers.delete("Via");
  for (const v of all) req.headers.append("Via", v);
}

/** Section 18.2.2 (with RFC 3581): where a response to this request goes. */
export function responseDestination(req: SipRequest, from: Peer): Peer {
  if (from.transport !== "udp") return from; // back over the same connection
  const via = topVia(req);
  if (!via) return from;
  const maddr = via.params.get("maddr");
  if (maddr) return { transport: "udp", address: maddr, port: via.port ?? 5060 };
  const received = via.params.get("received");
  const rport = via.params.get("rport");
  return {
    transport: "udp",
    address: received ?? via.host,
    port: rport ? Number(rport) : (via.port ?? 5060),
  };
}

/** Section 17.1.1.3: the ACK for a non-2xx final response is built by the transaction, same branch. */
function ackForNon2xx(invite: SipRequest, res: SipResponse): SipRequest {
  const headers = new SipHeaders();
  headers.append("Via", invite.headers.getAll("Via")[0]!);
  for (const r of invite.headers.getAll("Route")) headers.append("Route", r);
  headers.append("From", invite.headers.get("From")!);
  headers.append("To", res.headers.get("To")!);
  headers.append("Call-ID", invite.headers.get("Call-ID")!);
  headers.append("CSeq", `${parseCSeq(invite.headers.get("CSeq")!).seq} ACK`);
  headers.append("Max-Forwards", "70");
  return { kind: "request", method: "ACK", uri: invite.uri, version: "SIP/2.0", headers, body: Buffer.alloc(0) };
}

/**
 * A stateless 400 (505 for a bad SIP version) for a malformed request whose Via, From, To, Call-ID and
 * CSeq could still be read (the parser hands them over in `err.request`); anything else is dropped.
 */
function badRequestFor(err: SipParseError, from: Peer): { response: SipResponse; to: Peer } | null {
  const head = err.request;
  if (!head || !["Via", "From", "To", "Call-ID", "CSeq"].every((h) => head.headers.has(h))) return null;
  if (head.method === "ACK") return null; // an ACK is never answered (RFC 3261 section 17.1.1.1)
  const via = topVia(head);
  if (!via) return null;
  let response: SipResponse;
  try {
    response = err.code === "VERSION"
      ? createResponse(head, 505, "Version Not Supported", { toTag: newTag() })
      : createResponse(head, 400, `Bad Request (${err.code})`, hasToTag(head) ? {} : { toTag: newTag() });
  } catch {
    return null; // a To or Via too broken to copy
  }
  const req = { kind: "request", method: head.method, uri: head.uri, version: "SIP/2.0", headers: response.headers, body: Buffer.alloc(0) } as SipRequest;
  applyRport(req, via, from);
  return { response, to: responseDestination(req, from) };
}

function hasToTag(head: { headers: SipHeaders }): boolean {
  return /;\s*tag=/i.test(head.headers.get("To") ?? "");
}
