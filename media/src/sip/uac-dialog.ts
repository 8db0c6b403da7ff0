/**
 * SIP dialogs, UAC side (RFC 3261 sections 12.1.2, 13.2 and 15): the focus places a call itself (a
 * focus-to-focus leg between two islands' mixers, see ../conference/cascade.ts). `invite()` sends an INVITE
 * with an SDP offer through a client transaction, reports provisional responses, and on a 2xx makes the
 * dialog and ACKs it; a non-2xx (or no answer) rejects with a SipCallError carrying the status.
 *
 * States of a placed call: the INVITE is "calling" until its first 2xx (that part lives in `invite()`);
 * the dialog is then "confirmed" (2xx received, ACK sent), "terminating" (our BYE sent) and "terminated"
 * (BYE answered, the peer's BYE received, or given up).
 *
 * Not done here: CANCEL (an abandoned INVITE that is answered later gets ACK then BYE instead, section
 * 15), forking (only the first 2xx makes a dialog; others are ACKed and hung up on, section 13.2.2.4),
 * re-INVITEs from the peer (refused with 488: the session stays as it is, section 14.2), strict routing.
 */
import { randomBytes } from "node:crypto";
import { formatNameAddr, formatVia, parseCSeq, parseNameAddr, type NameAddr } from "./address.ts";
import { newBranch, newTag, type ResponseHandle, type SipEndpoint } from "./endpoint.ts";
import { SipHeaders } from "./headers.ts";
import type { SipRequest, SipResponse } from "./message.ts";
import { peerForUri, dialogKey, type DialogId } from "./dialog.ts";
import { TransactionTimeout, TransportError } from "./transaction.ts";
import type { Peer } from "./transport.ts";
import { formatUri, parseUri, type SipUri } from "./uri.ts";

/** A call the other side refused or never answered: the final status (408 for no answer, 503 for a transport failure). */
export class SipCallError extends Error {
  override readonly name = "SipCallError";
  constructor(readonly sipStatusCode: number, readonly reason: string) {
    super(`call failed: ${sipStatusCode} ${reason}`);
  }
}

export type UacDialogState = "confirmed" | "terminating" | "terminated";

/** Why a dialog ended: our BYE, the peer's BYE, or a dialog given up without a BYE exchange. */
export type UacEndReason = "local-bye" | "remote-bye" | "abandoned";

export interface InviteOptions {
  endpoint: SipEndpoint;
  /** the Request-URI (and To), e.g. sip:123456@192.0.2.1:5060 */
  target: string;
  /** where the INVITE goes (the first hop); default: the target URI's host and port over UDP */
  via?: Peer;
  /** our address of record (From, without a tag), e.g. sip:focus@island-b.example */
  from: string;
  displayName?: string;
  /** our Contact (a name-addr): where the peer sends in-dialog requests */
  contact: string;
  /** the SDP offer */
  sdp: string;
  headers?: [string, string][];
  onProvisional?: (res: SipResponse) => void;
  /** ends the attempt: a final response arriving later is ACKed and, if a 2xx, hung up on with BYE */
  signal?: AbortSignal;
  onEnded?: (dialog: UacDialog, why: UacEndReason) => void;
}

/** Methods a UAC dialog answers inside the dialog. */
const ALLOW = "INVITE, ACK, BYE, OPTIONS";

/**
 * Places a call: INVITE with `opts.sdp`; resolves with the dialog once a 2xx arrived and was ACKed (its
 * body, the SDP answer, is `dialog.answer`). Rejects with SipCallError for a non-2xx or no answer, and with
 * the signal's reason when aborted first.
 */
