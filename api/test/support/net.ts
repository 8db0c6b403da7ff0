import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/** A TCP port free on 127.0.0.1 right now (for peers that cannot be told to pick one themselves). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Ports handed out by freeUdpPort in this process, so two peers started back to back never get the same one. */
const handedOut = new Set<number>();

async function udpFree(port: number): Promise<boolean> {
  const socket = createSocket("udp4");
  return new Promise((resolve) => {
    socket.once("error", () => resolve(false));
    socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
  });
}

/**
 * A port free for TCP and UDP on 127.0.0.1, not handed out before by this process: for peers such as sipp
 * that listen on UDP, which freePort() does not check. `pair` (or a count) reserves that many consecutive
 * ports from an even one: RTP and RTCP, or sipp's media ports (audio RTP/RTCP and video RTP/RTCP at +2, +3).
 */
export async function freeUdpPort(pair: boolean | number = false): Promise<number> {
  const count = pair === true ? 2 : pair === false ? 1 : pair;
  for (let i = 0; i <= 50; i++) {
    let port = await freePort();
    if (count > 1) port &= ~1;
    if (port + count - 1 > 65535) continue;
    const ports = Array.from({ length: count }, (_, k) => port + k);
    if (ports.every((p) => !handedOut.has(p)) && (await Promise.all(ports.map(udpFree))).every(Boolean)) {
      for (const p of ports) handedOut.add(p);
      return port;
    }
  }
  throw new Error("no free UDP port on 127.0.0.1");
}
