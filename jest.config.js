// Jest 30 in ESM mode with @swc/jest (run with NODE_OPTIONS=--experimental-vm-modules, as the npm scripts do).
const transform = { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } }, module: { type: "es6" } }] };
const common = { extensionsToTreatAsEsm: [".ts"], transform, testEnvironment: "node", moduleFileExtensions: ["ts", "js", "mjs", "json"] };

export default {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/**/src/**/*.test.ts", "<rootDir>/web/lib/**/*.test.ts"], testPathIgnorePatterns: ["/node_modules/"] },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/*/test/**/*.test.ts"],
      // The integration suite runs twice, on SQLite and on PostgreSQL. The portal's browser tests and the soak
      // run on SQLite only: the portal is a client of the GraphQL API, whose behaviour on PostgreSQL the api/
      // suites cover, and the soak's long variant takes `--database-url` for PostgreSQL (CI stays well
      // under its time budget this way).
      testPathIgnorePatterns: process.env.TEST_DB === "postgres" ? ["/node_modules/", "<rootDir>/web/test/", "<rootDir>/api/test/soak.test.ts"] : ["/node_modules/"],
      globalSetup: "<rootDir>/api/test/support/global-setup.ts",
      globalTeardown: "<rootDir>/api/test/support/global-teardown.ts",
    },
  ],
  testTimeout: 30000,
};
