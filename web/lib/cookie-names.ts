/** Cookie names, shared by the session module and the proxy (which cannot import server-only modules). */
export const SESSION_COOKIE_NAME = "dcon_session";
export const SESSION_KIND_COOKIE_NAME = "dcon_session_kind";
