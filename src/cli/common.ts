// What the deploy script and the `dts` CLI share: network, node, key and fee options, output
// in human and --json form, and one error path that names contract errors and never prints
// a secret (keys are read from the environment or files and only ever held in memory).
import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { privateKeyToAddress } from "@stacks/transactions";
import { ContractCallError, toJson } from "../chain/clarity.js";
import { ArgumentError, BroadcastRejectedError, NodeError, TransactionFailedError, TxTimeoutError } from "../chain/errors.js";
import { HttpBackend, NETWORKS, defaultNodeUrl, type HttpNetworkName } from "../chain/http.js";
import { KeyError, askHidden, loadPrivateKey } from "../chain/keys.js";

/** Clarinet's standard devnet deployer (settings/Devnet.toml), the default devnet contract owner. */
export const DEVNET_DEPLOYER = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";

export interface CommonOptions {
  network: HttpNetworkName;
  nodeUrl?: string;
  json?: boolean;
  mnemonicFile?: string;
  keystore?: string;
  accountIndex?: number;
  fee?: bigint;
  nonce?: bigint;
  timeout: number;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function parseMicroStx(value: string): bigint {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("must be a whole number of micro-STX");
  return BigInt(value);
}

function parseNonce(value: string): bigint {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("must be a non-negative integer");
  return BigInt(value);
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

function parseIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new InvalidArgumentError("must be an integer 0..1000");
  return n;
}

/** Adds --network, --node-url, key sources, --fee, --nonce, --timeout and --json. */
export function addCommonOptions(command: Command): Command {
  return command
    .addOption(new Option("--network <name>", "devnet, testnet or mainnet").choices(["devnet", "testnet", "mainnet"]).default("devnet"))
    .option("--node-url <url>", "node / Hiro API base URL (default: devnet http://127.0.0.1:3999, testnet/mainnet the public Hiro API)")
    .option("--mnemonic-file <path>", "read the sending key from a file holding a BIP-39 mnemonic")
    .option("--keystore <path>", "read the sending key from an encrypted keystore (password: DTS_KEYSTORE_PASSWORD or a prompt)")
    .option("--account-index <n>", "account index within the mnemonic", parseIndex)
    .option("--fee <micro-stx>", "transaction fee (default: the node's estimate)", parseMicroStx)
    .option("--nonce <n>", "transaction nonce (default: the account's next nonce)", parseNonce)
    .option("--timeout <seconds>", "how long to wait for a transaction", parsePositive, 600)
    .option("--json", "print JSON instead of text");
}

export function nodeUrlOf(options: CommonOptions): string {
  if (options.nodeUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.nodeUrl);
    } catch {
      throw new UsageError(`--node-url is not a URL: ${options.nodeUrl}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError("--node-url must be http:// or https://");
    return options.nodeUrl.replace(/\/+$/, "");
  }
  return defaultNodeUrl(options.network);
}

/** The sending key from the options and environment, or null if none is given. */
export async function keyOf(options: CommonOptions): Promise<string | null> {
  return loadPrivateKey({
    mnemonicFile: options.mnemonicFile,
    keystore: options.keystore,
    accountIndex: options.accountIndex,
    askPassword: process.stdin.isTTY ? askHidden : undefined,
  });
}

export async function requireKey(options: CommonOptions): Promise<{ key: string; address: string }> {
  const key = await keyOf(options);
  if (!key) throw new UsageError("no key: set DTS_PRIVATE_KEY or DTS_MNEMONIC, or pass --mnemonic-file or --keystore");
  return { key, address: privateKeyToAddress(key, NETWORKS[options.network]) };
}

export function backendFor(options: CommonOptions, contractId: string, keys: string[] = []): HttpBackend {
  return new HttpBackend({
    network: options.network,
    nodeUrl: nodeUrlOf(options),
    contractId,
    keys,
    fee: options.fee,
    // A fresh devnet has no fee history to estimate from.
    fallbackFee: options.network === "devnet" ? 10_000n : undefined,
    txTimeoutMs: options.timeout * 1000,
    pollIntervalMs: options.network === "devnet" ? 250 : 2000,
  });
}

/** Converts bigints for JSON and drops nothing: the same data as the human form. */
export function print(value: unknown, json: boolean | undefined, human: () => string): void {
  process.stdout.write(`${json ? toJson(value) : human()}\n`);
}

/** Renders a decoded value for people: records one field a line, bigints as digits. */
export function humanValue(value: unknown, indent = ""): string {
  if (value === null) return "none";
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((v) => typeof v !== "object" || v === null)) return value.map((v) => humanValue(v)).join(", ");
    return value.map((v) => `\n${indent}- ${humanValue(v, `${indent}  `)}`).join("");
  }
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => {
        const text = humanValue(v, `${indent}  `);
        return typeof v === "object" && v !== null && !Array.isArray(v) ? `\n${indent}${k}:${text}` : `\n${indent}${k}: ${text}`;
      })
      .join("");
  }
  return String(value);
}

/** An error as one line for people and as JSON, with the contract error's name when it has one. */
export function describeError(error: unknown): { message: string; json: Record<string, unknown> } {
  if (error instanceof ContractCallError) {
    const name = error.message.match(/failed with (\S+)/)?.[1] ?? "unknown error";
    return { message: error.message, json: { ok: false, function: error.fn, error: name, code: error.code } };
  }
  if (error instanceof BroadcastRejectedError)
    return { message: error.message, json: { ok: false, error: "rejected", reason: error.reason, reasonData: error.reasonData } };
  if (error instanceof TransactionFailedError) return { message: error.message, json: { ok: false, error: "failed", txid: error.txid, status: error.status } };
  if (error instanceof TxTimeoutError) return { message: error.message, json: { ok: false, error: "timeout", txid: error.txid } };
  if (error instanceof ArgumentError || error instanceof UsageError || error instanceof KeyError || error instanceof InvalidArgumentError)
    return { message: error.message, json: { ok: false, error: "usage", message: error.message } };
  if (error instanceof NodeError) return { message: error.message, json: { ok: false, error: "node", message: error.message } };
  const message = error instanceof Error ? error.message : String(error);
  return { message, json: { ok: false, error: "error", message } };
}

/** The project's version, for --version: package.json's, so that a release cannot forget it. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

/** Makes commander throw its errors instead of exiting 1, on a command and every subcommand. */
function throwCommanderErrors(command: Command): void {
  command.exitOverride();
  command.commands.forEach(throwCommanderErrors);
}

/**
 * Whether the command line asks for JSON. Commander stops at its first error, so an option
 * after the mistake (`--fee abc --json`) is never parsed: the words before `--` are looked at.
 */
function asksForJson(argv: string[]): boolean {
  const words = argv.slice(2);
  const end = words.indexOf("--");
  return (end < 0 ? words : words.slice(0, end)).includes("--json");
}

/** Commander's message without its "error: " prefix; for a missing command it has only "(outputHelp)". */
function usageMessage(error: CommanderError): string {
  if (error.code === "commander.help") return "no command given (--help lists them)";
  return error.message.replace(/^error: /, "");
}

/**
 * Parses argv (node, script, words...) and runs the chosen command. Commander's own errors
 * (missing or extra argument, unknown command or option, bad option value), already printed
 * by commander to stderr, exit 2 as the README's "bad usage", with --json also as JSON on
 * stdout; --help and --version exit 0.
 */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  throwCommanderErrors(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return;
    // Commander printed only the help for a missing command: say what was wrong.
    if (error.code === "commander.help") process.stderr.write(`error: ${usageMessage(error)}\n`);
    if (asksForJson(argv)) process.stdout.write(`${toJson({ ok: false, error: "usage", message: usageMessage(error) })}\n`);
    process.exitCode = 2;
  }
}

/** Runs a CLI action: errors go to stderr (and as JSON to stdout with --json), exit code 1 (2 for usage and key errors). */
export async function runAction(json: boolean | undefined, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    const { message, json: body } = describeError(error);
    if (json) process.stdout.write(`${toJson(body)}\n`);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = error instanceof UsageError || error instanceof ArgumentError || error instanceof KeyError ? 2 : 1;
  }
}
