/**
 * SIP timer values (RFC 3261 section 17.1.1.1 and table 4). Configurable so tests can run them fast;
 * defaults are the RFC's.
 */
export interface SipTimers {
  /** RTT estimate, 500 ms */
  T1: number;
  /** maximum retransmit interval for non-INVITE requests and INVITE responses, 4 s */
  T2: number;
  /** maximum duration a message remains in the network, 5 s */
  T4: number;
}

export const DEFAULT_TIMERS: SipTimers = { T1: 500, T2: 4000, T4: 5000 };
