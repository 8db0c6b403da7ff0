/**
 * The federation protocol on the wire: what one island's focus says to another's, as XML payloads of
 * XMPP <message/> stanzas between their components (XEP-0114), in the namespace `FEDERATION_NS`.
 *
 *   <event origin="island-a.test" conference="UUID" seq="42" sig="BASE64">{"type":…,"at":…,"actor":…,"payload":…}</event>
 *   <ack origin="island-a.test" conference="UUID" seq="42"/>        everything of that origin up to 42 is kept
 *   <replay origin="island-a.test" conference="UUID" since="40"/>   a gap: send again what follows 40
 *   <request origin="island-b.test" id="…" sig="…">{"command":…,"actor":…}</request>   run this, you own it
 *   <response origin="island-a.test" id="…" sig="…">{"ok":true,"result":…}</response>
 *
 * Every event carries `sig`, an HMAC-SHA256 (RFC 2104) under the secret the two islands share, over the
 * origin, conference, seq and the JSON body: a stanza that a third server relays or forges is refused.
 * Decoding is strict (names, attributes, sizes, the body's shape): a malformed or oversized payload is a
 * `WireError` with a stable code and never reaches the conference state.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { EVENT_TYPES, type Actor, type ConferenceEvent } from "@dcon/core";

export const FEDERATION_NS = "urn:xmpp:dcon:federation:1";

/** The part of an ltx element (what @xmpp's parser gives) the codec reads. */
export interface XmlElementLike {
  name: string;
  attrs: Record<string, string | undefined>;
  children: readonly unknown[];
  getText(): string;
}

/** Builds an element as @xmpp/xml's `xml(name, attrs, ...children)` does. */
export type XmlBuilder<E> = (name: string, attrs: Record<string, string>, ...children: (E | string)[]) => E;

export type WireMessage =
  | { kind: "event"; origin: string; conference: string; seq: number; body: string; sig: string }
  | { kind: "request"; origin: string; id: string; body: string; sig: string }
  | { kind: "response"; origin: string; id: string; body: string; sig: string }
  | { kind: "ack"; origin: string; conference: string; seq: number }
  | { kind: "replay"; origin: string; conference: string; since: number };

