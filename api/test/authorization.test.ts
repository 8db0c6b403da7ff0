// Peer: none besides the focus over HTTP/WebSocket
/**
 * Who may do what: an authorization matrix over every Query, Mutation and Subscription field, for every
 * kind of caller, generated from a table (the readable spec); then the WebSocket handshake, the query
 * limits and malformed HTTP requests. (Secrets in the log of a real focus process: secrets-in-logs.test.ts.)
 *
 * Fixtures are arranged through the focus' own domain (the same store the API writes); every operation
 * under test goes over real HTTP or WebSocket.
 */
import { randomBytes } from "node:crypto";
import { buildSchema as parseSdl, type GraphQLObjectType } from "graphql";
import type { Client } from "graphql-ws";
import type { Actor, ConferenceDomain, Role } from "@dcon/core";
import { TokenStore } from "../src/auth/tokens.ts";
import { AccountStore } from "../src/auth/accounts.ts";
import { typeDefs } from "../src/graphql/schema.ts";
import {
  ADMIN_TOKEN, HttpClient, startTestFocus, usingPostgres, wsClient, type GraphQLResponse, type TestFocus,
} from "./support/focus.ts";

// ---------------------------------------------------------------------------------------------------------
// The spec. Columns are the callers:
//   none       no Authorization header
//   junk       a well-formed but unknown token
//   revoked    a revoked ADMIN token
//   ended      an ADMIN account's sign-in session, ended by a new password (tokens carry no expiry time:
//              a session ends by signOut, a new password or the account's deletion, all as a revocation)
//   admin      the admin token;  integ: a global INTEGRATOR token
//   acct:ADM, acct:INT   sign-in sessions (signIn) of an ADMIN and of an INTEGRATOR account
//   A:ADM .. A:OBS   conference tokens of conference A's users with that role (ADMINISTRATOR, MODERATOR,
//                    PARTICIPANT, OBSERVER)
//   B:ADM .. B:OBS   conference tokens of another conference B's users with that role, acting on A
// Outcomes: ok, U = UNAUTHENTICATED, F = FORBIDDEN.
// "(self)" rows act on the caller's own user; callers without a user in A act on a PARTICIPANT of A.
// "another user" is a PARTICIPANT of A who is not the caller.
// ---------------------------------------------------------------------------------------------------------
const PRINCIPALS = [
  "none", "junk", "revoked", "ended", "admin", "acct:ADM", "integ", "acct:INT", "A:ADM", "A:MOD", "A:PART", "A:OBS", "B:ADM", "B:MOD", "B:PART", "B:OBS",
] as const;
type Principal = (typeof PRINCIPALS)[number];

const QUERY_MATRIX = `
                   none junk revoked ended admin acct:ADM integ acct:INT A:ADM A:MOD A:PART A:OBS B:ADM B:MOD B:PART B:OBS
  me               U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    ok    ok    ok     ok
  blueprints       U    U    U       U     ok    ok       ok    ok       F     F     F      F     F     F     F      F
  blueprint        U    U    U       U     ok    ok       ok    ok       F     F     F      F     F     F     F      F
  conference       U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  conferences      U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    ok    ok    ok     ok
  users            U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  user             U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  floor            U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  sidebars         U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  conferenceState  U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  events           U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  tokens           U    U    U       U     ok    ok       F     F        F     F     F      F     F     F     F      F
  accounts         U    U    U       U     ok    ok       F     F        F     F     F      F     F     F     F      F
  federation       U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    ok    ok    ok     ok
  peerConferences  U    U    U       U     BAD   BAD      BAD   BAD      BAD   BAD   BAD    BAD   BAD   BAD   BAD    BAD
`;

const MUTATION_MATRIX = `
                                                       none junk revoked ended admin acct:ADM integ acct:INT A:ADM A:MOD A:PART A:OBS B:ADM B:MOD B:PART B:OBS
  createBlueprint                                      U    U    U       U     ok    ok       F     F        F     F     F      F     F     F     F      F
  deleteBlueprint                                      U    U    U       U     ok    ok       F     F        F     F     F      F     F     F     F      F
  createConference                                     U    U    U       U     ok    ok       ok    ok       F     F     F      F     F     F     F      F
  cloneConference                                      U    U    U       U     ok    ok       ok    ok       F     F     F      F     F     F     F      F
  updateConference                                     U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  deleteConference                                     U    U    U       U     ok    ok       ok    ok       F     F     F      F     F     F     F      F
  addUser (PARTICIPANT role)                           U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  addUser (ADMINISTRATOR role)                         U    U    U       U     ok    ok       ok    ok       ok    F     F      F     F     F     F      F
  updateUser (a PARTICIPANT's name)                    U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  updateUser (a PARTICIPANT made ADMINISTRATOR)        U    U    U       U     ok    ok       ok    ok       ok    F     F      F     F     F     F      F
  updateUser (an ADMINISTRATOR's name)                 U    U    U       U     ok    ok       ok    ok       ok    F     F      F     F     F     F      F
  removeUser (a PARTICIPANT)                           U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  removeUser (an ADMINISTRATOR)                        U    U    U       U     ok    ok       ok    ok       ok    F     F      F     F     F     F      F
  createSidebar (by value)                             U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  createSidebar (by reference, an ADMINISTRATOR user)  U    U    U       U     ok    ok       ok    ok       ok    F     F      F     F     F     F      F
  joinConference (self)                                U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  leaveConference (self)                               U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  leaveConference (another user)                       U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  linkConference                                       U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  lockConference                                       U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  unlockConference                                     U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  endConference                                        U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  muteUser (self)                                      U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  muteUser (another user)                              U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  unmuteUser (self)                                    U    U    U       U     ok    ok       ok    ok       ok    ok    ok     F     F     F     F      F
  unmuteUser (another user)                            U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  muteAll                                              U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  kickUser                                             U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  admitUser                                            U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  refuseUser                                           U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  requestFloor (self)                                  U    U    U       U     ok    ok       ok    ok       ok    ok    ok     F     F     F     F      F
  requestFloor (for another user)                      U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  releaseFloor (own request)                           U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  releaseFloor (another user's request)                U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  grantFloor                                           U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  denyFloor                                            U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  revokeFloor                                          U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  issueToken                                           U    U    U       U     ok    ok       F     F        F     F     F      F     F     F     F      F
  issueConferenceToken (for a PARTICIPANT)             U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  issueConferenceToken (for an ADMINISTRATOR)          U    U    U       U     ok    ok       ok    ok       ok    F     F      F     F     F     F      F
  revokeToken (a conference token of A)                U    U    U       U     ok    ok       ok    ok       ok    ok    F      F     F     F     F      F
  revokeToken (a global token)                         U    U    U       U     ok    ok       F     F        F     F     F      F     F     F     F      F
  revokeToken (a token of one's own user)              U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  revokeToken (an ADMINISTRATOR's token)               U    U    U       U     ok    ok       ok    ok       ok    F     F      F     F     F     F      F
  createAccount                                        U    U    U       U     ok    ok       F     F        F     F     F      F     F     F     F      F
  setAccountPassword                                   U    U    U       U     ok    ok       F     F        F     F     F      F     F     F     F      F
  deleteAccount                                        U    U    U       U     ok    ok       F     F        F     F     F      F     F     F     F      F
  signIn                                               ok   ok   ok      ok    ok    ok       ok    ok       ok    ok    ok     ok    ok    ok    ok     ok
  signOut                                              U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    ok    ok    ok     ok
`;

