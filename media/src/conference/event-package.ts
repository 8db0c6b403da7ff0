/**
 * The SIP event package for conference state (RFC 4575) over SIP-specific event notification (RFC 6665):
 * a watcher sends SUBSCRIBE (Event: conference) to sip:<dial-in code>@<focus>; the focus answers 200,
 * creating a dialog, and sends NOTIFYs in it: first the full state, then one partial notification per
 * change of the conference, each with a version one higher (RFC 4575 section 4.6).
 *
 * Subscription states (RFC 6665 section 4.1.2 and 4.2.2): "active" from the 200 until it ends, then
 * "terminated" (the final NOTIFY carries Subscription-State: terminated;reason=...). NOTIFYs of one
 * subscription go out one at a time: the next waits for the previous one's final response (section 4.2.2).
 *
 * Status codes: 489 Bad Event (section 8.2.4 / 7.2.2, with Allow-Events), 404 no such conference,
 * 406 Accept excludes application/conference-info+xml, 423 Interval Too Brief (section 4.2.1.1, with
 * Min-Expires), 400 malformed Expires or no Contact, 481 unknown subscription dialog.
 */
import type { ConferenceDomain, ConferenceEventStream } from "@dcon/core";
import type { SipEndpoint, ResponseHandle } from "../sip/endpoint.ts";
import type { SipRequest } from "../sip/message.ts";
import type { Peer } from "../sip/transport.ts";
import { parseNameAddr } from "../sip/address.ts";
import { parseUri } from "../sip/uri.ts";
import { UasDialog, uasDialogKeyOf } from "../sip/dialog.ts";
import {
  CONFERENCE_INFO_TYPE, applyEvent, isEmptyDelta, modelOf, renderFull, renderPartial, viewOf,
  type ConferenceInfoDelta, type ConferenceInfoModel, type DocumentOptions,
} from "./conference-info.ts";

export interface EventPackageLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface EventPackageOptions {
  endpoint: SipEndpoint;
  domain: ConferenceDomain;
  /** our Contact header value (where in-dialog requests reach the focus) */
  contact: string;
  log: EventPackageLogger;
  /** RFC 6665 section 4.2.1.1 bounds (seconds); defaults 60 and 3600 */
  minExpires?: number;
  maxExpires?: number;
}

export const EVENT_PACKAGE = "conference";
const DEFAULT_EXPIRES = 3600;

/** RFC 6665 section 4.1.3 reasons the focus gives when a subscription ends. */
export type TerminationReason = "timeout" | "noresource" | "deactivated";

/** What a NOTIFY's body holds: nothing, the full state, or a partial notification. */
type Body = { kind: "none" } | { kind: "full" } | { kind: "partial"; delta: ConferenceInfoDelta };

/** RFC 6665 section 4.1.2 / 4.2.2, the notifier's side. */
type Phase =
  | { name: "active"; expiresAt: number; timer: NodeJS.Timeout | null }
  /** the final NOTIFY is queued or sent, or the dialog is gone (481, timeout) */
  | { name: "terminated"; reason: TerminationReason | "dialog-gone" };

interface Subscription {
  dialog: UasDialog;
  conferenceId: string;
  doc: Omit<DocumentOptions, "version">;
  model: ConferenceInfoModel;
  stream: ConferenceEventStream;
  phase: Phase;
  /** the version of the last conference-info document sent (RFC 4575 section 4.6) */
  version: number;
  /** the NOTIFY chain: each NOTIFY starts once the previous one has its final response */
  sending: Promise<void>;
  /** no NOTIFY may be sent any more (the final one went out, or the dialog is gone) */
  done: boolean;
}

export class ConferenceEventPackage {
  private readonly subs = new Map<string, Subscription>();
  private readonly minExpires: number;
  private readonly maxExpires: number;
  private closed = false;

  constructor(private readonly o: EventPackageOptions) {
    this.minExpires = o.minExpires ?? 60;
    this.maxExpires = o.maxExpires ?? 3600;
  }

  /** Active subscriptions. */
  get count(): number {
    return this.subs.size;
  }

