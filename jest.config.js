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
      testPathIgnorePatterns: ["/node_modules/"],
      globalSetup: "<rootDir>/api/test/support/global-setup.ts",
      globalTeardown: "<rootDir>/api/test/support/global-teardown.ts",
    },
  ],
  testTimeout: 30000,
};
