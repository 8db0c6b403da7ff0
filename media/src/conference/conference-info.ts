/**
 * The RFC 4575 conference-info document (application/conference-info+xml): a full state (section 4.6,
 * state="full") or a partial notification (state="partial", elements replaced by key), rendered from the
 * domain's plain views. Element order follows the schema of section 5 (conference-description,
 * conference-state, users; inside a user: display-text, roles, endpoint; inside an endpoint: display-text,
 * status, media).
 */
import type { ConferenceEvent, ConferenceSummary, JoinState, Role, UserState } from "@dcon/core";

export const CONFERENCE_INFO_TYPE = "application/conference-info+xml";
const NS = "urn:ietf:params:xml:ns:conference-info";

/** RFC 4575 section 5.6.5: the endpoint statuses the focus can tell from its roster. */
export type EndpointStatus = "connected" | "on-hold" | "disconnected" | "pending";

/** The parts of a conference a subscriber sees (a ConferenceState without floors and sidebars). */
export interface ConferenceInfoView {
  conference: ConferenceSummary;
  users: readonly UserState[];
}

export interface DocumentOptions {
  /** the conference URI (section 5.1: the `entity` attribute of conference-info) */
  entity: string;
  /** section 4.6: starts at 1, one more per notification of this subscription */
  version: number;
  /** the SIP URI callers dial, listed in conf-uris (section 5.3.1) */
  dialInUri: string;
}

/** A user changed (rendered state="partial" with all its elements) or was removed (state="deleted"). */
export type UserChange = { kind: "partial"; user: UserState } | { kind: "deleted"; entity: string };

/** What a partial notification carries; absent parts are unchanged (section 4.6). */
export interface ConferenceInfoDelta {
  description?: { subject: string };
  state?: { userCount?: number; active?: boolean; locked?: boolean };
  users?: readonly UserChange[];
}

/** XML 1.0 character data and attribute values; control characters XML cannot carry are dropped. */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Section 5.6.5 (endpoint status): the roster's join state as a conference-info status. */
export function endpointStatus(joinState: JoinState): EndpointStatus {
  switch (joinState) {
    case "CONNECTED":
      return "connected";
    case "LOBBY":
    case "INVITED":
      // "not yet in the session, but it is anticipated that he/she will join in the near future"
      return "pending";
    case "DISCONNECTED":
      return "disconnected";
    default: {
      const never: never = joinState;
      throw new Error(`unknown join state ${String(never)}`);
    }
  }
}

/** Section 5.6.3: roles are free text; ours in lower case. */
function roleName(role: Role): string {
  return role.toLowerCase();
}

/** Section 5.2.3 (user-count): users who are in the conference now. */
export function userCount(users: readonly UserState[]): number {
  return users.filter((u) => u.joinState === "CONNECTED").length;
}

function el(name: string, text: string | number | boolean): string {
  return `<${name}>${escapeXml(String(text))}</${name}>`;
}

function userXml(user: UserState, state: "full" | "partial"): string {
  const parts = [`<user entity="${escapeXml(user.entity)}" state="${state}">`];
  if (user.displayName) parts.push(el("display-text", user.displayName));
  parts.push(`<roles>${el("entry", roleName(user.role))}</roles>`);
  const status = endpointStatus(user.joinState);
  parts.push(`<endpoint entity="${escapeXml(user.entity)}" state="full">`);
  if (user.displayName) parts.push(el("display-text", user.displayName));
  parts.push(el("status", status));
  if (status === "connected") {
    // Section 5.7: one audio stream per endpoint; a muted user only receives the mix.
    parts.push(`<media id="1">${el("type", "audio")}${el("status", user.muted ? "recvonly" : "sendrecv")}</media>`);
  }
  parts.push("</endpoint>", "</user>");
  return parts.join("");
}

