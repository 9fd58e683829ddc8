// The clarinet test environment (vitest-environment-clarinet), with one coverage and one
// costs file per worker instead of one file for all: the contract suites can then run in
// several workers at once, and tests/env/reports.ts merges the files into lcov.info and
// costs-reports.json when the run ends. Each test still gets a fresh simnet (the SDK's
// setup file calls initSession before every test).
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Environment } from "vitest/environments";
import clarinet from "vitest-environment-clarinet";
import { REPORT_DIR } from "./reports.js";

const base: Environment = clarinet;

export default {
  ...base,
  name: "clarinet-workers",
  async setup(global, options) {
    const id = `${process.pid}-${randomBytes(4).toString("hex")}`;
    const clarinetOptions = {
      ...(options.clarinet as Record<string, unknown>),
      coverageFilename: join(REPORT_DIR, `lcov-${id}.info`),
      costsFilename: join(REPORT_DIR, `costs-${id}.json`),
    };
    return base.setup(global, { ...options, clarinet: clarinetOptions });
  },
} satisfies Environment;
