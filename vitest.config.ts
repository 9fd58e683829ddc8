/// <reference types="vitest" />
import { defineConfig } from "vitest/config";
import { getClarinetVitestsArgv, vitestSetupFilePath } from "@stacks/clarinet-sdk/vitest";

// Two projects that run together, two test files at a time (this machine has two cores):
// the contract suites in the Clarinet environment (a fresh simnet per test), the off-chain
// suites (crypto, roles, processes) in plain Node.
export default defineConfig({
  test: {
    // The simnet logs every print event; show logs only for failing tests.
    silent: "passed-only",
    projects: [
      {
        test: {
          name: "contract",
          include: ["tests/*.test.ts"],
          // vitest-environment-clarinet with one coverage and costs file per worker;
          // tests/env/reports.ts merges them into lcov.info and costs-reports.json.
          environment: "./tests/env/clarinet-workers.ts",
          globalSetup: ["./tests/env/reports.ts"],
          pool: "forks",
          // Not isolated: a worker loads the simnet once for all the files it runs (each
          // test still gets a fresh session), about 4x faster than a new worker per file.
          maxWorkers: 2,
          isolate: false,
          // Suites with real BLS (DKG, reshare, 128 signers) take seconds on a loaded 2-core machine.
          testTimeout: 60_000,
          setupFiles: [vitestSetupFilePath],
          environmentOptions: { clarinet: { ...(await getClarinetVitestsArgv()), includeBootContracts: false, bootContractsPath: "" } },
        },
      },
      {
        test: {
          name: "node",
          include: ["tests/crypto/**/*.test.ts", "tests/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          // Projects that run together must have the same worker count.
          maxWorkers: 2,
        },
      },
    ],
  },
});
