/**
 * The two servers of the side-by-side mixer benchmark, behind one interface: each is started as its own
 * process pinned to one CPU, holds one conference, and joins load-generator participants (plain RTP,
 * PCMU, 20 ms) so that it mixes for them and sends each its mix.
 *
 * - Our focus (api/src/main.ts): one conference; a participant joins by SIP, an INVITE from our own SIP
 *   stack (media/src/sip, as a UAC) to the conference's dial-in number, with an SDP offer of PCMU at the
 *   participant's RTP port; the focus answers with its own port for that call leg.
 * - janus's AudioBridge: one room created over the HTTP API; a participant is one plugin handle joined as
 *   a "plain RTP participant" (`join` with an `rtp` object {ip, port} and codec pcmu); the `joined` event
 *   gives janus's port for it. janus sends only after it has received a packet from the participant.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import os from "node:os";
import { SipEndpoint } from "../../media/src/sip/endpoint.ts";
import { invite, type UacDialog } from "../../media/src/sip/uac-dialog.ts";
import { freeUdpPort } from "../../api/test/support/net.ts";
import { startFocusProcess, sqliteDatabase, type Database, type FocusProcess } from "./focus.ts";
import { GraphQLHttp } from "./graphql.ts";
import { JanusSession, startJanus, type JanusProcess } from "./janus.ts";
import type { LoadLeg } from "./rtp-load.ts";

export interface MixerSystem {
  /** e.g. "focus" or "janus AudioBridge" */
  readonly name: string;
  /** the server process (its CPU is what is measured) */
  readonly pid: number;
  /** joins a participant whose RTP is at 127.0.0.1:leg.localPort; resolves with the server's RTP port for it */
  join(leg: LoadLeg): Promise<number>;
  stop(): Promise<void>;
}

const ADMIN_TOKEN = "dcon_bench-admin-secret-0123456789abcdefghijklmn";

/** Pins every thread of a running process to `cpus` (taskset -a -p). */
export function pin(pid: number, cpus: string): void {
  execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
}

/**
 * Sets the nice value of every thread of a running process (Linux keeps it per thread; threads created
 * later inherit their creator's). Returns false when not permitted (raising priority needs root).
 */
export function setNice(pid: number, nice: number): boolean {
  let tids: number[];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    tids = [pid];
  }
  try {
    for (const tid of tids) os.setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}

/** The SDP offer of a plain-RTP phone: PCMU only, at the participant's port. */
function pcmuOffer(port: number): string {
  const id = String(Date.now());
  return ["v=0", `o=load ${id} 1 IN IP4 127.0.0.1`, "s=-", "c=IN IP4 127.0.0.1", "t=0 0", `m=audio ${port} RTP/AVP 0`, "a=rtpmap:0 PCMU/8000", "a=ptime:20", "a=sendrecv", ""].join("\r\n");
}

/** The audio port of an SDP answer (its first m=audio line). */
function answerPort(sdp: string): number {
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!m || m[1] === "0") throw new Error(`SDP answer without an audio port:\n${sdp}`);
  return Number(m[1]);
}

export interface SystemOptions {
  /** the CPU(s) the server is pinned to (taskset list syntax, e.g. "1"; "0-1023": any) */
  cpus: string;
  /** its nice value (every thread), when permitted */
  nice: number;
  rtpPorts: [number, number];
}

export async function startFocusSystem(o: SystemOptions): Promise<MixerSystem> {
  const database: Database = sqliteDatabase();
  const sipPort = await freeUdpPort();
  let focus: FocusProcess;
  try {
    focus = await startFocusProcess({
      DATABASE_URL: database.url, ADMIN_TOKEN, ISLAND: "bench.local", SIP_PORT: String(sipPort),
      RTP_PORT_MIN: String(o.rtpPorts[0]), RTP_PORT_MAX: String(o.rtpPorts[1]), LOG_LEVEL: "warn",
      // no floor control in this benchmark: BFCP off, so its fixed default port cannot collide
      BFCP_ENABLED: "false",
    });
  } catch (err) {
    await database.dispose();
    throw err;
  }
  const endpoint = await SipEndpoint.listen({ host: "127.0.0.1", port: 0, tcp: false }).catch(async (err) => {
    await focus.stop();
    await database.dispose();
    throw err;
  });
  // in-dialog requests from the focus (keep-alives, its BYE at shutdown): accepted; re-INVITEs refused
  endpoint.on("request", (req, res) => void res.send(req.method === "INVITE" ? 488 : 200));
  endpoint.on("error", () => {});
  pin(focus.pid, o.cpus);
  setNice(focus.pid, o.nice);
  const { createConference } = await new GraphQLHttp(focus.url, ADMIN_TOKEN).gql<{ createConference: { dialInCode: string } }>(
    `mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`,
    { input: { subject: "bench mixer over RTP", durationMin: 24 * 60, maxUsers: 10_000 } },
  );
  const dialogs: UacDialog[] = [];
  return {
    name: "focus",
    pid: focus.pid,
    async join(leg) {
      const dialog = await invite({
        endpoint, target: `sip:${createConference.dialInCode}@127.0.0.1:${sipPort}`,
        from: `sip:load-${leg.index}-${randomBytes(3).toString("hex")}@127.0.0.1`, displayName: `load ${leg.index}`,
        contact: `<sip:load-${leg.index}@127.0.0.1:${endpoint.port}>`, sdp: pcmuOffer(leg.localPort),
      });
      dialogs.push(dialog);
      return answerPort(dialog.answer.body.toString("utf8"));
    },
    async stop() {
      // no BYEs: stopping the focus ends every call at once, and the load's sockets close with it
      await focus.stop();
      await endpoint.close();
      await database.dispose();
    },
  };
}

export async function startJanusSystem(o: SystemOptions & { samplingRate: 8000 | 16000 }): Promise<MixerSystem> {
  const janus: JanusProcess = await startJanus({ rtpPorts: o.rtpPorts, cpus: o.cpus });
  // before any participant exists: the threads janus makes for participants inherit it
  setNice(janus.pid, o.nice);
  let session: JanusSession;
  const room = 4242;
  try {
    session = await JanusSession.create(janus.url);
    const admin = await session.attach();
    await session.request(admin, {
      request: "create", room, description: "bench mixer over RTP", sampling_rate: o.samplingRate,
      allow_rtp_participants: true, audiolevel_ext: false, audiolevel_event: false, record: false,
    });
  } catch (err) {
    await janus.stop();
    throw err;
  }
  return {
    name: "janus AudioBridge",
    pid: janus.pid,
    async join(leg) {
      const handle = await session.attach();
      const joined = await session.message(handle, { request: "join", room, display: `load ${leg.index}`, codec: "pcmu", rtp: { ip: "127.0.0.1", port: leg.localPort } });
      const rtp = joined.rtp as { port?: number } | undefined;
      if (!rtp?.port) throw new Error(`janus joined without an RTP port: ${JSON.stringify(joined)}`);
      return rtp.port;
    },
    async stop() {
      if (process.env.BENCH_KEEP) process.stdout.write(janus.output().slice(-3000) + "\n");
      await session.destroy();
      await janus.stop();
    },
  };
}
