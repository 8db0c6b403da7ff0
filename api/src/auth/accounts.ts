/**
 * Accounts: a user name and password an admin issues, so people (the moderator portal) sign in instead of
 * pasting a token. Signing in issues a global token of the account's role; the account is not a principal
 * of its own, its session tokens are. A new password or deleting the account ends those sessions.
 */
import type { Db, PrismaClient } from "@dcon/db";
import { DomainError, ErrorCode, ErrorReason } from "@dcon/core";
import { AuthError } from "./policy.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import type { TokenStore } from "./tokens.ts";

export type AccountRole = "ADMIN" | "INTEGRATOR";
export type Account = Omit<Db.Account, "passwordHash">;

const USERNAME = /^[a-z0-9._-]{3,64}$/;

/**
 * The account name a sign-in attempt is for: names are stored lower-case, and a phone's keyboard
 * capitalising the first letter should not matter; null when it cannot be any account's name.
 */
export function accountName(username: string): string | null {
  const name = username.trim().toLowerCase();
  return USERNAME.test(name) ? name : null;
}
const PASSWORD_MIN = 10;
const PASSWORD_MAX = 200;
/** one message for both, so an answer does not tell whether the name exists */
export const WRONG_CREDENTIALS = "wrong user name or password";

const select = { id: true, username: true, role: true, createdAt: true } as const;

function badInput(field: string, message: string): DomainError {
  return new DomainError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, undefined, field);
}

function checkUsername(username: string): string {
  if (!USERNAME.test(username)) throw badInput("username", "3 to 64 characters of a-z, 0-9, '.', '_' and '-' (lower-case)");
  return username;
}

function checkPassword(password: string): string {
  // counted in characters, not UTF-16 units, as a person counts them
  const length = [...password].length;
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) throw badInput("password", `${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  return password;
}

function checkRole(role: string): AccountRole {
  // CONFERENCE tokens act as a user of one conference; an account has no such user
  if (role !== "ADMIN" && role !== "INTEGRATOR") throw badInput("role", "an account is ADMIN or INTEGRATOR");
  return role;
}

const isUniqueViolation = (err: unknown) => err instanceof Error && err.name.startsWith("PrismaClient") && (err as { code?: unknown }).code === "P2002";

export class AccountStore {
  constructor(private readonly db: PrismaClient, private readonly tokens: TokenStore) {}

  list(): Promise<Account[]> {
    return this.db.account.findMany({ select, orderBy: { username: "asc" } });
  }

  async get(id: string): Promise<Account> {
    const a = await this.db.account.findUnique({ where: { id }, select });
    if (!a) throw new DomainError(ErrorCode.NOT_FOUND, `account ${id} does not exist`);
    return a;
  }

  async create(input: { username: string; password: string; role: string }): Promise<Account> {
    const username = checkUsername(input.username);
    const password = checkPassword(input.password);
    const role = checkRole(input.role);
    try {
      return await this.db.account.create({ data: { username, role, passwordHash: await hashPassword(password) }, select });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DomainError(ErrorCode.CONFLICT, `the user name ${username} is taken`, ErrorReason.DUPLICATE, "username");
      throw err;
    }
  }

  /** A new password; the account's open sessions end, as whoever knew the old one may hold one. */
  async setPassword(id: string, password: string): Promise<Account> {
    checkPassword(password);
    await this.get(id);
    const passwordHash = await hashPassword(password);
    return this.db.$transaction(async (tx) => {
      const a = await tx.account.update({ where: { id }, data: { passwordHash }, select });
      await this.tokens.revokeForAccount(id, tx);
      return a;
    });
  }

  /** Deletes the account; its session tokens go with it (ApiToken.accountId cascades), ending them. */
  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.db.account.delete({ where: { id } });
  }

  /**
   * Checks the name and password and issues a session token. Every failure is the same UNAUTHENTICATED
   * answer after the same work (an unknown name still costs one scrypt).
   */
  async signIn(username: string, password: string): Promise<{ token: Db.ApiToken; secret: string }> {
    const name = accountName(username);
    const account = name ? await this.db.account.findUnique({ where: { username: name } }) : null;
    const ok = await verifyPassword(password, account?.passwordHash ?? null);
    if (!ok || !account) throw new AuthError("UNAUTHENTICATED", WRONG_CREDENTIALS);
    return this.tokens.issueForAccount({ id: account.id, username: account.username, role: checkRole(account.role) });
  }
}