/** Over WebSocket, U shows as the socket closed with 4403 at connection; F as an error on the subscription. */
const SUBSCRIPTION_MATRIX = `
                    none junk revoked ended admin acct:ADM integ acct:INT A:ADM A:MOD A:PART A:OBS B:ADM B:MOD B:PART B:OBS
  conferenceEvents  U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
  roster            U    U    U       U     ok    ok       ok    ok       ok    ok    ok     ok    F     F     F      F
`;

type Outcome = "ok" | "UNAUTHENTICATED" | "FORBIDDEN" | "BAD_USER_INPUT";
/** BAD: authorized, but this test focus cannot do it (it does not federate): BAD_USER_INPUT after the auth check */
const OUTCOME: Record<string, Outcome> = { ok: "ok", U: "UNAUTHENTICATED", F: "FORBIDDEN", BAD: "BAD_USER_INPUT" };

/** Parses a matrix: operation -> outcome per principal, checking the header and every cell. */
function parseMatrix(text: string): Map<string, Record<Principal, Outcome>> {
  const [header, ...rows] = text.split("\n").filter((l) => l.trim());
  expectHeader(header!.trim().split(/\s+/));
  const matrix = new Map<string, Record<Principal, Outcome>>();
  const shape = new RegExp(`^(\\S.*?)\\s+((?:\\S+\\s+){${PRINCIPALS.length - 1}}\\S+)$`);
  for (const row of rows) {
    const m = shape.exec(row.trim());
    if (!m) throw new Error(`bad matrix row: ${row}`);
    const op = m[1]!;
    if (matrix.has(op)) throw new Error(`row ${op} is in the matrix twice`);
    const cells = m[2]!.split(/\s+/);
    const outcomes = cells.map((c) => {
      const o = OUTCOME[c];
      if (!o) throw new Error(`bad cell "${c}" in: ${row}`);
      return o;
    });
    matrix.set(op, Object.fromEntries(PRINCIPALS.map((p, i) => [p, outcomes[i]!])) as Record<Principal, Outcome>);
  }
  return matrix;
}
function expectHeader(cols: string[]): void {
  if (cols.join(" ") !== PRINCIPALS.join(" ")) throw new Error(`matrix header ${cols.join(" ")} is not ${PRINCIPALS.join(" ")}`);
}
const fieldOf = (op: string) => op.split(" ")[0]!;
const QUERIES = parseMatrix(QUERY_MATRIX);
const MUTATIONS = parseMatrix(MUTATION_MATRIX);
const SUBSCRIPTIONS = parseMatrix(SUBSCRIPTION_MATRIX);
const cases = (m: Map<string, Record<Principal, Outcome>>) =>
  [...m].flatMap(([op, row]) => PRINCIPALS.map((who) => [op, who, row[who]] as [string, Principal, Outcome]));

// ---------------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------------
let t: TestFocus;
let tokens: TokenStore;
let accounts: AccountStore;
const domain = (): ConferenceDomain => t.focus.domain;
const SYSTEM: Actor = { kind: "system", id: "authorization-test" };
const JUNK_TOKEN = `dcon_${randomBytes(32).toString("base64url")}`;
let revokedSecret: string;
let endedSecret: string;
let integratorSecret: string;
let conferenceB: string;
/** conference B's users, one of each role, and a token of each */
const bUsers = new Map<Role, { id: string; conferenceId: string }>();
const bSecrets = new Map<Role, string>();
/** the accounts whose sessions are callers, with their passwords (signOut signs in afresh) */
const ACCOUNT_OF = { "acct:ADM": { username: "matrix-admin", role: "ADMIN" }, "acct:INT": { username: "matrix-integrator", role: "INTEGRATOR" } } as const;
const ACCOUNT_PASSWORD = "the matrix's password";
const accountSessions = new Map<Principal, string>();

type UserKey = Role | "target" | "targetAdmin";
const ROLE_OF: Partial<Record<Principal, Role>> = { "A:ADM": "ADMINISTRATOR", "A:MOD": "MODERATOR", "A:PART": "PARTICIPANT", "A:OBS": "OBSERVER" };
const B_ROLE_OF: Partial<Record<Principal, Role>> = { "B:ADM": "ADMINISTRATOR", "B:MOD": "MODERATOR", "B:PART": "PARTICIPANT", "B:OBS": "OBSERVER" };

/**
 * Conference A with one floor, a PARTICIPANT ("target") and an ADMINISTRATOR ("targetAdmin") to act on, and
 * users for the callers' roles (all four for the shared world of the queries; the caller's for a mutation).
 */
interface World {
  tag: string;
  a: string;
  user: Record<UserKey, { id: string; entity: string }>;
  floorId: string;
  /** ids a row's arrange step made */
  bag: Record<string, string>;
}

let worldSeq = 0;
async function makeWorld(callers: (Role | undefined)[]): Promise<World> {
  const tag = `${++worldSeq}-${randomBytes(3).toString("hex")}`;
  const specs: [UserKey, Role][] = [
    ...callers.filter((r): r is Role => r !== undefined).map((r): [UserKey, Role] => [r, r]),
    ["target", "PARTICIPANT"], ["targetAdmin", "ADMINISTRATOR"],
  ];
  const entity = (k: UserKey) => `sip:${k.toLowerCase()}-${tag}@a.test`;
  const a = await domain().conferences.create(SYSTEM, { subject: `A ${tag}`, users: specs.map(([k, role]) => ({ entity: entity(k), role })) });
  const { users, floors } = await t.focus.db.conference.findUniqueOrThrow({ where: { id: a.id }, include: { users: true, floors: true } });
  const user = Object.fromEntries(specs.map(([k]) => {
    const u = users.find((x) => x.entity === entity(k))!;
    return [k, { id: u.id, entity: u.entity }];
  })) as World["user"];
  return { tag, a: a.id, user, floorId: floors[0]!.id, bag: {} };
}

/**
 * A fresh world for each allowed mutation case, made a few cases ahead (PostgreSQL builds several at once
 * while a case runs).
 */
const allowedCases = () => cases(MUTATIONS).filter(([, , expected]) => expected === "ok").map(([op, who]) => `${op} | ${who}`);
const prefetched = new Map<string, Promise<World>>();
const taken = new Set<string>();
function takeWorld(op: string, who: Principal): Promise<World> {
  const order = allowedCases();
  const at = order.indexOf(`${op} | ${who}`);
  for (const key of order.slice(at, at + (usingPostgres ? 6 : 2))) {
    if (prefetched.has(key) || taken.has(key)) continue;
    const w = makeWorld([ROLE_OF[key.split(" | ")[1] as Principal]]);
    w.catch(() => undefined); // awaited (and failing its case) when taken
    prefetched.set(key, w);
  }
  const key = `${op} | ${who}`;
  const w = prefetched.get(key) ?? makeWorld([ROLE_OF[who]]);
  prefetched.delete(key);
  taken.add(key);
  return w;
}

/**
 * Denied cases change nothing, so those of one row share a world, arranged once for each "self" they act
 * on (callers without a user in A all act on A's target user). Were a denial to let a change through,
 * its case fails on the change.
 */
