-- Prosody for island B (island-b.example), used by docker-compose.yml; island A's is prosody.cfg.lua, the
-- same but for its names. The island's focus joins as the XEP-0114 component focus.island-b.example, and the
-- foci's events travel between the islands over s2s, from component domain to component domain
-- (focus.island-b.example <-> focus.island-a.example). Run alone, this is a single island: nothing calls
-- the s2s port unless a conference is linked to another island.

admins = { }
-- Module names quoted (unquoted ones load nothing, silently). No "limits": its usual defaults throttle s2s
-- to about 30 kB/s, a hundred-odd events per second between islands.
modules_enabled = { "disco"; "ping"; "dialback"; "posix" }
network_settings = { nagle = false }
log = { info = "*console" }
pidfile = "/var/run/prosody/prosody.pid"

-- Names: Prosody resolves with lua-unbound, which ignores /etc/hosts unless told (hoststxt). In compose the
-- container's resolv.conf names the engine's DNS on 127.0.0.11, which knows the network aliases of the other
-- island (island-a.example, focus.island-a.example on prosody-a); unbound forwards there (with
-- do-not-query-localhost off, as that address is a loopback one). There are no SRV records: Prosody falls
-- back to the name's address, port 5269.
unbound = { resolvconf = true; hoststxt = true; options = { ["do-not-query-localhost:"] = "no" } }

-- Between islands: plaintext + dialback, acceptable only for the local two-island demo on one compose
-- network. For TLS (any other deployment), per island: add "tls"; "saslauth" to modules_enabled, set
--   s2s_require_encryption = true
--   s2s_secure_auth = true
--   certificates = "/etc/prosody/certs"           -- the island's certificate and key, mounted read-only
--   ssl = { cafile = "/etc/prosody/certs/ca.pem" } -- the CA that signed every island's certificate
-- with a certificate whose SANs are island-b.example and *.island-b.example (the component domain is a
-- subdomain): the islands then authenticate each other with SASL EXTERNAL, without dialback. Loading "tls"
-- without a certificate makes the s2s handshake fail.
s2s_require_encryption = false
s2s_secure_auth = false

-- The component port (5347) is reached by the focus over the compose network only: never publish it.
component_interfaces = { "*" }

VirtualHost "island-b.example"

Component "focus.island-b.example"
  component_secret = os.getenv("FOCUS_COMPONENT_SECRET") or "change-me"
