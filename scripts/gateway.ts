// npm run gateway -- --config <file.toml> [--json]: the DTS HTTP gateway as a process.
// Progress for people on stderr; with --json one JSON object per line on stdout per notable
// action ({"event":"listening","url":...} once it serves). Exits 0 after a clean stop on
// SIGINT/SIGTERM, non-zero with one clear line on a bad configuration, a port in use or a
// node that stays unreachable.
import { Command } from "commander";
import { ConfigError, loadConfig } from "../src/roles/config.js";
import { createGateway } from "../src/gateway/index.js";

const program = new Command()
  .name("npm run gateway --")
  .description("Serve the DTS HTTP API (POST /sign, GET /status/:id, /signature/:id, /health, /metrics, /) for one account.")
  .requiredOption("-c, --config <file>", "role configuration (TOML: [chain], [account], [gateway])")
  .option("--json", "one JSON object per line on stdout per notable action")
  .parse();
const options = program.opts<{ config: string; json?: boolean }>();

const say = (line: string) => process.stderr.write(`gateway: ${line}\n`);
const emit = (event: Record<string, unknown>) => {
  if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
};

function fail(message: string): never {
  process.stderr.write(`gateway: ${message}\n`);
  process.exit(1);
}

let config;
try {
  config = loadConfig(options.config);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : `cannot load ${options.config}: ${(error as Error).message}`);
}
if (!config.gateway) say("no [gateway] section: serving on 127.0.0.1:8080 with a default fee of 1000000 uSTX");

let gateway;
try {
  gateway = await createGateway(config, { log: say, emit });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

// The node must answer (the backend retries transient failures) and hold the contract.
try {
  const tip = await gateway.options.backend.blockHeight();
  const cfg = await gateway.options.client.getConfig();
  say(`node ${config.chain.nodeUrl ?? config.chain.network} at block ${tip}; contract ${config.chain.contractId} ${cfg.initialized ? "initialized" : "not initialized yet"}`);
} catch (error) {
  fail(`cannot use the node for ${config.chain.contractId}: ${error instanceof Error ? error.message : String(error)}`);
}

let url: string;
try {
  url = await gateway.start();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
// Signals are handled before the gateway says it listens: a supervisor may stop it at once.
let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping`);
  gateway
    .stop()
    .then(() => {
      emit({ event: "stopped", signal });
      process.exit(0);
    })
    .catch((error: unknown) => fail(`stop failed: ${error instanceof Error ? error.message : String(error)}`));
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

say(`listening on ${url} as ${gateway.options.address}`);
emit({ event: "listening", url, address: gateway.options.address, contract: config.chain.contractId });
