/**
 * The one error of the SDP module. Its `code` is public and stable, so the SIP layer maps it without
 * reading messages: MALFORMED -> 400 Bad Request, NO_COMMON_CODEC and NO_AUDIO -> 488 Not Acceptable Here
 * (RFC 3261 section 21.4.26) for an offer; for an answer to our own offer there is no status to send and
 * the SIP layer ends the call instead.
 */
export const SdpErrorCode = {
  /** Not SDP: a line that is not `<letter>=<value>`, a missing v=/o=/s=/t= line, a bad m=/c=/o= line,
   *  or no c= for a stream we would accept (RFC 8866 sections 5 and 9). */
  MALFORMED: "MALFORMED",
  /** An audio stream was offered (or answered) but with no G.711 codec in common. */
  NO_COMMON_CODEC: "NO_COMMON_CODEC",
  /** No usable audio stream at all (none offered with a non-zero port, or the answer rejected ours). */
  NO_AUDIO: "NO_AUDIO",
} as const;
export type SdpErrorCode = (typeof SdpErrorCode)[keyof typeof SdpErrorCode];

export class SdpError extends Error {
  override readonly name = "SdpError";
  constructor(
    readonly code: SdpErrorCode,
    message: string,
    /** 1-based line of the body the problem was found on, when there is one. */
    readonly line?: number,
  ) {
    super(line === undefined ? message : `${message} (line ${line})`);
  }
}

export const malformed = (message: string, line?: number) => new SdpError(SdpErrorCode.MALFORMED, message, line);