const deniedWorlds = new Map<string, Promise<World>>();
function deniedWorld(op: string, who: Principal): Promise<World> {
  const key = `${op} | ${ROLE_OF[who] ?? "target"}`;
  let w = deniedWorlds.get(key);
  if (!w) {
    w = (async () => {
      const world = await makeWorld([ROLE_OF[who]]);
      await MUTATION_CASES[op]!.arrange?.(world, who);
      return world;
    })();
    deniedWorlds.set(key, w);
  }
  return w;
}

/** The caller's token for a world (conference tokens are issued for that world's users). */
async function tokenOf(who: Principal, w: World): Promise<string | null> {
  switch (who) {
    case "none": return null;
    case "junk": return JUNK_TOKEN;
    case "revoked": return revokedSecret;
    case "ended": return endedSecret;
    case "admin": return ADMIN_TOKEN;
    case "integ": return integratorSecret;
    case "acct:ADM": case "acct:INT": return accountSessions.get(who)!;
    case "B:ADM": case "B:MOD": case "B:PART": case "B:OBS": return bSecrets.get(B_ROLE_OF[who]!)!;
    default: return (await tokens.issueForUser(`as ${who}`, { id: w.user[ROLE_OF[who]!].id, conferenceId: w.a })).secret;
  }
}

/** "self": the caller's own user in A, or (callers with no user in A) A's target PARTICIPANT. */
const selfOf = (w: World, who: Principal) => (ROLE_OF[who] ? w.user[ROLE_OF[who]!] : w.user.target);
const isTokenOfA = (who: Principal) => ROLE_OF[who] !== undefined;
const isTokenOfB = (who: Principal) => B_ROLE_OF[who] !== undefined;
const isConferenceToken = (who: Principal) => isTokenOfA(who) || isTokenOfB(who);

const as = (token: string | null) => new HttpClient(t.url, token);
const join = (userId: string, w: World) => domain().roster.join(SYSTEM, w.a, { userId, via: "test" });
const userRow = (id: string) => t.focus.db.conferenceUser.findUnique({ where: { id } });
const conferenceRow = (id: string) => t.focus.db.conference.findUnique({ where: { id } });
const requestRow = (id: string) => t.focus.db.floorRequest.findUnique({ where: { id } });
async function openRequest(w: World, userId: string): Promise<string> {
  return (await domain().floors.request(SYSTEM, w.floorId, userId)).id;
}

interface Op {
  query: string;
  variables?: Record<string, unknown>;
}
interface MutationCase {
  arrange?(w: World, who: Principal): Promise<void>;
  /** the caller's token, for a case that uses it up (signOut): a fresh one of the caller's kind */
  token?(who: Principal, w: World): Promise<string | null>;
  op(w: World, who: Principal): Op;
  /** whether the operation's effect is in the store */
  done(w: World, who: Principal): Promise<boolean>;
}

