// The in-process simnet (Clarinet SDK) behind a small typed call interface: every call is
// decoded once, its print events extracted, and an (err uN) turned into a ContractCallError.
// SimnetBackend puts it behind the ChainBackend interface that the HTTP backend shares.
import { initSimnet, type Simnet } from "@stacks/clarinet-sdk";
import { privateKeyToAddress, type ClarityValue } from "@stacks/transactions";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { ContractCallError, decode, type Plain } from "./clarity.js";
import { compareEvents, toContractEvent, type ChainBackend, type ContractEvent, type TxOutcome } from "./backend.js";

export const CONTRACT_NAME = "dts";

export interface ExecutionCost {
  runtime: number;
  readCount: number;
  readLength: number;
  writeCount: number;
  writeLength: number;
}

export interface CallOutcome {
  ok: boolean;
  value: Plain;
  events: Record<string, Plain>[];
  cost: ExecutionCost | null;
}

export interface LoggedCall {
  fn: string;
  ok: boolean;
  cost: ExecutionCost | null;
  blockLimit: ExecutionCost | null;
}

export class SimnetChain {
  /** Every public call made through this client, with its cost when costs are tracked. */
  readonly log: LoggedCall[] = [];
  /** Every print event of calls made through this client, in chain order. */
  readonly eventLog: ContractEvent[] = [];

  private constructor(
    readonly simnet: Simnet,
    readonly accounts: Map<string, string>,
  ) {}

  /** A fresh simnet with the contract deployed, from the project's Clarinet.toml. */
  static async open(options: { manifest?: string; trackCosts?: boolean } = {}): Promise<SimnetChain> {
    const simnet = await initSimnet(options.manifest ?? process.env.DTS_MANIFEST ?? "./Clarinet.toml", true, {
      trackCosts: options.trackCosts ?? false,
      trackCoverage: false,
    });
    return new SimnetChain(simnet, simnet.getAccounts());
  }

  get contractId(): string {
    return `${this.simnet.deployer}.${CONTRACT_NAME}`;
  }

  get blockHeight(): number {
    return this.simnet.blockHeight;
  }

  account(name: string): string {
    const address = this.accounts.get(name);
    if (!address) throw new Error(`no account named ${name} in settings/Devnet.toml`);
    return address;
  }

  /** Calls a public function; never throws on a contract error (see `ok`). */
  call(fn: string, args: ClarityValue[], sender: string): CallOutcome {
    const result = quietly(() => this.simnet.callPublicFn(CONTRACT_NAME, fn, args, sender));
    // Each call is mined in a block of its own, the new tip (its stacks-block-height).
    const blockHeight = this.simnet.blockHeight;
    const decoded = decode(result.result) as { ok?: Plain; err?: Plain };
    const total = result.costs?.total;
    const limit = result.costs?.limit;
    this.log.push({ fn, ok: "ok" in decoded, cost: total ?? null, blockLimit: limit ?? null });
    const events = result.events
      .filter((e) => e.event === "print_event")
      .map((e) => decode(e.data.value as ClarityValue) as Record<string, Plain>);
    events.forEach((data, eventIndex) => {
      const event = toContractEvent(data, { blockHeight, txid: null, txIndex: 0, eventIndex });
      if (event) this.eventLog.push(event);
    });
    return { ok: "ok" in decoded, value: "ok" in decoded ? decoded.ok! : decoded.err!, events, cost: total ?? null };
  }

  /** Calls a public function and throws ContractCallError on (err uN). */
  mustCall(fn: string, args: ClarityValue[], sender: string): CallOutcome {
    const outcome = this.call(fn, args, sender);
    if (!outcome.ok) throw new ContractCallError(fn, Number(outcome.value));
    return outcome;
  }

  read(fn: string, args: ClarityValue[] = []): Plain {
    return decode(this.readRaw(fn, args));
  }

  readRaw(fn: string, args: ClarityValue[] = [], sender = this.simnet.deployer): ClarityValue {
    return quietly(() => this.simnet.callReadOnlyFn(CONTRACT_NAME, fn, args, sender)).result;
  }

  stxBalance(who: string): bigint {
    return this.simnet.getAssetsMap().get("STX")?.get(who) ?? 0n;
  }

  /**
   * A fresh account beyond the devnet wallets, funded from the faucet. Its key is derived
   * from `label` and is a throwaway simnet key, never used on a public network.
   */
  fundedAccount(label: string, amount: bigint): string {
    const privateKey = `${bytesToHex(sha256(utf8ToBytes(`dts-simnet-account-${label}`)))}01`;
    const address = privateKeyToAddress(privateKey, "devnet");
    quietly(() => this.simnet.transferSTX(amount, address, this.account("faucet")));
    return address;
  }

  mine(blocks: number): void {
    this.simnet.mineEmptyBlocks(blocks);
  }
}

/**
 * The simnet behind the ChainBackend interface. Each public call is mined at once in a block
 * of its own; events are those of calls made through this SimnetChain (see eventLog).
 */
export class SimnetBackend implements ChainBackend {
  readonly network = "simnet" as const;

  constructor(readonly chain: SimnetChain) {}

  static async open(options: { manifest?: string; trackCosts?: boolean } = {}): Promise<SimnetBackend> {
    return new SimnetBackend(await SimnetChain.open(options));
  }

  get contractId(): string {
    return this.chain.contractId;
  }

  async callPublic(fn: string, args: ClarityValue[], sender: string): Promise<TxOutcome> {
    const before = this.chain.eventLog.length;
    const outcome = this.chain.call(fn, args, sender);
    const blockHeight = this.chain.simnet.blockHeight;
    return {
      txid: null,
      ok: outcome.ok,
      value: outcome.value,
      events: this.chain.eventLog.slice(before),
      blockHeight,
      fee: null,
      nonce: null,
    };
  }

  async callReadOnly(fn: string, args: ClarityValue[], sender?: string): Promise<ClarityValue> {
    return this.chain.readRaw(fn, args, sender);
  }

  async events(fromBlock: number): Promise<ContractEvent[]> {
    return this.chain.eventLog.filter((e) => e.blockHeight >= fromBlock).sort(compareEvents);
  }

  async blockHeight(): Promise<number> {
    return this.chain.simnet.blockHeight;
  }

  async burnBlockHeight(): Promise<number> {
    return this.chain.simnet.burnBlockHeight;
  }

  async balance(address: string): Promise<bigint> {
    return this.chain.stxBalance(address);
  }

  /** On simnet nothing mines by itself: empty blocks are mined up to `height`. */
  async waitForBlock(height: number): Promise<number> {
    const missing = height - this.chain.simnet.blockHeight;
    if (missing > 0) this.chain.mine(missing);
    return this.chain.simnet.blockHeight;
  }

  mine(blocks = 1): void {
    this.chain.mine(blocks);
  }
}

/** The simnet echoes every print event to console.log; scripts keep stdout for their output. */
function quietly<T>(run: () => T): T {
  const log = console.log;
  console.log = () => {};
  try {
    return run();
  } finally {
    console.log = log;
  }
}