function open(opts: DocumentOptions, state: "full" | "partial"): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<conference-info xmlns="${NS}" entity="${escapeXml(opts.entity)}" state="${state}" version="${opts.version}">`;
}

/** Section 4.6: the whole conference, state="full". */
export function renderFull(view: ConferenceInfoView, opts: DocumentOptions): string {
  const c = view.conference;
  const parts = [open(opts, "full")];
  parts.push("<conference-description>");
  parts.push(el("subject", c.subject));
  if (c.description) parts.push(el("free-text", c.description));
  parts.push(`<conf-uris><entry>${el("uri", opts.dialInUri)}${el("purpose", "participation")}</entry></conf-uris>`);
  parts.push(el("maximum-user-count", c.maxUsers));
  parts.push("</conference-description>");
  parts.push(`<conference-state>${el("user-count", userCount(view.users))}${el("active", c.status === "ACTIVE")}${el("locked", c.locked)}</conference-state>`);
  parts.push(`<users state="full">${view.users.map((u) => userXml(u, "full")).join("")}</users>`);
  parts.push("</conference-info>");
  return parts.join("");
}

/** Section 4.6: only what changed, state="partial"; users replaced by `entity`, or deleted. */
export function renderPartial(delta: ConferenceInfoDelta, opts: DocumentOptions): string {
  const parts = [open(opts, "partial")];
  if (delta.description) parts.push(`<conference-description>${el("subject", delta.description.subject)}</conference-description>`);
  const s = delta.state;
  if (s && (s.userCount !== undefined || s.active !== undefined || s.locked !== undefined)) {
    parts.push("<conference-state>");
    if (s.userCount !== undefined) parts.push(el("user-count", s.userCount));
    if (s.active !== undefined) parts.push(el("active", s.active));
    if (s.locked !== undefined) parts.push(el("locked", s.locked));
    parts.push("</conference-state>");
  }
  if (delta.users?.length) {
    parts.push(`<users state="partial">`);
    for (const change of delta.users) {
      parts.push(change.kind === "deleted" ? `<user entity="${escapeXml(change.entity)}" state="deleted"/>` : userXml(change.user, "partial"));
    }
    parts.push("</users>");
  }
  parts.push("</conference-info>");
  return parts.join("");
}

/** True when a delta would tell a subscriber nothing (no NOTIFY is sent for it). */
export function isEmptyDelta(delta: ConferenceInfoDelta): boolean {
  const s = delta.state;
  return !delta.description && !delta.users?.length && !(s && (s.userCount !== undefined || s.active !== undefined || s.locked !== undefined));
}

/** A subscriber's model of the conference, kept current from the domain's events. */
export interface ConferenceInfoModel {
  conference: ConferenceSummary;
  /** by user id, in roster order */
  users: Map<string, UserState>;
}

export function modelOf(view: ConferenceInfoView): ConferenceInfoModel {
  return { conference: view.conference, users: new Map(view.users.map((u) => [u.id, u])) };
}

export function viewOf(model: ConferenceInfoModel): ConferenceInfoView {
  return { conference: model.conference, users: [...model.users.values()] };
}

/**
 * Applies one domain event to the model and says what a partial notification must carry (section 4.6);
 * `end` when the conference is gone for good (the subscription ends with reason=noresource, RFC 6665
 * section 4.2.2). Events a conference-info document cannot express (floors, sidebars) give an empty delta.
 */
export function applyEvent(model: ConferenceInfoModel, e: ConferenceEvent): { delta: ConferenceInfoDelta; end: boolean } {
  const countBefore = userCount([...model.users.values()]);
  const withCount = (delta: ConferenceInfoDelta): ConferenceInfoDelta => {
    const after = userCount([...model.users.values()]);
    return after === countBefore ? delta : { ...delta, state: { ...delta.state, userCount: after } };
  };
  switch (e.type) {
    case "USER_ADDED":
    case "USER_UPDATED":
    case "USER_JOINED":
    case "USER_IN_LOBBY":
    case "USER_ADMITTED":
    case "USER_REFUSED":
    case "USER_LEFT":
    case "USER_KICKED":
    case "USER_MUTED":
    case "USER_UNMUTED": {
      const user = e.payload.user;
      model.users.set(user.id, user);
      return { delta: withCount({ users: [{ kind: "partial", user }] }), end: false };
    }
    case "USER_TALKING":
    case "USER_STOPPED_TALKING":
      // RFC 4575 has no element for voice activity: no notification, but keep the model current.
      model.users.set(e.payload.user.id, e.payload.user);
      return { delta: {}, end: false };
    case "USER_REMOVED": {
      const user = model.users.get(e.payload.userId);
      if (!user) return { delta: {}, end: false };
      model.users.delete(user.id);
      return { delta: withCount({ users: [{ kind: "deleted", entity: user.entity }] }), end: false };
    }
    case "CONFERENCE_LOCKED":
    case "CONFERENCE_UNLOCKED":
    case "CONFERENCE_STARTED":
    case "CONFERENCE_UPDATED":
    case "CONFERENCE_ENDED": {
      const before = model.conference;
      const after = e.payload.conference;
      model.conference = after;
      const delta: ConferenceInfoDelta = {};
      if (after.subject !== before.subject) delta.description = { subject: after.subject };
      const state: NonNullable<ConferenceInfoDelta["state"]> = {};
      if (after.locked !== before.locked) state.locked = after.locked;
      if ((after.status === "ACTIVE") !== (before.status === "ACTIVE")) state.active = after.status === "ACTIVE";
      if (e.type === "CONFERENCE_ENDED") state.active = false;
      if (Object.keys(state).length) delta.state = state;
      return { delta, end: e.type === "CONFERENCE_ENDED" && e.payload.final };
    }
    case "CONFERENCE_DELETED":
      return { delta: {}, end: true };
    case "CONFERENCE_CREATED":
    case "SIDEBAR_CREATED":
    case "CONFERENCE_LINKED":
    case "FLOOR_REQUEST_CHANGED":
      return { delta: {}, end: false };
    default: {
      const never: never = e;
      throw new Error(`unknown event ${String((never as { type: string }).type)}`);
    }
  }
}