export async function invite(opts: InviteOptions): Promise<UacDialog> {
  const { endpoint } = opts;
  const targetUri = parseUri(opts.target);
  const next = opts.via ?? peerForUri(targetUri, { transport: "udp", address: targetUri.host, port: targetUri.port ?? 5060 });
  const local: NameAddr = { displayName: opts.displayName ?? null, uri: parseUri(opts.from), params: new Map([["tag", newTag()]]) };
  const remote: NameAddr = { displayName: null, uri: targetUri, params: new Map() };
  const callId = `${randomBytes(12).toString("hex")}@${endpoint.transport.host}`;
  const seq = Math.floor(Math.random() * 10_000) + 1;
  const headers = new SipHeaders();
  headers.append("From", formatNameAddr(local));
  headers.append("To", formatNameAddr(remote));
  headers.append("Call-ID", callId);
  headers.append("CSeq", `${seq} INVITE`);
  headers.append("Contact", opts.contact);
  headers.append("Allow", ALLOW);
  for (const [k, v] of opts.headers ?? []) headers.append(k, v);
  headers.append("Content-Type", "application/sdp");
  const req: SipRequest = { kind: "request", method: "INVITE", uri: opts.target, version: "SIP/2.0", headers, body: Buffer.from(opts.sdp) };

  let dialog: UacDialog | null = null;
  /** Section 13.2.2.4: every 2xx is ACKed; the first makes the dialog, any other (a fork) is ACKed and hung up on. */
  const on2xx = (res: SipResponse): void => {
    const tag = toTag(res);
    if (dialog && dialog.id.remoteTag === tag) {
      dialog.reAck();
      return;
    }
    const other = new UacDialog(endpoint, { req, res, local, next, seq, contact: opts.contact, ...(opts.onEnded ? { onEnded: opts.onEnded } : {}) });
    if (dialog || opts.signal?.aborted) {
      void other.bye().catch(() => {});
      return;
    }
    dialog = other;
  };
  const tx = endpoint.request(req, next, {
    onProvisional: (res) => opts.onProvisional?.(res),
    onExtra2xx: on2xx,
  });

  let res: SipResponse;
  try {
    res = await tx.final;
  } catch (err) {
    if (err instanceof TransactionTimeout || err instanceof TransportError) throw new SipCallError(err.status, err.message);
    throw err;
  }
  if (res.status >= 300) throw new SipCallError(res.status, res.reason);
  on2xx(res);
  if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
  return dialog!;
}

function toTag(res: SipResponse): string {
  try {
    return parseNameAddr(res.headers.get("To") ?? "").params.get("tag") ?? "";
  } catch {
    return "";
  }
}

interface DialogSetup {
  req: SipRequest;
  res: SipResponse;
  local: NameAddr;
  next: Peer;
  seq: number;
  contact: string;
  onEnded?: (dialog: UacDialog, why: UacEndReason) => void;
}

export class UacDialog {
  state: UacDialogState = "confirmed";
  readonly id: DialogId;
  /** Section 12.1.2: the 2xx's Record-Route, in reverse order */
  readonly routeSet: string[];
  remoteTarget: SipUri;
  /** the 2xx that made the dialog (its body is the SDP answer) */
  readonly answer: SipResponse;
  readonly localContact: string;
  private readonly local: NameAddr;
  private readonly remote: NameAddr;
  private localCSeq: number;
  /** section 12.2.2: no request from the peer yet, so any CSeq is accepted first */
  private remoteCSeq: number | null = null;
  private readonly inviteSeq: number;
  private readonly first: Peer;
  private ack: SipRequest | null = null;
  private readonly onEnded: ((dialog: UacDialog, why: UacEndReason) => void) | undefined;
  private ending: Promise<void> | null = null;

  constructor(private readonly endpoint: SipEndpoint, s: DialogSetup) {
    this.answer = s.res;
    this.local = s.local;
    this.remote = parseNameAddr(s.res.headers.get("To")!);
    this.id = { callId: s.req.headers.get("Call-ID")!, localTag: s.local.params.get("tag")!, remoteTag: this.remote.params.get("tag") ?? "" };
    this.routeSet = s.res.headers.getAll("Record-Route").reverse();
    const contact = s.res.headers.get("Contact");
    this.remoteTarget = contact ? parseNameAddr(contact).uri : parseUri(s.req.uri);
    this.localCSeq = s.seq;
    this.inviteSeq = s.seq;
    this.first = s.next;
    this.localContact = s.contact;
    this.onEnded = s.onEnded;
    this.sendAck();
  }

  /** The dialog's key as the endpoint's in-dialog requests name it (Call-ID, our tag, the peer's tag). */
  get key(): string {
    return dialogKey(this.id);
  }

