// Peer: none besides the focus over HTTP
/**
 * Accounts: an admin issues a user name and password, the person signs in for a token of the account's
 * role and signs out again; a new password or deleting the account ends the sessions it had. Every
 * operation goes over real HTTP; the store is read directly to see that refused input changed nothing.
 */
import { HttpClient, startTestFocus, type TestFocus } from "./support/focus.ts";

let t: TestFocus;
let anonymous: HttpClient;
const WRONG = "wrong user name or password";

const CREATE = `mutation($u: String!, $p: String!, $r: TokenRole!) { createAccount(username: $u, password: $p, role: $r) { id username role createdAt } }`;
const SIGN_IN = `mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) { secret token { id name role revokedAt } } }`;
const SIGN_OUT = `mutation { signOut { id revokedAt } }`;
const SET_PASSWORD = `mutation($id: ID!, $p: String!) { setAccountPassword(id: $id, password: $p) { id username } }`;
const DELETE = `mutation($id: ID!) { deleteAccount(id: $id) }`;

async function createAccount(username: string, password: string, role: "ADMIN" | "INTEGRATOR" = "INTEGRATOR") {
  return (await t.admin.must(CREATE, { u: username, p: password, r: role })).createAccount as { id: string; username: string; role: string };
}
async function signIn(username: string, password: string): Promise<{ client: HttpClient; tokenId: string; name: string; role: string }> {
  const { signIn: s } = await anonymous.must(SIGN_IN, { u: username, p: password });
  return { client: anonymous.as(s.secret), tokenId: s.token.id, name: s.token.name, role: s.token.role };
}
/** The first error of a request that must fail. */
async function failure(client: HttpClient, query: string, variables?: Record<string, unknown>) {
  const r = await client.request(query, variables);
  expect(r.data ?? null).toBeNull();
  expect(r.errors).toHaveLength(1);
  return { code: r.errors![0]!.extensions?.code, message: r.errors![0]!.message, field: r.errors![0]!.extensions?.field };
}
const accountRows = () => t.focus.db.account.findMany({ orderBy: { username: "asc" } });
const canCreateConference = async (c: HttpClient) => (await c.request(`mutation { createConference(input: { subject: "by a session" }) { id } }`)).errors?.[0]?.extensions?.code ?? "ok";

beforeAll(async () => {
  t = await startTestFocus();
  anonymous = t.admin.as(null);
});
afterAll(async () => {
  await t?.close();
});

