/**
 * The dialog journal (media's DialogJournal) in the focus' database: one SipDialog row per answered call,
 * written at its 2xx and deleted at its end (see media/src/conference/dialog-journal.ts). Rows carry the
 * island of the focus that wrote them, so a focus only ever reads back, and ends, its own calls.
 */
import type { PrismaClient } from "@dcon/db";
import type { DialogId, DialogJournal, JournaledDialog } from "@dcon/media";

type Row = Awaited<ReturnType<PrismaClient["sipDialog"]["findMany"]>>[number];

export class PrismaDialogJournal implements DialogJournal {
  constructor(private readonly db: PrismaClient, private readonly island: string) {}

  async record(d: JournaledDialog): Promise<void> {
    const data = {
      island: this.island, conferenceId: d.conferenceId, userId: d.userId, localUri: d.local, remoteUri: d.remote,
      remoteTarget: d.remoteTarget, routeSet: JSON.stringify(d.routeSet), localCSeq: d.localCSeq, localContact: d.localContact,
      transport: d.peer.transport, peerAddress: d.peer.address, peerPort: d.peer.port,
    };
    // upsert: a dialog is answered once, but a retried write must not fail on its own first attempt
    await this.db.sipDialog.upsert({ where: { callId_localTag_remoteTag: d.id }, create: { ...d.id, ...data }, update: data });
  }

  async forget(id: DialogId): Promise<void> {
    await this.db.sipDialog.deleteMany({ where: { callId: id.callId, localTag: id.localTag, remoteTag: id.remoteTag } });
  }

  async list(): Promise<JournaledDialog[]> {
    const rows = await this.db.sipDialog.findMany({ where: { island: this.island }, orderBy: { createdAt: "asc" } });
    return rows.map(toDialog);
  }
}

function toDialog(r: Row): JournaledDialog {
  return {
    id: { callId: r.callId, localTag: r.localTag, remoteTag: r.remoteTag },
    local: r.localUri,
    remote: r.remoteUri,
    remoteTarget: r.remoteTarget,
    routeSet: routeSetOf(r.routeSet),
    localCSeq: r.localCSeq,
    localContact: r.localContact,
    peer: { transport: r.transport === "tcp" ? "tcp" : "udp", address: r.peerAddress, port: r.peerPort },
    conferenceId: r.conferenceId,
    userId: r.userId,
  };
}

/** The stored JSON array of Route values; anything else reads as no route set (the BYE then goes to the target). */
function routeSetOf(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? v : [];
  } catch {
    return [];
  }
}
