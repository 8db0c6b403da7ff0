/**
 * Types for the parts of @xmpp/component 0.13 (CommonJS, ships no types) that component-link.ts uses.
 * Only what we call is typed; the shapes follow packages/component, component-core, connection,
 * reconnect and xml (ltx Element) of xmpp.js 0.13.1.
 */
declare module "@xmpp/component" {
  import type { EventEmitter } from "node:events";
  import type { Socket } from "node:net";

  /** An ltx element: a stanza, or any element inside one. */
  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    attr(name: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    text(): string;
    append(...nodes: Array<Element | string>): Element;
    toString(): string;
  }

  /** A child passed to xml(): elements, text, nested arrays; null/undefined/booleans are skipped. */
  export type XmlChild = Element | string | number | null | undefined | boolean | XmlChild[];

  /** @xmpp/xml: `xml(name, attrs, ...children)`; attributes whose value is null/undefined are left out. */
  export interface Xml {
    (name: string, attrs?: Record<string, string | number | null | undefined> | null, ...children: XmlChild[]): Element;
  }

  export const xml: Xml;

  export interface Jid {
    toString(): string;
  }

  /** @xmpp/connection's status names; each is also emitted as an event of that name. */
  export type ConnectionStatus =
    | "offline"
    | "connecting"
    | "connect"
    | "opening"
    | "open"
    | "online"
    | "closing"
    | "close"
    | "disconnecting"
    | "disconnect";

  /** @xmpp/reconnect: on "disconnect", reconnects after `delay` ms, again and again until it works. */
  export interface Reconnect extends EventEmitter {
    delay: number;
    start(): void;
    stop(): void;
  }

  /** The error @xmpp/connection emits for a stream error (RFC 6120 §4.9): `condition` is its element name. */
  export interface XmppError extends Error {
    condition?: string;
    text?: string;
  }

  /** @xmpp/iq/callee: answers iq get/set whose child matches (ns, name) with the handler's element. */
  export interface IqCallee {
    get(ns: string, name: string, handler: (ctx: { stanza: Element; element: Element }) => Promise<Element | undefined> | Element | undefined): void;
  }

  /** @xmpp/iq/caller: sends an iq get with `element` and resolves with the result's child element. */
  export interface IqCaller {
    get(element: Element, to: string, timeout?: number): Promise<Element>;
  }

  export interface Component extends EventEmitter {
    iqCallee: IqCallee;
    iqCaller: IqCaller;
    status: ConnectionStatus;
    socket: Socket | null;
    jid: Jid | null;
    reconnect: Reconnect;
    /** opens the socket and the stream; resolves once the handshake succeeded ("online") */
    start(): Promise<Jid>;
    /** closes the stream and the socket; status "offline" */
    stop(): Promise<unknown>;
    /** resolves once the serialized stanza is written to the socket; fills in `from` on stanzas */
    send(element: Element): Promise<void>;

    on(event: "status", listener: (status: ConnectionStatus) => void): this;
    on(event: "stanza" | "element" | "nonza", listener: (element: Element) => void): this;
    on(event: "error", listener: (error: XmppError & NodeJS.ErrnoException) => void): this;
    on(event: "online", listener: (jid: Jid) => void): this;
    on(event: "disconnect", listener: (info: { clean: boolean }) => void): this;
    on(event: ConnectionStatus, listener: (...args: unknown[]) => void): this;
  }

  export interface ComponentOptions {
    /** "xmpp://host:port" */
    service: string;
    /** the component's JID, e.g. focus.island-a.test */
    domain: string;
    /** the shared secret (component_secret) */
    password: string;
  }

  export function component(options: ComponentOptions): Component;
}