const MUTATION_CASES: Record<string, MutationCase> = {
  createBlueprint: {
    op: (w) => ({ query: `mutation($n: String!) { createBlueprint(input: { name: $n }) { id } }`, variables: { n: `bp-${w.tag}` } }),
    done: async (w) => (await t.focus.db.blueprint.findUnique({ where: { name: `bp-${w.tag}` } })) !== null,
  },
  deleteBlueprint: {
    arrange: async (w) => void (w.bag.bp = (await domain().conferences.createBlueprint({ name: `bp-${w.tag}` })).id),
    op: (w) => ({ query: `mutation($id: ID!) { deleteBlueprint(id: $id) }`, variables: { id: w.bag.bp } }),
    done: async (w) => (await t.focus.db.blueprint.findUnique({ where: { id: w.bag.bp! } })) === null,
  },
  createConference: {
    op: (w) => ({ query: `mutation($s: String!) { createConference(input: { subject: $s }) { id } }`, variables: { s: `new-${w.tag}` } }),
    done: async (w) => (await t.focus.db.conference.count({ where: { subject: `new-${w.tag}` } })) > 0,
  },
  cloneConference: {
    op: (w) => ({ query: `mutation($id: ID!, $s: String) { cloneConference(id: $id, subject: $s) { id } }`, variables: { id: w.a, s: `clone-${w.tag}` } }),
    done: async (w) => (await t.focus.db.conference.count({ where: { subject: `clone-${w.tag}` } })) > 0,
  },
  updateConference: {
    op: (w) => ({ query: `mutation($id: ID!) { updateConference(id: $id, patch: { subject: "renamed" }) { id } }`, variables: { id: w.a } }),
    done: async (w) => (await conferenceRow(w.a))!.subject === "renamed",
  },
  deleteConference: {
    op: (w) => ({ query: `mutation($id: ID!) { deleteConference(id: $id) }`, variables: { id: w.a } }),
    done: async (w) => (await conferenceRow(w.a)) === null,
  },
  "addUser (PARTICIPANT role)": {
    op: (w) => ({ query: `mutation($c: ID!, $e: String!) { addUser(conferenceId: $c, input: { entity: $e }) { id } }`, variables: { c: w.a, e: `sip:new-${w.tag}@a.test` } }),
    done: async (w) => (await t.focus.db.conferenceUser.count({ where: { conferenceId: w.a, entity: `sip:new-${w.tag}@a.test` } })) > 0,
  },
  "addUser (ADMINISTRATOR role)": {
    op: (w) => ({ query: `mutation($c: ID!, $e: String!) { addUser(conferenceId: $c, input: { entity: $e, role: ADMINISTRATOR }) { id } }`, variables: { c: w.a, e: `sip:new-${w.tag}@a.test` } }),
    done: async (w) => (await t.focus.db.conferenceUser.count({ where: { conferenceId: w.a, entity: `sip:new-${w.tag}@a.test`, role: "ADMINISTRATOR" } })) > 0,
  },
  "updateUser (a PARTICIPANT's name)": {
    op: (w) => ({ query: `mutation($id: ID!) { updateUser(id: $id, patch: { displayName: "Renamed" }) { id } }`, variables: { id: w.user.target.id } }),
    done: async (w) => (await userRow(w.user.target.id))!.displayName === "Renamed",
  },
  "updateUser (a PARTICIPANT made ADMINISTRATOR)": {
    op: (w) => ({ query: `mutation($id: ID!) { updateUser(id: $id, patch: { role: ADMINISTRATOR }) { id } }`, variables: { id: w.user.target.id } }),
    done: async (w) => (await userRow(w.user.target.id))!.role === "ADMINISTRATOR",
  },
  "updateUser (an ADMINISTRATOR's name)": {
    op: (w) => ({ query: `mutation($id: ID!) { updateUser(id: $id, patch: { displayName: "Renamed" }) { id } }`, variables: { id: w.user.targetAdmin.id } }),
    done: async (w) => (await userRow(w.user.targetAdmin.id))!.displayName === "Renamed",
  },
  "removeUser (a PARTICIPANT)": {
    op: (w) => ({ query: `mutation($id: ID!) { removeUser(id: $id) }`, variables: { id: w.user.target.id } }),
    done: async (w) => (await userRow(w.user.target.id)) === null,
  },
  "removeUser (an ADMINISTRATOR)": {
    op: (w) => ({ query: `mutation($id: ID!) { removeUser(id: $id) }`, variables: { id: w.user.targetAdmin.id } }),
    done: async (w) => (await userRow(w.user.targetAdmin.id)) === null,
  },
  "createSidebar (by value)": {
    op: (w) => ({
      query: `mutation($p: ID!, $u: ID!) { createSidebar(parentId: $p, input: { kind: BY_VALUE, subject: "side", userIds: [$u] }) { id } }`,
      variables: { p: w.a, u: w.user.target.id },
    }),
    done: async (w) => (await t.focus.db.conference.count({ where: { parentId: w.a } })) > 0,
  },
  "createSidebar (by reference, an ADMINISTRATOR user)": {
    op: (w) => ({
      query: `mutation($p: ID!, $e: String!) { createSidebar(parentId: $p, input: { kind: BY_REFERENCE, subject: "side", users: [{ entity: $e, role: ADMINISTRATOR }] }) { id } }`,
      variables: { p: w.a, e: `sip:side-admin-${w.tag}@a.test` },
    }),
    done: async (w) => (await t.focus.db.conference.count({ where: { parentId: w.a } })) > 0,
  },
  "joinConference (self)": {
    // a conference token joins as its own user; admin and integrator name the user's entity
    op: (w, who) => ({
      query: `mutation($c: ID!, $e: String) { joinConference(conferenceId: $c, entity: $e) { id } }`,
      variables: { c: w.a, e: isConferenceToken(who) ? null : selfOf(w, who).entity },
    }),
    done: async (w, who) => (await userRow(selfOf(w, who).id))!.joinState === "CONNECTED",
  },
  "leaveConference (self)": {
    arrange: async (w, who) => void (await join(selfOf(w, who).id, w)),
    op: (w, who) => ({ query: `mutation($id: ID!) { leaveConference(userId: $id) { id } }`, variables: { id: selfOf(w, who).id } }),
    done: async (w, who) => (await userRow(selfOf(w, who).id))!.joinState === "DISCONNECTED",
  },
  "leaveConference (another user)": {
    arrange: async (w) => void (await join(w.user.target.id, w)),
    op: (w) => ({ query: `mutation($id: ID!) { leaveConference(userId: $id) { id } }`, variables: { id: w.user.target.id } }),
    done: async (w) => (await userRow(w.user.target.id))!.joinState === "DISCONNECTED",
  },
  linkConference: {
    op: (w) => ({ query: `mutation($id: ID!) { linkConference(id: $id, island: "island-b.test") { islands } }`, variables: { id: w.a } }),
    done: async (w) => (await domain().store.db.conferenceLink.count({ where: { conferenceId: w.a, island: "island-b.test" } })) === 1,
  },
  lockConference: {
    op: (w) => ({ query: `mutation($id: ID!) { lockConference(id: $id) { locked } }`, variables: { id: w.a } }),
    done: async (w) => (await conferenceRow(w.a))!.locked,
  },
  unlockConference: {
    arrange: async (w) => void (await domain().conferences.setLocked(SYSTEM, w.a, true)),
    op: (w) => ({ query: `mutation($id: ID!) { unlockConference(id: $id) { locked } }`, variables: { id: w.a } }),
    done: async (w) => !(await conferenceRow(w.a))!.locked,
  },
  endConference: {
    op: (w) => ({ query: `mutation($id: ID!) { endConference(id: $id) { status } }`, variables: { id: w.a } }),
    done: async (w) => (await conferenceRow(w.a))!.status === "ENDED",
  },
  "muteUser (self)": {
    arrange: async (w, who) => void (await join(selfOf(w, who).id, w)),
    op: (w, who) => ({ query: `mutation($id: ID!) { muteUser(id: $id) { muted } }`, variables: { id: selfOf(w, who).id } }),
    done: async (w, who) => (await userRow(selfOf(w, who).id))!.muted,
  },
  "muteUser (another user)": {
    arrange: async (w) => void (await join(w.user.target.id, w)),
    op: (w) => ({ query: `mutation($id: ID!) { muteUser(id: $id) { muted } }`, variables: { id: w.user.target.id } }),
    done: async (w) => (await userRow(w.user.target.id))!.muted,
  },
  "unmuteUser (self)": {
    arrange: async (w, who) => {
      await join(selfOf(w, who).id, w);
      await domain().roster.setMuted(SYSTEM, selfOf(w, who).id, true);
    },
    op: (w, who) => ({ query: `mutation($id: ID!) { unmuteUser(id: $id) { muted } }`, variables: { id: selfOf(w, who).id } }),
    done: async (w, who) => !(await userRow(selfOf(w, who).id))!.muted,
  },
  "unmuteUser (another user)": {
    arrange: async (w) => {
      await join(w.user.target.id, w);
      await domain().roster.setMuted(SYSTEM, w.user.target.id, true);
    },
    op: (w) => ({ query: `mutation($id: ID!) { unmuteUser(id: $id) { muted } }`, variables: { id: w.user.target.id } }),
    done: async (w) => !(await userRow(w.user.target.id))!.muted,
  },
  muteAll: {
    arrange: async (w) => void (await join(w.user.target.id, w)),
    op: (w) => ({ query: `mutation($c: ID!) { muteAll(conferenceId: $c) }`, variables: { c: w.a } }),
    done: async (w) => (await userRow(w.user.target.id))!.muted,
  },
  kickUser: {
    arrange: async (w) => void (await join(w.user.target.id, w)),
    op: (w) => ({ query: `mutation($id: ID!) { kickUser(id: $id) { joinState } }`, variables: { id: w.user.target.id } }),
    done: async (w) => (await userRow(w.user.target.id))!.joinState === "DISCONNECTED",
  },
  admitUser: {
    arrange: async (w) => {
      await domain().conferences.update(SYSTEM, w.a, { joinHandling: "LOBBY" });
      expect((await join(w.user.target.id, w)).joinState).toBe("LOBBY");
    },
    op: (w) => ({ query: `mutation($id: ID!) { admitUser(id: $id) { joinState } }`, variables: { id: w.user.target.id } }),
    done: async (w) => (await userRow(w.user.target.id))!.joinState === "CONNECTED",
  },
  refuseUser: {
    arrange: async (w) => {
      await domain().conferences.update(SYSTEM, w.a, { joinHandling: "LOBBY" });
      expect((await join(w.user.target.id, w)).joinState).toBe("LOBBY");
    },
    op: (w) => ({ query: `mutation($id: ID!) { refuseUser(id: $id) { joinState } }`, variables: { id: w.user.target.id } }),
    done: async (w) => (await userRow(w.user.target.id))!.joinState === "DISCONNECTED",
  },
  "requestFloor (self)": {
    // a conference token of A asks for itself (no userId); other callers name A's PARTICIPANT
    arrange: async (w, who) => void (await join(selfOf(w, who).id, w)),
    op: (w, who) => ({
      query: `mutation($f: ID!, $u: ID) { requestFloor(floorId: $f, userId: $u) { id } }`,
      variables: { f: w.floorId, u: isTokenOfA(who) ? null : selfOf(w, who).id },
    }),
    done: async (w, who) => (await t.focus.db.floorRequest.count({ where: { floorId: w.floorId, userId: selfOf(w, who).id } })) > 0,
  },
  "requestFloor (for another user)": {
    arrange: async (w) => void (await join(w.user.target.id, w)),
    op: (w) => ({ query: `mutation($f: ID!, $u: ID) { requestFloor(floorId: $f, userId: $u) { id } }`, variables: { f: w.floorId, u: w.user.target.id } }),
    done: async (w) => (await t.focus.db.floorRequest.count({ where: { floorId: w.floorId, userId: w.user.target.id } })) > 0,
  },
  "releaseFloor (own request)": {
    // the OBSERVER's own request stands for one made before a demotion (updateUser keeps open requests)
    arrange: async (w, who) => {
      await join(selfOf(w, who).id, w);
      w.bag.req = await openRequest(w, selfOf(w, who).id);
    },
    op: (w) => ({ query: `mutation($r: ID!) { releaseFloor(requestId: $r) { status } }`, variables: { r: w.bag.req } }),
    done: async (w) => (await requestRow(w.bag.req!))!.status === "CANCELLED",
  },
  "releaseFloor (another user's request)": {
    arrange: async (w) => {
      await join(w.user.target.id, w);
      w.bag.req = await openRequest(w, w.user.target.id);
    },
    op: (w) => ({ query: `mutation($r: ID!) { releaseFloor(requestId: $r) { status } }`, variables: { r: w.bag.req } }),
    done: async (w) => (await requestRow(w.bag.req!))!.status === "CANCELLED",
  },
  grantFloor: {
    arrange: async (w) => {
      await join(w.user.target.id, w);
      w.bag.req = await openRequest(w, w.user.target.id);
    },
    op: (w) => ({ query: `mutation($r: ID!) { grantFloor(requestId: $r) { status } }`, variables: { r: w.bag.req } }),
    done: async (w) => (await requestRow(w.bag.req!))!.status === "GRANTED",
  },
  denyFloor: {
    arrange: async (w) => {
      await join(w.user.target.id, w);
      w.bag.req = await openRequest(w, w.user.target.id);
    },
    op: (w) => ({ query: `mutation($r: ID!) { denyFloor(requestId: $r) { status } }`, variables: { r: w.bag.req } }),
    done: async (w) => (await requestRow(w.bag.req!))!.status === "DENIED",
  },
  revokeFloor: {
    arrange: async (w) => {
      await join(w.user.target.id, w);
      w.bag.req = await openRequest(w, w.user.target.id);
      await domain().floors.grant(SYSTEM, w.bag.req);
    },
    op: (w) => ({ query: `mutation($r: ID!) { revokeFloor(requestId: $r) { status } }`, variables: { r: w.bag.req } }),
    done: async (w) => (await requestRow(w.bag.req!))!.status === "REVOKED",
  },
  issueToken: {
    op: (w) => ({ query: `mutation($n: String!) { issueToken(name: $n, role: INTEGRATOR) { secret } }`, variables: { n: `it-${w.tag}` } }),
    done: async (w) => (await t.focus.db.apiToken.count({ where: { name: `it-${w.tag}` } })) > 0,
  },
  "issueConferenceToken (for a PARTICIPANT)": {
    op: (w) => ({ query: `mutation($u: ID!, $n: String!) { issueConferenceToken(userId: $u, name: $n) { secret } }`, variables: { u: w.user.target.id, n: `ct-${w.tag}` } }),
    done: async (w) => (await t.focus.db.apiToken.count({ where: { name: `ct-${w.tag}` } })) > 0,
  },
  "issueConferenceToken (for an ADMINISTRATOR)": {
    op: (w) => ({ query: `mutation($u: ID!, $n: String!) { issueConferenceToken(userId: $u, name: $n) { secret } }`, variables: { u: w.user.targetAdmin.id, n: `ct-${w.tag}` } }),
    done: async (w) => (await t.focus.db.apiToken.count({ where: { name: `ct-${w.tag}` } })) > 0,
  },
  "revokeToken (a conference token of A)": {
    arrange: async (w) => void (w.bag.token = (await tokens.issueForUser("to revoke", { id: w.user.target.id, conferenceId: w.a })).token.id),
    op: (w) => ({ query: `mutation($id: ID!) { revokeToken(id: $id) { revokedAt } }`, variables: { id: w.bag.token } }),
    done: async (w) => (await t.focus.db.apiToken.findUnique({ where: { id: w.bag.token! } }))!.revokedAt !== null,
  },
  "revokeToken (a token of one's own user)": {
    arrange: async (w, who) => void (w.bag.token = (await tokens.issueForUser("own", { id: selfOf(w, who).id, conferenceId: w.a })).token.id),
    op: (w) => ({ query: `mutation($id: ID!) { revokeToken(id: $id) { revokedAt } }`, variables: { id: w.bag.token } }),
    done: async (w) => (await t.focus.db.apiToken.findUnique({ where: { id: w.bag.token! } }))!.revokedAt !== null,
  },
  "revokeToken (an ADMINISTRATOR's token)": {
    arrange: async (w) => void (w.bag.token = (await tokens.issueForUser("admin's", { id: w.user.targetAdmin.id, conferenceId: w.a })).token.id),
    op: (w) => ({ query: `mutation($id: ID!) { revokeToken(id: $id) { revokedAt } }`, variables: { id: w.bag.token } }),
    done: async (w) => (await t.focus.db.apiToken.findUnique({ where: { id: w.bag.token! } }))!.revokedAt !== null,
  },
  createAccount: {
    op: (w) => ({ query: `mutation($u: String!) { createAccount(username: $u, password: "a good password", role: ADMIN) { id } }`, variables: { u: `acct-${w.tag}` } }),
    done: async (w) => (await t.focus.db.account.count({ where: { username: `acct-${w.tag}` } })) > 0,
  },
  setAccountPassword: {
    arrange: async (w) => {
      w.bag.account = (await accounts.create({ username: `acct-${w.tag}`, password: "the first password", role: "INTEGRATOR" })).id;
      w.bag.hash = (await t.focus.db.account.findUniqueOrThrow({ where: { id: w.bag.account } })).passwordHash;
    },
    op: (w) => ({ query: `mutation($id: ID!) { setAccountPassword(id: $id, password: "the second password") { id } }`, variables: { id: w.bag.account } }),
    done: async (w) => (await t.focus.db.account.findUniqueOrThrow({ where: { id: w.bag.account! } })).passwordHash !== w.bag.hash,
  },
  deleteAccount: {
    arrange: async (w) => void (w.bag.account = (await accounts.create({ username: `acct-${w.tag}`, password: "the first password", role: "INTEGRATOR" })).id),
    op: (w) => ({ query: `mutation($id: ID!) { deleteAccount(id: $id) }`, variables: { id: w.bag.account } }),
    done: async (w) => (await t.focus.db.account.findUnique({ where: { id: w.bag.account! } })) === null,
  },
  // needs no token: whatever the caller sends, the name and password decide
  signIn: {
    arrange: async (w) => void (await accounts.create({ username: `acct-${w.tag}`, password: "the first password", role: "INTEGRATOR" })),
    op: (w) => ({ query: `mutation($u: String!) { signIn(username: $u, password: "the first password") { secret } }`, variables: { u: `acct-${w.tag}` } }),
    done: async (w) => (await t.focus.db.apiToken.count({ where: { name: `session of acct-${w.tag}` } })) > 0,
  },
  signOut: {
    token: async (who, w) => {
      const issued = who === "admin" || who === "integ" ? await tokens.issueGlobal(`signs out ${w.tag}`, who === "admin" ? "ADMIN" : "INTEGRATOR")
        : who === "acct:ADM" || who === "acct:INT" ? await accounts.signIn(ACCOUNT_OF[who].username, ACCOUNT_PASSWORD)
        : isTokenOfB(who) ? await tokens.issueForUser(`signs out ${w.tag}`, bUsers.get(B_ROLE_OF[who]!)!)
        : isTokenOfA(who) ? await tokens.issueForUser(`signs out ${w.tag}`, { id: w.user[ROLE_OF[who]!].id, conferenceId: w.a })
        : null;
      if (!issued) return tokenOf(who, w);
      w.bag.self = issued.token.id;
      return issued.secret;
    },
    op: () => ({ query: `mutation { signOut { id } }` }),
    done: async (w) => w.bag.self !== undefined && (await t.focus.db.apiToken.findUniqueOrThrow({ where: { id: w.bag.self } })).revokedAt !== null,
  },
  "revokeToken (a global token)": {
    arrange: async (w) => void (w.bag.token = (await tokens.issueGlobal("to revoke", "INTEGRATOR")).token.id),
    op: (w) => ({ query: `mutation($id: ID!) { revokeToken(id: $id) { revokedAt } }`, variables: { id: w.bag.token } }),
    done: async (w) => (await t.focus.db.apiToken.findUnique({ where: { id: w.bag.token! } }))!.revokedAt !== null,
  },
};

