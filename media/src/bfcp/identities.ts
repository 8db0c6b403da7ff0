/**
 * BFCP's numeric identities (RFC 8855 section 5.1) for the domain's UUIDs: a 32-bit Conference ID per
 * conference, a 16-bit User ID per call leg (handed to the caller in SDP, RFC 8856 section 5.3, before
 * the caller is a user: a PIN caller learns its ID in the 183), a 16-bit Floor ID per floor and a 16-bit
 * Floor Request ID per floor request. IDs live as long as the focus process; none is ever 0 (a Transaction
 * ID or Floor Request ID of 0 has special meanings, and 0 is easy to send by mistake).
 */

/** Someone the floor control server knows: a call leg with the BFCP identity its SDP gave it. */
export interface BfcpParticipant {
  /** the call leg (the SIP dialog) the identity was given to */
  legId: string;
  conferenceId: string;
  confId: number;
  userId: number;
  /** the address BFCP messages of this participant must come from (its SIP peer or its c= address) */
  address: string;
  /** the domain user, once the caller has joined */
  domainUserId: string | null;
}

class Numbering<K> {
  private readonly byKey = new Map<K, number>();
  private readonly byNumber = new Map<number, K>();
  private next = 1;

  constructor(private readonly max: number) {}

  of(key: K): number {
    let n = this.byKey.get(key);
    if (n === undefined) {
      n = this.allocate();
      this.byKey.set(key, n);
      this.byNumber.set(n, key);
    }
    return n;
  }

  peek(key: K): number | undefined {
    return this.byKey.get(key);
  }

  key(n: number): K | undefined {
    return this.byNumber.get(n);
  }

  delete(key: K): void {
    const n = this.byKey.get(key);
    if (n === undefined) return;
    this.byKey.delete(key);
    this.byNumber.delete(n);
  }

  private allocate(): number {
    if (this.byNumber.size >= this.max) throw new RangeError("BFCP identifier space exhausted");
    while (this.byNumber.has(this.next)) this.next = this.next >= this.max ? 1 : this.next + 1;
    const n = this.next;
    this.next = this.next >= this.max ? 1 : this.next + 1;
    return n;
  }
}

interface ConferenceIds {
  id: string;
  users: Numbering<string>;
  floors: Numbering<string>;
  requests: Numbering<string>;
}

export class BfcpIdentities {
  private readonly confIds = new Numbering<string>(0xffff_ffff);
  private readonly conferences = new Map<number, ConferenceIds>();
  private readonly participants = new Map<string, BfcpParticipant>();
  private readonly byUser = new Map<string, BfcpParticipant>();

  private conference(conferenceId: string): ConferenceIds {
    const confId = this.confIds.of(conferenceId);
    let c = this.conferences.get(confId);
    if (!c) {
      c = { id: conferenceId, users: new Numbering(0xffff), floors: new Numbering(0xffff), requests: new Numbering(0xffff) };
      this.conferences.set(confId, c);
    }
    return c;
  }

  /** A call leg's BFCP identity (the same one for the leg's life). */
  register(legId: string, conferenceId: string, address: string): BfcpParticipant {
    const existing = this.participants.get(legId);
    if (existing) return existing;
    const c = this.conference(conferenceId);
    const p: BfcpParticipant = { legId, conferenceId, confId: this.confIds.of(conferenceId), userId: c.users.of(legId), address, domainUserId: null };
    this.participants.set(legId, p);
    return p;
  }

  /** The leg's caller joined as this domain user. */
  bind(legId: string, domainUserId: string): void {
    const p = this.participants.get(legId);
    if (!p) return;
    p.domainUserId = domainUserId;
    this.byUser.set(domainUserId, p);
  }

  unregister(legId: string): void {
    const p = this.participants.get(legId);
    if (!p) return;
    this.participants.delete(legId);
    if (p.domainUserId !== null && this.byUser.get(p.domainUserId) === p) this.byUser.delete(p.domainUserId);
    this.conferences.get(p.confId)?.users.delete(legId);
  }

  byLeg(legId: string): BfcpParticipant | undefined {
    return this.participants.get(legId);
  }

  /** The participant a message's header names, or why there is none (RFC 8855 section 13.1 error codes 1 and 2). */
  lookup(confId: number, userId: number): BfcpParticipant | "no-conference" | "no-user" {
    const c = this.conferences.get(confId);
    if (!c) return "no-conference";
    const legId = c.users.key(userId);
    const p = legId === undefined ? undefined : this.participants.get(legId);
    return p ?? "no-user";
  }

  /** Participants of a conference who have joined as domain users. */
  *joined(conferenceId: string): Iterable<BfcpParticipant> {
    for (const p of this.participants.values()) if (p.conferenceId === conferenceId && p.domainUserId !== null) yield p;
  }

  byDomainUser(domainUserId: string): BfcpParticipant | undefined {
    return this.byUser.get(domainUserId);
  }

  confId(conferenceId: string): number {
    return this.confIds.of(conferenceId);
  }

  floorId(conferenceId: string, floorUuid: string): number {
    return this.conference(conferenceId).floors.of(floorUuid);
  }

  floorUuid(confId: number, floorId: number): string | undefined {
    return this.conferences.get(confId)?.floors.key(floorId);
  }

  requestId(conferenceId: string, requestUuid: string): number {
    return this.conference(conferenceId).requests.of(requestUuid);
  }

  requestUuid(confId: number, floorRequestId: number): string | undefined {
    return this.conferences.get(confId)?.requests.key(floorRequestId);
  }

  /**
   * A user's BFCP User ID for BENEFICIARY-ID and the like: its leg's User ID when it called in, else one
   * of its own (an API participant has no leg but can be a beneficiary or hold a floor).
   */
  userIdOf(conferenceId: string, domainUserId: string): number {
    return this.byDomainUser(domainUserId)?.userId ?? this.conference(conferenceId).users.of(`user:${domainUserId}`);
  }

  /** The domain user behind a User ID (e.g. a BENEFICIARY-ID) in a conference. */
  domainUserOf(confId: number, userId: number): string | null {
    const key = this.conferences.get(confId)?.users.key(userId);
    if (key === undefined) return null;
    if (key.startsWith("user:")) return key.slice(5);
    return this.participants.get(key)?.domainUserId ?? null;
  }
}
