// The public surface of the SDP module: offer/answer for G.711 audio (+ BFCP) and its one error.
export { answerOffer, createOffer, parseAnswer } from "./offer-answer.ts";
export type { Answer, Direction, G711Codec, LocalMedia, NegotiatedAudio, OfferOptions, RejectedMedia, SessionOrigin } from "./offer-answer.ts";
export type { BfcpOffer, BfcpTransport, NegotiatedBfcp } from "./bfcp.ts";
export { SdpError, SdpErrorCode } from "./errors.ts";
