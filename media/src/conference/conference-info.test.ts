import type { ConferenceEvent, ConferenceSummary, UserState } from "@dcon/core";
import {
  applyEvent, endpointStatus, escapeXml, isEmptyDelta, modelOf, renderFull, renderPartial, userCount,
} from "./conference-info.ts";

const conference: ConferenceSummary = {
  id: "c1", parentId: null, sidebarKind: null, blueprintId: null, subject: "Budget <Q3> & \"plans\"", description: "",
  uri: "xcon:c1@island.test", dialInCode: "1234", maxUsers: 10, status: "ACTIVE", locked: false, floorControlled: false, joinHandling: "ALLOW",
  hasPin: false, startAt: "2026-01-01T00:00:00Z", durationMin: 30, rrule: null, timezone: "UTC", homeIsland: "island.test",
  createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z",
};

function user(id: string, patch: Partial<UserState> = {}): UserState {
  return {
    id, conferenceId: "c1", entity: `sip:${id}@example.com`, displayName: `User ${id}`, email: null, role: "PARTICIPANT",
    hasPin: false, joinState: "CONNECTED", via: "sip", island: "island.test", muted: false, talking: false, ...patch,
  };
}

function event(e: Pick<ConferenceEvent, "type" | "payload">, seq = 1): ConferenceEvent {
  return { conferenceId: "c1", origin: "island.test", seq, at: new Date(0), actor: null, ...e } as ConferenceEvent;
}

const doc = { entity: "sip:1234@island.test", dialInUri: "sip:1234@island.test" };