  /** An out-of-dialog SUBSCRIBE creates a subscription; an in-dialog one refreshes or ends it. */
  async handleSubscribe(req: SipRequest, res: ResponseHandle, from: Peer): Promise<void> {
    const toTag = parseNameAddr(req.headers.get("To")!).params.get("tag");
    if (toTag) return this.inDialog(req, res);
    if (req.method !== "SUBSCRIBE") {
      res.send(405, "Method Not Allowed", { headers: [["Allow", "SUBSCRIBE"]] });
      return;
    }
    return this.subscribe(req, res, from);
  }

  /** Ends every subscription with a final NOTIFY (reason=noresource); safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subs.values()].map((s) => this.terminate(s, "noresource", { kind: "none" })));
  }

  // ---- SUBSCRIBE ----

  /** RFC 6665 section 4.2.1: a new subscription (or a fetch, Expires: 0, section 4.4.3). */
  private async subscribe(req: SipRequest, res: ResponseHandle, from: Peer): Promise<void> {
    if (!this.checkEvent(req, res)) return;
    if (this.closed) {
      res.send(503, "Service Unavailable");
      return;
    }
    let code: string | null = null;
    try {
      code = parseUri(req.uri).user;
    } catch {
      code = null;
    }
    const conference = code ? await this.o.domain.conferences.findByDialInCode(code) : null;
    if (!conference) {
      res.send(404, "Not Found (no conference with that number)");
      return;
    }
    if (!acceptsConferenceInfo(req)) {
      res.send(406, "Not Acceptable", { headers: [["Accept", CONFERENCE_INFO_TYPE]] });
      return;
    }
    const expires = this.expiresOf(req, res);
    if (expires === null) return;
    if (!req.headers.get("Contact")) {
      res.send(400, "Bad Request (Contact required, RFC 6665 section 4.1.2.1)");
      return;
    }
    const host = this.o.domain.island;
    const dialInUri = `sip:${conference.dialInCode}@${host}`;
    const doc = { entity: dialInUri, dialInUri };
    const dialog = new UasDialog(this.o.endpoint, req, from, this.o.contact);

    if (expires === 0) {
      // Section 4.4.3: a fetch; the 200, one NOTIFY with the state, and the subscription is over.
      const state = await this.o.domain.fullState(conference.id);
      if (!this.answer(res, dialog, 0)) return;
      const body = renderFull(state, { ...doc, version: 1 });
      await this.send(dialog, "terminated;reason=timeout", body).catch(() => null);
      dialog.terminate();
      return;
    }

    const stream = this.o.domain.stream({ conferenceId: conference.id });
    let first;
    try {
      first = await stream.next();
    } catch (err) {
      await stream.return();
      throw err;
    }
    if (first.done || first.value.kind !== "FULL_STATE") {
      await stream.return();
      res.send(404, "Not Found (conference gone)");
      return;
    }
    if (!this.answer(res, dialog, expires)) {
      await stream.return();
      return;
    }
    const sub: Subscription = {
      dialog, conferenceId: conference.id, doc, model: modelOf(first.value.state), stream,
      phase: { name: "active", expiresAt: Date.now() + expires * 1000, timer: null },
      version: 0, sending: Promise.resolve(), done: false,
    };
    this.arm(sub, expires);
    this.subs.set(dialog.key, sub);
    this.o.log.info({ conferenceId: conference.id, callId: dialog.id.callId, expires }, "conference subscription created");
    void this.notify(sub, { kind: "full" });
    void this.pump(sub);
  }