// Queries run against one shared world (they change nothing).
let shared: World;
const sharedTokens = new Map<Principal, string | null>();
interface QueryCase {
  op(w: World): Op;
  /** extra checks on the data of an allowed query */
  check?(data: any, who: Principal, w: World): void;
}
const QUERY_CASES: Record<string, QueryCase> = {
  me: {
    op: () => ({ query: `{ me { tokenId role user { id } conference { id } } }` }),
    check: (d, who, w) => {
      const role = who === "admin" || who === "acct:ADM" ? "ADMIN" : who === "integ" || who === "acct:INT" ? "INTEGRATOR" : "CONFERENCE";
      expect(d.me.role).toBe(role);
      if (isTokenOfA(who)) expect(d.me).toMatchObject({ user: { id: selfOf(w, who).id }, conference: { id: w.a } });
      if (isTokenOfB(who)) expect(d.me).toMatchObject({ user: { id: bUsers.get(B_ROLE_OF[who]!)!.id }, conference: { id: conferenceB } });
    },
  },
  blueprints: { op: () => ({ query: `{ blueprints { id } }` }), check: (d, _who, w) => expect(d.blueprints.map((b: any) => b.id)).toContain(w.bag.bp) },
  blueprint: { op: (w) => ({ query: `query($id: ID!) { blueprint(id: $id) { id } }`, variables: { id: w.bag.bp } }) },
  conference: { op: (w) => ({ query: `query($id: ID!) { conference(id: $id) { id } }`, variables: { id: w.a } }), check: (d, _who, w) => expect(d.conference.id).toBe(w.a) },
  conferences: {
    op: () => ({ query: `{ conferences(first: 100) { nodes { id } pageInfo { hasNextPage } } }` }),
    // a conference token sees its own conference and nothing else
    check: (d, who, w) => {
      const ids = d.conferences.nodes.map((c: any) => c.id);
      if (isTokenOfA(who)) expect(ids).toEqual([w.a]);
      else if (isTokenOfB(who)) expect(ids).toEqual([conferenceB]);
      else expect(ids).toEqual(expect.arrayContaining([w.a, conferenceB]));
    },
  },
  users: { op: (w) => ({ query: `query($c: ID!) { users(conferenceId: $c) { id } }`, variables: { c: w.a } }), check: (d) => expect(d.users).toHaveLength(6) },
  user: { op: (w) => ({ query: `query($id: ID!) { user(id: $id) { id } }`, variables: { id: w.user.target.id } }) },
  floor: { op: (w) => ({ query: `query($id: ID!) { floor(id: $id) { id } }`, variables: { id: w.floorId } }) },
  sidebars: { op: (w) => ({ query: `query($c: ID!) { sidebars(conferenceId: $c) { id } }`, variables: { c: w.a } }) },
  conferenceState: { op: (w) => ({ query: `query($c: ID!) { conferenceState(conferenceId: $c) { conference { id } } }`, variables: { c: w.a } }) },
  events: { op: (w) => ({ query: `query($c: ID!) { events(conferenceId: $c) { seq type } }`, variables: { c: w.a } }), check: (d) => expect(d.events[0].type).toBe("CONFERENCE_CREATED") },
  tokens: { op: () => ({ query: `{ tokens { id role } }` }), check: (d) => expect(d.tokens.length).toBeGreaterThan(2) },
  accounts: { op: () => ({ query: `{ accounts { id username } }` }), check: (d, _who, w) => expect(d.accounts).toContainEqual({ id: w.bag.account, username: "shared-account" }) },
  peerConferences: { op: () => ({ query: `{ peerConferences(island: "island-b.test") { id } }` }) },
  federation: {
    op: () => ({ query: `{ federation { island enabled online peers { island } } }` }),
    // this test focus does not federate
    check: (d) => expect(d.federation).toEqual({ island: "island-a.test", enabled: false, online: false, peers: [] }),
  },
};

