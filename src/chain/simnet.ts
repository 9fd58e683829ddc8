// The in-process simnet (Clarinet SDK) behind a small typed call interface: every call is
// decoded once, its print events extracted, and an (err uN) turned into a ContractCallError.
import { initSimnet, type Simnet } from "@stacks/clarinet-sdk";
import { privateKeyToAddress, type ClarityValue } from "@stacks/transactions";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { ContractCallError, decode, type Plain } from "./clarity.js";

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

  private constructor(
    readonly simnet: Simnet,
    readonly accounts: Map<string, string>,
  ) {}

  /** A fresh simnet with the contract deployed, from the project's Clarinet.toml. */
  static async open(options: { manifest?: string; trackCosts?: boolean } = {}): Promise<SimnetChain> {
    const simnet = await initSimnet(options.manifest ?? "./Clarinet.toml", true, {
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
    const decoded = decode(result.result) as { ok?: Plain; err?: Plain };
    const total = result.costs?.total;
    const limit = result.costs?.limit;
    this.log.push({ fn, ok: "ok" in decoded, cost: total ?? null, blockLimit: limit ?? null });
    return {
      ok: "ok" in decoded,
      value: "ok" in decoded ? decoded.ok! : decoded.err!,
      events: result.events
        .filter((e) => e.event === "print_event")
        .map((e) => decode(e.data.value as ClarityValue) as Record<string, Plain>),
      cost: total ?? null,
    };
  }

  /** Calls a public function and throws ContractCallError on (err uN). */
  mustCall(fn: string, args: ClarityValue[], sender: string): CallOutcome {
    const outcome = this.call(fn, args, sender);
    if (!outcome.ok) throw new ContractCallError(fn, Number(outcome.value));
    return outcome;
  }

  read(fn: string, args: ClarityValue[] = []): Plain {
    return decode(quietly(() => this.simnet.callReadOnlyFn(CONTRACT_NAME, fn, args, this.simnet.deployer)).result);
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
