// Peer: none (the focus itself over real HTTP; only the "nothing changed" checks also count rows in its database).
import { ADMIN_TOKEN, HttpClient, startTestFocus, type GraphQLResponse, type TestFocus } from "./support/focus.ts";

/** Every response body this file receives, to check that no PIN ever leaves the focus. */
const bodies: string[] = [];

class RecordingClient extends HttpClient {
  override async request<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
    const r = await super.request<T>(query, variables);
    bodies.push(JSON.stringify(r));
    return r;
  }

  override as(token: string | null): RecordingClient {
    return new RecordingClient(this.url, token);
  }
}

// PINs long enough not to turn up by chance in ids, dial-in codes or timestamps.
const CONF_PIN = "48151623420";
const USER_PIN = "739182640519";
const OTHER_PIN = "602214076023";

let t: TestFocus;
let admin: RecordingClient;

beforeAll(async () => {
  t = await startTestFocus();
  admin = new RecordingClient(t.url, ADMIN_TOKEN);
});
afterAll(async () => {
  await t?.close();
});

const USER = `id conferenceId entity displayName email role hasPin joinState via island muted`;
const CONF = `id uri dialInCode subject description maxUsers status locked joinHandling hasPin startAt durationMin rrule timezone
  homeIsland sidebarKind version createdAt updatedAt blueprint { id name } parent { id } sidebars { id subject sidebarKind }
  floors { id conferenceId label policy maxHolders } users { ${USER} }`;

const CREATE = `mutation($input: ConferenceInput!) { createConference(input: $input) { ${CONF} } }`;
const GET = `query($id: ID!) { conference(id: $id) { ${CONF} } }`;
const UPDATE = `mutation($id: ID!, $patch: ConferencePatch!) { updateConference(id: $id, patch: $patch) { ${CONF} } }`;
const ADD_USER = `mutation($c: ID!, $input: UserInput!) { addUser(conferenceId: $c, input: $input) { ${USER} } }`;
const EVENTS = `query($id: ID!) { events(conferenceId: $id, limit: 1000) { seq type actor { kind id } payload } }`;
const SIDEBAR = `mutation($p: ID!, $input: SidebarInput!) { createSidebar(parentId: $p, input: $input) { ${CONF} } }`;

async function create(input: Record<string, unknown>): Promise<any> {
  return (await admin.must(CREATE, { input })).createConference;
}

async function get(id: string): Promise<any> {
  return (await admin.must(GET, { id })).conference;
}

async function events(id: string): Promise<any[]> {
  return (await admin.must(EVENTS, { id })).events;
}

/** The first error of a request that must fail; its data (if any) must be null. */
async function rejected(query: string, variables?: Record<string, unknown>, client: HttpClient = admin) {
  const r = await client.request(query, variables);
  expect(r.errors?.length).toBeGreaterThan(0);
  if (r.data) expect(Object.values(r.data).every((v) => v === null)).toBe(true);
  return r.errors![0]!;
}

/** Every top-level conference, through all pages of 100. */
async function allConferences(filter?: Record<string, unknown>): Promise<any[]> {
  const out: any[] = [];
  let after: string | null = null;
  for (let page = 0; page < 100; page++) {
    const { conferences: c }: any = await admin.must(
      `query($after: String, $filter: ConferenceFilter) { conferences(first: 100, after: $after, filter: $filter) {
        nodes { id startAt status subject } pageInfo { endCursor hasNextPage } } }`,
      { after, filter },
    );
    out.push(...c.nodes);
    if (!c.pageInfo.hasNextPage) return out;
    after = c.pageInfo.endCursor;
  }
  throw new Error("more than 100 pages");
}

async function rowCounts() {
  const db = t.focus.db;
  return { conferences: await db.conference.count(), users: await db.conferenceUser.count(), floors: await db.floor.count(), events: await db.event.count() };
}

/** A conference without updatedAt: appending an event bumps it after the mutation's result was read. */
const sansUpdatedAt = ({ updatedAt, ...rest }: any) => rest;
const floorSpecs = (floors: any[]) => floors.map(({ label, policy, maxHolders }: any) => ({ label, policy, maxHolders }));
const userSpecs = (users: any[]) => users.map(({ entity, displayName, email, role, hasPin }: any) => ({ entity, displayName, email, role, hasPin }));
const byEntity = (users: any[]) => [...users].sort((a, b) => (a.entity < b.entity ? -1 : 1));

// ---------------------------------------------------------------------------------------------------------