const SUBSCRIPTION_CASES: Record<string, { op(w: World): Op; check(data: any, w: World): void }> = {
  conferenceEvents: {
    op: (w) => ({ query: `subscription($c: ID!) { conferenceEvents(conferenceId: $c) { kind state { conference { id } } } }`, variables: { c: w.a } }),
    check: (d, w) => expect(d.conferenceEvents).toEqual({ kind: "FULL_STATE", state: { conference: { id: w.a } } }),
  },
  roster: {
    op: (w) => ({ query: `subscription($c: ID!) { roster(conferenceId: $c) { id conferenceId } }`, variables: { c: w.a } }),
    check: (d, w) => {
      expect(d.roster).toHaveLength(6);
      expect(d.roster.every((u: any) => u.conferenceId === w.a)).toBe(true);
    },
  },
};

/** Asserts an HTTP GraphQL response against an expected outcome. */
function expectOutcome(r: GraphQLResponse, field: string, expected: Outcome): void {
  if (expected === "ok") {
    expect(r.errors).toBeUndefined();
    expect(r.data?.[field]).not.toBeNull();
    expect(r.data?.[field]).not.toBeUndefined();
  } else {
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual([expected]);
    expect(r.data ?? null).toBeNull();
  }
}

type WsResult = { data: any } | { code: string | undefined; message: string } | { closed: number };
/** The first thing a subscription yields: data, an error, or the socket closing. */
function firstOf(client: Client, op: Op): Promise<WsResult> {
  return new Promise<WsResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("nothing arrived on the WebSocket in 5 s")), 5000);
    const done = (r: WsResult) => {
      clearTimeout(timer);
      resolve(r);
    };
    const stop = client.subscribe<any>({ query: op.query, variables: op.variables ?? {} }, {
      next: (r) => {
        stop();
        done(r.errors?.length ? { code: (r.errors[0] as any).extensions?.code, message: r.errors[0]!.message } : { data: r.data });
      },
      error: (e: any) => {
        if (Array.isArray(e)) done({ code: e[0]?.extensions?.code, message: e[0]?.message });
        else if (typeof e?.code === "number") done({ closed: e.code });
        else {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(JSON.stringify(e)));
        }
      },
      complete: () => undefined,
    });
  });
}
async function firstOver(token: string | null, op: Op): Promise<WsResult> {
  const client = wsClient(t.url, token);
  try {
    return await firstOf(client, op);
  } finally {
    await client.dispose();
  }
}

