/** Entry point: `npm start`. Validates the configuration, migrates, serves, and shuts down cleanly on a signal. */
import { loadConfig, ConfigError } from "./config.ts";
import { createLogger } from "./logger.ts";
import { startFocus } from "./server.ts";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`focus: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  // Signals are handled from the first moment: a stop asked for during start-up waits for the start, then closes.
  const starting = startFocus(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      log.error("shutdown timed out; exiting");
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    starting.then((focus) => focus.close()).then(() => process.exit(0), (err) => {
      log.error({ err }, "shutdown failed");
      process.exit(1);
    });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  const focus = await starting;
  if (focus.bootstrapSecret) {
    // Printed once, on the terminal only: the store keeps just its hash.
    process.stdout.write(
      `\n  First start: an admin token was created. It is shown once; keep it.\n\n    ${focus.bootstrapSecret}\n\n` +
      `  Use it as  Authorization: Bearer <token>  on ${focus.url}/graphql\n\n`,
    );
  }
}

main().catch((err) => {
  process.stderr.write(`focus: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
