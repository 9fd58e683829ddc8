// npm run watchtower -- --config <file.toml> [--json]: a DTS watchtower as a process (see
// src/roles/watchtower.ts). Progress for people on stderr; with --json one JSON object per
// line on stdout per notable action ({"event":"claimed",...}, {"event":"penalized",...}).
// Exits 0 after a clean stop on SIGINT/SIGTERM, non-zero with one clear line on a bad
// configuration or a node that stays unreachable (src/roles/process.ts).
import { Command } from "commander";
import { Watchtower } from "../src/roles/watchtower.js";
import { runRoleProcess } from "../src/roles/process.js";

const options = new Command()
  .name("npm run watchtower --")
  .description("Run a DTS watchtower: verify every partial and aggregate, claim invalid ones, penalize missed signatures, report metrics.")
  .requiredOption("-c, --config <file>", "role configuration (TOML: [chain], [account], [watchtower])")
  .option("--json", "one JSON object per line on stdout per notable action")
  .parse()
  .opts<{ config: string; json?: boolean }>();

await runRoleProcess(
  {
    name: "watchtower",
    section: (config) => config.watchtower,
    sectionHelp: "database, bond, report",
    create: ({ connection, config, section, store, say, emit }) =>
      new Watchtower({
        client: connection.client,
        store,
        bond: section.bond,
        report: section.report,
        pollIntervalMs: config.chain.pollIntervalMs,
        log: say,
        onAction: emit,
      }),
    describe: (section) => `bond ${section.bond ? "on" : "off"}, reports ${section.report ? "on" : "off"}`,
  },
  options,
);
