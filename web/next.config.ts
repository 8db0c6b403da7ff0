import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const here = path.dirname(fileURLToPath(import.meta.url));

const config: NextConfig = {
  // The workspace's packages are hoisted to the repository root, so Turbopack must resolve from there.
  turbopack: { root: path.join(here, "..") },
  poweredByHeader: false,
  // The portal talks to the focus from its server; nothing is fetched from elsewhere (no fonts, no telemetry).
  images: { unoptimized: true },
};

export default config;
