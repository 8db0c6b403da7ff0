import type { ConferenceDomain } from "@dcon/core";
import type { Principal, TokenStore } from "../auth/tokens.ts";

/** What every resolver receives: the caller and the domain it acts on. */
export interface ApiContext {
  principal: Principal | null;
  domain: ConferenceDomain;
  tokens: TokenStore;
}
