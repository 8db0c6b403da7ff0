/**
 * SIP dialogs (RFC 3261 section 12), UAS side: the state a 2xx to INVITE (or SUBSCRIBE) creates, and the
 * in-dialog requests the focus sends (BYE, re-INVITE, NOTIFY). Also the UAS's duty of retransmitting
 * its 2xx to INVITE until the ACK arrives (section 13.3.1.4).
 *
 * States (section 12 and 13): Early is not used by the focus (it answers without early media), so a
 * dialog is "confirmed" once the 2xx is sent, "established" once the ACK arrives, then "terminated".
 */
import { parseCSeq, parseNameAddr, formatNameAddr, type NameAddr } from "./address.ts";
import { parseUri, formatUri, type SipUri } from "./uri.ts";
import { SipHeaders } from "./headers.ts";
import { createResponse, type SipRequest, type SipResponse } from "./message.ts";
import type { Peer } from "./transport.ts";
import type { SipEndpoint } from "./endpoint.ts";
import { newTag } from "./endpoint.ts";
import type { ClientTransaction } from "./transaction.ts";

export type DialogState = "confirmed" | "established" | "terminated";

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}|${id.localTag}|${id.remoteTag}`;
}

/**
 * The key of the UAS dialog an incoming request belongs to (section 12.2.2: Call-ID, our tag in To, the
 * peer's tag in From); "" when its To or From cannot be read, which matches no dialog.
 */
export function uasDialogKeyOf(req: SipRequest): string {
  try {
    const callId = req.headers.get("Call-ID") ?? "";
    const localTag = parseNameAddr(req.headers.get("To") ?? "").params.get("tag") ?? "";
    const remoteTag = parseNameAddr(req.headers.get("From") ?? "").params.get("tag") ?? "";
    return dialogKey({ callId, localTag, remoteTag });
  } catch {
    return "";
  }
}

/**
 * What it takes to send a request in a dialog (section 12.2.1.1) once the process that made the dialog is
 * gone: a focus restarted after a crash reads it from its journal to end its callers' dialogs with BYE.
 */
export interface DialogSnapshot {
  id: DialogId;
  /** From of our requests: a name-addr with our tag */
  local: string;
  /** To of our requests: a name-addr with the peer's tag */
  remote: string;
  /** the Request-URI of our requests (the peer's Contact) */
  remoteTarget: string;
  /** Route headers of our requests, in order */
  routeSet: string[];
  /** the last CSeq number we used: our next request takes one more */
  localCSeq: number;
  localContact: string;
  /** where the dialog's first request came from: the fallback next hop (see peerForUri) */
  peer: Peer;
}

/**
 * Sends `method` in the dialog `d` describes, with CSeq `d.localCSeq + 1` (section 12.2.1.1): Request-URI =
 * remote target, Route = route set (loose routing: the first route's URI has `lr`; strict routing is not
 * supported, RFC 3261 section 16.12). The caller keeps the dialog's CSeq counter.
 */
export function sendInDialog(
  endpoint: SipEndpoint, d: DialogSnapshot, method: string, opts: { body?: Buffer; contentType?: string; headers?: [string, string][] } = {},
): ClientTransaction {
  const headers = new SipHeaders();
  for (const r of d.routeSet) headers.append("Route", r);
  headers.append("From", d.local);
  headers.append("To", d.remote);
  headers.append("Call-ID", d.id.callId);
  headers.append("CSeq", `${d.localCSeq + 1} ${method}`);
  headers.append("Contact", d.localContact);
  for (const [k, v] of opts.headers ?? []) headers.append(k, v);
  if (opts.body?.length) headers.append("Content-Type", opts.contentType ?? "application/sdp");
  const req: SipRequest = { kind: "request", method, uri: d.remoteTarget, version: "SIP/2.0", headers, body: opts.body ?? Buffer.alloc(0) };
  // The first Route if there is one, else the remote target; a target we cannot reach goes back to the peer.
  const first = d.routeSet[0];
  return endpoint.request(req, peerForUri(first ? parseNameAddr(first).uri : parseUri(d.remoteTarget), d.peer));
}

/** Where a request to a SIP URI goes (RFC 3263 without DNS: the URI's host and port, or its maddr). */
export function peerForUri(uri: SipUri, fallback: Peer): Peer {
  const transport = (uri.params.get("transport") ?? fallback.transport).toLowerCase() === "tcp" ? "tcp" : "udp";
  return { transport, address: uri.params.get("maddr") ?? uri.host, port: uri.port ?? 5060 };
}

export class UasDialog {
  state: DialogState = "confirmed";
  readonly id: DialogId;
  /** Record-Route of the INVITE, in order (section 12.1.1: the UAS keeps it as received) */
  readonly routeSet: string[];
  remoteTarget: SipUri;
  private remoteCSeq: number;
  private localCSeq = Math.floor(Math.random() * 10_000) + 1;
  private readonly local: NameAddr;
  private readonly remote: NameAddr;
  private retransmit: NodeJS.Timeout | null = null;
  private giveUp: NodeJS.Timeout | null = null;

  constructor(
    private readonly endpoint: SipEndpoint,
    invite: SipRequest,
    /** the peer the INVITE came from: requests go there when the route set and target say nothing better */
    private readonly from: Peer,
    readonly localContact: string,
  ) {
    const to = parseNameAddr(invite.headers.get("To")!);
    const fromH = parseNameAddr(invite.headers.get("From")!);
    const localTag = to.params.get("tag") ?? newTag();
    to.params.set("tag", localTag);
    this.local = to;
    this.remote = fromH;
    this.id = { callId: invite.headers.get("Call-ID")!, localTag, remoteTag: fromH.params.get("tag") ?? "" };
    this.routeSet = invite.headers.getAll("Record-Route");
    const contact = invite.headers.get("Contact");
    this.remoteTarget = contact ? parseNameAddr(contact).uri : parseUri(invite.uri);
    this.remoteCSeq = parseCSeq(invite.headers.get("CSeq")!).seq;
  }

  get key(): string {
    return dialogKey(this.id);
  }

  get localTag(): string {
    return this.id.localTag;
  }

  /**
   * The 2xx for the INVITE or a re-INVITE, with our tag, Contact and the Record-Route of that request copied in
   * order (section 12.1.1). Not the dialog's route set: a re-INVITE a proxy did not record-route has none, and its
   * 2xx must not claim one (the route set is fixed at dialog creation, section 12.2).
   */
  accept(invite: SipRequest, body: Buffer, contentType: string, extra: [string, string][] = []): SipResponse {
    const res = createResponse(invite, 200, "OK", {
      toTag: this.localTag,
      headers: [...invite.headers.getAll("Record-Route").map((r): [string, string] => ["Record-Route", r]), ["Contact", this.localContact], ...extra],
      body,
      contentType,
    });
    return res;
  }

  /**
   * A provisional response that makes an early dialog (section 13.3.1.1): our tag, Contact and the
   * Record-Route, e.g. 183 with an SDP answer for early media (RFC 3960).
   */
  progress(invite: SipRequest, status: number, reason: string, body?: Buffer, contentType?: string): SipResponse {
    if (status <= 100 || status >= 200) throw new RangeError(`${status} is not a provisional response that makes a dialog`);
    return createResponse(invite, status, reason, {
      toTag: this.localTag,
      headers: [...this.routeSet.map((r): [string, string] => ["Record-Route", r]), ["Contact", this.localContact]],
      ...(body ? { body, contentType: contentType ?? "application/sdp" } : {}),
    });
  }

  /** Section 13.3.1.4: retransmit the 2xx (T1 doubling to T2) until the ACK, give up after 64*T1. */
  startRetransmitting(res: SipResponse, to: Peer, onNoAck: () => void): void {
    if (to.transport !== "udp") {
      this.giveUp = setTimeout(onNoAck, 64 * this.endpoint.timers.T1);
      return;
    }
    const { T1, T2 } = this.endpoint.timers;
    const again = (interval: number) => {
      this.retransmit = setTimeout(() => {
        this.endpoint.sendStateless(res, to);
        again(Math.min(2 * interval, T2));
      }, interval);
    };
    again(T1);
    this.giveUp = setTimeout(() => {
      this.stopRetransmitting();
      onNoAck();
    }, 64 * T1);
  }

  /** The ACK arrived. */
  acknowledged(ack: SipRequest): void {
    this.stopRetransmitting();
    if (this.state === "confirmed") this.state = "established";
    const contact = ack.headers.get("Contact");
    if (contact) this.remoteTarget = parseNameAddr(contact).uri;
  }

  private stopRetransmitting(): void {
    if (this.retransmit) clearTimeout(this.retransmit);
    if (this.giveUp) clearTimeout(this.giveUp);
    this.retransmit = this.giveUp = null;
  }

  /**
   * Checks an in-dialog request (section 12.2.2): a CSeq lower than the last is refused with 500;
   * a target refresh (re-INVITE, UPDATE) updates the remote target.
   */
  acceptInDialog(req: SipRequest): { ok: true } | { ok: false; status: number; reason: string } {
    const { seq } = parseCSeq(req.headers.get("CSeq")!);
    if (req.method !== "ACK" && req.method !== "CANCEL") {
      if (seq <= this.remoteCSeq && req.method !== "ACK") return { ok: false, status: 500, reason: "Server Internal Error (CSeq out of order)" };
      this.remoteCSeq = seq;
    }
    if ((req.method === "INVITE" || req.method === "UPDATE") && req.headers.get("Contact")) {
      this.remoteTarget = parseNameAddr(req.headers.get("Contact")!).uri;
    }
    return { ok: true };
  }

  /** The dialog as the journal keeps it (see DialogSnapshot). */
  snapshot(): DialogSnapshot {
    return {
      id: { ...this.id }, local: formatNameAddr(this.local), remote: formatNameAddr(this.remote), remoteTarget: formatUri(this.remoteTarget),
      routeSet: [...this.routeSet], localCSeq: this.localCSeq, localContact: this.localContact, peer: { ...this.from },
    };
  }

  /** A request inside the dialog (section 12.2.1.1, see sendInDialog). */
  request(method: string, opts: { body?: Buffer; contentType?: string; headers?: [string, string][] } = {}): ClientTransaction {
    const tx = sendInDialog(this.endpoint, this.snapshot(), method, opts);
    this.localCSeq++;
    return tx;
  }

  terminate(): void {
    this.stopRetransmitting();
    this.state = "terminated";
  }
}
