/**
 * One UDP socket per call leg for RTP. RTCP (port+1, RFC 3550 section 11) is not opened yet: peers' RTCP
 * is dropped by the kernel, which costs nothing. Ports come from a configured range so a firewall can
 * be opened for them.
 */
import dgram from "node:dgram";
import { isIPv6 } from "node:net";

export interface RtpPortRange {
  min: number;
  max: number;
}

export class RtpPort {
  private constructor(readonly socket: dgram.Socket, readonly port: number) {}

  /** Binds the first free even port of the range (RFC 3550 section 11: RTP on even ports). */
  static async open(host: string, range: RtpPortRange): Promise<RtpPort> {
    const span = Math.floor((range.max - range.min) / 2) + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = range.min + ((start + i) % span) * 2;
      const socket = dgram.createSocket({ type: isIPv6(host) ? "udp6" : "udp4" });
      const ok = await new Promise<boolean>((resolve) => {
        socket.once("error", () => resolve(false));
        socket.bind(port, host, () => resolve(true));
      });
      if (ok) return new RtpPort(socket, port);
      socket.close();
    }
    throw new Error(`no free RTP port in ${range.min}-${range.max}`);
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // closed already
    }
  }
}
