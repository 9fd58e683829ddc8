// What every role process shares (scripts/watchtower.ts, scripts/aggregator.ts): read the
// configuration, connect, check the node, open the role's database, start the role, stop it
// cleanly on SIGINT/SIGTERM. Progress for people on stderr; with --json one JSON object per
// line on stdout per notable action. Exits 0 after a clean stop, 1 with one clear line on a
// bad configuration or a node that stays unreachable.
import { ConfigError, connect, loadConfig, type Connection, type RoleConfig } from "./config.js";
import { RoleStore } from "./watchtower-store.js";

/** A role as the process runs it. */
export interface RunnableRole {
  readonly next: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RoleProcessSpec<S extends { database: string }> {
  /** The role's name: its log prefix and its database's owner. */
  name: "watchtower" | "aggregator";
  /** The role's section of the configuration (undefined when the file has none). */
  section(config: RoleConfig): S | undefined;
  /** What the section must hold, for the error when it is missing. */
  sectionHelp: string;
  create(context: {
    connection: Connection;
    config: RoleConfig;
    section: S;
    store: RoleStore;
    say: (line: string) => void;
    emit: (event: object) => void;
  }): RunnableRole;
  /** Extra words for the "running" line. */
  describe?(section: S): string;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message.split("\n")[0]! : String(error));

export async function runRoleProcess<S extends { database: string }>(
  spec: RoleProcessSpec<S>,
  options: { config: string; json?: boolean },
): Promise<void> {
  const say = (line: string) => process.stderr.write(`${spec.name}: ${line}\n`);
  const emit = (event: object) => {
    if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
  };
  const fail = (message: string): never => {
    process.stderr.write(`${spec.name}: ${message}\n`);
    process.exit(1);
  };

  let config: RoleConfig;
  try {
    config = loadConfig(options.config);
  } catch (error) {
    return fail(error instanceof ConfigError ? error.message : `cannot load ${options.config}: ${firstLine(error)}`);
  }
  const section = spec.section(config);
  if (!section) return fail(`${options.config}: missing section [${spec.name}] (${spec.sectionHelp})`);

  let connection: Connection;
  try {
    connection = await connect(config);
  } catch (error) {
    return fail(firstLine(error));
  }
  try {
    const tip = await connection.backend.blockHeight();
    const contract = await connection.client.getConfig();
    say(`node ${config.chain.nodeUrl ?? config.chain.network} at block ${tip}; contract ${config.chain.contractId} ${contract.initialized ? "initialized" : "not initialized yet"}`);
  } catch (error) {
    return fail(`cannot use the node for ${config.chain.contractId}: ${firstLine(error)}`);
  }

  let store: RoleStore;
  try {
    store = RoleStore.open(section.database, spec.name);
  } catch (error) {
    return fail(firstLine(error));
  }
  const role = spec.create({ connection, config, section, store, say, emit });
  // Signals are handled from here on, also while start() bonds or reads the node.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    role
      .stop()
      .then(() => {
        store.close();
        emit({ event: "stopped", signal });
        process.exit(0);
      })
      .catch((error: unknown) => fail(`stop failed: ${firstLine(error)}`));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  try {
    await role.start();
  } catch (error) {
    store.close();
    fail(firstLine(error));
  }
  const extra = spec.describe ? ` (${spec.describe(section)})` : "";
  say(`running as ${connection.address}${extra}, database ${section.database}`);
  emit({ event: "started", [spec.name]: connection.address, contract: config.chain.contractId, from: role.next });
}
