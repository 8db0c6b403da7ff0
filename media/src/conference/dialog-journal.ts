/**
 * The dialog journal: the SIP calls into conferences that the focus answered, kept outside the process so a
 * focus restarted after a crash (SIGKILL, power loss) can end them. Without it the callers' phones keep a
 * dialog nobody serves (their audio goes nowhere) until the person hangs up, and then get 481.
 *
 * The SIP face writes one entry when it sends a call's 2xx and removes it when the call ends (one write
 * each, nothing per packet): the entries found at start are the calls of a process that died. The store is
 * the focus' business (its database), injected as this interface: media/ knows no database.
 *
 * `endOrphanedDialog` is the other half: the BYE a restarted focus sends in such a dialog (RFC 3261
 * section 15.1.1), saying why (RFC 3326).
 */
import type { DialogId, DialogSnapshot } from "../sip/dialog.ts";
import { sendInDialog } from "../sip/dialog.ts";
import type { SipEndpoint } from "../sip/endpoint.ts";
import { TransactionTimeout, TransportError } from "../sip/transaction.ts";

/** One answered call: its dialog, and the conference user it carries (null while a PIN is keyed). */
export interface JournaledDialog extends DialogSnapshot {
  conferenceId: string;
  userId: string | null;
}

export interface DialogJournal {
  /** The call's 2xx was sent: keep its dialog. */
  record(dialog: JournaledDialog): Promise<void>;
  /** The call ended: drop its dialog (nothing happens for a dialog never recorded). */
  forget(id: DialogId): Promise<void>;
  /** The dialogs recorded and not forgotten. */
  list(): Promise<JournaledDialog[]>;
}

/**
 * How an orphaned dialog ended: the caller answered the BYE ("ended": 2xx), said it no longer has the dialog
 * or refused the BYE ("gone": 481 or another final status), or did not answer ("unreachable": Timer F or a
 * transport failure, section 17.1.2.2). In every case the dialog is over for the focus.
 */
export type OrphanOutcome =
  | { kind: "ended"; status: number }
  | { kind: "gone"; status: number }
  | { kind: "unreachable"; status: 408 | 503 };

/** RFC 3326: a BYE's Reason names the SIP status that describes why; 500, the server failed unexpectedly. */
export const FOCUS_RESTARTED_REASON = 'SIP ;cause=500 ;text="focus restarted"';

/**
 * Ends a dialog left by a previous process of this focus: BYE with the journaled route set, target, From and
 * To, and the next CSeq (sections 12.2.1.1 and 15.1.1). Resolves once the BYE is answered or given up.
 */
export async function endOrphanedDialog(endpoint: SipEndpoint, dialog: DialogSnapshot, reason = FOCUS_RESTARTED_REASON): Promise<OrphanOutcome> {
  const tx = sendInDialog(endpoint, dialog, "BYE", { headers: [["Reason", reason]] });
  try {
    const res = await tx.final;
    return res.status < 300 ? { kind: "ended", status: res.status } : { kind: "gone", status: res.status };
  } catch (err) {
    if (err instanceof TransactionTimeout) return { kind: "unreachable", status: 408 };
    if (err instanceof TransportError) return { kind: "unreachable", status: 503 };
    throw err;
  }
}
