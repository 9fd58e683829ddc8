/// <reference types="vitest" />
import { defineConfig } from "vitest/config";
import { getClarinetVitestsArgv, vitestSetupFilePath } from "@stacks/clarinet-sdk/vitest";

// Two projects: the contract suites run in the Clarinet environment (a fresh simnet per
// test); the off-chain suites (crypto, roles) run in plain Node.
export default defineConfig({
  test: {
    // The simnet logs every print event; show logs only for failing tests.
    silent: "passed-only",
    projects: [
      {
        test: {
          name: "contract",
          include: ["tests/*.test.ts"],
          environment: "clarinet",
          pool: "forks",
          // One worker, not isolated: the clarinet environment then merges coverage and
          // costs over every contract suite (each test still gets a fresh simnet), and the
          // suites run about 4x faster than one worker per file.
          maxWorkers: 1,
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
          // Most of these suites wait on blocks of a local node or on child processes, not
          // on the CPU: two files at a time roughly halve the wall time on 2 cores.
          maxWorkers: 2,
          // Projects with different worker counts run as separate groups: the contract suites first.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
