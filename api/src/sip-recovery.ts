/**
 * The SIP face's start after a crash. A focus killed mid-conference (SIGKILL, OOM, power loss) leaves two
 * kinds of debris: users the roster still shows connected over SIP though no call carries them (ghosts), and
 * phones that still hold a dialog the new process knows nothing of (their audio goes nowhere until the person
 * hangs up, and their BYE then gets 481).
 *
 * In two steps, around the SIP endpoint's start:
 * 1. `prepareSipRecovery`, before the endpoint listens: read the dialog journal the dead process left, and make
 *    every SIP user of this island leave (ordinary USER_LEFT events, so rosters, the conference event package
 *    and federated replicas see them go). No new call can come in yet, so a caller who dials straight back is
 *    never made to leave by the recovery.
 * 2. `hangUp`, once the endpoint listens: a BYE in each journaled dialog (RFC 3261 section 15.1.1, with the
 *    journaled route set and the next CSeq, Reason per RFC 3326), and the dialog is forgotten whatever the
 *    answer (2xx, 481, no answer). Each entry is forgotten by its own dialog id (Call-ID and tags): a new
 *    call recorded meanwhile is never touched.
 */
import type { Actor, ConferenceDomain } from "@dcon/core";
import { endOrphanedDialog, type DialogJournal, type JournaledDialog, type OrphanOutcome, type SipEndpoint } from "@dcon/media";
import type { Logger } from "./logger.ts";

/** Who made the ghosts leave, as their events say. */
export const RECOVERY_ACTOR: Actor = { kind: "system", id: "sip-recovery" };

export interface SipRecovery {
  /** the dialogs the previous process left in the journal */
  readonly orphans: readonly JournaledDialog[];
  /** how many SIP users were still present and left */
  readonly left: number;
  /** Ends the orphaned dialogs (once); resolves when every BYE is answered or given up and its entry forgotten. */
  hangUp(endpoint: SipEndpoint): Promise<void>;
}

export async function prepareSipRecovery(o: { journal: DialogJournal; domain: ConferenceDomain; log: Logger }): Promise<SipRecovery> {
  const orphans = await o.journal.list();
  const left = await o.domain.roster.leaveAllVia(RECOVERY_ACTOR, "sip");
  if (orphans.length > 0 || left.length > 0) {
    o.log.info({ dialogs: orphans.length, usersLeft: left.length }, "recovering from an unclean stop: SIP users left, their calls are hung up");
  }
  let hanging: Promise<void> | null = null;
  return {
    orphans,
    left: left.length,
    hangUp(endpoint) {
      hanging ??= Promise.all(orphans.map((d) => end(endpoint, d, o))).then(() => {
        if (orphans.length > 0) o.log.info({ dialogs: orphans.length }, "the previous process' calls are ended");
      });
      return hanging;
    },
  };
}

async function end(endpoint: SipEndpoint, d: JournaledDialog, o: { journal: DialogJournal; log: Logger }): Promise<void> {
  let outcome: OrphanOutcome | null = null;
  try {
    outcome = await endOrphanedDialog(endpoint, d);
  } catch (err) {
    // e.g. an entry whose target does not parse: nothing more can be done with it
    o.log.warn({ err, callId: d.id.callId }, "an orphaned call could not be hung up");
  }
  if (outcome) o.log.debug({ callId: d.id.callId, conferenceId: d.conferenceId, outcome }, "orphaned call hung up");
  await o.journal.forget(d.id).catch((err) => o.log.warn({ err, callId: d.id.callId }, "the dialog journal could not drop an ended call"));
}