describe("blueprints", () => {
  const BP = `id name description maxUsers joinHandling durationMin floors { label policy maxHolders } createdAt`;
  const CREATE_BP = `mutation($input: BlueprintInput!) { createBlueprint(input: $input) { ${BP} } }`;

  test("create, list, retrieve, duplicate name, delete", async () => {
    const { createBlueprint: board } = await admin.must(CREATE_BP, {
      input: {
        name: "Board meeting", description: "Quarterly", maxUsers: 25, joinHandling: "LOBBY", durationMin: 90,
        floors: [{ label: "audio", policy: "FCFS", maxHolders: 2 }, { label: "video" }],
      },
    });
    expect(board).toMatchObject({
      name: "Board meeting", description: "Quarterly", maxUsers: 25, joinHandling: "LOBBY", durationMin: 90,
      floors: [{ label: "audio", policy: "FCFS", maxHolders: 2 }, { label: "video", policy: "MODERATED", maxHolders: 1 }],
    });
    expect(Number.isNaN(Date.parse(board.createdAt))).toBe(false);

    const { createBlueprint: adhoc } = await admin.must(CREATE_BP, { input: { name: "Ad hoc" } });
    expect(adhoc).toMatchObject({
      name: "Ad hoc", description: "", maxUsers: 100, joinHandling: "ALLOW", durationMin: 60,
      floors: [{ label: "audio", policy: "MODERATED", maxHolders: 1 }],
    });
    expect(adhoc.id).not.toBe(board.id);

    const { blueprints } = await admin.must(`{ blueprints { ${BP} } }`);
    expect(blueprints.map((b: any) => b.name)).toEqual(["Ad hoc", "Board meeting"]); // ordered by name
    expect(blueprints.find((b: any) => b.id === board.id)).toEqual(board);

    expect((await admin.must(`query($id: ID!) { blueprint(id: $id) { ${BP} } }`, { id: board.id })).blueprint).toEqual(board);

    // the same name (after trimming) is taken
    const dup = await rejected(CREATE_BP, { input: { name: "  Board meeting ", maxUsers: 3 } });
    expect(dup.extensions).toMatchObject({ code: "CONFLICT", reason: "DUPLICATE" });

    // invalid blueprints are refused with the field named
    expect((await rejected(CREATE_BP, { input: { name: "  " } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "name" });
    expect((await rejected(CREATE_BP, { input: { name: "Zero", maxUsers: 0 } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "maxUsers" });
    expect((await rejected(CREATE_BP, { input: { name: "Twice", floors: [{ label: "audio" }, { label: "audio" }] } })).extensions)
      .toMatchObject({ code: "BAD_USER_INPUT", field: "floors[1].label" });
    expect((await admin.must(`{ blueprints { id } }`)).blueprints).toHaveLength(2);

    expect((await admin.must(`mutation($id: ID!) { deleteBlueprint(id: $id) }`, { id: adhoc.id })).deleteBlueprint).toBe(adhoc.id);
    expect((await rejected(`query($id: ID!) { blueprint(id: $id) { id } }`, { id: adhoc.id })).extensions?.code).toBe("NOT_FOUND");
    expect((await admin.must(`{ blueprints { id } }`)).blueprints.map((b: any) => b.id)).toEqual([board.id]);
    expect((await rejected(`mutation($id: ID!) { deleteBlueprint(id: $id) }`, { id: adhoc.id })).extensions?.code).toBe("NOT_FOUND");
  });

  test("unknown blueprint ids are NOT_FOUND", async () => {
    expect((await rejected(`{ blueprint(id: "no-such-blueprint") { id } }`)).extensions?.code).toBe("NOT_FOUND");
    expect((await rejected(`mutation { deleteBlueprint(id: "no-such-blueprint") }`)).extensions?.code).toBe("NOT_FOUND");
    const before = (await allConferences()).length;
    expect((await rejected(CREATE, { input: { subject: "From nothing", blueprintId: "no-such-blueprint" } })).extensions?.code).toBe("NOT_FOUND");
    expect(await allConferences()).toHaveLength(before);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("conferences", () => {
  test("create from scratch: defaults, then retrieve", async () => {
    const t0 = Date.now();
    const c = await create({ subject: "  Standup  ", description: "daily sync" });
    expect(c).toMatchObject({
      subject: "Standup", description: "daily sync", maxUsers: 100, status: "ACTIVE", locked: false, joinHandling: "ALLOW",
      hasPin: false, durationMin: 60, rrule: null, timezone: "UTC", homeIsland: "island-a.test", sidebarKind: null,
      blueprint: null, parent: null, sidebars: [], users: [],
    });
    expect(c.uri).toBe(`xcon:${c.id}@island-a.test`);
    expect(c.dialInCode).toMatch(/^[0-9]{6}$/);
    expect(floorSpecs(c.floors)).toEqual([{ label: "audio", policy: "MODERATED", maxHolders: 1 }]);
    expect(c.floors[0].conferenceId).toBe(c.id);
    // startAt defaults to now
    expect(Date.parse(c.startAt)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(Date.parse(c.startAt)).toBeLessThanOrEqual(Date.now() + 1000);
    // CONFERENCE_CREATED and CONFERENCE_STARTED (it starts now)
    expect(c.version).toBe(2);

    expect(sansUpdatedAt(await get(c.id))).toEqual(sansUpdatedAt(c));
    const ev = await events(c.id);
    expect(ev.map((e) => e.type)).toEqual(["CONFERENCE_CREATED", "CONFERENCE_STARTED"]);
    expect(ev[0].payload.conference).toMatchObject({ id: c.id, subject: "Standup" });
    expect(ev[0].actor).toEqual({ kind: "admin", id: expect.any(String) });
  });

  test("create from scratch with every setting", async () => {
    const startAt = "2031-05-06T07:30:00.000Z";
    const c = await create({
      subject: "Design review", description: "weekly", maxUsers: 8, joinHandling: "LOBBY", startAt, durationMin: 45,
      rrule: "RRULE:freq=weekly;byday=TU", timezone: "Europe/Rome",
      floors: [{ label: "video", policy: "FCFS", maxHolders: 3 }, { label: "audio" }],
      users: [
        { entity: "sip:alice@example.com", displayName: "Alice", email: "alice@example.com", role: "MODERATOR" },
        { entity: "tel:+391234567", role: "OBSERVER" },
      ],
    });
    expect(c).toMatchObject({
      subject: "Design review", description: "weekly", maxUsers: 8, status: "SCHEDULED", joinHandling: "LOBBY", hasPin: false,
      durationMin: 45, rrule: "FREQ=WEEKLY;BYDAY=TU", timezone: "Europe/Rome",
    });
    expect(new Date(c.startAt).toISOString()).toBe(startAt);
    // floors are listed by label
    expect(floorSpecs(c.floors)).toEqual([{ label: "audio", policy: "MODERATED", maxHolders: 1 }, { label: "video", policy: "FCFS", maxHolders: 3 }]);
    expect(c.users).toEqual([
      expect.objectContaining({ conferenceId: c.id, entity: "sip:alice@example.com", displayName: "Alice", email: "alice@example.com", role: "MODERATOR", hasPin: false, joinState: "INVITED", via: null, island: "island-a.test", muted: false }),
      expect.objectContaining({ entity: "tel:+391234567", displayName: "", email: null, role: "OBSERVER" }),
    ]);
    expect((await events(c.id)).map((e) => e.type)).toEqual(["CONFERENCE_CREATED", "USER_ADDED", "USER_ADDED"]);
  });

  test("create from a blueprint: settings and floors copied, overrides win", async () => {
    const { blueprints } = await admin.must(`{ blueprints { id name } }`);
    const board = blueprints.find((b: any) => b.name === "Board meeting");
    expect(board).toBeDefined();

    const fromBp = await create({ blueprintId: board.id, subject: "Q3 board" });
    expect(fromBp).toMatchObject({
      subject: "Q3 board", description: "Quarterly", maxUsers: 25, joinHandling: "LOBBY", durationMin: 90, blueprint: { id: board.id, name: "Board meeting" },
    });
    expect(floorSpecs(fromBp.floors)).toEqual([{ label: "audio", policy: "FCFS", maxHolders: 2 }, { label: "video", policy: "MODERATED", maxHolders: 1 }]);

    const overridden = await create({
      blueprintId: board.id, subject: "Q4 board", description: "own", maxUsers: 10, joinHandling: "ALLOW", durationMin: 30,
      floors: [{ label: "chat", policy: "FCFS" }],
    });
    expect(overridden).toMatchObject({ description: "own", maxUsers: 10, joinHandling: "ALLOW", durationMin: 30, blueprint: { id: board.id } });
    expect(floorSpecs(overridden.floors)).toEqual([{ label: "chat", policy: "FCFS", maxHolders: 1 }]);

    // deleting the blueprint leaves its conferences, without the link
    await admin.must(`mutation($id: ID!) { deleteBlueprint(id: $id) }`, { id: board.id });
    const after = await get(fromBp.id);
    expect(after.blueprint).toBeNull();
    expect(after.maxUsers).toBe(25);
  });

  test("update: patched fields change, others stay, pin: null clears, an empty patch is refused", async () => {
    const c = await create({ subject: "Before", description: "old", maxUsers: 50, durationMin: 60, rrule: "FREQ=DAILY", timezone: "Europe/Berlin" });

    const { updateConference: u } = await admin.must(UPDATE, { id: c.id, patch: { subject: "After", description: "new", maxUsers: 5, durationMin: 15 } });
    expect(u).toMatchObject({ id: c.id, subject: "After", description: "new", maxUsers: 5, durationMin: 15 });
    for (const k of ["uri", "dialInCode", "joinHandling", "hasPin", "startAt", "rrule", "timezone", "status", "createdAt"]) expect(u[k]).toEqual(c[k]);
    expect(u.version).toBe(c.version + 1);
    expect(sansUpdatedAt(await get(c.id))).toEqual(sansUpdatedAt(u));
    const updated = (await events(c.id)).at(-1);
    expect(updated.type).toBe("CONFERENCE_UPDATED");
    expect([...updated.payload.changed].sort()).toEqual(["description", "durationMin", "maxUsers", "subject"]);

    // a PIN, then PIN join handling
    expect((await admin.must(UPDATE, { id: c.id, patch: { pin: CONF_PIN } })).updateConference.hasPin).toBe(true);
    expect((await admin.must(UPDATE, { id: c.id, patch: { joinHandling: "PIN" } })).updateConference).toMatchObject({ joinHandling: "PIN", hasPin: true });
    // clearing the PIN while join handling needs it is refused, and changes nothing
    expect((await rejected(UPDATE, { id: c.id, patch: { pin: null } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "pin" });
    expect((await get(c.id)).hasPin).toBe(true);
    // pin: null clears it
    expect((await admin.must(UPDATE, { id: c.id, patch: { joinHandling: "ALLOW", pin: null } })).updateConference).toMatchObject({ joinHandling: "ALLOW", hasPin: false });
    expect((await get(c.id)).hasPin).toBe(false);
    // rrule: null makes it a one-off
    expect((await admin.must(UPDATE, { id: c.id, patch: { rrule: null } })).updateConference.rrule).toBeNull();

    const version = (await get(c.id)).version;
    expect((await rejected(UPDATE, { id: c.id, patch: {} })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "patch" });
    // null for a non-clearable field is "leave it": nothing to change
    expect((await rejected(UPDATE, { id: c.id, patch: { subject: null } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "patch" });
    expect((await rejected(UPDATE, { id: c.id, patch: { maxUsers: 0 } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "maxUsers" });
    expect((await rejected(UPDATE, { id: c.id, patch: { subject: "" } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "subject" });
    expect((await rejected(UPDATE, { id: c.id, patch: { timezone: "Mars/Olympus_Mons" } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "timezone" });
    expect((await rejected(UPDATE, { id: c.id, patch: { rrule: "FREQ=HOURLY" } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "rrule" });
    const unchanged = await get(c.id);
    expect(unchanged).toMatchObject({ subject: "After", maxUsers: 5, timezone: "Europe/Berlin", version });

    expect((await rejected(UPDATE, { id: "no-such-conference", patch: { subject: "x" } })).extensions?.code).toBe("NOT_FOUND");
  });

  test("clone: settings, floors and users copied, with a new id, uri and dial-in code", async () => {
    const src = await create({
      subject: "Source", description: "to copy", maxUsers: 12, joinHandling: "PIN", pin: CONF_PIN, durationMin: 45, rrule: "FREQ=DAILY;COUNT=3", timezone: "Europe/Paris",
      floors: [{ label: "audio", policy: "FCFS", maxHolders: 1 }, { label: "video", maxHolders: 2 }],
      users: [
        { entity: "sip:alice@example.com", displayName: "Alice", email: "alice@example.com", role: "MODERATOR", pin: USER_PIN },
        { entity: "sip:bob@example.com", role: "PARTICIPANT" },
      ],
    });
    const { cloneConference: copy } = await admin.must(`mutation($id: ID!) { cloneConference(id: $id) { ${CONF} } }`, { id: src.id });
    expect(copy.id).not.toBe(src.id);
    expect(copy.uri).toBe(`xcon:${copy.id}@island-a.test`);
    expect(copy.dialInCode).toMatch(/^[0-9]{6}$/);
    expect(copy.dialInCode).not.toBe(src.dialInCode);
    expect(copy).toMatchObject({
      subject: "Source (copy)", description: "to copy", maxUsers: 12, joinHandling: "PIN", hasPin: true, durationMin: 45, rrule: "FREQ=DAILY;COUNT=3",
      timezone: "Europe/Paris", status: "ACTIVE", parent: null,
    });
    expect(floorSpecs(copy.floors)).toEqual(floorSpecs(src.floors));
    expect(copy.floors.every((f: any) => f.conferenceId === copy.id && !src.floors.some((s: any) => s.id === f.id))).toBe(true);
    expect(userSpecs(copy.users)).toEqual(userSpecs(src.users));
    expect(copy.users.map((u: any) => u.hasPin)).toEqual([true, false]);
    expect(copy.users.every((u: any) => u.conferenceId === copy.id && !src.users.some((s: any) => s.id === u.id))).toBe(true);
    // the source is untouched
    expect(await get(src.id)).toMatchObject({ subject: "Source", users: src.users });

    // subject and startAt can be given
    const startAt = "2032-01-05T10:00:00.000Z";
    const { cloneConference: later } = await admin.must(`mutation($id: ID!, $s: String, $at: DateTime) { cloneConference(id: $id, subject: $s, startAt: $at) { ${CONF} } }`,
      { id: src.id, s: "Later copy", at: startAt });
    expect(later).toMatchObject({ subject: "Later copy", status: "SCHEDULED", joinHandling: "PIN", hasPin: true });
    expect(new Date(later.startAt).toISOString()).toBe(startAt);
    expect(new Set([src.dialInCode, copy.dialInCode, later.dialInCode]).size).toBe(3);

    // PIN join handling with only per-user PINs; join state is not copied
    const userPinOnly = await create({ subject: "User PINs", joinHandling: "PIN", users: [{ entity: "sip:carol@example.com", pin: OTHER_PIN }] });
    expect(userPinOnly.hasPin).toBe(false);
    const { joinConference: joined } = await admin.must(`mutation($c: ID!, $pin: String) { joinConference(conferenceId: $c, entity: "sip:carol@example.com", pin: $pin) { joinState } }`,
      { c: userPinOnly.id, pin: OTHER_PIN });
    expect(joined.joinState).toBe("CONNECTED");
    const { cloneConference: copy2 } = await admin.must(`mutation($id: ID!) { cloneConference(id: $id) { ${CONF} } }`, { id: userPinOnly.id });
    expect(copy2).toMatchObject({ joinHandling: "PIN", hasPin: false });
    expect(copy2.users).toEqual([expect.objectContaining({ entity: "sip:carol@example.com", hasPin: true, joinState: "INVITED", via: null })]);

    expect((await rejected(`mutation { cloneConference(id: "no-such-conference") { id } }`)).extensions?.code).toBe("NOT_FOUND");
  });

  test("delete: the conference, its users, sidebars and tokens are gone", async () => {
    const c = await create({ subject: "Doomed", users: [{ entity: "sip:alice@example.com", role: "MODERATOR" }, { entity: "sip:bob@example.com" }] });
    const side = (await admin.must(SIDEBAR, { p: c.id, input: { kind: "BY_REFERENCE", subject: "Doomed side", users: [{ entity: "sip:eve@example.com" }] } })).createSidebar;
    const { issueConferenceToken: tok } = await admin.must(`mutation($u: ID!) { issueConferenceToken(userId: $u, name: "alice") { secret } }`, { u: c.users[0].id });
    const alice = admin.as(tok.secret);
    expect((await alice.must(`{ me { user { id } } }`)).me.user.id).toBe(c.users[0].id);

    expect((await admin.must(`mutation($id: ID!) { deleteConference(id: $id) }`, { id: c.id })).deleteConference).toBe(c.id);

    expect((await rejected(GET, { id: c.id })).extensions?.code).toBe("NOT_FOUND");
    expect((await rejected(GET, { id: side.id })).extensions?.code).toBe("NOT_FOUND");
    expect((await rejected(`query($id: ID!) { users(conferenceId: $id) { id } }`, { id: c.id })).extensions?.code).toBe("NOT_FOUND");
    for (const u of [...c.users, ...side.users]) {
      expect((await rejected(`query($id: ID!) { user(id: $id) { id } }`, { id: u.id })).extensions?.code).toBe("NOT_FOUND");
    }
    expect((await rejected(`{ me { tokenId } }`, undefined, alice)).extensions?.code).toBe("UNAUTHENTICATED");
    expect((await allConferences()).some((x) => x.id === c.id)).toBe(false);
    expect(await t.focus.db.conferenceUser.count({ where: { conferenceId: { in: [c.id, side.id] } } })).toBe(0);
    expect((await rejected(`mutation($id: ID!) { deleteConference(id: $id) }`, { id: c.id })).extensions?.code).toBe("NOT_FOUND");
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("users", () => {
  test("add, duplicate, update, list, retrieve, remove", async () => {
    const c = await create({ subject: "Roster" });

    const { addUser: alice } = await admin.must(ADD_USER, {
      c: c.id, input: { entity: "sip:alice@example.com", displayName: "Alice", email: "alice@example.com", role: "MODERATOR", pin: USER_PIN },
    });
    expect(alice).toMatchObject({
      conferenceId: c.id, entity: "sip:alice@example.com", displayName: "Alice", email: "alice@example.com", role: "MODERATOR",
      hasPin: true, joinState: "INVITED", via: null, island: "island-a.test", muted: false,
    });
    const { addUser: bob } = await admin.must(ADD_USER, { c: c.id, input: { entity: "sip:bob@example.com" } });
    expect(bob).toMatchObject({ entity: "sip:bob@example.com", displayName: "", email: null, role: "PARTICIPANT", hasPin: false });

    // the same entity twice (after trimming) is a conflict; in another conference it is fine
    expect((await rejected(ADD_USER, { c: c.id, input: { entity: " sip:alice@example.com ", role: "OBSERVER" } })).extensions)
      .toMatchObject({ code: "CONFLICT", reason: "DUPLICATE" });
    const other = await create({ subject: "Other roster" });
    expect((await admin.must(ADD_USER, { c: other.id, input: { entity: "sip:alice@example.com" } })).addUser.conferenceId).toBe(other.id);

    // bad input names the field; unknown conference is NOT_FOUND
    expect((await rejected(ADD_USER, { c: c.id, input: { entity: "alice" } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "user.entity" });
    expect((await rejected(ADD_USER, { c: c.id, input: { entity: "sip:x@example.com", email: "not mail" } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "user.email" });
    expect((await rejected(ADD_USER, { c: c.id, input: { entity: "sip:x@example.com", pin: "12ab" } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "user.pin" });
    expect((await rejected(ADD_USER, { c: "no-such-conference", input: { entity: "sip:x@example.com" } })).extensions?.code).toBe("NOT_FOUND");

    const UPDATE_USER = `mutation($id: ID!, $patch: UserPatch!) { updateUser(id: $id, patch: $patch) { ${USER} } }`;
    const { updateUser: bob2 } = await admin.must(UPDATE_USER, { id: bob.id, patch: { role: "OBSERVER", displayName: "Robert", email: "rob@example.com" } });
    expect(bob2).toMatchObject({ id: bob.id, entity: "sip:bob@example.com", role: "OBSERVER", displayName: "Robert", email: "rob@example.com", hasPin: false });
    expect((await admin.must(`query($id: ID!) { user(id: $id) { ${USER} } }`, { id: bob.id })).user).toEqual(bob2);
    const upd = (await events(c.id)).at(-1);
    expect(upd).toMatchObject({ type: "USER_UPDATED", payload: { user: { id: bob.id, role: "OBSERVER" } } });
    expect([...upd.payload.changed].sort()).toEqual(["displayName", "email", "role"]);

    // a PIN, then e-mail cleared with null
    expect((await admin.must(UPDATE_USER, { id: bob.id, patch: { pin: OTHER_PIN } })).updateUser.hasPin).toBe(true);
    expect((await admin.must(UPDATE_USER, { id: bob.id, patch: { email: null } })).updateUser).toMatchObject({ email: null, displayName: "Robert" });
    expect((await rejected(UPDATE_USER, { id: bob.id, patch: {} })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "patch" });
    expect((await rejected(UPDATE_USER, { id: bob.id, patch: { pin: "12ab" } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "pin" });
    expect((await rejected(UPDATE_USER, { id: bob.id, patch: { email: "nope" } })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "email" });
    expect((await rejected(UPDATE_USER, { id: "no-such-user", patch: { role: "OBSERVER" } })).extensions?.code).toBe("NOT_FOUND");

    const list = (await admin.must(`query($c: ID!) { users(conferenceId: $c) { ${USER} } }`, { c: c.id })).users;
    expect(list.map((u: any) => u.id)).toEqual([alice.id, bob.id]);
    expect(list[0]).toEqual(alice);
    expect((await get(c.id)).users).toEqual(list);

    expect((await admin.must(`mutation($id: ID!) { removeUser(id: $id) }`, { id: bob.id })).removeUser).toBe(bob.id);
    expect((await rejected(`query($id: ID!) { user(id: $id) { id } }`, { id: bob.id })).extensions?.code).toBe("NOT_FOUND");
    expect((await admin.must(`query($c: ID!) { users(conferenceId: $c) { id } }`, { c: c.id })).users).toEqual([{ id: alice.id }]);
    expect((await rejected(`mutation($id: ID!) { removeUser(id: $id) }`, { id: bob.id })).extensions?.code).toBe("NOT_FOUND");
    expect((await rejected(`{ users(conferenceId: "no-such-conference") { id } }`)).extensions?.code).toBe("NOT_FOUND");

    const types = (await events(c.id)).map((e) => e.type);
    expect(types).toEqual(["CONFERENCE_CREATED", "CONFERENCE_STARTED", "USER_ADDED", "USER_ADDED", "USER_UPDATED", "USER_UPDATED", "USER_UPDATED", "USER_REMOVED"]);
    expect((await events(c.id)).at(-1).payload).toEqual({ userId: bob.id });
  });

  test("hasPin is true when a PIN is set, and no PIN ever appears in a response", async () => {
    const c = await create({ subject: "Pinned", joinHandling: "PIN", pin: CONF_PIN, users: [{ entity: "sip:pin@example.com", pin: USER_PIN }, { entity: "sip:nopin@example.com" }] });
    expect(c.hasPin).toBe(true);
    expect(c.users.map((u: any) => u.hasPin)).toEqual([true, false]);
    // read everything there is to read about it
    await admin.must(`query($id: ID!) { conferenceState(conferenceId: $id) { conference { hasPin } users { hasPin } } }`, { id: c.id });
    const ev = await events(c.id);
    expect(ev.find((e) => e.type === "CONFERENCE_CREATED").payload.conference.hasPin).toBe(true);
    expect(ev.filter((e) => e.type === "USER_ADDED").map((e) => e.payload.user.hasPin)).toEqual([true, false]);
    await allConferences();

    expect(bodies.length).toBeGreaterThan(50);
    expect(bodies.filter((b) => b.includes(`"hasPin":true`)).length).toBeGreaterThan(5);
    for (const pin of [CONF_PIN, USER_PIN, OTHER_PIN]) {
      expect(bodies.filter((b) => b.includes(pin))).toEqual([]);
    }
    expect(bodies.filter((b) => /pinHash|scrypt\$/.test(b))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("sidebars", () => {
  test("by value, by reference, and what is refused", async () => {
    const parent = await create({
      subject: "Plenary", maxUsers: 30, timezone: "Europe/Vienna",
      users: [
        { entity: "sip:alice@example.com", displayName: "Alice", email: "alice@example.com", role: "MODERATOR" },
        { entity: "sip:bob@example.com", displayName: "Bob", role: "PARTICIPANT" },
        { entity: "sip:carol@example.com", role: "OBSERVER" },
      ],
    });
    const [alice, bob] = parent.users;

    const byVal = (await admin.must(SIDEBAR, { p: parent.id, input: { kind: "BY_VALUE", subject: "Breakout", userIds: [alice.id, bob.id] } })).createSidebar;
    expect(byVal).toMatchObject({ subject: "Breakout", sidebarKind: "BY_VALUE", parent: { id: parent.id }, maxUsers: 30, timezone: "Europe/Vienna", status: "ACTIVE" });
    expect(byVal.id).not.toBe(parent.id);
    expect(userSpecs(byEntity(byVal.users))).toEqual(userSpecs([alice, bob]));
    expect(byVal.users.every((u: any) => u.conferenceId === byVal.id && u.id !== alice.id && u.id !== bob.id)).toBe(true);
    // copied, not moved
    expect((await get(parent.id)).users.map((u: any) => u.id)).toEqual(parent.users.map((u: any) => u.id));

    const foreign = await create({ subject: "Elsewhere", users: [{ entity: "sip:mallory@example.com" }] });
    for (const userIds of [[alice.id, foreign.users[0].id], ["no-such-user"]]) {
      expect((await rejected(SIDEBAR, { p: parent.id, input: { kind: "BY_VALUE", subject: "Bad", userIds } })).extensions)
        .toMatchObject({ code: "BAD_USER_INPUT", field: "userIds" });
    }
    expect((await rejected(SIDEBAR, { p: parent.id, input: { kind: "BY_VALUE", subject: "Bad", users: [{ entity: "sip:new@example.com" }] } })).extensions)
      .toMatchObject({ code: "BAD_USER_INPUT", field: "users" });

    const byRef = (await admin.must(SIDEBAR, {
      p: parent.id, input: { kind: "BY_REFERENCE", subject: "Side room", users: [{ entity: "sip:dave@example.com", role: "MODERATOR", email: "dave@example.com" }] },
    })).createSidebar;
    expect(byRef).toMatchObject({ subject: "Side room", sidebarKind: "BY_REFERENCE", parent: { id: parent.id } });
    expect(userSpecs(byRef.users)).toEqual([{ entity: "sip:dave@example.com", displayName: "", email: "dave@example.com", role: "MODERATOR", hasPin: false }]);
    expect((await rejected(SIDEBAR, { p: parent.id, input: { kind: "BY_REFERENCE", subject: "Bad", userIds: [alice.id] } })).extensions)
      .toMatchObject({ code: "BAD_USER_INPUT", field: "userIds" });
    // no sidebars of sidebars
    expect((await rejected(SIDEBAR, { p: byRef.id, input: { kind: "BY_REFERENCE", subject: "Nested" } })).extensions)
      .toMatchObject({ code: "BAD_USER_INPUT", field: "parentId" });
    expect((await rejected(SIDEBAR, { p: "no-such-conference", input: { kind: "BY_REFERENCE", subject: "Orphan" } })).extensions?.code).toBe("NOT_FOUND");

    // the parent lists both, in creation order; so does sidebars(conferenceId)
    const p2 = await get(parent.id);
    expect(p2.sidebars).toEqual([{ id: byVal.id, subject: "Breakout", sidebarKind: "BY_VALUE" }, { id: byRef.id, subject: "Side room", sidebarKind: "BY_REFERENCE" }]);
    expect((await admin.must(`query($id: ID!) { sidebars(conferenceId: $id) { id } }`, { id: parent.id })).sidebars.map((s: any) => s.id)).toEqual([byVal.id, byRef.id]);
    const created = (await events(parent.id)).filter((e) => e.type === "SIDEBAR_CREATED");
    expect(created.map((e) => e.payload.sidebar.id)).toEqual([byVal.id, byRef.id]);
    // sidebars are not top-level conferences
    const listed = (await allConferences()).map((x) => x.id);
    expect(listed).toContain(parent.id);
    expect(listed).not.toContain(byVal.id);
    expect(listed).not.toContain(byRef.id);
  });

  test("a sidebar by value of a PIN conference keeps the PIN", async () => {
    const parent = await create({ subject: "Locked plenary", joinHandling: "PIN", pin: CONF_PIN, users: [{ entity: "sip:alice@example.com", role: "MODERATOR", pin: USER_PIN }, { entity: "sip:bob@example.com" }] });
    const byVal = (await admin.must(SIDEBAR, { p: parent.id, input: { kind: "BY_VALUE", subject: "Private", userIds: parent.users.map((u: any) => u.id) } })).createSidebar;
    expect(byVal).toMatchObject({ sidebarKind: "BY_VALUE", joinHandling: "PIN", hasPin: true });
    expect(byEntity(byVal.users).map((u: any) => [u.entity, u.hasPin])).toEqual([["sip:alice@example.com", true], ["sip:bob@example.com", false]]);
    expect(await get(byVal.id)).toMatchObject({ joinHandling: "PIN", hasPin: true });
    // the parent's PIN lets one in; a wrong one does not
    const JOIN = `mutation($c: ID!, $e: String, $pin: String) { joinConference(conferenceId: $c, entity: $e, pin: $pin) { entity joinState } }`;
    expect((await rejected(JOIN, { c: byVal.id, e: "sip:bob@example.com", pin: "00000000" })).extensions).toMatchObject({ code: "FORBIDDEN", reason: "WRONG_PIN" });
    expect((await admin.must(JOIN, { c: byVal.id, e: "sip:bob@example.com", pin: CONF_PIN })).joinConference).toEqual({ entity: "sip:bob@example.com", joinState: "CONNECTED" });
    // alice's own PIN identifies her, whoever the caller claims to be
    expect((await admin.must(JOIN, { c: byVal.id, e: "sip:dialin@example.com", pin: USER_PIN })).joinConference).toEqual({ entity: "sip:alice@example.com", joinState: "CONNECTED" });
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("tokens", () => {
  test("an integrator token works, a conference token acts as its user, a revoked token is refused", async () => {
    const { issueToken: it } = await admin.must(`mutation { issueToken(name: " ci integrator ", role: INTEGRATOR) { secret token { id name role conferenceId userId createdAt revokedAt } } }`);
    expect(it.secret).toMatch(/^dcon_/);
    expect(it.token).toMatchObject({ name: "ci integrator", role: "INTEGRATOR", conferenceId: null, userId: null, revokedAt: null });
    const integrator = admin.as(it.secret);
    expect((await integrator.must(`{ me { tokenId role conference { id } user { id } } }`)).me).toEqual({ tokenId: it.token.id, role: "INTEGRATOR", conference: null, user: null });
    // it can schedule conferences
    const c = (await integrator.must(CREATE, { input: { subject: "By integrator", users: [{ entity: "sip:alice@example.com", role: "MODERATOR" }] } })).createConference;
    expect((await events(c.id))[0].actor).toEqual({ kind: "integrator", id: it.token.id });

    expect((await rejected(`mutation { issueToken(name: "x", role: CONFERENCE) { secret } }`)).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "role" });
    expect((await rejected(`mutation { issueToken(name: "  ", role: ADMIN) { secret } }`)).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "name" });

    const alice = c.users[0];
    const { issueConferenceToken: ct } = await admin.must(`mutation($u: ID!) { issueConferenceToken(userId: $u, name: "alice's phone") { secret token { id role conferenceId userId } } }`, { u: alice.id });
    expect(ct.token).toMatchObject({ role: "CONFERENCE", conferenceId: c.id, userId: alice.id });
    expect(ct.secret).not.toBe(it.secret);
    const asAlice = admin.as(ct.secret);
    expect((await asAlice.must(`{ me { tokenId role conference { id } user { id entity role } } }`)).me).toEqual({
      tokenId: ct.token.id, role: "CONFERENCE", conference: { id: c.id }, user: { id: alice.id, entity: "sip:alice@example.com", role: "MODERATOR" },
    });
    expect((await rejected(`mutation { issueConferenceToken(userId: "no-such-user", name: "x") { secret } }`)).extensions?.code).toBe("NOT_FOUND");

    const { tokens } = await admin.must(`{ tokens { id role revokedAt } }`);
    expect(tokens.map((x: any) => x.id)).toEqual(expect.arrayContaining([it.token.id, ct.token.id]));

    for (const [tok, client] of [[ct.token, asAlice], [it.token, integrator]] as const) {
      const { revokeToken: r } = await admin.must(`mutation($id: ID!) { revokeToken(id: $id) { id revokedAt } }`, { id: tok.id });
      expect(r.id).toBe(tok.id);
      expect(Number.isNaN(Date.parse(r.revokedAt))).toBe(false);
      expect((await rejected(`{ me { tokenId } }`, undefined, client)).extensions?.code).toBe("UNAUTHENTICATED");
      expect((await rejected(GET, { id: c.id }, client)).extensions?.code).toBe("UNAUTHENTICATED");
    }
    expect((await rejected(`mutation { revokeToken(id: "no-such-token") { id } }`)).extensions?.code).toBe("NOT_FOUND");
    // the admin token still works
    expect((await admin.must(`{ me { role } }`)).me.role).toBe("ADMIN");
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("validation", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["empty subject", { subject: "   " }, "subject"],
    ["subject too long", { subject: "x".repeat(201) }, "subject"],
    ["maxUsers 0", { subject: "Zero", maxUsers: 0 }, "maxUsers"],
    ["durationMin 0", { subject: "Instant", durationMin: 0 }, "durationMin"],
    ["bad entity URI", { subject: "Bad user", users: [{ entity: "sip:ok@example.com" }, { entity: "alice at example" }] }, "users[1].entity"],
    ["bad user e-mail", { subject: "Bad mail", users: [{ entity: "sip:ok@example.com", email: "nope" }] }, "users[0].email"],
    ["bad user pin", { subject: "Bad user pin", users: [{ entity: "sip:ok@example.com", pin: "12" }] }, "users[0].pin"],
    ["an entity twice", { subject: "Twice", users: [{ entity: "sip:ok@example.com" }, { entity: "sip:ok@example.com" }] }, "users"],
    ["bad pin", { subject: "Bad pin", pin: "12ab" }, "pin"],
    ["pin too short", { subject: "Short pin", pin: "123" }, "pin"],
    ["bad timezone", { subject: "Nowhere", timezone: "Mars/Olympus_Mons" }, "timezone"],
    ["bad rrule", { subject: "Sometimes", rrule: "FREQ=SOMETIMES" }, "rrule"],
    ["rrule without FREQ", { subject: "No freq", rrule: "BYDAY=MO" }, "rrule"],
    ["rrule more often than daily", { subject: "Hourly", rrule: "FREQ=HOURLY" }, "rrule"],
    ["rrule with DTSTART", { subject: "Start inside", rrule: "DTSTART=20260101T000000Z;FREQ=DAILY" }, "rrule"],
    ["PIN join handling with no pin", { subject: "No pin", joinHandling: "PIN", users: [{ entity: "sip:ok@example.com" }] }, "pin"],
    ["a schedule that is over", { subject: "Past", startAt: "2020-01-01T10:00:00Z" }, "startAt"],
    ["a floor label twice", { subject: "Floors", floors: [{ label: "audio" }, { label: "audio" }] }, "floors[1].label"],
    ["a bad floor label", { subject: "Floors", floors: [{ label: "a b" }] }, "floors[0].label"],
  ];

  test.each(cases)("%s is BAD_USER_INPUT on its field and changes nothing", async (_name, input, field) => {
    const listed = (await allConferences()).length;
    const rows = await rowCounts();
    const err = await rejected(CREATE, { input });
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(err.message).toMatch(new RegExp(`^${field.replace(/[[\]]/g, "\\$&")}: `));
    expect(await allConferences()).toHaveLength(listed);
    expect(await rowCounts()).toEqual(rows);
  });

  test("GraphQL type errors are refused before anything runs", async () => {
    const listed = (await allConferences()).length;
    const rows = await rowCounts();
    const variableError = await rejected(`mutation($m: Int) { createConference(input: { subject: "Typed", maxUsers: $m }) { id } }`, { m: "x" });
    expect(variableError.extensions?.code).toBe("BAD_USER_INPUT");
    expect(variableError.message).toMatch(/\$m/);
    const inputError = await rejected(CREATE, { input: { subject: "Typed", maxUsers: "x" } });
    expect(inputError.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await rejected(CREATE, { input: { subject: "Typed", joinHandling: "SOMETIMES" } })).extensions?.code).toBe("BAD_USER_INPUT");
    expect((await rejected(CREATE, { input: { subject: "Typed", startAt: "next tuesday" } })).extensions?.code).toBe("BAD_USER_INPUT");
    expect((await rejected(CREATE, { input: { description: "no subject" } })).extensions?.code).toBe("BAD_USER_INPUT");
    // an unknown field in the document is a validation error
    expect((await rejected(`mutation { createConference(input: { subject: "x", colour: "red" }) { id } }`)).extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(await allConferences()).toHaveLength(listed);
    expect(await rowCounts()).toEqual(rows);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("listing", () => {
  const PAGE = `query($first: Int!, $after: String, $filter: ConferenceFilter) {
    conferences(first: $first, after: $after, filter: $filter) { nodes { id subject startAt status rrule } pageInfo { endCursor hasNextPage } } }`;
  // distinct starts in January 2030, created out of order
  const starts = ["2030-01-05T10:00:00.000Z", "2030-01-02T10:00:00.000Z", "2030-01-07T09:00:00.000Z", "2030-01-01T08:00:00.000Z",
    "2030-01-03T12:00:00.000Z", "2030-01-06T10:00:00.000Z", "2030-01-04T10:00:00.000Z"];
  const mine: any[] = [];
  let weekly: any;

  beforeAll(async () => {
    for (const [i, startAt] of starts.entries()) mine.push(await create({ subject: `Page ${i}`, startAt, durationMin: 60 }));
    // a weekly series on Mondays in March 2030, five times
    weekly = await create({ subject: "Weekly March", startAt: "2030-03-04T10:00:00Z", durationMin: 60, rrule: "FREQ=WEEKLY;COUNT=5", timezone: "UTC" });
  });

  async function walk(first: number, filter?: Record<string, unknown>) {
    const seen: any[] = [];
    const pages: number[] = [];
    let after: string | null = null;
    for (;;) {
      const { conferences: c }: any = await admin.must(PAGE, { first, after, filter });
      seen.push(...c.nodes);
      pages.push(c.nodes.length);
      if (!c.pageInfo.hasNextPage) {
        return { seen, pages, lastCursor: c.pageInfo.endCursor };
      }
      expect(c.nodes).toHaveLength(first);
      expect(typeof c.pageInfo.endCursor).toBe("string");
      after = c.pageInfo.endCursor;
      if (pages.length > 200) throw new Error("pagination does not end");
    }
  }

  const byStart = (a: any, b: any) => Date.parse(a.startAt) - Date.parse(b.startAt) || (a.id < b.id ? -1 : 1);

  test("pages of 3 through a time window: all seven, in start order, no duplicates", async () => {
    const { seen, pages } = await walk(3, { from: "2030-01-01T00:00:00Z", to: "2030-02-01T00:00:00Z" });
    expect(pages).toEqual([3, 3, 1]);
    expect(seen.map((x) => x.id)).toEqual([...mine].sort(byStart).map((x) => x.id));
    expect(seen.map((x) => new Date(x.startAt).toISOString())).toEqual([...starts].sort());
  });

  test("pages of 3 through everything: no duplicates, no misses, ordered by start", async () => {
    const { seen } = await walk(3);
    const all = await allConferences();
    expect(new Set(seen.map((x) => x.id)).size).toBe(seen.length);
    expect(seen.map((x) => x.id).sort()).toEqual(all.map((x) => x.id).sort());
    for (let i = 1; i < seen.length; i++) expect(Date.parse(seen[i - 1].startAt)).toBeLessThanOrEqual(Date.parse(seen[i].startAt));
    for (const m of [...mine, weekly]) expect(seen.filter((x) => x.id === m.id)).toHaveLength(1);
    expect(seen.length).toBeGreaterThan(mine.length + 5);
  });

  test("an exact multiple of the page size ends with hasNextPage false", async () => {
    const { seen, pages } = await walk(3, { from: "2030-01-02T00:00:00Z", to: "2030-01-08T00:00:00Z" });
    expect(pages).toEqual([3, 3]);
    expect(seen).toHaveLength(6);
  });

  test("bad cursors and page sizes are BAD_USER_INPUT", async () => {
    const cursor = Buffer.from(JSON.stringify(["not a date", "x"])).toString("base64url");
    for (const after of ["garbage!!", "Z2FyYmFnZQ", cursor, Buffer.from("null").toString("base64url")]) {
      expect((await rejected(PAGE, { first: 3, after })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    }
    for (const first of [0, -1, 101]) {
      expect((await rejected(PAGE, { first })).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
    }
    expect((await admin.must(PAGE, { first: 100 })).conferences.nodes.length).toBeGreaterThan(0);
    expect((await admin.must(PAGE, { first: 1 })).conferences.nodes).toHaveLength(1);
    expect((await rejected(PAGE, { first: 3, filter: { from: "2030-01-02T00:00:00Z", to: "2030-01-02T00:00:00Z" } })).extensions)
      .toMatchObject({ code: "BAD_USER_INPUT", field: "to" });
  });

  test("filter by status", async () => {
    const ended = await create({ subject: "To be ended" });
    await admin.must(`mutation($id: ID!) { endConference(id: $id) { status } }`, { id: ended.id });
    const all = await allConferences();
    for (const status of ["SCHEDULED", "ACTIVE", "ENDED"]) {
      const filtered = await allConferences({ status });
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered.every((x) => x.status === status)).toBe(true);
      expect(filtered.map((x) => x.id).sort()).toEqual(all.filter((x) => x.status === status).map((x) => x.id).sort());
    }
    expect((await allConferences({ status: "ENDED" })).map((x) => x.id)).toContain(ended.id);
    const scheduled = (await allConferences({ status: "SCHEDULED" })).map((x) => x.id);
    for (const m of [...mine, weekly]) expect(scheduled).toContain(m.id);
    // status and window together, paged
    const { seen } = await walk(2, { status: "SCHEDULED", from: "2030-01-03T00:00:00Z", to: "2030-01-05T00:00:00Z" });
    expect(seen.map((x) => x.subject)).toEqual(["Page 4", "Page 6"]);
    expect((await allConferences({ status: "ACTIVE", from: "2030-01-01T00:00:00Z", to: "2030-02-01T00:00:00Z" }))).toEqual([]);
  });

  test("filter by time window: overlap, boundaries, and a series matched by a later occurrence", async () => {
    const ids = async (filter: Record<string, unknown>) => (await allConferences(filter)).map((x) => x.subject).sort();
    // [from, to) overlaps an occurrence [start, start + 60 min)
    expect(await ids({ from: "2030-01-05T10:59:00Z", to: "2030-01-05T12:00:00Z" })).toEqual(["Page 0"]);
    expect(await ids({ from: "2030-01-05T11:00:00Z", to: "2030-01-06T10:00:00Z" })).toEqual([]);
    expect(await ids({ from: "2030-01-05T11:00:00Z", to: "2030-01-06T10:00:01Z" })).toEqual(["Page 5"]);
    // only `to`: everything that started before it (the series' first occurrence is in March)
    const untilFebruary = await ids({ to: "2030-02-01T00:00:00Z" });
    expect(untilFebruary).toEqual(expect.arrayContaining(mine.map((m) => m.subject)));
    expect(untilFebruary).not.toContain("Weekly March");
    // the third occurrence (2030-03-18) is the only one in this window
    expect(await ids({ from: "2030-03-17T00:00:00Z", to: "2030-03-19T00:00:00Z" })).toEqual(["Weekly March"]);
    expect(await ids({ from: "2030-03-19T00:00:00Z", to: "2030-03-25T00:00:00Z" })).toEqual([]);
    // after the fifth and last occurrence (2030-04-01) nothing matches
    expect(await ids({ from: "2030-04-01T11:00:00Z", to: "2030-06-01T00:00:00Z" })).toEqual([]);
    // only `from`: a series matches through its later occurrences, one-offs before `from` do not
    const fromMarch = await ids({ from: "2030-03-20T00:00:00Z" });
    expect(fromMarch).toContain("Weekly March");
    expect(fromMarch).not.toContain("Page 0");
    expect(await ids({ from: "2030-04-02T00:00:00Z" })).not.toContain("Weekly March");
    // and paging through a window that only the series' later occurrence matches
    const { seen, pages } = await walk(1, { from: "2030-01-06T00:00:00Z", to: "2030-03-19T00:00:00Z" });
    expect(seen.map((x) => x.subject)).toEqual(["Page 5", "Page 2", "Weekly March"]);
    expect(pages).toEqual([1, 1, 1]);
  });
});
