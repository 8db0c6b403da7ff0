/**
 * Bearer API tokens. A token's secret is random, shown once when issued, and stored only as its SHA-256
 * (a lookup key: 256 random bits need no slow hash). CONFERENCE tokens act as one conference user.
 */
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient, Db } from "@dcon/db";
import type { Role } from "@dcon/core";
import { DomainError, ErrorCode } from "@dcon/core";

export type Principal =
  | { kind: "admin"; tokenId: string }
  | { kind: "integrator"; tokenId: string }
  | { kind: "user"; tokenId: string; conferenceId: string; userId: string; role: Role };

const PREFIX = "dcon_";

export function newSecret(): string {
  return PREFIX + randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export class TokenStore {
  constructor(private readonly db: PrismaClient) {}

  /** Resolves `Bearer <secret>` to a principal; null for a missing, unknown or revoked token. */
  async authenticate(header: string | undefined | null): Promise<Principal | null> {
    if (!header) return null;
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!m || !m[1]!.startsWith(PREFIX) || m[1]!.length > 100) return null;
    const t = await this.db.apiToken.findUnique({ where: { secretHash: hashSecret(m[1]!) }, include: { user: true } });
    if (!t || t.revokedAt) return null;
    switch (t.role) {
      case "ADMIN":
        return { kind: "admin", tokenId: t.id };
      case "INTEGRATOR":
        return { kind: "integrator", tokenId: t.id };
      case "CONFERENCE":
        if (!t.user || !t.conferenceId) return null;
        return { kind: "user", tokenId: t.id, conferenceId: t.conferenceId, userId: t.user.id, role: t.user.role };
    }
  }

  async issueGlobal(name: string, role: "ADMIN" | "INTEGRATOR", secret = newSecret()): Promise<{ token: Db.ApiToken; secret: string }> {
    const token = await this.db.apiToken.create({ data: { name: checkName(name), role, secretHash: hashSecret(secret) } });
    return { token, secret };
  }

  async issueForUser(name: string, user: { id: string; conferenceId: string }): Promise<{ token: Db.ApiToken; secret: string }> {
    const secret = newSecret();
    const token = await this.db.apiToken.create({
      data: { name: checkName(name), role: "CONFERENCE", secretHash: hashSecret(secret), conferenceId: user.conferenceId, userId: user.id },
    });
    return { token, secret };
  }

  /** A sign-in's session: a global token of the account's role, linked to it so the account can end it. */
  async issueForAccount(account: { id: string; username: string; role: "ADMIN" | "INTEGRATOR" }): Promise<{ token: Db.ApiToken; secret: string }> {
    const secret = newSecret();
    const token = await this.db.apiToken.create({
      data: { name: checkName(`session of ${account.username}`), role: account.role, secretHash: hashSecret(secret), accountId: account.id },
    });
    return { token, secret };
  }

  /** Ends every open session of an account (a new password, say); returns how many. */
  async revokeForAccount(accountId: string, db: Pick<PrismaClient, "apiToken"> = this.db): Promise<number> {
    const { count } = await db.apiToken.updateMany({ where: { accountId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count;
  }

  async get(id: string): Promise<Db.ApiToken> {
    const t = await this.db.apiToken.findUnique({ where: { id } });
    if (!t) throw new DomainError(ErrorCode.NOT_FOUND, `token ${id} does not exist`);
    return t;
  }

  list(): Promise<Db.ApiToken[]> {
    return this.db.apiToken.findMany({ orderBy: { createdAt: "asc" } });
  }

  async revoke(id: string): Promise<Db.ApiToken> {
    const t = await this.get(id);
    if (t.revokedAt) return t;
    return this.db.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
  }

  /**
   * First start: make sure an admin token exists. With ADMIN_TOKEN set, that secret is registered (and
   * never printed); otherwise a new secret is made when no admin token exists, and returned to print once.
   */
  async bootstrapAdmin(configured?: string): Promise<string | null> {
    if (configured) {
      const hash = hashSecret(configured);
      if (!configured.startsWith(PREFIX)) throw new Error(`ADMIN_TOKEN must start with "${PREFIX}"`);
      const existing = await this.db.apiToken.findUnique({ where: { secretHash: hash } });
      if (!existing) await this.issueGlobal("bootstrap admin (ADMIN_TOKEN)", "ADMIN", configured);
      else if (existing.revokedAt || existing.role !== "ADMIN") throw new Error("ADMIN_TOKEN names a revoked or non-admin token");
      return null;
    }
    const admins = await this.db.apiToken.count({ where: { role: "ADMIN", revokedAt: null } });
    if (admins > 0) return null;
    return (await this.issueGlobal("bootstrap admin", "ADMIN")).secret;
  }
}

function checkName(name: string): string {
  const n = name.trim();
  if (n.length < 1 || n.length > 100) throw new DomainError(ErrorCode.BAD_USER_INPUT, "name: 1 to 100 characters", undefined, "name");
  return n;
}
