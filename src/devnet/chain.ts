// The simnet behind the devnet node: opened with or without the dts contract, mined one
// block at a time, and rebuilt by replay when a block must be re-mined (a transaction that
// hit a runtime error or broke its post-conditions is rolled back as on a real chain).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { initSimnet, tx, type ClarityEvent, type Simnet, type Tx } from "@stacks/clarinet-sdk";
import { Cl, ClarityType, cvToHex, privateKeyToAddress, type ClarityValue } from "@stacks/transactions";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { parse as parseToml } from "smol-toml";

/** The epoch the contract targets (Clarinet.toml); a simnet opened without contracts starts in 2.05. */
export const EPOCH = "3.3";

/**
 * Fees are paid to this address, inside the block, just before the transaction runs (a real
 * chain pays them to the miner). Its key is derived from a public label: it is a devnet
 * throwaway that holds nothing of value.
 */
export const MINER_ADDRESS = privateKeyToAddress(`${bytesToHex(sha256(utf8ToBytes("dts-devnet-miner")))}01`, "devnet");

export interface DevnetAccountInfo {
  name: string;
  address: string;
  mnemonic: string;
}

/** One transaction of a block: its fee is always paid; `op` runs unless it is aborted. */
export interface PlannedTx {
  sender: string;
  fee: bigint;
  op: Tx;
}

export type TxStatus = "success" | "abort_by_response" | "abort_by_post_condition";

export interface TxOutcome {
  status: TxStatus;
  result: ClarityValue;
  events: ClarityEvent[];
  vmError: string | null;
}

/** Decides, from a transaction's result and events, whether its post-conditions hold. */
export type PostConditionCheck = (index: number, result: ClarityValue, events: ClarityEvent[]) => boolean;

type LoggedOp = { kind: "block"; txs: Tx[] } | { kind: "stacks"; count: number } | { kind: "burn"; count: number };

export interface ChainOptions {
  manifest: string;
  deployContract: boolean;
}

/** At most this many read-only results are kept within one block. */
const READ_CACHE_LIMIT = 10_000;

export class DevnetChain {
  private readonly ops: LoggedOp[] = [];
  /** Read-only results of the current block (cleared whenever a block is mined). */
  private readonly reads = new Map<string, ClarityValue>();

  private constructor(
    private simnetInstance: Simnet,
    private readonly options: ChainOptions,
    private readonly projectDir: string,
    readonly accounts: DevnetAccountInfo[],
  ) {}

  static async open(options: ChainOptions): Promise<DevnetChain> {
    const manifest = resolve(options.manifest);
    const accounts = readAccounts(manifest);
    const projectDir = snapshotProject(manifest, options.deployContract);
    let simnet: Simnet;
    try {
      simnet = await openSimnet(join(projectDir, "Clarinet.toml"), !options.deployContract);
    } catch (e) {
      rmSync(projectDir, { recursive: true, force: true });
      throw e;
    }
    const addresses = simnet.getAccounts();
    const withAddresses = accounts.map((a) => {
      const address = addresses.get(a.name);
      if (!address) throw new Error(`account ${a.name} of settings/Devnet.toml is unknown to the simnet`);
      return { ...a, address };
    });
    return new DevnetChain(simnet, { ...options, manifest }, projectDir, withAddresses);
  }

  get simnet(): Simnet {
    return this.simnetInstance;
  }

  get deployer(): string {
    return this.simnetInstance.deployer;
  }

  get stacksHeight(): number {
    return this.simnetInstance.blockHeight;
  }

  get burnHeight(): number {
    return this.simnetInstance.burnBlockHeight;
  }

  stxBalance(principal: string): bigint {
    return this.simnetInstance.getAssetsMap().get("STX")?.get(principal) ?? 0n;
  }

  /** Advances `count` Stacks blocks with no transactions (burn height unchanged). */
  mineEmptyStacksBlocks(count: number): void {
    if (count <= 0) return;
    this.reads.clear();
    quietly(() => this.simnetInstance.mineEmptyStacksBlocks(count));
    this.logEmpty("stacks", count);
  }