  /** In-dialog requests (RFC 6665 section 4.2.1.2 refresh, 4.2.1.4 unsubscribe). */
  private async inDialog(req: SipRequest, res: ResponseHandle): Promise<void> {
    const sub = this.subs.get(uasDialogKeyOf(req));
    if (!sub || sub.phase.name !== "active") {
      res.send(481, "Subscription Does Not Exist");
      return;
    }
    const check = sub.dialog.acceptInDialog(req);
    if (!check.ok) {
      res.send(check.status, check.reason);
      return;
    }
    if (req.method === "OPTIONS") {
      res.send(200, "OK", { headers: [["Allow", "SUBSCRIBE"], ["Allow-Events", EVENT_PACKAGE]] });
      return;
    }
    if (req.method !== "SUBSCRIBE") {
      res.send(405, "Method Not Allowed", { headers: [["Allow", "SUBSCRIBE"]] });
      return;
    }
    if (!this.checkEvent(req, res)) return;
    const expires = this.expiresOf(req, res);
    if (expires === null) return;
    // RFC 6665 section 4.1.2.1: SUBSCRIBE is a target refresh request.
    const contact = req.headers.get("Contact");
    if (contact) sub.dialog.remoteTarget = parseNameAddr(contact).uri;
    res.send(200, "OK", { headers: [["Contact", this.o.contact], ["Expires", String(expires)]] });
    if (expires === 0) {
      // Section 4.2.1.4: unsubscribing; the final NOTIFY carries the current state.
      await this.terminate(sub, "timeout", { kind: "full" });
      return;
    }
    this.arm(sub, expires);
    // Section 4.2.1.2: a refresh may be answered with a NOTIFY; ours carries the full state.
    await this.notify(sub, { kind: "full" });
  }

  /** RFC 6665 section 8.2.4 / 7.2.2: only Event: conference; else 489 with Allow-Events. */
  private checkEvent(req: SipRequest, res: ResponseHandle): boolean {
    const event = (req.headers.get("Event") ?? "").split(";")[0]!.trim();
    if (event === EVENT_PACKAGE) return true;
    res.send(489, "Bad Event", { headers: [["Allow-Events", EVENT_PACKAGE]] });
    return false;
  }

  /** RFC 6665 section 4.2.1.1: the Expires to grant, or null when the request was refused. */
  private expiresOf(req: SipRequest, res: ResponseHandle): number | null {
    const raw = req.headers.get("Expires");
    if (raw === undefined || raw === null) return DEFAULT_EXPIRES;
    if (!/^\s*\d+\s*$/.test(raw)) {
      res.send(400, "Bad Request (Expires)");
      return null;
    }
    const asked = Number(raw.trim());
    if (asked === 0) return 0;
    if (asked < this.minExpires) {
      res.send(423, "Interval Too Brief", { headers: [["Min-Expires", String(this.minExpires)]] });
      return null;
    }
    return Math.min(asked, this.maxExpires);
  }

  /** The 200 that creates the dialog (RFC 6665 section 4.2.1.1: 200, not 202), with our tag and Expires. */
  private answer(res: ResponseHandle, dialog: UasDialog, expires: number): boolean {
    const state = res.transaction.state;
    if (state !== "trying" && state !== "proceeding") return false;
    res.send(200, "OK", {
      toTag: dialog.localTag,
      headers: [
        ...dialog.routeSet.map((r): [string, string] => ["Record-Route", r]),
        ["Contact", this.o.contact],
        ["Expires", String(expires)],
        ["Allow-Events", EVENT_PACKAGE],
      ],
    });
    return true;
  }

  /** (Re)starts the expiry timer; without a refresh the subscription ends with reason=timeout (section 4.2.2). */
  private arm(sub: Subscription, expires: number): void {
    if (sub.phase.name !== "active") return;
    if (sub.phase.timer) clearTimeout(sub.phase.timer);
    const timer = setTimeout(() => void this.terminate(sub, "timeout", { kind: "none" }), expires * 1000);
    timer.unref();
    sub.phase = { name: "active", expiresAt: Date.now() + expires * 1000, timer };
  }

  // ---- NOTIFY ----

  /** The conference's events, one partial notification each (RFC 4575 section 4.6), until the end. */
  private async pump(sub: Subscription): Promise<void> {
    try {
      for (;;) {
        const next = await sub.stream.next();
        if (next.done || sub.phase.name !== "active") return;
        const item = next.value;
        if (item.kind === "FULL_STATE") {
          sub.model = modelOf(item.state);
          await this.notify(sub, { kind: "full" });
          continue;
        }
        const { delta, end } = applyEvent(sub.model, item.event);
        if (end) {
          // RFC 6665 section 4.2.2: the resource is gone.
          await this.terminate(sub, "noresource", isEmptyDelta(delta) ? { kind: "none" } : { kind: "partial", delta });
          return;
        }
        if (!isEmptyDelta(delta)) await this.notify(sub, { kind: "partial", delta });
      }
    } catch (err) {
      this.o.log.warn({ err, conferenceId: sub.conferenceId }, "conference event stream failed");
      await this.terminate(sub, "deactivated", { kind: "none" });
    }
  }

