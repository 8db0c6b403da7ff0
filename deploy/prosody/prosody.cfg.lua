-- Prosody for one island (used by docker-compose.yml). The focus joins as an XEP-0114 component.
-- Federation between islands (s2s) is configured with the federation work; see README.
admins = { }
modules_enabled = { "disco"; "ping"; "dialback"; "posix" }
network_settings = { nagle = false }
log = { info = "*console" }
pidfile = "/var/run/prosody/prosody.pid"
s2s_require_encryption = false
s2s_secure_auth = false
component_interfaces = { "*" }
VirtualHost "island-a.example"
Component "focus.island-a.example"
  component_secret = os.getenv("FOCUS_COMPONENT_SECRET") or "change-me"
