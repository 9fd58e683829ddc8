// `dts`: one subcommand per contract function, generated from the client's function table
// (a new table entry is a new subcommand), plus `events`, `address` and `keystore-create`.
import { writeFileSync, existsSync } from "node:fs";
import { Command } from "commander";
import { privateKeyToAddress } from "@stacks/transactions";
import { NETWORKS } from "../chain/http.js";
import { ContractCallError } from "../chain/clarity.js";
import { DtsClient } from "../chain/client.js";
import { FUNCTIONS, type FunctionName, type FunctionSpec } from "../chain/functions.js";
import { encryptStacksKey, askHidden, KeyError } from "../chain/keys.js";
import { checkPrincipalText, cliParser } from "./args.js";
import type { ContractEvent } from "../chain/backend.js";
import {
  DEVNET_DEPLOYER,
  UsageError,
  addCommonOptions,
  backendFor,
  humanValue,
  print,
  requireKey,
  runAction,
  keyOf,
  packageVersion,
  runProgram,
  type CommonOptions,
} from "./common.js";

interface DtsOptions extends CommonOptions {
  contract?: string;
  sender?: string;
}

function contractOf(options: DtsOptions): string {
  const id = options.contract ?? process.env.DTS_CONTRACT ?? (options.network === "devnet" ? `${DEVNET_DEPLOYER}.dts` : undefined);
  if (!id) throw new UsageError("--contract <address.name> (or DTS_CONTRACT) is required on testnet and mainnet");
  const [address, name, ...rest] = id.split(".");
  if (!name || rest.length) throw new UsageError(`--contract must be <address>.<name>, got ${id}`);
  checkPrincipalText(address, "--contract's address");
  return id;
}

function eventJson(e: ContractEvent) {
  return { topic: e.topic, blockHeight: e.blockHeight, txid: e.txid, data: e.data };
}

function eventLine(e: ContractEvent): string {
  const fields = Object.entries(e.data)
    .filter(([k]) => k !== "topic")
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}` : x)) : String(v)}`);
  return `#${e.blockHeight} ${e.topic} ${fields.join(" ")}`;
}

/** rotate-signers' committee argument may be this word: the committee the chain yields now. */
export const AUTO_COMMITTEE = "auto";

/** The commands that are not contract functions, and what they touch (for the README's reference). */
export const OTHER_COMMANDS = { events: "read-only", address: "local", "keystore-create": "local" } as const;

function addFunctionCommand(program: Command, name: FunctionName): void {
  const spec = FUNCTIONS[name] as FunctionSpec;
  const command = program.command(name).description(`${spec.access === "public" ? "[tx] " : ""}${spec.help ?? ""}`);
  for (const a of spec.args) command.argument(`<${a.name}>`, name === "rotate-signers" ? `${a.hint}, or "${AUTO_COMMITTEE}" for the one get-ranking yields` : a.hint);
  if (spec.access === "read_only") command.option("--sender <principal>", "call as this principal (default: the contract's deployer)");
  addContractOptions(command);
  command.action(async (...params: unknown[]) => {
    const texts = params.slice(0, spec.args.length) as string[];
    const options = command.opts<DtsOptions>();
    await runAction(options.json, async () => {
      const contractId = contractOf(options);
      // rotate-signers auto: the committee the contract accepts now, read from the chain.
      const auto = name === "rotate-signers" && texts[0] === AUTO_COMMITTEE;
      const values = auto ? [await new DtsClient(backendFor(options, contractId)).proposedCommittee()] : spec.args.map((a, i) => cliParser(a)(texts[i]!, a.name));
      if (spec.access === "read_only") {
        const client = new DtsClient(backendFor(options, contractId), options.sender ? checkPrincipalText(options.sender, "--sender") : null);
        const value = await (client.read as (fn: string, ...args: unknown[]) => Promise<unknown>).call(client, name, ...values);
        print(value, options.json, () => humanValue(value).replace(/^\n/, ""));
        return;
      }
      const { key, address } = await requireKey(options);
      const client = new DtsClient(backendFor(options, contractId, [key]), address);
      const outcome = await client.send(name as never, values, { fee: options.fee, nonce: options.nonce, timeoutMs: options.timeout * 1000 });
      if (!outcome.ok) throw new ContractCallError(name, Number(outcome.value));
      const value = spec.result.decode(outcome.value, name);
      const result = { ok: true, function: name, value, txid: outcome.txid, blockHeight: outcome.blockHeight, fee: outcome.fee, nonce: outcome.nonce, sender: address, events: outcome.events.map(eventJson) };
      print(result, options.json, () =>
        [`${name}: ok ${humanValue(value)}`, `  txid ${outcome.txid} in block ${outcome.blockHeight}, fee ${outcome.fee} uSTX, nonce ${outcome.nonce}, from ${address}`]
          .concat(outcome.events.map((e) => `  event ${eventLine(e)}`))
          .join("\n"),
      );
    });
  });
}

