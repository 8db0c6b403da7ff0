// The public surface of the federation workspace (SPACE): wire codec, island directory, the service.
export { IslandDirectory, PeerIslandSchema, PeerIslandsSchema, type PeerIsland } from "./directory.ts";
export { FederationService, type FederationLink, type FederationLogger, type FederationOptions, type PeerStatus } from "./service.ts";
export { FEDERATION_NS, WireError, WireErrorCode, decodeWire, encodeWire, eventToWire, signEvent, verifyEvent, wireToEvent, type WireMessage, type XmlBuilder, type XmlElementLike } from "./wire.ts";
export { ComponentLink, ComponentLinkError, LinkErrorCode, stanzaError, xml, type ComponentLinkOptions, type Element, type LinkState, type StanzaError } from "./xmpp/component-link.ts";
export { DISCO_ITEMS, discoverConferences, serveConferenceItems, type DiscoveredConference, type IqLink } from "./discovery.ts";
export { CASCADE_HEADER, cascadeHeaderValue, verifyCascadeHeader } from "./cascade-auth.ts";
