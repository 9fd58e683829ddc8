// npm run aggregator -- --config <file.toml> [--json]: a DTS aggregator as a process (see
// src/roles/aggregator.ts). Progress for people on stderr; with --json one JSON object per
// line on stdout per notable action ({"event":"aggregated",...}, {"event":"settled",...}).
// Exits 0 after a clean stop on SIGINT/SIGTERM, non-zero with one clear line on a bad
// configuration or a node that stays unreachable (src/roles/process.ts).
import { Command } from "commander";
import { Aggregator } from "../src/roles/aggregator.js";
import { runRoleProcess } from "../src/roles/process.js";

const options = new Command()
  .name("npm run aggregator --")
  .description("Run a DTS aggregator: combine the partials of every request robustly, submit the aggregate, settle the fee after its claim window.")
  .requiredOption("-c, --config <file>", "role configuration (TOML: [chain], [account], [aggregator])")
  .option("--json", "one JSON object per line on stdout per notable action")
  .parse()
  .opts<{ config: string; json?: boolean }>();

await runRoleProcess(
  {
    name: "aggregator",
    section: (config) => config.aggregator,
    sectionHelp: "database",
    create: ({ connection, config, store, say, emit }) =>
      new Aggregator({ client: connection.client, store, pollIntervalMs: config.chain.pollIntervalMs, log: say, onAction: emit }),
  },
  options,
);