  /**
   * Section 13.2.2.4: the ACK for the 2xx is the UAC core's own request, outside the INVITE transaction:
   * to the remote target through the route set, CSeq number of the INVITE, a new branch.
   */
  private sendAck(): void {
    const headers = this.dialogHeaders(`${this.inviteSeq} ACK`);
    headers.prepend("Via", formatVia({
      protocol: "SIP/2.0", transport: this.nextHop().transport.toUpperCase(), host: this.endpoint.transport.host, port: this.endpoint.port,
      params: new Map<string, string | null>([["branch", newBranch()], ["rport", null]]),
    }));
    headers.append("Max-Forwards", "70");
    this.ack = { kind: "request", method: "ACK", uri: formatUri(this.remoteTarget), version: "SIP/2.0", headers, body: Buffer.alloc(0) };
    this.endpoint.sendStateless(this.ack, this.nextHop());
  }

  /** A retransmitted 2xx: the same ACK again (section 13.2.2.4). */
  reAck(): void {
    if (this.ack && this.state !== "terminated") this.endpoint.sendStateless(this.ack, this.nextHop());
  }

  private dialogHeaders(cseq: string): SipHeaders {
    const headers = new SipHeaders();
    for (const r of this.routeSet) headers.append("Route", r);
    headers.append("From", formatNameAddr(this.local));
    headers.append("To", formatNameAddr(this.remote));
    headers.append("Call-ID", this.id.callId);
    headers.append("CSeq", cseq);
    return headers;
  }

  /** A request inside the dialog (section 12.2.1.1), through a client transaction. */
  request(method: string, opts: { headers?: [string, string][] } = {}) {
    const headers = this.dialogHeaders(`${++this.localCSeq} ${method}`);
    headers.append("Contact", this.localContact);
    for (const [k, v] of opts.headers ?? []) headers.append(k, v);
    const req: SipRequest = { kind: "request", method, uri: formatUri(this.remoteTarget), version: "SIP/2.0", headers, body: Buffer.alloc(0) };
    return this.endpoint.request(req, this.nextHop());
  }

  /** The first Route if there is one (loose routing), else the remote target; the INVITE's first hop when neither says where. */
  private nextHop(): Peer {
    const first = this.routeSet[0];
    const uri = first ? parseNameAddr(first).uri : this.remoteTarget;
    return peerForUri(uri, this.first);
  }

  /** Section 15.1.1: hang up; resolves once the BYE is answered (or timed out). Safe to call twice. */
  bye(headers: [string, string][] = []): Promise<void> {
    if (this.state === "terminated") return Promise.resolve();
    this.ending ??= (async () => {
      this.state = "terminating";
      await this.request("BYE", { headers }).final.catch(() => null);
      this.end("local-bye");
    })();
    return this.ending;
  }

  /** Forgets the dialog without a BYE (the endpoint is closing, or the peer is gone). */
  abandon(): void {
    this.end("abandoned");
  }

  /** A request from the peer inside this dialog (section 12.2.2). */
  receive(req: SipRequest, res: ResponseHandle): void {
    if (this.state === "terminated") {
      res.send(481, "Call/Transaction Does Not Exist");
      return;
    }
    let seq: number;
    try {
      seq = parseCSeq(req.headers.get("CSeq")!).seq;
    } catch {
      res.send(400, "Bad Request (CSeq)");
      return;
    }
    if (this.remoteCSeq !== null && seq <= this.remoteCSeq) {
      res.send(500, "Server Internal Error (CSeq out of order)");
      return;
    }
    this.remoteCSeq = seq;
    switch (req.method) {
      case "BYE":
        // Section 15.1.2: answer 200 and end the dialog (even while our own BYE is out).
        res.send(200);
        this.end("remote-bye");
        return;
      case "OPTIONS":
        res.send(200, "OK", { headers: [["Allow", ALLOW], ["Accept", "application/sdp"]] });
        return;
      case "INVITE":
      case "UPDATE":
        res.send(488, "Not Acceptable Here (the session cannot be changed)", { headers: [["Allow", ALLOW]] });
        return;
      default:
        res.send(405, "Method Not Allowed", { headers: [["Allow", ALLOW]] });
    }
  }

  private end(why: UacEndReason): void {
    if (this.state === "terminated") return;
    this.state = "terminated";
    try {
      this.onEnded?.(this, why);
    } catch {
      // a listener's failure must not leave the dialog half-ended
    }
  }
}
