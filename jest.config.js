// Two lanes, told apart by the test file's name:
// - unit (`npm run test:unit`): everything else; runs inside jest alone (no emulator, terraform or
//   build): 75 s for 1,047 tests on 2 idle cores, nearer two minutes beside other work
//   (docs/performance.md); the stack tests, which synthesize whole environments, take most of it.
// - integration (`npm run test:integration`): `*.emulator.test.ts` (the Pub/Sub or BigQuery emulator),
//   `*.terraform.test.ts` (terraform with the google provider built from source) and
//   `*.integration.test.ts` (another real program: the worker, the demo, Checkov, the ZetaSQL server,
//   a foreign project's build).
// `npm test` runs both.
const INTEGRATION = "\\.(emulator|terraform|integration)\\.test\\.ts$";

/** @type {import('jest').Config} */
const shared = {
  testEnvironment: "node",
  roots: ["<rootDir>/test", "<rootDir>/app-worker/test"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  testTimeout: 120000,
  projects: [
    {
      ...shared,
      displayName: "unit",
      testMatch: ["**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", INTEGRATION],
    },
    { ...shared, displayName: "integration", testRegex: INTEGRATION },
  ],
};
