// Global setup of the contract suites. Before the run: empties the per-worker report folder
// and removes the merged reports of an earlier run (so that a stale lcov.info can never pass
// the coverage check). After it: merges the workers' coverage (lcov records, concatenated:
// scripts/check-coverage.ts, like every lcov reader, sums the records of one source file)
// into lcov.info and their cost reports (JSON arrays) into costs-reports.json (or the files
// named by --coverage-filename / --costs-filename).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** Where each worker of the contract suites writes its reports (tests/env/clarinet-workers.ts). */
export const REPORT_DIR = join(ROOT, ".cache", "contract-reports");

interface ClarinetOptions {
  coverage?: boolean;
  costs?: boolean;
  coverageFilename?: string;
  costsFilename?: string;
}

const target = (name: string | undefined, fallback: string) => resolve(ROOT, name ?? fallback);

export function setup(project: TestProject) {
  const options = ((project.config.environmentOptions ?? {}) as { clarinet?: ClarinetOptions }).clarinet ?? {};
  rmSync(REPORT_DIR, { recursive: true, force: true });
  mkdirSync(REPORT_DIR, { recursive: true });
  if (options.coverage) rmSync(target(options.coverageFilename, "lcov.info"), { force: true });
  if (options.costs) rmSync(target(options.costsFilename, "costs-reports.json"), { force: true });
  return () => merge(options);
}

function merge(options: ClarinetOptions) {
  if (!existsSync(REPORT_DIR)) return;
  const files = readdirSync(REPORT_DIR).sort();
  const lcov = files.filter((f) => f.startsWith("lcov-"));
  const costs = files.filter((f) => f.startsWith("costs-"));
  if (options.coverage && lcov.length > 0) {
    const records = lcov.map((f) => readFileSync(join(REPORT_DIR, f), "utf8").trim()).filter((text) => text.length > 0);
    writeFileSync(target(options.coverageFilename, "lcov.info"), `${records.join("\n")}\n`);
  }
  if (options.costs && costs.length > 0) {
    const merged = costs.flatMap((f) => JSON.parse(readFileSync(join(REPORT_DIR, f), "utf8")) as unknown[]);
    writeFileSync(target(options.costsFilename, "costs-reports.json"), JSON.stringify(merged, null, 2));
  }
  rmSync(REPORT_DIR, { recursive: true, force: true });
}
