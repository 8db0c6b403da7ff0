// The public surface of the media workspace: SIP signalling, BFCP floor control and the conference's SIP face.
export { SipEndpoint, type EndpointOptions, type ResponseHandle } from "./sip/endpoint.ts";
export { ConferenceSipService, type SipServiceOptions } from "./conference/sip-service.ts";
export * from "./bfcp/index.ts";
