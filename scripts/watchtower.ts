// npm run watchtower -- --config <file.toml> [--json]: a DTS watchtower as a process (see
// src/roles/watchtower.ts). Progress for people on stderr; with --json one JSON object per
// line on stdout per notable action ({"event":"claimed",...}, {"event":"penalized",...}).
// Exits 0 after a clean stop on SIGINT/SIGTERM, non-zero with one clear line on a bad
// configuration or a node that stays unreachable.
import { Command } from "commander";
import { ConfigError, connect, loadConfig } from "../src/roles/config.js";
import { RoleStore } from "../src/roles/watchtower-store.js";
import { Watchtower } from "../src/roles/watchtower.js";

const program = new Command()
  .name("npm run watchtower --")
  .description("Run a DTS watchtower: verify every partial and aggregate, claim invalid ones, penalize missed signatures, report metrics.")
  .requiredOption("-c, --config <file>", "role configuration (TOML: [chain], [account], [watchtower])")
  .option("--json", "one JSON object per line on stdout per notable action")
  .parse();
const options = program.opts<{ config: string; json?: boolean }>();

const say = (line: string) => process.stderr.write(`watchtower: ${line}\n`);
const emit = (event: object) => {
  if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
};
function fail(message: string): never {
  process.stderr.write(`watchtower: ${message}\n`);
  process.exit(1);
}
const message = (error: unknown) => (error instanceof Error ? error.message.split("\n")[0]! : String(error));

let config;
try {
  config = loadConfig(options.config);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : `cannot load ${options.config}: ${message(error)}`);
}
if (!config.watchtower) fail(`${options.config}: missing section [watchtower] (database, bond, report)`);
const section = config.watchtower;

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
  store = RoleStore.open(section.database, "watchtower");
} catch (error) {
  fail(message(error));
}
const tower = new Watchtower({
  client,
  store,
  bond: section.bond,
  report: section.report,
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
  tower
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
  await tower.start();
} catch (error) {
  store.close();
  fail(message(error));
}
say(`running as ${address} (bond ${section.bond ? "on" : "off"}, reports ${section.report ? "on" : "off"}), database ${section.database}`);
emit({ event: "started", watchtower: address, contract: config.chain.contractId, from: tower.next });