beforeAll(async () => {
  t = await startTestFocus();
  tokens = new TokenStore(t.focus.db);
  accounts = new AccountStore(t.focus.db, tokens);
  integratorSecret = (await t.admin.must(`mutation { issueToken(name: "integrator", role: INTEGRATOR) { secret } }`)).issueToken.secret;
  const revoked = await t.admin.must(`mutation { issueToken(name: "soon revoked admin", role: ADMIN) { secret token { id } } }`);
  revokedSecret = revoked.issueToken.secret;
  await t.admin.must(`mutation($id: ID!) { revokeToken(id: $id) { id } }`, { id: revoked.issueToken.token.id });

  const bRoles: Role[] = ["ADMINISTRATOR", "MODERATOR", "PARTICIPANT", "OBSERVER"];
  const b = await domain().conferences.create(SYSTEM, { subject: "B", users: bRoles.map((role) => ({ entity: `sip:${role.toLowerCase()}@b.test`, role })) });
  conferenceB = b.id;
  for (const u of await domain().roster.list(b.id)) {
    bUsers.set(u.role, u);
    bSecrets.set(u.role, (await tokens.issueForUser(`B ${u.role}`, u)).secret);
  }
  expect([...bUsers.keys()].sort()).toEqual([...bRoles].sort());

  // sign-in sessions, over HTTP as the portal signs in; one of them ended by a new password
  const signIn = async (username: string, password: string) =>
    (await as(null).must(`mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) { secret } }`, { u: username, p: password })).signIn.secret as string;
  for (const who of ["acct:ADM", "acct:INT"] as const) {
    await accounts.create({ ...ACCOUNT_OF[who], password: ACCOUNT_PASSWORD });
    accountSessions.set(who, await signIn(ACCOUNT_OF[who].username, ACCOUNT_PASSWORD));
  }
  const ended = await accounts.create({ username: "matrix-ended", password: ACCOUNT_PASSWORD, role: "ADMIN" });
  endedSecret = await signIn("matrix-ended", ACCOUNT_PASSWORD);
  await t.admin.must(`mutation($id: ID!) { setAccountPassword(id: $id, password: "a newer password") { id } }`, { id: ended.id });

  shared = await makeWorld(["ADMINISTRATOR", "MODERATOR", "PARTICIPANT", "OBSERVER"]);
  shared.bag.bp = (await domain().conferences.createBlueprint({ name: "shared blueprint" })).id;
  shared.bag.account = (await accounts.create({ username: "shared-account", password: "the shared password", role: "INTEGRATOR" })).id;
  for (const who of PRINCIPALS) sharedTokens.set(who, await tokenOf(who, shared));
});
afterAll(async () => {
  await Promise.allSettled([...prefetched.values(), ...deniedWorlds.values()]); // made ahead for cases a -t filter skipped
  await t?.close();
});

// ---------------------------------------------------------------------------------------------------------
// 1. The authorization matrix
// ---------------------------------------------------------------------------------------------------------
describe("authorization matrix", () => {
  test("covers every Query, Mutation and Subscription field of the schema, and no other", () => {
    const schema = parseSdl(typeDefs);
    const fields = (t: GraphQLObjectType | null | undefined) => Object.keys(t!.getFields()).sort();
    const covered = (m: Map<string, unknown>) => [...new Set([...m.keys()].map(fieldOf))].sort();
    expect(covered(QUERIES)).toEqual(fields(schema.getQueryType()));
    expect(covered(MUTATIONS)).toEqual(fields(schema.getMutationType()));
    expect(covered(SUBSCRIPTIONS)).toEqual(fields(schema.getSubscriptionType()));
    // every row of the tables has an implementation and vice versa
    expect(Object.keys(QUERY_CASES).sort()).toEqual([...QUERIES.keys()].sort());
    expect(Object.keys(MUTATION_CASES).sort()).toEqual([...MUTATIONS.keys()].sort());
    expect(Object.keys(SUBSCRIPTION_CASES).sort()).toEqual([...SUBSCRIPTIONS.keys()].sort());
  });

  test.each(cases(QUERIES))("query %s as %s: %s", async (op, who, expected) => {
    const c = QUERY_CASES[op]!;
    const { query, variables } = c.op(shared);
    const r = await as(sharedTokens.get(who)!).request(query, variables);
    expectOutcome(r, fieldOf(op), expected);
    if (expected === "ok") c.check?.(r.data, who, shared);
  });

  test.each(cases(MUTATIONS))("mutation %s as %s: %s", async (op, who, expected) => {
    const c = MUTATION_CASES[op]!;
    let w: World;
    if (expected === "ok") {
      w = await takeWorld(op, who);
      await c.arrange?.(w, who);
    } else {
      w = await deniedWorld(op, who);
    }
    const token = await (c.token ?? tokenOf)(who, w);
    expect(await c.done(w, who)).toBe(false); // the effect is not there before
    const { query, variables } = c.op(w, who);
    const r = await as(token).request(query, variables);
    expectOutcome(r, fieldOf(op), expected);
    // allowed: the effect is in the store; denied: nothing changed
    expect(await c.done(w, who)).toBe(expected === "ok");
  });

  test("a conference token lists only its own conference, whatever the page size, and learns of no other", async () => {
    // conferences that start before A, so A is not on the first page of the whole list
    const early = new Date(Date.now() - 20 * 60_000);
    const others = [];
    for (let i = 0; i < 3; i++) others.push((await domain().conferences.create(SYSTEM, { subject: `early ${i}`, startAt: early })).id);
    const asA = as(sharedTokens.get("A:PART")!);
    const page = await asA.must(`{ conferences(first: 1) { nodes { id } pageInfo { endCursor hasNextPage } } }`);
    expect(page.conferences.nodes).toEqual([{ id: shared.a }]);
    expect(page.conferences.pageInfo.hasNextPage).toBe(false);
    const cursor = page.conferences.pageInfo.endCursor as string | null;
    const decoded = cursor ? Buffer.from(cursor, "base64url").toString("utf8") : "";
    for (const id of [...others, conferenceB]) expect(decoded).not.toContain(id);
    // the admin sees them all
    const all = await t.admin.must(`{ conferences(first: 100) { nodes { id } } }`);
    expect(all.conferences.nodes.map((c: any) => c.id)).toEqual(expect.arrayContaining([...others, shared.a, conferenceB]));
  });

  test.each([
    ["a token without the dcon_ prefix", "Bearer not-a-token"],
    ["a Basic scheme", `Basic ${ADMIN_TOKEN}`],
    ["a bare secret without a scheme", ADMIN_TOKEN],
    ["an overlong token", `Bearer dcon_${"x".repeat(200)}`],
  ])("%s is UNAUTHENTICATED", async (_what, header) => {
    const res = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: header },
      body: JSON.stringify({ query: `{ me { role } }` }),
    });
    const r = (await res.json()) as GraphQLResponse;
    expectOutcome(r, "me", "UNAUTHENTICATED");
  });
});