/** A tiny reader for the documents we render: the element's text, or its attributes. */
function text(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, "g"))].map((m) => unescape(m[1]!));
}
function attrs(xml: string, name: string): Record<string, string>[] {
  return [...xml.matchAll(new RegExp(`<${name}((?:\\s+[a-z-]+="[^"]*")*)\\s*/?>`, "g"))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([a-z-]+)="([^"]*)"/g)].map((a) => [a[1]!, unescape(a[2]!)])));
}
function unescape(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

describe("renderFull (RFC 4575 section 5)", () => {
  const users = [user("a"), user("b", { muted: true, role: "MODERATOR", displayName: "Bob & <Co>" }), user("c", { joinState: "LOBBY" }), user("d", { joinState: "DISCONNECTED" })];
  const xml = renderFull({ conference, users }, { ...doc, version: 1 });

  test("root: namespace, entity, state full, version", () => {
    expect(xml.startsWith(`<?xml version="1.0" encoding="UTF-8"?>`)).toBe(true);
    expect(attrs(xml, "conference-info")).toEqual([{ xmlns: "urn:ietf:params:xml:ns:conference-info", entity: "sip:1234@island.test", state: "full", version: "1" }]);
  });

  test("description: escaped subject, conf-uris with the dial-in URI", () => {
    expect(xml).toContain("<subject>Budget &lt;Q3&gt; &amp; &quot;plans&quot;</subject>");
    expect(text(xml, "subject")).toEqual([conference.subject]);
    expect(text(xml, "uri")).toEqual(["sip:1234@island.test"]);
    expect(text(xml, "purpose")).toEqual(["participation"]);
  });

  test("state: user-count of connected users, active, locked", () => {
    expect(text(xml, "user-count")).toEqual(["2"]);
    expect(text(xml, "active")).toEqual(["true"]);
    expect(text(xml, "locked")).toEqual(["false"]);
  });

  test("users: one full user each, with roles, endpoint status and audio media (recvonly when muted)", () => {
    expect(attrs(xml, "users")).toEqual([{ state: "full" }]);
    expect(attrs(xml, "user")).toEqual(users.map((u) => ({ entity: u.entity, state: "full" })));
    expect(text(xml, "entry")).toEqual(["participant", "moderator", "participant", "participant"]);
    expect(text(xml, "display-text")).toContain("Bob & <Co>");
    expect(text(xml, "status")).toEqual(["connected", "sendrecv", "connected", "recvonly", "pending", "disconnected"]);
    expect(attrs(xml, "media")).toEqual([{ id: "1" }, { id: "1" }]);
    expect(text(xml, "type")).toEqual(["audio", "audio"]);
  });

  test("well formed: every opened element is closed in order", () => {
    const stack: string[] = [];
    for (const m of xml.replace(/^<\?xml[^>]*\?>/, "").matchAll(/<(\/?)([a-z-]+)[^>]*?(\/?)>/g)) {
      if (m[3]) continue;
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else stack.push(m[2]!);
    }
    expect(stack).toEqual([]);
    expect(xml).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
  });
});

describe("renderPartial (RFC 4575 section 4.6)", () => {
  test("only what changed: conference-state, users partial and deleted", () => {
    const xml = renderPartial({ state: { locked: true, userCount: 3 }, users: [{ kind: "partial", user: user("a", { muted: true }) }, { kind: "deleted", entity: "sip:x@example.com" }] }, { ...doc, version: 7 });
    expect(attrs(xml, "conference-info")[0]).toEqual(expect.objectContaining({ state: "partial", version: "7" }));
    expect(xml).not.toContain("<conference-description>");
    expect(text(xml, "locked")).toEqual(["true"]);
    expect(text(xml, "user-count")).toEqual(["3"]);
    expect(text(xml, "active")).toEqual([]);
    expect(attrs(xml, "users")).toEqual([{ state: "partial" }]);
    expect(attrs(xml, "user")).toEqual([{ entity: "sip:a@example.com", state: "partial" }, { entity: "sip:x@example.com", state: "deleted" }]);
    expect(text(xml, "status")).toEqual(["connected", "recvonly"]);
  });

  test("an empty delta is recognised", () => {
    expect(isEmptyDelta({})).toBe(true);
    expect(isEmptyDelta({ state: {} , users: [] })).toBe(true);
    expect(isEmptyDelta({ state: { locked: false } })).toBe(false);
  });
});

describe("applyEvent: domain events as partial notifications", () => {
  test("user events update the model and the user-count", () => {
    const model = modelOf({ conference, users: [user("a")] });
    const joined = applyEvent(model, event({ type: "USER_JOINED", payload: { user: user("b") } }));
    expect(joined).toEqual({ end: false, delta: { users: [{ kind: "partial", user: user("b") }], state: { userCount: 2 } } });
    const muted = applyEvent(model, event({ type: "USER_MUTED", payload: { user: user("b", { muted: true }) } }));
    expect(muted.delta.state).toBeUndefined();
    const removed = applyEvent(model, event({ type: "USER_REMOVED", payload: { userId: "a" } }));
    expect(removed.delta).toEqual({ users: [{ kind: "deleted", entity: "sip:a@example.com" }], state: { userCount: 1 } });
    expect(applyEvent(model, event({ type: "USER_REMOVED", payload: { userId: "zz" } })).delta).toEqual({});
    expect(userCount([...model.users.values()])).toBe(1);
  });

  test("lock, end and deletion", () => {
    const model = modelOf({ conference, users: [] });
    expect(applyEvent(model, event({ type: "CONFERENCE_LOCKED", payload: { conference: { ...conference, locked: true } } }))).toEqual({ end: false, delta: { state: { locked: true } } });
    expect(model.conference.locked).toBe(true);
    const ended = applyEvent(model, event({ type: "CONFERENCE_ENDED", payload: { conference: { ...conference, locked: true, status: "SCHEDULED" }, final: false, reason: "schedule" } }));
    expect(ended).toEqual({ end: false, delta: { state: { active: false } } });
    expect(applyEvent(model, event({ type: "CONFERENCE_ENDED", payload: { conference: { ...conference, locked: true, status: "ENDED" }, final: true, reason: "moderator" } })).end).toBe(true);
    expect(applyEvent(model, event({ type: "CONFERENCE_DELETED", payload: { conferenceId: "c1" } }))).toEqual({ end: true, delta: {} });
    const renamed = applyEvent(model, event({ type: "CONFERENCE_UPDATED", payload: { conference: { ...model.conference, subject: "New" }, changed: ["subject"] } }));
    expect(renamed.delta).toEqual({ description: { subject: "New" } });
  });
});

test("endpointStatus and escapeXml", () => {
  expect(endpointStatus("CONNECTED")).toBe("connected");
  expect(endpointStatus("LOBBY")).toBe("pending");
  expect(endpointStatus("DISCONNECTED")).toBe("disconnected");
  expect(escapeXml(`a&b<c>"d"'e'\u0001`)).toBe("a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;");
});
