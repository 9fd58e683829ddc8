// One TOML file per role process (signer node, watchtower, aggregator, gateway), the way
// stacks-signer is configured: the chain to follow, the account that sends transactions,
// and the role's own section. Parsed once, validated with messages that name the key.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { privateKeyToAddress } from "@stacks/transactions";
import { STACKS_DEVNET, STACKS_MAINNET, STACKS_TESTNET } from "@stacks/network";
import { HttpBackend, type HttpNetworkName } from "../chain/http.js";
import { loadPrivateKey } from "../chain/keys.js";
import { DtsClient } from "../chain/client.js";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface ChainConfig {
  network: HttpNetworkName;
  /** Stacks node / Hiro API base URL; default: the network's public one (devnet: 127.0.0.1:3999). */
  nodeUrl?: string;
  /** `<deployer>.<name>` of the DTS contract. */
  contractId: string;
  /** How often to look for new blocks and events, in ms. */
  pollIntervalMs: number;
  /** A fixed transaction fee in micro-STX; default: the node's estimate. */
  fee?: bigint;
}

/** Where the sending account's key comes from (exactly one source). */
export interface AccountConfig {
  /** Environment variable holding a hex private key. */
  privateKeyEnv?: string;
  /** File holding a BIP-39 mnemonic. */
  mnemonicFile?: string;
  /** Encrypted Stacks keystore (src/chain/keys.ts); its password in `passwordEnv`. */
  keystore?: string;
  passwordEnv?: string;
}

export interface SignerConfig {
  /** Encrypted keystore (src/crypto/keystore.ts) holding the BLS identity key and the shares. */
  identityKeystore: string;
  /** Environment variable holding that keystore's password. */
  passwordEnv: string;
  /** SQLite database of what the node signed and sent. */
  database: string;
  /** Register (lock min-stake) at start if not registered. */
  register: boolean;
  /** Also run the aggregator in this process. */
  aggregate: boolean;
  /** Call rotate-signers when a rotation is due. */
  rotate: boolean;
  /** Demo and tests only: submit invalid partials. */
  faulty: boolean;
  /**
   * K, the length in Stacks blocks of each DKG phase window (deal, complaint,
   * justification), counted from the committee-rotated block; every node derives the same
   * boundaries from the chain. Default: devnet 10, testnet and mainnet 30.
   */
  dkgPhaseBlocks: number;
  /** scrypt cost N of a newly written identity keystore (power of two, 2^10..2^20); default 2^18. */
  keystoreScryptN: number;
}

export interface WatchtowerConfig {
  database: string;
  /** Register (lock watchtower-bond) at start if not registered. */
  bond: boolean;
  /** Submit periodic metric reports. */
  report: boolean;
}

export interface AggregatorConfig {
  database: string;
}

export interface GatewayConfig {
  host: string;
  port: number;
  /** Fee (micro-STX) of a request that names none. */
  defaultFee: bigint;
}

export interface RoleConfig {
  /** The file it was read from (paths in it are relative to its folder). */
  source: string;
  chain: ChainConfig;
  account: AccountConfig;
  signer?: SignerConfig;
  watchtower?: WatchtowerConfig;
  aggregator?: AggregatorConfig;
  gateway?: GatewayConfig;
}

type Table = Record<string, unknown>;

