/**
 * The portal as users meet it: the built Next.js app (`next start`, a real process) in front of a real focus
 * (in this process, on free ports), driven by Debian's Chromium through playwright-core. One per test file;
 * pages are cheap, the browser and servers are not.
 *
 * The build is made by `npm test` (npm run build -w @dcon/web) before the suites run; a missing build is
 * reported rather than built here, so parallel suites never build over each other.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ADMIN_TOKEN, repo, startTestFocus, type TestFocus } from "../../../api/test/support/focus.ts";
import { freePort } from "../../../api/test/support/net.ts";

const web = join(repo, "web");
export const SCREENSHOTS = join(repo, "test-results", "screenshots");
/** Debian's chromium with the flags that keep it offline and quiet (no downloads, no sync, no updates) */
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export interface TestPortal {
  focus: TestFocus;
  /** the portal's origin, e.g. http://127.0.0.1:41234 */
  url: string;
  browser: Browser;
  /** a fresh browser context (its own cookies) and page; closed with the portal */
  newPage(opts?: { width?: number; height?: number; timezoneId?: string }): Promise<Page>;
  /** signs the page in with an API token (the admin's by default) through the sign-in form */
  signIn(page: Page, token?: string): Promise<void>;
  /** saves a full-page screenshot as test-results/screenshots/<name>.png */
  screenshot(page: Page, name: string): Promise<void>;
  /** the portal's output so far (for failure messages) */
  output(): string;
  close(): Promise<void>;
}

export async function startTestPortal(opts: { focusEnv?: Record<string, string> } = {}): Promise<TestPortal> {
  if (!existsSync(join(web, ".next", "BUILD_ID"))) {
    throw new Error("the portal is not built: run `npm run build -w @dcon/web` (npm test does it first)");
  }
  const focus = await startTestFocus({ env: opts.focusEnv ?? {} });
  let server: ChildProcess | null = null;
  let browser: Browser | null = null;
  const contexts: BrowserContext[] = [];
  let out = "";
  try {
    const port = await freePort();
    const nextBin = join(repo, "node_modules", "next", "dist", "bin", "next");
    server = spawn(process.execPath, [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: web,
      env: { ...process.env, NODE_OPTIONS: "", NEXT_TELEMETRY_DISABLED: "1", FOCUS_URL: focus.url, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout!.on("data", (d) => (out += d));
    server.stderr!.on("data", (d) => (out += d));
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/sign-in`, 30_000, () => out, server);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    mkdirSync(SCREENSHOTS, { recursive: true });
    const b = browser;
    const s = server;
    return {
      focus,
      url,
      browser: b,
      async newPage({ width = 1280, height = 900, timezoneId = "Europe/Rome" } = {}) {
        const context = await b.newContext({ baseURL: url, viewport: { width, height }, timezoneId, locale: "en-GB" });
        // the zone the portal would learn from the page's first load (whose refresh would race the test's next step)
        await context.addCookies([{ name: "dcon_tz", value: encodeURIComponent(timezoneId), url }]);
        contexts.push(context);
        return context.newPage();
      },
      async signIn(page, token = ADMIN_TOKEN) {
        await page.goto("/sign-in");
        await page.getByLabel("Token", { exact: true }).fill(token);
        await page.getByRole("button", { name: "Sign in with token" }).click();
        await page.waitForURL((u) => !u.pathname.startsWith("/sign-in"));
      },
      async screenshot(page, name) {
        await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      },
      output: () => out,
      async close() {
        await Promise.allSettled(contexts.map((c) => c.close()));
        await b.close().catch(() => {});
        s.kill("SIGTERM");
        await focus.close();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => {});
    server?.kill("SIGKILL");
    await focus.close();
    throw err;
  }
}

async function waitForHttp(url: string, timeoutMs: number, output: () => string, child: ChildProcess): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the portal exited (${child.exitCode}) before serving:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`the portal did not serve ${url} in ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
