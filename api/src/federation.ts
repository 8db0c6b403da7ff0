/**
 * Starts the focus' federation (SPACE): its XMPP component link to the island's server (XEP-0114) and the
 * service that spreads distributed conferences' events to peer islands and applies theirs. The focus
 * serves even while its XMPP server is down: the link keeps trying, and the outbox waits for it.
 */
import type { ConferenceDomain } from "@dcon/core";
import { DomainError, ErrorCode } from "@dcon/core";
import { ComponentLink, FederationService, IslandDirectory, discoverConferences, serveConferenceItems, xml, type Element, type XmlBuilder } from "@dcon/federation";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { FederationView } from "./graphql/context.ts";

export interface FederationFace {
  readonly view: FederationView;
  readonly link: ComponentLink;
  readonly service: FederationService<Element>;
  close(): Promise<void>;
}

export async function startFederation(config: Config, domain: ConferenceDomain, log: Logger): Promise<FederationFace> {
  const fedLog = log.child({ part: "federation" });
  const componentJid = config.XMPP_COMPONENT_JID!;
  const link = new ComponentLink({ service: config.XMPP_SERVICE!, componentJid, secret: config.XMPP_COMPONENT_SECRET! });
  const directory = new IslandDirectory({ island: config.ISLAND, component: componentJid }, config.FEDERATION_PEERS);
  const service = new FederationService<Element>({ domain, directory, link, xml: xml as XmlBuilder<Element>, log: fedLog });
  link.on("stanza", (stanza) => {
    // Bounces (type="error") need nothing: what was not acknowledged goes again.
    if (stanza.name !== "message" || stanza.attrs.type === "error") return;
    service.receive(stanza.attrs.from ?? "", stanza.children.filter((c): c is Element => typeof c !== "string"));
  });
  link.on("online", () => {
    fedLog.info({ componentJid }, "XMPP component online");
    service.linkOnline();
  });
  link.on("offline", (reason) => fedLog.warn({ componentJid, reason: reason?.message ?? null }, "XMPP component offline: reconnecting"));
  link.on("problem", (err) => fedLog.debug({ code: err.code, condition: err.condition }, "XMPP component link problem"));
  link.on("closed", (err) => {
    if (err) fedLog.error({ code: err.code, condition: err.condition }, "XMPP component link closed for good (check XMPP_COMPONENT_JID and XMPP_COMPONENT_SECRET)");
  });
  serveConferenceItems(link, directory, domain, xml as XmlBuilder<Element>);
  await service.start();
  void link.start().catch(() => {}); // connects in the background; "online" starts the delivery
  fedLog.info({ island: config.ISLAND, componentJid, peers: directory.peers.map((p) => p.island) }, "federation started");
  return {
    view: {
      get online() {
        return link.isOnline;
      },
      status: () => service.status(),
      async discover(island: string) {
        const peer = directory.island(island);
        if (!peer) throw new DomainError(ErrorCode.BAD_USER_INPUT, `island: ${island} is not a configured peer island`, undefined, "island");
        try {
          return await discoverConferences(link, peer, xml as XmlBuilder<Element>);
        } catch {
          throw new DomainError(ErrorCode.CONFLICT, `${island} did not answer (its focus or XMPP server may be down)`);
        }
      },
    },
    link,
    service,
    async close() {
      service.close();
      await link.close();
    },
  };
}