  /** Queues a NOTIFY with Subscription-State: active (dropped when the subscription ended meanwhile). */
  private notify(sub: Subscription, body: Body): Promise<void> {
    return this.enqueue(sub, () => {
      if (sub.phase.name !== "active") return null;
      const remaining = Math.max(0, Math.ceil((sub.phase.expiresAt - Date.now()) / 1000));
      return { state: `active;expires=${remaining}`, body };
    });
  }

  /** Ends a subscription with a final NOTIFY (RFC 6665 section 4.2.2: Subscription-State: terminated). */
  private terminate(sub: Subscription, reason: TerminationReason, body: Body): Promise<void> {
    if (sub.phase.name !== "active") return sub.sending;
    if (sub.phase.timer) clearTimeout(sub.phase.timer);
    sub.phase = { name: "terminated", reason };
    this.forget(sub);
    this.o.log.info({ conferenceId: sub.conferenceId, callId: sub.dialog.id.callId, reason }, "conference subscription terminated");
    return this.enqueue(sub, () => ({ state: `terminated;reason=${reason}`, body }), { final: true });
  }

  /** One NOTIFY after the previous one's final response; the body and its version are made when it is sent. */
  private enqueue(sub: Subscription, what: () => { state: string; body: Body } | null, opts: { final?: boolean } = {}): Promise<void> {
    const run = sub.sending.then(async () => {
      if (sub.done) return;
      const n = what();
      if (!n) return;
      if (opts.final) sub.done = true;
      const xml = this.render(sub, n.body);
      try {
        const res = await this.send(sub.dialog, n.state, xml);
        if (res.status >= 300) {
          // Section 4.2.2: a 481 (or any failure) means the subscriber is gone.
          this.o.log.debug({ status: res.status, callId: sub.dialog.id.callId }, "NOTIFY refused: subscription removed");
          this.gone(sub);
        }
      } catch (err) {
        // Timer F or a transport failure: the subscription is removed (section 4.2.2).
        this.o.log.debug({ err, callId: sub.dialog.id.callId }, "NOTIFY timed out: subscription removed");
        this.gone(sub);
      }
      if (sub.done) sub.dialog.terminate();
    });
    sub.sending = run.catch((err: unknown) => this.o.log.warn({ err }, "NOTIFY failed"));
    return sub.sending;
  }

  private render(sub: Subscription, body: Body): string | null {
    if (body.kind === "none") return null;
    const version = ++sub.version;
    const doc = { ...sub.doc, version };
    return body.kind === "full" ? renderFull(viewOf(sub.model), doc) : renderPartial(body.delta, doc);
  }

  private async send(dialog: UasDialog, subscriptionState: string, xml: string | null) {
    const headers: [string, string][] = [["Event", EVENT_PACKAGE], ["Subscription-State", subscriptionState]];
    const tx = dialog.request("NOTIFY", xml === null ? { headers } : { headers, body: Buffer.from(xml, "utf8"), contentType: CONFERENCE_INFO_TYPE });
    return tx.final;
  }

  /** The dialog is gone (481, timeout): no final NOTIFY. */
  private gone(sub: Subscription): void {
    if (sub.phase.name === "active" && sub.phase.timer) clearTimeout(sub.phase.timer);
    sub.phase = { name: "terminated", reason: "dialog-gone" };
    sub.done = true;
    this.forget(sub);
  }

  private forget(sub: Subscription): void {
    if (this.subs.get(sub.dialog.key) === sub) this.subs.delete(sub.dialog.key);
    void sub.stream.return();
  }
}

/** RFC 3261 section 20.1: a present Accept must allow our body type (wildcards included). */
function acceptsConferenceInfo(req: SipRequest): boolean {
  const values = req.headers.getAll("Accept");
  if (values.length === 0) return true;
  const types = values.flatMap((v) => v.split(",")).map((t) => t.split(";")[0]!.trim().toLowerCase()).filter(Boolean);
  return types.some((t) => t === CONFERENCE_INFO_TYPE || t === "application/*" || t === "*/*");
}
