/** Starts the focus' SIP face (media/) on the configured port, wired to the domain and the logger. */
import { readFileSync } from "node:fs";
import type { ConferenceDomain } from "@dcon/core";
import { BfcpIdentities, BfcpTransport, CascadeLegs, ConferenceSipService, FloorControlServer, SipEndpoint, type PinAttemptLimit, type SipRequest } from "@dcon/media";
import { CASCADE_HEADER, cascadeHeaderValue, verifyCascadeHeader } from "@dcon/federation";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import { databaseRetryAfter } from "./db-errors.ts";
import { PrismaDialogJournal } from "./sip-journal.ts";
import { prepareSipRecovery } from "./sip-recovery.ts";

export interface SipFace {
  readonly port: number;
  readonly endpoint: SipEndpoint;
  readonly service: ConferenceSipService;
  /** BFCP floor control, when enabled */
  readonly bfcp: { server: FloorControlServer; transport: BfcpTransport } | null;
  /** the audio legs to the home foci of this island's replicas, when a peer island has a SIP address */
  readonly cascade: CascadeLegs | null;
  close(): Promise<void>;
}

export async function startSip(config: Config, domain: ConferenceDomain, log: Logger, pinAttempts: PinAttemptLimit | null = null): Promise<SipFace> {
  const host = config.SIP_HOST ?? config.HOST;
  const sipLog = log.child({ part: "sip" });
  // Before the endpoint listens: the ghosts of a crashed process leave while no new call can come in.
  const journal = new PrismaDialogJournal(domain.store.db, config.ISLAND);
  const recovery = await prepareSipRecovery({ journal, domain, log: sipLog });
  const endpoint = await SipEndpoint.listen({ host, port: config.SIP_PORT, userAgent: "dcon-focus" });
  endpoint.on("error", (err) => sipLog.warn({ err }, "SIP transport error"));
  let bfcp: SipFace["bfcp"] = null;
  if (config.BFCP_ENABLED) {
    const bfcpLog = log.child({ part: "bfcp" });
    const server = new FloorControlServer(domain, new BfcpIdentities(), bfcpLog);
    let transport: BfcpTransport | null = null;
    try {
      const tlsFiles = config.BFCP_TLS_CERT && config.BFCP_TLS_KEY
        ? { cert: readFileSync(config.BFCP_TLS_CERT, "utf8"), key: readFileSync(config.BFCP_TLS_KEY, "utf8"), port: config.BFCP_TLS_PORT }
        : null;
      transport = new BfcpTransport(server, { host, port: config.BFCP_PORT, tls: tlsFiles, onError: (err) => bfcpLog.warn({ err }, "BFCP transport error") });
      await transport.start();
    } catch (err) {
      // e.g. a certificate file that cannot be read, or a port in use: nothing stays open
      server.close();
      await transport?.close();
      await endpoint.close();
      throw err;
    }
    bfcp = { server, transport };
    bfcpLog.info({ host, port: transport.port, tlsPort: transport.tls?.port ?? null }, "BFCP floor control listening (TCP and UDP, and TLS when configured)");
  }
  // The audio legs between islands prove themselves with the secret of the pair of islands (X-Dcon-Island).
  const peerSecrets = new Map(config.FEDERATION_PEERS.map((p) => [p.island, p.secret] as const));
  const peerFocus = (invite: SipRequest): boolean => {
    const island = verifyCascadeHeader(invite.headers.get(CASCADE_HEADER) ?? undefined, invite.uri, (i) => peerSecrets.get(i));
    if (!island) return false;
    const from = invite.headers.get("From") ?? "";
    return from.includes(`sip:focus@${island}`);
  };
  const service = new ConferenceSipService({
    endpoint,
    domain,
    advertisedHost: config.SIP_ADVERTISED_HOST ?? host,
    rtpHost: host,
    rtpPorts: { min: config.RTP_PORT_MIN, max: config.RTP_PORT_MAX },
    log: sipLog,
    ...(peerSecrets.size > 0 ? { peerFocus } : {}),
    ...(pinAttempts ? { pinAttempts } : {}),
    unavailable: databaseRetryAfter,
    journal,
    ...(bfcp ? { floorControl: { server: bfcp.server, port: bfcp.transport.port, tls: bfcp.transport.tls } } : {}),
  });
  // Audio across islands: a call to each replica's home focus, at the SIP address FEDERATION_PEERS gives it.
  const peerSip = new Map(config.FEDERATION_PEERS.flatMap((p) => (p.sip ? [[p.island, p.sip] as const] : [])));
  const cascade = peerSip.size === 0 ? null : new CascadeLegs({
    sip: service,
    endpoint,
    domain,
    homeFocus: (island) => {
      const at = peerSip.get(island);
      if (!at) return null;
      const colon = at.lastIndexOf(":");
      return { transport: "udp", address: at.slice(0, colon), port: Number(at.slice(colon + 1)) };
    },
    advertisedHost: config.SIP_ADVERTISED_HOST ?? host,
    rtpHost: host,
    rtpPorts: { min: config.RTP_PORT_MIN, max: config.RTP_PORT_MAX },
    log: sipLog.child({ part: "cascade" }),
    headers: (home, target) => {
      const secret = peerSecrets.get(home);
      return secret ? [[CASCADE_HEADER, cascadeHeaderValue(secret, config.ISLAND, target)]] : [];
    },
  });
  // existing replicas' legs; a failure here leaves the rest of the SIP face serving (events place them later)
  await cascade?.start().catch((err) => sipLog.warn({ err }, "cascade legs: the replicas could not be read at start"));
  sipLog.info({ host, port: endpoint.port }, "SIP listening (UDP and TCP)");
  const hangingUp = recovery.hangUp(endpoint);
  return {
    port: endpoint.port,
    endpoint,
    service,
    bfcp,
    cascade,
    async close() {
      // BYEs still unanswered are given up: their entries stay, and the next start sends them again
      await Promise.race([hangingUp, new Promise((r) => setTimeout(r, 2000).unref())]);
      await cascade?.close();
      await service.close();
      if (bfcp) {
        bfcp.server.close();
        await bfcp.transport.close();
      }
      await endpoint.close();
    },
  };
}
