#!/usr/bin/env node
/**
 * `npm start`: the focus and its moderator portal, as two processes started and stopped together.
 * The portal is a separate Next.js server so the focus never loads React; it reaches the focus at
 * FOCUS_URL (the focus' own HOST:PORT here). On the first start (or after `git pull` changed web/) the
 * portal is built, offline, which takes a few seconds. PORTAL_ENABLED=false starts the focus alone.
 *
 * Environment: everything the focus reads (README, configuration), plus PORTAL_PORT (3000),
 * PORTAL_HOST (HOST, else 127.0.0.1) and FOCUS_SIP_DOMAIN (the dial-in address pages show).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const web = join(repo, "web");
const nextBin = join(repo, "node_modules", "next", "dist", "bin", "next");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

const focusHost = env.HOST ?? "127.0.0.1";
const focusPort = env.PORT ?? "4000";
const portalHost = env.PORTAL_HOST ?? focusHost;
const portalPort = env.PORTAL_PORT ?? "3000";
const withPortal = env.PORTAL_ENABLED !== "false";
/** where phones call, as the live room shows it (sip:<code>@<this>): the focus' SIP address unless given */
const sipHost = env.SIP_ADVERTISED_HOST ?? env.SIP_HOST ?? (focusHost === "0.0.0.0" ? "127.0.0.1" : focusHost);
const sipDomain = env.FOCUS_SIP_DOMAIN ?? (env.SIP_PORT && env.SIP_PORT !== "5060" && env.SIP_PORT !== "0" ? `${sipHost}:${env.SIP_PORT}` : sipHost);

/** newest modification time under the portal's sources (the build is stale when they are newer) */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === ".next" || entry.name === "test") continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function ensurePortalBuild() {
  const buildId = join(web, ".next", "BUILD_ID");
  if (existsSync(buildId) && statSync(buildId).mtimeMs >= newestSource(web)) return;
  process.stdout.write("portal: building the moderator portal (once, offline)...\n");
  const r = spawnSync(process.execPath, [nextBin, "build"], { cwd: web, env, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) {
    process.stderr.write("portal: the build failed (see above); start the focus alone with PORTAL_ENABLED=false\n");
    process.exit(1);
  }
}

if (withPortal) ensurePortalBuild();

const children = [];
let stopping = false;

function launch(name, args, cwd, extraEnv) {
  const child = spawn(process.execPath, args, { cwd, env: { ...env, ...extraEnv }, stdio: ["ignore", "inherit", "inherit"] });
  child.on("exit", (code, signal) => {
    children.splice(children.indexOf(child), 1);
    if (!stopping) {
      // one without the other is no use: the portal without its focus shows only errors
      process.stderr.write(`${name} exited (${code ?? signal}); stopping\n`);
      stop("SIGTERM", code ?? 1);
    } else if (children.length === 0) process.exit(exitCode);
  });
  children.push(child);
  return child;
}

let exitCode = 0;
function stop(signal, code = 0) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  if (children.length === 0) process.exit(code);
  for (const child of children) child.kill(signal);
}

process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

/**
 * The portal calls the focus for every browser and forwards each one's address in X-Forwarded-For, so the
 * focus' per-address limits count browsers, not the portal: the focus believes that header from where the
 * portal's calls come from, loopback or the focus' own address when HOST names one (added to an address
 * list given in TRUST_PROXY; a count of proxies given there is kept as it is).
 */
function focusTrustProxy() {
  const given = (env.TRUST_PROXY ?? "").trim();
  if (!withPortal) return given;
  const ownAddress = isIP(focusHost) !== 0 && !["0.0.0.0", "::", "::1"].includes(focusHost) && !focusHost.startsWith("127.");
  const portal = ["loopback", ...(ownAddress ? [focusHost] : [])];
  if (/^(true|[0-9]+)$/.test(given) && given !== "0") return given;
  const list = given === "" || given === "false" || given === "0" ? [] : given.split(",").map((e) => e.trim());
  return [...list, ...portal.filter((p) => !list.includes(p))].join(",");
}

launch("focus", ["--import", "tsx", join(repo, "api", "src", "main.ts")], repo, { TRUST_PROXY: focusTrustProxy() });
if (withPortal) {
  launch("portal", [nextBin, "start", "-p", portalPort, "-H", portalHost], web, {
    FOCUS_URL: `http://${focusHost === "0.0.0.0" ? "127.0.0.1" : focusHost}:${focusPort}`,
    FOCUS_SIP_DOMAIN: sipDomain,
    NODE_ENV: "production",
  });
  process.stdout.write(`portal: the moderator portal will be at http://${portalHost}:${portalPort} (sign in with the admin token)\n`);
}