  /** Advances `count` Bitcoin blocks; each also starts a tenure with one Stacks block. */
  mineEmptyBurnBlocks(count: number): void {
    if (count <= 0) return;
    this.reads.clear();
    quietly(() => this.simnetInstance.mineEmptyBurnBlocks(count));
    this.logEmpty("burn", count);
  }

  /**
   * Mines one Stacks block with these transactions, in order. Each pays its fee to
   * MINER_ADDRESS first. A transaction that hits a runtime error, or whose post-conditions
   * fail, keeps its fee and nonce but none of its effects: the simnet is rebuilt and the
   * block mined again without it.
   */
  async mineBlock(planned: PlannedTx[], checkPostConditions: PostConditionCheck): Promise<TxOutcome[]> {
    const aborted = new Map<number, TxOutcome>();
    for (let attempt = 0; attempt <= planned.length; attempt++) {
      const ops: Tx[] = [];
      const opIndex: (number | null)[] = [];
      const cumulativeFees: bigint[] = [];
      let fees = 0n;
      planned.forEach((p, i) => {
        if (p.fee > 0n) ops.push(tx.transferSTX(Number(p.fee), MINER_ADDRESS, p.sender));
        fees += p.fee;
        cumulativeFees.push(fees);
        if (aborted.has(i)) {
          opIndex.push(null);
        } else {
          opIndex.push(ops.length);
          ops.push(p.op);
        }
      });
      const minerBefore = this.stxBalance(MINER_ADDRESS);
      let results;
      try {
        results = quietly(() => this.simnetInstance.mineBlock(ops));
      } catch (error) {
        // The simnet committed the transactions before the failing one and stopped there;
        // the fees paid so far tell which one failed.
        const paid = this.stxBalance(MINER_ADDRESS) - minerBefore;
        let failed = cumulativeFees.findIndex((c, i) => c === paid && !aborted.has(i));
        if (failed < 0) failed = planned.findIndex((_, i) => !aborted.has(i) && cumulativeFees[i] >= paid);
        if (failed < 0) throw error;
        aborted.set(failed, {
          status: "abort_by_response",
          result: Cl.error(Cl.none()),
          events: [],
          vmError: error instanceof Error ? error.message : String(error),
        });
        await this.rebuild();
        continue;
      }
      const outcomes: TxOutcome[] = [];
      let violated = false;
      planned.forEach((_, i) => {
        const at = opIndex[i];
        if (at === null) {
          outcomes.push(aborted.get(i)!);
          return;
        }
        const r = results[at];
        const ok = r.result.type !== ClarityType.ResponseErr;
        // Only the first violation counts: what follows it ran on its effects.
        if (!violated && !checkPostConditions(i, r.result, r.events)) {
          aborted.set(i, { status: "abort_by_post_condition", result: r.result, events: [], vmError: null });
          violated = true;
        }
        outcomes.push({ status: ok ? "success" : "abort_by_response", result: r.result, events: r.events, vmError: null });
      });
      if (violated) {
        await this.rebuild();
        continue;
      }
      this.ops.push({ kind: "block", txs: ops });
      this.reads.clear();
      return outcomes;
    }
    throw new Error("devnet: a block could not be mined (every transaction aborted)");
  }

  /**
   * Read-only call; throws on a runtime error or a function that is not read-only. Results
   * are kept until the next block: between blocks the same call reads the same state at the
   * same heights, and the roles of a network ask the same few views many times per block
   * (each call costs the simnet a load of the whole contract, ~10 ms for dts.clar).
   */
  callReadOnly(contractId: string, fn: string, args: ClarityValue[], sender: string): ClarityValue {
    const key = `${contractId} ${fn} ${sender} ${args.map(cvToHex).join(",")}`;
    const known = this.reads.get(key);
    if (known) return known;
    const result = quietly(() => this.simnetInstance.callReadOnlyFn(contractId, fn, args, sender)).result;
    if (this.reads.size >= READ_CACHE_LIMIT) this.reads.clear();
    this.reads.set(key, result);
    return result;
  }