describe("accounts", () => {
  test("an admin creates an integrator account; signing in gives an INTEGRATOR token that runs conferences but manages no tokens", async () => {
    const a = await createAccount("carol.integrations", "a long enough password");
    expect(a).toMatchObject({ username: "carol.integrations", role: "INTEGRATOR" });
    const stored = await t.focus.db.account.findUniqueOrThrow({ where: { id: a.id } });
    expect(stored.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(stored.passwordHash).not.toContain("a long enough password");

    const s = await signIn("carol.integrations", "a long enough password");
    expect(s).toMatchObject({ name: "session of carol.integrations", role: "INTEGRATOR" });
    expect((await t.focus.db.apiToken.findUniqueOrThrow({ where: { id: s.tokenId } })).accountId).toBe(a.id);
    expect((await s.client.must(`{ me { role tokenId } }`)).me).toEqual({ role: "INTEGRATOR", tokenId: s.tokenId });
    expect(await canCreateConference(s.client)).toBe("ok");
    expect(await s.client.errorCode(`{ tokens { id } }`)).toBe("FORBIDDEN");
    expect(await s.client.errorCode(`{ accounts { id } }`)).toBe("FORBIDDEN");
  });

  test("an admin account's session lists tokens and accounts; the password is never among the fields", async () => {
    await createAccount("dora", "another good password", "ADMIN");
    const s = await signIn("dora", "another good password");
    const { tokens } = await s.client.must(`{ tokens { id name } }`);
    expect(tokens).toContainEqual({ id: s.tokenId, name: "session of dora" });
    const { accounts } = await s.client.must(`{ accounts { id username role createdAt } }`);
    expect(accounts).toContainEqual(expect.objectContaining({ username: "dora", role: "ADMIN" }));
    const usernames = accounts.map((x: { username: string }) => x.username);
    expect(usernames).toEqual([...usernames].sort()); // listed by user name
    // no field of the type can carry it
    const r = await s.client.request(`{ accounts { passwordHash } }`);
    expect(r.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  test("the user name is case-insensitive and trimmed at sign-in (names are lower-case)", async () => {
    await createAccount("erin", "erin's password here");
    expect((await signIn("  Erin ", "erin's password here")).name).toBe("session of erin");
  });

  test("a wrong password and an unknown user name get the same UNAUTHENTICATED answer, with or without a token", async () => {
    await createAccount("frank", "frank's real password");
    const attempts: [HttpClient, string, string][] = [
      [anonymous, "frank", "frank's wrong password"],
      [anonymous, "nobody-here", "frank's real password"],
      [anonymous, "frank", ""],
      [anonymous, "x", "frank's real password"], // not even a valid name
      [anonymous, "frank", "frank's real password ".repeat(20)], // longer than any password can be
      [t.admin, "frank", "frank's wrong password"], // an admin token changes nothing
    ];
    for (const [client, u, p] of attempts) expect(await failure(client, SIGN_IN, { u, p })).toEqual({ code: "UNAUTHENTICATED", message: WRONG, field: undefined });
    // nothing was issued by the failures
    expect(await t.focus.db.apiToken.count({ where: { name: "session of frank" } })).toBe(0);
    expect((await signIn("frank", "frank's real password")).role).toBe("INTEGRATOR");
  });

  test.each([
    ["a name too short", { u: "ab" }, "username"],
    ["a name too long", { u: "a".repeat(65) }, "username"],
    ["a name with upper case", { u: "Grace" }, "username"],
    ["a name with a space", { u: "grace hopper" }, "username"],
    ["a name with @", { u: "grace@example.com" }, "username"],
    ["a password too short", { p: "123456789" }, "password"],
    ["a password too long", { p: "p".repeat(201) }, "password"],
    ["the CONFERENCE role", { r: "CONFERENCE" }, "role"],
  ])("%s is BAD_USER_INPUT and creates nothing", async (_what, change, field) => {
    const before = await accountRows();
    const e = await failure(t.admin, CREATE, { u: "grace", p: "a valid password", r: "INTEGRATOR", ...change });
    expect(e).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(await accountRows()).toEqual(before);
  });

  test("the bounds themselves are accepted: 3 and 64 characters of a-z0-9._- and passwords of 10 and 200 characters", async () => {
    await createAccount("a.b", "1234567890");
    await createAccount(`${"x".repeat(60)}-_.9`, "p".repeat(200));
    // characters, not UTF-16 units: ten emoji are ten characters (twenty units)
    await createAccount("emoji", "🔑".repeat(10));
    expect((await signIn("emoji", "🔑".repeat(10))).name).toBe("session of emoji");
  });

  test("a taken user name is a CONFLICT and leaves the first account as it was", async () => {
    const first = await createAccount("heidi", "heidi's first password");
    const before = await t.focus.db.account.findUniqueOrThrow({ where: { id: first.id } });
    expect(await failure(t.admin, CREATE, { u: "heidi", p: "a different password", r: "ADMIN" })).toMatchObject({ code: "CONFLICT", field: "username" });
    expect(await t.focus.db.account.findMany({ where: { username: "heidi" } })).toEqual([before]);
    expect((await signIn("heidi", "heidi's first password")).role).toBe("INTEGRATOR");
  });

  test("only an admin manages accounts: integrator and conference tokens are FORBIDDEN, no token UNAUTHENTICATED", async () => {
    const integrator = anonymous.as((await t.admin.must(`mutation { issueToken(name: "integ", role: INTEGRATOR) { secret } }`)).issueToken.secret);
    const { createConference: c } = await t.admin.must(`mutation { createConference(input: { subject: "C", users: [{ entity: "sip:mod@a.test", role: ADMINISTRATOR }] }) { id users { id } } }`);
    const chair = anonymous.as((await t.admin.must(`mutation($u: ID!) { issueConferenceToken(userId: $u, name: "chair") { secret } }`, { u: c.users[0].id })).issueConferenceToken.secret);
    const session = (await signIn("carol.integrations", "a long enough password")).client;
    const victim = await createAccount("ivan", "ivan's password 1");
    const before = await accountRows();
    for (const [client, code] of [[integrator, "FORBIDDEN"], [chair, "FORBIDDEN"], [session, "FORBIDDEN"], [anonymous, "UNAUTHENTICATED"]] as const) {
      expect(await failure(client, CREATE, { u: "mallory", p: "mallory's password", r: "ADMIN" })).toMatchObject({ code });
      expect(await failure(client, SET_PASSWORD, { id: victim.id, p: "taken over now" })).toMatchObject({ code });
      expect(await failure(client, DELETE, { id: victim.id })).toMatchObject({ code });
      expect(await failure(client, `{ accounts { id } }`)).toMatchObject({ code });
    }
    expect(await accountRows()).toEqual(before);
  });

  test("signOut revokes the caller's own token, whatever its kind; the next call is UNAUTHENTICATED", async () => {
    const s = await signIn("erin", "erin's password here");
    const out = (await s.client.must(SIGN_OUT)).signOut;
    expect(out.id).toBe(s.tokenId);
    expect(out.revokedAt).not.toBeNull();
    expect(await s.client.errorCode(`{ me { role } }`)).toBe("UNAUTHENTICATED");
    expect(await s.client.errorCode(SIGN_OUT)).toBe("UNAUTHENTICATED");
    // a token issued the ordinary way signs itself out too; other tokens stay
    const other = await signIn("erin", "erin's password here");
    const plain = anonymous.as((await t.admin.must(`mutation { issueToken(name: "plain", role: ADMIN) { secret } }`)).issueToken.secret);
    await plain.must(SIGN_OUT);
    expect(await plain.errorCode(`{ me { role } }`)).toBe("UNAUTHENTICATED");
    expect((await other.client.must(`{ me { role } }`)).me.role).toBe("INTEGRATOR");
    expect(await anonymous.errorCode(SIGN_OUT)).toBe("UNAUTHENTICATED");
  });

  test("setAccountPassword ends the account's open sessions; the old password stops working, the new one works", async () => {
    const a = await createAccount("judy", "judy's old password");
    const one = await signIn("judy", "judy's old password");
    const two = await signIn("judy", "judy's old password");
    const bystander = await signIn("heidi", "heidi's first password");
    expect(await failure(t.admin, SET_PASSWORD, { id: a.id, p: "short" })).toMatchObject({ code: "BAD_USER_INPUT", field: "password" });
    expect((await one.client.must(`{ me { role } }`)).me.role).toBe("INTEGRATOR"); // a refused change ends nothing

    expect((await t.admin.must(SET_PASSWORD, { id: a.id, p: "judy's new password" })).setAccountPassword).toEqual({ id: a.id, username: "judy" });
    for (const s of [one, two]) expect(await s.client.errorCode(`{ me { role } }`)).toBe("UNAUTHENTICATED");
    expect((await bystander.client.must(`{ me { role } }`)).me.role).toBe("INTEGRATOR");
    expect(await failure(anonymous, SIGN_IN, { u: "judy", p: "judy's old password" })).toMatchObject({ code: "UNAUTHENTICATED", message: WRONG });
    expect(await canCreateConference((await signIn("judy", "judy's new password")).client)).toBe("ok");
  });

  test("deleteAccount ends its sessions and frees the user name; unknown ids are NOT_FOUND", async () => {
    const a = await createAccount("ken", "ken's password 123", "ADMIN");
    const s = await signIn("ken", "ken's password 123");
    expect(await s.client.must(`{ tokens { id } }`)).toBeTruthy();
    expect((await t.admin.must(DELETE, { id: a.id })).deleteAccount).toBe(a.id);
    expect(await s.client.errorCode(`{ me { role } }`)).toBe("UNAUTHENTICATED");
    expect(await t.focus.db.apiToken.count({ where: { accountId: a.id } })).toBe(0);
    expect(await failure(anonymous, SIGN_IN, { u: "ken", p: "ken's password 123" })).toMatchObject({ code: "UNAUTHENTICATED", message: WRONG });
    const missing = "00000000-0000-4000-8000-000000000000";
    expect(await failure(t.admin, DELETE, { id: a.id })).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(t.admin, SET_PASSWORD, { id: missing, p: "whatever it is" })).toMatchObject({ code: "NOT_FOUND" });
    // the name can be issued again, to someone else
    await createAccount("ken", "the new ken's password");
    expect((await signIn("ken", "the new ken's password")).role).toBe("INTEGRATOR");
  });
});
