/**
 * For unit tests: a SipEndpoint over a fake transport. The endpoint's real transaction layer runs; what
 * it sends is recorded (after a round trip through the wire format), and `deliver` plays the network.
 */
import { parseMessage, serialize, type SipMessage, type SipRequest, type SipResponse } from "./message.ts";
import { SipEndpoint, type EndpointOptions } from "./endpoint.ts";
import type { Peer, TransportEvents } from "./transport.ts";

export class FakeTransport {
  readonly sent: { msg: SipMessage; to: Peer }[] = [];
  private listeners: Partial<TransportEvents> = {};
  readonly host = "127.0.0.1";
  readonly port = 5062;

  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): this {
    this.listeners[event] = listener;
    return this;
  }

  async send(msg: SipMessage, to: Peer): Promise<void> {
    this.sent.push({ msg: parseMessage(serialize(msg)), to });
  }

  /** A message arriving from `from`. */
  deliver(from: Peer, msg: SipMessage): void {
    this.listeners.message?.(parseMessage(serialize(msg)), from);
  }

  async close(): Promise<void> {}

  requests(method: string): { msg: SipRequest; to: Peer }[] {
    return this.sent.filter((s): s is { msg: SipRequest; to: Peer } => s.msg.kind === "request" && s.msg.method === method);
  }

  responses(): SipResponse[] {
    return this.sent.map((s) => s.msg).filter((m): m is SipResponse => m.kind === "response");
  }
}

type EndpointCtor = new (t: FakeTransport, o: EndpointOptions) => SipEndpoint;

/** An endpoint whose transport is `transport` (the constructor is private: endpoints normally listen). */
export function fakeEndpoint(transport: FakeTransport, timers?: EndpointOptions["timers"]): SipEndpoint {
  return new (SipEndpoint as unknown as EndpointCtor)(transport, { host: transport.host, port: 0, ...(timers ? { timers } : {}) });
}
