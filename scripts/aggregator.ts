// npm run aggregator -- --config <file.toml> [--json]: a DTS aggregator as a process (see
// src/roles/aggregator.ts). Progress for people on stderr; with --json one JSON object per
// line on stdout per notable action ({"event":"aggregated",...}, {"event":"settled",...}).
// Exits 0 after a clean stop on SIGINT/SIGTERM, non-zero with one clear line on a bad
// configuration or a node that stays unreachable.
import { Command } from "commander";
import { ConfigError, connect, loadConfig } from "../src/roles/config.js";
import { RoleStore } from "../src/roles/watchtower-store.js";
import { Aggregator } from "../src/roles/aggregator.js";

const program = new Command()
  .name("npm run aggregator --")
  .description("Run a DTS aggregator: combine the partials of every request robustly, submit the aggregate, settle the fee after its claim window.")
  .requiredOption("-c, --config <file>", "role configuration (TOML: [chain], [account], [aggregator])")
  .option("--json", "one JSON object per line on stdout per notable action")
  .parse();
const options = program.opts<{ config: string; json?: boolean }>();

const say = (line: string) => process.stderr.write(`aggregator: ${line}\n`);
const emit = (event: object) => {
  if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
};
function fail(message: string): never {
  process.stderr.write(`aggregator: ${message}\n`);
  process.exit(1);
}
const message = (error: unknown) => (error instanceof Error ? error.message.split("\n")[0]! : String(error));

let config;
try {
  config = loadConfig(options.config);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : `cannot load ${options.config}: ${message(error)}`);
}
if (!config.aggregator) fail(`${options.config}: missing section [aggregator] (database)`);
const section = config.aggregator;

let connection;
try {
  connection = await connect(config);
} catch (error) {
  fail(message(error));
}
const { client, backend, address } = connection;
try {
  const tip = await backend.blockHeight();
  const cfg = await client.getConfig();
  say(`node ${config.chain.nodeUrl ?? config.chain.network} at block ${tip}; contract ${config.chain.contractId} ${cfg.initialized ? "initialized" : "not initialized yet"}`);
} catch (error) {
  fail(`cannot use the node for ${config.chain.contractId}: ${message(error)}`);
}

let store: RoleStore;
try {
  store = RoleStore.open(section.database, "aggregator");
} catch (error) {
  fail(message(error));
}
const aggregator = new Aggregator({
  client,
  store,
  pollIntervalMs: config.chain.pollIntervalMs,
  log: say,
  onAction: emit,
});
// Signals are handled from here on, also while start() bonds or reads the node.
let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping`);
  aggregator
    .stop()
    .then(() => {
      store.close();
      emit({ event: "stopped", signal });
      process.exit(0);
    })
    .catch((error: unknown) => fail(`stop failed: ${message(error)}`));
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

try {
  await aggregator.start();
} catch (error) {
  store.close();
  fail(message(error));
}
say(`running as ${address}, database ${section.database}`);
emit({ event: "started", aggregator: address, contract: config.chain.contractId, from: aggregator.next });
