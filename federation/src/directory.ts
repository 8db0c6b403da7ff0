/**
 * The island directory: which islands this focus federates with, how to reach their foci (the component
 * JID each one registered with its XMPP server) and the secret each pair of islands signs its events with.
 * Configured, not discovered: federation accepts events only from islands listed here (and the XMPP
 * server's s2s authentication, dialback or certificates, vouches for the sending domain).
 */
import { z } from "zod";

const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const domain = z.string().regex(DOMAIN, "a lower-case domain name");

export const PeerIslandSchema = z.object({
  /** the island's name (its events' origin), e.g. island-b.example */
  island: domain,
  /** the JID of that island's focus component, e.g. focus.island-b.example */
  component: domain,
  /** shared with that island: HMAC key of the events between the two (at least 16 characters) */
  secret: z.string().min(16, "at least 16 characters"),
  /** the first digits of that island's dial-in codes, if it has a prefix of its own */
  prefix: z.string().regex(/^[0-9]{1,6}$/).optional(),
  /** where that island's focus takes SIP calls ("host:port"): this focus calls it there for the audio of its conferences linked here */
  sip: z.string().regex(/^[^:]+:[0-9]+$/).optional(),
}).strict();

export type PeerIsland = z.infer<typeof PeerIslandSchema>;

export const PeerIslandsSchema = z.array(PeerIslandSchema).superRefine((peers, ctx) => {
  const seen = new Set<string>();
  for (const [i, p] of peers.entries()) {
    for (const key of [p.island, p.component]) {
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: [i], message: `${key} is listed twice` });
      seen.add(key);
    }
  }
});

export class IslandDirectory {
  private readonly byIsland = new Map<string, PeerIsland>();
  private readonly byComponent = new Map<string, PeerIsland>();

  constructor(
    /** this island's name and its focus' component JID */
    readonly self: { island: string; component: string },
    peers: readonly PeerIsland[],
  ) {
    for (const p of peers) {
      if (p.island === self.island || p.component === self.component) throw new Error(`the directory lists this island (${p.island}) as a peer`);
      this.byIsland.set(p.island, p);
      this.byComponent.set(p.component, p);
    }
  }

  get peers(): PeerIsland[] {
    return [...this.byIsland.values()];
  }

  island(name: string): PeerIsland | undefined {
    return this.byIsland.get(name);
  }

  /** The peer a stanza came from, by the bare domain of its `from` (a component JID has no local part). */
  fromJid(jid: string): PeerIsland | undefined {
    const bare = jid.split("/")[0]!;
    return bare.includes("@") ? undefined : this.byComponent.get(bare.toLowerCase());
  }
}
