// A DTS signer node as a process: `tsx scripts/signer.ts --config signer.toml [--json]`.
// Progress lines on stderr (never a secret); with --json, one JSON object per notable action
// on stdout. Exits 0 after a clean stop on SIGINT/SIGTERM; 1 with a one-line message on a
// bad configuration, a wrong password or an unreachable node. See examples/testnet/signer.toml.
import { ConfigError, loadConfig } from "../src/roles/config.js";
import { SignerError, SignerNode } from "../src/roles/signer.js";
import { StoreError } from "../src/roles/store.js";

const HELP = `usage: signer --config <file.toml> [--json]

Runs a DTS signer node: registers its BLS identity key (if [signer] register = true), takes
part in the DKG and resharing of its epochs, and signs every request of its epochs.

  --config <file>  the role configuration (TOML: [chain], [account], [signer])
  --json           one JSON object per notable action on stdout
  --help           this text
`;

function parseArgs(argv: string[]): { config: string; json: boolean } {
  let config: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (a === "--json") json = true;
    else if (a === "--config") config = argv[++i];
    else if (a.startsWith("--config=")) config = a.slice("--config=".length);
    else throw new ConfigError(`unknown argument ${a} (see --help)`);
  }
  if (!config) throw new ConfigError("--config <file.toml> is required (see --help)");
  return { config, json };
}

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} signer: ${line}\n`);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig(args.config);
  const node = new SignerNode({
    config,
    log,
    emit: args.json ? (event) => process.stdout.write(`${JSON.stringify(event, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}\n`) : undefined,
  });
  let stopping: Promise<void> | null = null;
  const shutdown = (signal: string) => {
    if (stopping) return;
    log(`${signal}: stopping after the current step`);
    stopping = node.stop().then(
      () => process.exit(0),
      (e) => {
        log(`error while stopping: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  await node.start();
}

main().catch((e) => {
  const known = e instanceof ConfigError || e instanceof SignerError || e instanceof StoreError;
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`error: ${known ? message : `${e?.name ?? "Error"}: ${message}`}\n`);
  process.exit(1);
});
