/** Starts the focus' SIP face (media/) on the configured port, wired to the domain and the logger. */
import { readFileSync } from "node:fs";
import type { ConferenceDomain } from "@dcon/core";
import { BfcpIdentities, BfcpTransport, ConferenceSipService, FloorControlServer, SipEndpoint } from "@dcon/media";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";

export interface SipFace {
  readonly port: number;
  readonly endpoint: SipEndpoint;
  readonly service: ConferenceSipService;
  /** BFCP floor control, when enabled */
  readonly bfcp: { server: FloorControlServer; transport: BfcpTransport } | null;
  close(): Promise<void>;
}

export async function startSip(config: Config, domain: ConferenceDomain, log: Logger): Promise<SipFace> {
  const host = config.SIP_HOST ?? config.HOST;
  const sipLog = log.child({ part: "sip" });
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
  const service = new ConferenceSipService({
    endpoint,
    domain,
    advertisedHost: config.SIP_ADVERTISED_HOST ?? host,
    rtpHost: host,
    rtpPorts: { min: config.RTP_PORT_MIN, max: config.RTP_PORT_MAX },
    log: sipLog,
    ...(bfcp ? { floorControl: { server: bfcp.server, port: bfcp.transport.port, tls: bfcp.transport.tls } } : {}),
  });
  sipLog.info({ host, port: endpoint.port }, "SIP listening (UDP and TCP)");
  return {
    port: endpoint.port,
    endpoint,
    service,
    bfcp,
    async close() {
      await service.close();
      if (bfcp) {
        bfcp.server.close();
        await bfcp.transport.close();
      }
      await endpoint.close();
    },
  };
}
