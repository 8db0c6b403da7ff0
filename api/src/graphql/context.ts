import type { ConferenceDomain } from "@dcon/core";
import type { Principal, TokenStore } from "../auth/tokens.ts";
import type { AccountStore } from "../auth/accounts.ts";
import type { FocusLimits } from "../limits.ts";

/** How federation with one peer island stands (for the Islands view). */
export interface IslandStatus {
  island: string;
  component: string;
  unacknowledged: number;
  conferences: number;
  lastAckAt: Date | null;
}

/** The federation side of the focus, when it federates. */
export interface FederationView {
  readonly online: boolean;
  status(): IslandStatus[];
  /** a peer island's conferences (XEP-0030 disco#items) */
  discover(island: string): Promise<{ island: string; id: string; subject: string }[]>;
}

/** What every resolver receives: the caller and the domain it acts on. */
export interface ApiContext {
  principal: Principal | null;
  domain: ConferenceDomain;
  tokens: TokenStore;
  accounts: AccountStore;
  /** null when this focus does not federate */
  federation: FederationView | null;
  /** the rate limits (sign-in, PINs) */
  limits: FocusLimits;
  /** the client's address (see http/client-address.ts: the peer, or X-Forwarded-For behind TRUST_PROXY) */
  clientAddress: string;
}