function table(root: Table, key: string, source: string, required: boolean): Table | undefined {
  const value = root[key];
  if (value === undefined) {
    if (required) throw new ConfigError(`${source}: missing section [${key}]`);
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ConfigError(`${source}: [${key}] must be a table`);
  return value as Table;
}

function str(t: Table, key: string, where: string, fallback?: string): string {
  const value = t[key] ?? fallback;
  if (typeof value !== "string" || value.length === 0) throw new ConfigError(`${where}.${key} must be a non-empty string`);
  return value;
}

function optStr(t: Table, key: string, where: string): string | undefined {
  return t[key] === undefined ? undefined : str(t, key, where);
}

function bool(t: Table, key: string, where: string, fallback: boolean): boolean {
  const value = t[key] ?? fallback;
  if (typeof value !== "boolean") throw new ConfigError(`${where}.${key} must be true or false`);
  return value;
}

function int(t: Table, key: string, where: string, fallback: number | bigint, min: bigint, max: bigint): bigint {
  const value = t[key] ?? fallback;
  if (typeof value !== "number" && typeof value !== "bigint") throw new ConfigError(`${where}.${key} must be a whole number`);
  if (typeof value === "number" && !Number.isInteger(value)) throw new ConfigError(`${where}.${key} must be a whole number`);
  const big = BigInt(value);
  if (big < min || big > max) throw new ConfigError(`${where}.${key} must be in ${min}..${max}, got ${big}`);
  return big;
}

/** Parses a role configuration; relative paths resolve against `baseDir`. */
export function parseConfig(text: string, source: string, baseDir = "."): RoleConfig {
  let root: Table;
  try {
    root = parse(text) as Table;
  } catch (e) {
    throw new ConfigError(`${source}: not valid TOML: ${e instanceof TomlError ? e.message.split("\n")[0] : String(e)}`);
  }
  const path = (p: string) => resolve(baseDir, p);
  const chainT = table(root, "chain", source, true)!;
  const network = str(chainT, "network", "chain");
  if (network !== "devnet" && network !== "testnet" && network !== "mainnet")
    throw new ConfigError(`chain.network must be devnet, testnet or mainnet, got ${network}`);
  const contractId = str(chainT, "contract_id", "chain");
  if (!/^S[0-9A-Z]{39,40}\.[a-zA-Z][a-zA-Z0-9-]{0,39}$/.test(contractId))
    throw new ConfigError(`chain.contract_id must be <address>.<contract-name>, got ${contractId}`);
  const chain: ChainConfig = {
    network,
    nodeUrl: optStr(chainT, "node_url", "chain"),
    contractId,
    pollIntervalMs: Number(int(chainT, "poll_interval_ms", "chain", network === "devnet" ? 500 : 5000, 50n, 600_000n)),
    fee: chainT.fee === undefined ? undefined : int(chainT, "fee", "chain", 0, 1n, 1_000_000_000n),
  };

  const accountT = table(root, "account", source, true)!;
  const account: AccountConfig = {
    privateKeyEnv: optStr(accountT, "private_key_env", "account"),
    mnemonicFile: accountT.mnemonic_file === undefined ? undefined : path(str(accountT, "mnemonic_file", "account")),
    keystore: accountT.keystore === undefined ? undefined : path(str(accountT, "keystore", "account")),
    passwordEnv: optStr(accountT, "password_env", "account"),
  };
  const sources = [account.privateKeyEnv, account.mnemonicFile, account.keystore].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new ConfigError("[account] needs exactly one of private_key_env, mnemonic_file, keystore");
  if (account.keystore && !account.passwordEnv) throw new ConfigError("account.password_env names the variable holding the keystore password");

  const config: RoleConfig = { source, chain, account };
  const signerT = table(root, "signer", source, false);
  if (signerT) {
    config.signer = {
      identityKeystore: path(str(signerT, "identity_keystore", "signer")),
      passwordEnv: str(signerT, "password_env", "signer"),
      database: path(str(signerT, "database", "signer")),
      register: bool(signerT, "register", "signer", true),
      aggregate: bool(signerT, "aggregate", "signer", false),
      rotate: bool(signerT, "rotate", "signer", false),
      faulty: bool(signerT, "faulty", "signer", false),
      dkgPhaseBlocks: Number(int(signerT, "dkg_phase_blocks", "signer", network === "devnet" ? 10 : 30, 2n, 10_000n)),
      keystoreScryptN: Number(int(signerT, "keystore_scrypt_n", "signer", 2 ** 18, 1024n, 2n ** 20n)),
    };
    if (!Number.isInteger(Math.log2(config.signer.keystoreScryptN)))
      throw new ConfigError(`signer.keystore_scrypt_n must be a power of two, got ${config.signer.keystoreScryptN}`);
  }
  const towerT = table(root, "watchtower", source, false);
  if (towerT) {
    config.watchtower = {
      database: path(str(towerT, "database", "watchtower")),
      bond: bool(towerT, "bond", "watchtower", true),
      report: bool(towerT, "report", "watchtower", true),
    };
  }
  const aggregatorT = table(root, "aggregator", source, false);
  if (aggregatorT) config.aggregator = { database: path(str(aggregatorT, "database", "aggregator")) };
  const gatewayT = table(root, "gateway", source, false);
  if (gatewayT) {
    config.gateway = {
      host: str(gatewayT, "host", "gateway", "127.0.0.1"),
      port: Number(int(gatewayT, "port", "gateway", 8080, 0n, 65535n)),
      defaultFee: int(gatewayT, "default_fee", "gateway", 1_000_000, 1n, 1_000_000_000_000n),
    };
  }
  return config;
}

/** Reads and parses a role configuration file. */
export function loadConfig(file: string): RoleConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseConfig(text, file, dirname(resolve(file)));
}

/** The value of an environment variable a configuration names, or a clear error. */
export function secretFromEnv(name: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === "") throw new ConfigError(`set ${name} (${what})`);
  return value;
}

export interface Connection {
  client: DtsClient;
  backend: HttpBackend;
  /** The sending account's address. */
  address: string;
}

/** The sending account's key, from the one source the configuration names. */
export async function accountKey(config: RoleConfig, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { account } = config;
  if (account.privateKeyEnv) {
    const key = await loadPrivateKey({ env: { DTS_PRIVATE_KEY: secretFromEnv(account.privateKeyEnv, "the account's private key", env) } });
    return key!;
  }
  if (account.keystore) {
    const password = secretFromEnv(account.passwordEnv!, `the password of ${account.keystore}`, env);
    return (await loadPrivateKey({ keystore: account.keystore, env: { DTS_KEYSTORE_PASSWORD: password } }))!;
  }
  return (await loadPrivateKey({ mnemonicFile: account.mnemonicFile, env: {} }))!;
}

const NETWORKS = { devnet: STACKS_DEVNET, testnet: STACKS_TESTNET, mainnet: STACKS_MAINNET } as const;

/** A typed client over the HTTP backend, sending from the configured account. */
export async function connect(config: RoleConfig, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const key = await accountKey(config, env);
  const address = privateKeyToAddress(key, NETWORKS[config.chain.network]);
  const backend = new HttpBackend({
    network: config.chain.network,
    nodeUrl: config.chain.nodeUrl,
    contractId: config.chain.contractId,
    keys: [key],
    fee: config.chain.fee,
    // A fresh devnet has no fee history to estimate from.
    fallbackFee: config.chain.network === "devnet" ? 10_000n : undefined,
    pollIntervalMs: Math.min(config.chain.pollIntervalMs, 1000),
  });
  return { client: new DtsClient(backend, address), backend, address };
}
