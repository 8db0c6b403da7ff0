// The public surface of the media workspace: SIP signalling, BFCP floor control and the conference's SIP face.
export { SipEndpoint, type EndpointOptions, type ResponseHandle } from "./sip/endpoint.ts";
export type { SipRequest } from "./sip/message.ts";
export { ConferenceSipService, type SipServiceOptions, type InDialogHandler, type PinAttemptLimit } from "./conference/sip-service.ts";
export { endOrphanedDialog, FOCUS_RESTARTED_REASON, type DialogJournal, type JournaledDialog, type OrphanOutcome } from "./conference/dialog-journal.ts";
export type { DialogId, DialogSnapshot } from "./sip/dialog.ts";
export { CascadeLegs, type CascadeHost, type CascadeOptions, type LegPhase } from "./conference/cascade.ts";
export { SipCallError } from "./sip/uac-dialog.ts";
export * from "./bfcp/index.ts";