export function addContractOptions(command: Command): Command {
  command.option("--contract <address.name>", `the DTS contract (default: DTS_CONTRACT; on devnet ${DEVNET_DEPLOYER}.dts)`);
  return addCommonOptions(command);
}

export function buildDtsProgram(): Command {
  const program = new Command("dts")
    .description("Call any function of the DTS contract on devnet, testnet or mainnet.\nKeys: DTS_PRIVATE_KEY, DTS_MNEMONIC, --mnemonic-file or --keystore. Contract: --contract or DTS_CONTRACT.")
    .version(packageVersion())
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) addFunctionCommand(program, name);

  const events = program.command("events").description("the contract's events, oldest first").option("--from <block>", "first block", "0").option("--topic <topic>", "only this topic").option("--follow", "keep polling for new events");
  addContractOptions(events).action(async () => {
    const options = events.opts<DtsOptions & { from: string; topic?: string; follow?: boolean }>();
    await runAction(options.json, async () => {
      if (!/^\d+$/.test(options.from)) throw new UsageError("--from must be a block height");
      const client = new DtsClient(backendFor(options, contractOf(options)));
      const show = (e: ContractEvent) => print(eventJson(e), options.json, () => eventLine(e));
      if (options.follow) {
        for await (const e of client.watch(Number(options.from), { intervalMs: options.network === "devnet" ? 500 : 5000 })) if (!options.topic || e.topic === options.topic) show(e);
      } else {
        const list = await client.events(Number(options.from), options.topic);
        if (options.json) print(list.map(eventJson), true, () => "");
        else list.forEach(show);
      }
    });
  });

  const address = program.command("address").description("the address of the configured key");
  addCommonOptions(address).action(async () => {
    const options = address.opts<DtsOptions>();
    await runAction(options.json, async () => {
      const { address: a } = await requireKey(options);
      print({ address: a, network: options.network }, options.json, () => a);
    });
  });

  const create = program
    .command("keystore-create")
    .description("encrypt the configured key (DTS_PRIVATE_KEY, DTS_MNEMONIC or --mnemonic-file) into a keystore file")
    .argument("<path>", "where to write the keystore (must not exist)");
  addCommonOptions(create).action(async (path: string) => {
    const options = create.opts<DtsOptions>();
    await runAction(options.json, async () => {
      if (options.keystore) throw new UsageError("keystore-create reads the key from DTS_PRIVATE_KEY, DTS_MNEMONIC or --mnemonic-file");
      if (existsSync(path)) throw new UsageError(`${path} exists; not overwriting it`);
      const key = await keyOf(options);
      if (!key) throw new UsageError("no key: set DTS_PRIVATE_KEY or DTS_MNEMONIC, or pass --mnemonic-file");
      let password = process.env.DTS_KEYSTORE_PASSWORD;
      if (password === undefined) {
        password = await askHidden("New keystore password: ");
        if ((await askHidden("Repeat the password: ")) !== password) throw new KeyError("the passwords differ");
      }
      writeFileSync(path, await encryptStacksKey(key, password, { scryptN: Number(process.env.DTS_KEYSTORE_SCRYPT_N ?? 2 ** 18) }), { mode: 0o600, flag: "wx" });
      const a = privateKeyToAddress(key, NETWORKS[options.network]);
      print({ keystore: path, address: a }, options.json, () => `wrote ${path} for ${a}`);
    });
  });
  return program;
}

export async function runDts(argv: string[]): Promise<void> {
  await runProgram(buildDtsProgram(), argv);
}