// ---------------------------------------------------------------------------------------------------------
// 2. WebSocket
// ---------------------------------------------------------------------------------------------------------
describe("WebSocket", () => {
  test.each(cases(SUBSCRIPTIONS))("subscription %s as %s: %s", async (op, who, expected) => {
    const c = SUBSCRIPTION_CASES[op]!;
    const r = await firstOver(sharedTokens.get(who)!, c.op(shared));
    if (expected === "ok") {
      expect(r).toHaveProperty("data");
      c.check((r as { data: any }).data, shared);
    } else if (expected === "UNAUTHENTICATED") {
      expect(r).toEqual({ closed: 4403 }); // graphql-ws' Forbidden: the connection itself is refused
    } else {
      expect(r).toMatchObject({ code: expected });
    }
  });

  test.each([
    ["no connection parameters", null],
    ["a junk token", "dcon_junk"],
    ["a token without the prefix", "hello"],
  ])("connecting with %s is refused with 4403", async (_what, token) => {
    const r = await firstOver(token, { query: `subscription($c: ID!) { roster(conferenceId: $c) { id } }`, variables: { c: shared.a } });
    expect(r).toEqual({ closed: 4403 });
  });

  test("a token revoked after connecting can start no new subscription on the open socket", async () => {
    const issued = await tokens.issueForUser("revoked while connected", { id: shared.user.MODERATOR.id, conferenceId: shared.a });
    const client = wsClient(t.url, issued.secret);
    try {
      const op = SUBSCRIPTION_CASES.roster!.op(shared);
      // the first subscription stays open, so the second goes over the same socket
      let first: any = null;
      const open = client.subscribe<any>({ query: op.query, variables: op.variables! }, { next: (r) => void (first ??= r), error: () => undefined, complete: () => undefined });
      for (let i = 0; i < 100 && !first; i++) await new Promise((r) => setTimeout(r, 20));
      expect(first).toHaveProperty("data.roster");
      await tokens.revoke(issued.token.id);
      expect(await firstOf(client, op)).toMatchObject({ code: "UNAUTHENTICATED" });
      open();
    } finally {
      await client.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// 3. Query limits
// ---------------------------------------------------------------------------------------------------------
/** `me { conference { parent { ... { id } } } }`: `depth` fields deep (me, conference, parents, id). */
function nested(depth: number): string {
  let inner = "id";
  for (let i = 0; i < depth - 3; i++) inner = `parent { ${inner} }`;
  return `me { conference { ${inner} } }`;
}
async function post(body: string | object, headers: Record<string, string> = {}, token: string | null = ADMIN_TOKEN): Promise<Response> {
  return fetch(`${t.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
async function expectHealthy(): Promise<void> {
  const res = await fetch(`${t.url}/healthz`);
  expect(res.status).toBe(200);
  expect(await t.admin.must(`{ me { role } }`)).toEqual({ me: { role: "ADMIN" } });
}

describe("query limits", () => {
  test("a query deeper than MAX_QUERY_DEPTH (10) is rejected without data; one within it runs", async () => {
    const ok = await t.admin.request(`{ ${nested(10)} }`);
    expect(ok.errors).toBeUndefined();
    const res = await post({ query: `{ ${nested(11)} }` });
    expect(res.status).toBe(400);
    const r = (await res.json()) as GraphQLResponse;
    expect(r.data).toBeUndefined();
    expect(r.errors?.[0]?.message).toMatch(/depth limit of 10 exceeded/);
  });

  test("a subscription deeper than the limit is rejected over WebSocket too, and the socket stays usable", async () => {
    let inner = "id";
    for (let i = 0; i < 12; i++) inner = `parent { ${inner} }`;
    const client = wsClient(t.url, ADMIN_TOKEN);
    try {
      // a subscription that stays open keeps the (lazy) socket up
      const open = client.subscribe({ query: `subscription($c: ID!) { roster(conferenceId: $c) { id } }`, variables: { c: shared.a } }, { next: () => undefined, error: () => undefined, complete: () => undefined });
      const r = await firstOf(client, { query: `subscription($c: ID!) { conferenceEvents(conferenceId: $c) { state { conference { ${inner} } } } }`, variables: { c: shared.a } });
      expect(r).not.toHaveProperty("data");
      expect(r).toMatchObject({ message: expect.stringMatching(/depth limit of 10 exceeded/) });
      expect(await firstOf(client, SUBSCRIPTION_CASES.roster!.op(shared))).toHaveProperty("data");
      open();
    } finally {
      await client.dispose();
    }
  });

  test("a query with more than 30 aliases is rejected without data; 30 run", async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { role }`).join(" ")} }`;
    const ok = await t.admin.request(aliases(30));
    expect(ok.errors).toBeUndefined();
    expect(Object.keys(ok.data)).toHaveLength(30);
    const res = await post({ query: aliases(31) });
    expect(res.status).toBe(400);
    const r = (await res.json()) as GraphQLResponse;
    expect(r.data).toBeUndefined();
    expect(r.errors?.[0]?.message).toMatch(/Aliases limit of 30 exceeded/);
  });

  test("a malformed query string gets a GraphQL parse error, and the focus answers afterwards", async () => {
    const res = await post({ query: `{ me { role ` });
    expect(res.status).toBe(400);
    const r = (await res.json()) as GraphQLResponse;
    expect(r.data).toBeUndefined();
    expect(r.errors?.[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    await expectHealthy();
  });
});

// ---------------------------------------------------------------------------------------------------------
// 4. Malformed HTTP requests
// ---------------------------------------------------------------------------------------------------------
describe("bad input to the HTTP endpoint", () => {
  test("an invalid JSON body gets a 400, and the focus stays healthy", async () => {
    const res = await post(`{"query": "{ me { role } }" oops`);
    expect(res.status).toBe(400);
    await expectHealthy();
  });

  test("a mutation in a GET is refused (CSRF rule without a preflight header, 405 with one) and does not run", async () => {
    const { id } = (await domain().conferences.create(SYSTEM, { subject: "GET target" }));
    const url = `${t.url}/graphql?${new URLSearchParams({ query: `mutation($id: ID!) { lockConference(id: $id) { locked } }`, variables: JSON.stringify({ id }) })}`;
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const plain = await fetch(url, { headers: auth });
    expect(plain.status).toBe(400);
    expect(await plain.text()).toMatch(/Cross-Site Request Forgery/);
    const preflighted = await fetch(url, { headers: { ...auth, "apollo-require-preflight": "true" } });
    expect(preflighted.status).toBe(405);
    expect((await conferenceRow(id))!.locked).toBe(false);
    // a query by GET with the preflight header is fine: it is the method rule that refused the mutation
    const query = await fetch(`${t.url}/graphql?${new URLSearchParams({ query: `{ me { role } }` })}`, { headers: { ...auth, "apollo-require-preflight": "true" } });
    expect(query.status).toBe(200);
    expect(await query.json()).toEqual({ data: { me: { role: "ADMIN" } } });
    await expectHealthy();
  });

  test("a body over 256 kB gets a 413, and the focus stays healthy", async () => {
    const res = await post({ query: `{ me { role } }`, variables: { pad: "x".repeat(300 * 1024) } });
    expect(res.status).toBe(413);
    await expectHealthy();
  });
});
