/** Starts the focus' SIP face (media/) on the configured port, wired to the domain and the logger. */
import type { ConferenceDomain } from "@dcon/core";
import { ConferenceSipService, SipEndpoint } from "@dcon/media";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";

export interface SipFace {
  readonly port: number;
  readonly endpoint: SipEndpoint;
  readonly service: ConferenceSipService;
  close(): Promise<void>;
}

export async function startSip(config: Config, domain: ConferenceDomain, log: Logger): Promise<SipFace> {
  const host = config.SIP_HOST ?? config.HOST;
  const sipLog = log.child({ part: "sip" });
  const endpoint = await SipEndpoint.listen({ host, port: config.SIP_PORT, userAgent: "dcon-focus" });
  endpoint.on("error", (err) => sipLog.warn({ err }, "SIP transport error"));
  const service = new ConferenceSipService({
    endpoint,
    domain,
    advertisedHost: config.SIP_ADVERTISED_HOST ?? host,
    rtpHost: host,
    rtpPorts: { min: config.RTP_PORT_MIN, max: config.RTP_PORT_MAX },
    log: sipLog,
  });
  sipLog.info({ host, port: endpoint.port }, "SIP listening (UDP and TCP)");
  return {
    port: endpoint.port,
    endpoint,
    service,
    async close() {
      await service.close();
      await endpoint.close();
    },
  };
}