export const WireErrorCode = {
  UNKNOWN_ELEMENT: "UNKNOWN_ELEMENT",
  BAD_ATTRIBUTE: "BAD_ATTRIBUTE",
  TOO_LARGE: "TOO_LARGE",
  BAD_BODY: "BAD_BODY",
  BAD_SIGNATURE: "BAD_SIGNATURE",
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

export class WireError extends Error {
  override readonly name = "WireError";
  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An event body is at most this long (a conference summary or a user is well under 4 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Island names are DNS domains (RFC 1035 letters, digits, hyphens, dots). */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function attr(el: XmlElementLike, name: string, check: (v: string) => boolean): string {
  const v = el.attrs[name];
  if (v === undefined || !check(v)) throw new WireError(WireErrorCode.BAD_ATTRIBUTE, `<${el.name}> has no valid ${name}`);
  return v;
}

const seqOf = (v: string) => /^[1-9][0-9]{0,14}$/.test(v);
const sinceOf = (v: string) => /^(0|[1-9][0-9]{0,14})$/.test(v);

/** Reads one federation element (a child of a <message/>). Throws WireError. */
export function decodeWire(el: XmlElementLike): WireMessage {
  if (el.attrs.xmlns !== FEDERATION_NS) throw new WireError(WireErrorCode.UNKNOWN_ELEMENT, `not in ${FEDERATION_NS}`);
  const origin = attr(el, "origin", (v) => DOMAIN.test(v));
  if (el.name === "request" || el.name === "response") {
    const id = attr(el, "id", (v) => /^[A-Za-z0-9_-]{8,64}$/.test(v));
    const sig = attr(el, "sig", (v) => /^[A-Za-z0-9+/]{43}=$/.test(v));
    return { kind: el.name, origin, id, body: bodyOf(el), sig };
  }
  const conference = attr(el, "conference", (v) => UUID.test(v));
  switch (el.name) {
    case "event": {
      const seq = Number(attr(el, "seq", seqOf));
      const sig = attr(el, "sig", (v) => /^[A-Za-z0-9+/]{43}=$/.test(v));
      return { kind: "event", origin, conference, seq, body: bodyOf(el), sig };
    }
    case "ack":
      return { kind: "ack", origin, conference, seq: Number(attr(el, "seq", seqOf)) };
    case "replay":
      return { kind: "replay", origin, conference, since: Number(attr(el, "since", sinceOf)) };
    default:
      throw new WireError(WireErrorCode.UNKNOWN_ELEMENT, `unknown element <${el.name}>`);
  }
}

/** The JSON text of an event, request or response: text only, bounded. */
function bodyOf(el: XmlElementLike): string {
  if (el.children.some((c) => typeof c !== "string")) throw new WireError(WireErrorCode.BAD_BODY, `<${el.name}> holds only its JSON body`);
  const body = el.getText();
  if (Buffer.byteLength(body, "utf8") > MAX_BODY_BYTES) throw new WireError(WireErrorCode.TOO_LARGE, `<${el.name}> body over ${MAX_BODY_BYTES} bytes`);
  return body;
}

export function encodeWire<E>(msg: WireMessage, xml: XmlBuilder<E>): E {
  switch (msg.kind) {
    case "request":
    case "response":
      return xml(msg.kind, { xmlns: FEDERATION_NS, origin: msg.origin, id: msg.id, sig: msg.sig }, msg.body);
    case "event":
      return xml("event", { xmlns: FEDERATION_NS, origin: msg.origin, conference: msg.conference, seq: String(msg.seq), sig: msg.sig }, msg.body);
    case "ack":
      return xml("ack", { xmlns: FEDERATION_NS, origin: msg.origin, conference: msg.conference, seq: String(msg.seq) });
    case "replay":
      return xml("replay", { xmlns: FEDERATION_NS, origin: msg.origin, conference: msg.conference, since: String(msg.since) });
  }
}

/** RFC 2104 HMAC-SHA256 over what identifies and carries the event (an unambiguous JSON array). */
export function signEvent(secret: string, origin: string, conference: string, seq: number, body: string): string {
  return createHmac("sha256", secret).update(JSON.stringify([origin, conference, seq, body])).digest("base64");
}

/** The MAC of a request or response: over its kind, origin, id and body. */
export function signCall(secret: string, kind: "request" | "response", origin: string, id: string, body: string): string {
  return createHmac("sha256", secret).update(JSON.stringify([kind, origin, id, body])).digest("base64");
}

export function verifyCall(secret: string, msg: Extract<WireMessage, { kind: "request" } | { kind: "response" }>): boolean {
  return sameMac(signCall(secret, msg.kind, msg.origin, msg.id, msg.body), msg.sig);
}

function sameMac(expectedB64: string, givenB64: string): boolean {
  const expected = Buffer.from(expectedB64, "base64");
  const given = Buffer.from(givenB64, "base64");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function verifyEvent(secret: string, msg: Extract<WireMessage, { kind: "event" }>): boolean {
  const expected = Buffer.from(signEvent(secret, msg.origin, msg.conference, msg.seq, msg.body), "base64");
  const given = Buffer.from(msg.sig, "base64");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const ActorSchema = z.object({ kind: z.enum(["admin", "integrator", "user", "system"]), id: z.string().max(200) }).strict();
const BodySchema = z.object({
  type: z.enum(EVENT_TYPES),
  at: z.iso.datetime(),
  actor: ActorSchema.nullable(),
  payload: z.record(z.string(), z.unknown()),
}).strict();

/** A domain event as a signed wire event. */
export function eventToWire(e: ConferenceEvent, secret: string): Extract<WireMessage, { kind: "event" }> {
  const body = JSON.stringify({ type: e.type, at: e.at.toISOString(), actor: e.actor, payload: e.payload });
  return { kind: "event", origin: e.origin, conference: e.conferenceId, seq: e.seq, body, sig: signEvent(secret, e.origin, e.conferenceId, e.seq, body) };
}

/**
 * A verified wire event as a domain event. The body's shape is checked here; what each payload must hold
 * is the replica's to check when it applies the event (it refuses what does not fit the conference).
 */
export function wireToEvent(msg: Extract<WireMessage, { kind: "event" }>): ConferenceEvent {
  let json: unknown;
  try {
    json = JSON.parse(msg.body);
  } catch {
    throw new WireError(WireErrorCode.BAD_BODY, "the event body is not JSON");
  }
  const parsed = BodySchema.safeParse(json);
  if (!parsed.success) throw new WireError(WireErrorCode.BAD_BODY, `the event body is not an event: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const b = parsed.data;
  return {
    conferenceId: msg.conference, origin: msg.origin, seq: msg.seq, type: b.type, at: new Date(b.at),
    actor: b.actor as Actor | null, payload: b.payload,
  } as ConferenceEvent;
}
