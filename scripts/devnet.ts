// npm run devnet: a local Stacks node (simnet behind the Stacks node RPC and Hiro API subsets).
import { Command, InvalidArgumentError } from "commander";
import { startDevnet } from "../src/devnet/index.js";

const integer = (min: number, max: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`expected a whole number in ${min}..${max}`);
  return parsed;
};

const program = new Command()
  .name("npm run devnet --")
  .description("Run a local Stacks node for development on the embedded simnet, with the accounts of settings/Devnet.toml.")
  .option("-p, --port <port>", "port (0 = any free port)", integer(0, 65535), 3999)
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .option("--block-time <ms>", "mine a block every <ms> milliseconds (0 = only on POST /devnet/mine)", integer(0, 86_400_000), 2000)
  .option("--no-deploy", "start without the dts contract (deploy it through POST /v2/transactions)")
  .option("--manifest <path>", "Clarinet.toml of the project", "./Clarinet.toml")
  .option("--json", "print {url, contractId, accounts} as one JSON line on stdout once ready")
  .parse();

const options = program.opts<{ port: number; host: string; blockTime: number; deploy: boolean; manifest: string; json?: boolean }>();
// Lines go through process.stdout/stderr directly: the simnet silences console.log while it works.
const say = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);

try {
  const devnet = await startDevnet({
    port: options.port,
    host: options.host,
    blockTimeMs: options.blockTime,
    deployContract: options.deploy,
    manifest: options.manifest,
    log: say,
  });
  // Signals are handled before the node says it is ready: a supervisor may stop it at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    devnet.close().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`devnet: close failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  const accounts = devnet.accounts.map((a) => ({ name: a.name, address: a.address }));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ url: devnet.url, contractId: devnet.contractId, accounts })}\n`);
  } else {
    say(`contract ${devnet.contractId}${options.deploy ? "" : " (not deployed: --no-deploy)"}`);
    say(`accounts (mnemonics in settings/Devnet.toml): ${accounts.map((a) => `${a.name} ${a.address}`).join(", ")}`);
    say(options.blockTime > 0 ? `mining a block every ${options.blockTime} ms; Ctrl-C stops` : "mining on POST /devnet/mine only; Ctrl-C stops");
  }
} catch (error) {
  process.stderr.write(`devnet failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