  async close(): Promise<void> {
    rmSync(this.projectDir, { recursive: true, force: true });
  }

  private logEmpty(kind: "stacks" | "burn", count: number): void {
    const last = this.ops[this.ops.length - 1];
    if (last && last.kind === kind) last.count += count;
    else this.ops.push({ kind, count });
  }

  /** A fresh simnet with every block mined so far replayed. */
  private async rebuild(): Promise<void> {
    const simnet = await openSimnet(join(this.projectDir, "Clarinet.toml"), !this.options.deployContract);
    quietly(() => {
      for (const op of this.ops) {
        if (op.kind === "block") simnet.mineBlock(op.txs);
        else if (op.kind === "stacks") simnet.mineEmptyStacksBlocks(op.count);
        else simnet.mineEmptyBurnBlocks(op.count);
      }
    });
    this.simnetInstance = simnet;
    // a read made while the simnet was rebuilt may have seen a half-mined block
    this.reads.clear();
  }
}

async function openSimnet(manifest: string, setEpoch: boolean): Promise<Simnet> {
  const log = console.log;
  console.log = () => {}; // "Updated deployment plan file"
  try {
    const simnet = await initSimnet(manifest, true, { trackCosts: false, trackCoverage: false });
    if (setEpoch) quietly(() => simnet.setEpoch(EPOCH));
    return simnet;
  } finally {
    console.log = log;
  }
}

/**
 * A snapshot of the project in a temporary directory, taken when the node starts: the
 * manifest, settings/Devnet.toml and the contract files it lists. The simnet reads only the
 * snapshot, so editing the contracts while the node runs cannot change a replay, and the
 * SDK's generated deployment plan stays out of the project. Without `withContracts` the
 * manifest lists no contract: the SDK deploys every contract of a manifest, so a manifest
 * without `dts` is the way to a simnet without it.
 */
function snapshotProject(manifest: string, withContracts: boolean): string {
  const root = dirname(manifest);
  const dir = mkdtempSync(join(tmpdir(), "dts-devnet-"));
  try {
    mkdirSync(join(dir, "settings"));
    copyFileSync(join(root, "settings", "Devnet.toml"), join(dir, "settings", "Devnet.toml"));
    if (!withContracts) {
      writeFileSync(join(dir, "Clarinet.toml"), '[project]\nname = "dts-devnet"\nrequirements = []\ntelemetry = false\n\n[contracts]\n');
      return dir;
    }
    const text = readFileSync(manifest, "utf8");
    const parsed = parseToml(text) as { contracts?: Record<string, { path?: string }> };
    for (const [name, c] of Object.entries(parsed.contracts ?? {})) {
      if (typeof c.path !== "string") throw new Error(`${manifest}: contract ${name} has no path`);
      const target = resolve(dir, c.path);
      if (!target.startsWith(`${dir}/`)) throw new Error(`${manifest}: contract ${name} lies outside the project (${c.path})`);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(resolve(root, c.path), target);
    }
    writeFileSync(join(dir, "Clarinet.toml"), text);
    return dir;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function readAccounts(manifest: string): DevnetAccountInfo[] {
  const path = join(dirname(manifest), "settings", "Devnet.toml");
  const settings = parseToml(readFileSync(path, "utf8")) as { accounts?: Record<string, { mnemonic?: string }> };
  return Object.entries(settings.accounts ?? {}).map(([name, a]) => {
    if (typeof a.mnemonic !== "string") throw new Error(`${path}: account ${name} has no mnemonic`);
    return { name, address: "", mnemonic: a.mnemonic };
  });
}

/**
 * The simnet echoes print events (and deployment messages) to console.log and runtime-error
 * traces to console.error/warn; the node and the console report results themselves.
 */
export function quietly<T>(run: () => T): T {
  const { log, error, warn } = console;
  console.log = console.error = console.warn = () => {};
  try {
    return run();
  } finally {
    Object.assign(console, { log, error, warn });
  }
}
