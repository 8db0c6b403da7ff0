/**
 * Discovery of peer islands' conferences with XEP-0030 (Service Discovery) disco#items: a focus lists the
 * conferences homed on its island that have not ended as items of its component (`node` = conference id,
 * `name` = subject), to configured peers only; a moderator on another island sees them through the API
 * (`peerConferences`) and the home island's moderator links the conference (`linkConference`).
 */
import type { ConferenceDomain } from "@dcon/core";
import type { IslandDirectory, PeerIsland } from "./directory.ts";
import type { XmlBuilder, XmlElementLike } from "./wire.ts";

export const DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface DiscoveredConference {
  island: string;
  id: string;
  subject: string;
}

/** What discovery needs of the XMPP link (ComponentLink has it). */
export interface IqLink<E> {
  onIqGet(ns: string, name: string, handler: (query: E, from: string) => Promise<E | undefined> | E | undefined): void;
  iqGet(to: string, query: E, timeoutMs?: number): Promise<E>;
}

/** Answers disco#items requests of configured peers with this island's conferences; others get <forbidden/>. */
export function serveConferenceItems<E>(link: IqLink<E>, directory: IslandDirectory, domain: ConferenceDomain, xml: XmlBuilder<E>): void {
  link.onIqGet(DISCO_ITEMS, "query", async (_query, from) => {
    if (!directory.fromJid(from)) return xml("error", { type: "auth" }, xml("forbidden", { xmlns: STANZAS }));
    const conferences = await domain.federation.offered(100);
    return xml("query", { xmlns: DISCO_ITEMS }, ...conferences.map((c) => xml("item", { jid: directory.self.component, node: c.id, name: c.subject.slice(0, 200) })));
  });
}

/** Asks a peer island's focus for its conferences. */
export async function discoverConferences<E extends XmlElementLike>(link: IqLink<E>, peer: PeerIsland, xml: XmlBuilder<E>): Promise<DiscoveredConference[]> {
  const result = await link.iqGet(peer.component, xml("query", { xmlns: DISCO_ITEMS }), 10_000);
  const items = result.children.filter((c): c is E => typeof c !== "string" && (c as E).name === "item") as E[];
  return items
    .map((i) => ({ island: peer.island, id: i.attrs.node ?? "", subject: (i.attrs.name ?? "").slice(0, 200) }))
    .filter((c) => UUID.test(c.id));
}
