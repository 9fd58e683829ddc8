// The typed DTS client: one method per contract function, generated from the function table
// (functions.ts), over either backend. Typed arguments in (bigint/number for uints, hex or
// Uint8Array for buffers, strings for principals), decoded domain types out; a contract
// (err uN) is a ContractCallError with the error's name.
import type { ClarityValue } from "@stacks/transactions";
import { ContractCallError, decode } from "./clarity.js";
import { ArgumentError } from "./errors.js";
import {
  FUNCTIONS,
  functionSpec,
  type ArgsOf,
  type FunctionName,
  type Functions,
  type PublicName,
  type ReadOnlyName,
  type ResultOf,
} from "./functions.js";
import { camel } from "./types.js";
import { currentProposal } from "./committee.js";
import { readableTip, type ChainBackend, type ContractEvent, type TxOptions, type TxOutcome } from "./backend.js";

/** A successful public call: its decoded `ok` value and the transaction's details. */
export interface TxResult<T> extends Omit<TxOutcome, "value" | "ok"> {
  value: T;
}

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** `client.registerSigner(key)`, `client.getSignerInfo(addr)`, ... for every table entry. */
export type DtsMethods = {
  [N in FunctionName as Camel<N>]: N extends PublicName
    ? (...args: ArgsOf<N>) => Promise<TxResult<ResultOf<N>>>
    : (...args: ArgsOf<N>) => Promise<ResultOf<N>>;
};

/** Encodes a function's arguments by the table; throws ArgumentError naming the argument. */
export function encodeArgs(fn: string, args: readonly unknown[]): ClarityValue[] {
  const spec = functionSpec(fn);
  if (args.length !== spec.args.length)
    throw new ArgumentError(`${fn} takes ${spec.args.length} argument(s) (${spec.args.map((a) => a.name).join(", ") || "none"}), got ${args.length}`);
  return spec.args.map((a, i) => a.encode(args[i], a.name));
}

export interface DtsClient extends DtsMethods {}

export class DtsClient {
  /**
   * @param backend the chain
   * @param sender the account public calls are sent from (and read-only calls made as);
   *   use `as(other)` for another account
   */
  constructor(
    readonly backend: ChainBackend,
    readonly sender: string | null = null,
  ) {
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const method = camel(name);
      const spec = FUNCTIONS[name];
      (this as unknown as Record<string, unknown>)[method] =
        spec.access === "public"
          ? (...args: unknown[]) => this.call(name as PublicName, args as never)
          : (...args: unknown[]) => this.read(name as ReadOnlyName, ...(args as never));
    }
  }

  /** The same client sending from another account. */
  as(sender: string): DtsClient {
    return new DtsClient(this.backend, sender);
  }

  get contractId(): string {
    return this.backend.contractId;
  }

  /** Calls a public function; resolves with the decoded `ok` value, throws ContractCallError on (err uN). */
  async call<N extends PublicName>(fn: N, args: ArgsOf<N>, options: TxOptions & { sender?: string } = {}): Promise<TxResult<ResultOf<N>>> {
    const outcome = await this.send(fn, args, options);
    if (!outcome.ok) throw new ContractCallError(fn, Number(outcome.value));
    const spec = FUNCTIONS[fn] as Functions[PublicName];
    const { ok: _ok, value, ...rest } = outcome;
    return { ...rest, value: spec.result.decode(value, fn) as ResultOf<N> };
  }

  /** Calls a public function and returns the raw outcome: `ok` false on (err uN), no throw. */
  async send(fn: PublicName, args: readonly unknown[], options: TxOptions & { sender?: string } = {}): Promise<TxOutcome> {
    if (functionSpec(fn).access !== "public") throw new ArgumentError(`${fn} is not a public function`);
    const { sender = this.sender, ...txOptions } = options;
    if (!sender) throw new ArgumentError(`${fn} needs a sender: DtsClient.as(address)`);
    return this.backend.callPublic(fn, encodeArgs(fn, args), sender, txOptions);
  }

  /** Calls a read-only function and decodes its result. A read-only (err uN) throws ContractCallError. */
  async read<N extends ReadOnlyName>(fn: N, ...args: ArgsOf<N>): Promise<ResultOf<N>> {
    const spec = functionSpec(fn);
    if (spec.access !== "read_only") throw new ArgumentError(`${fn} is not a read-only function`);
    const raw = decode(await this.backend.callReadOnly(fn, encodeArgs(fn, args), this.sender ?? undefined));
    // A read-only function that returns a response (get-reputation) is read through its ok.
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && ("ok" in raw || "err" in raw) && Object.keys(raw).length === 1) {
      if ("err" in raw) throw new ContractCallError(fn, Number(raw.err));
      return spec.result.decode(raw.ok!, fn) as ResultOf<N>;
    }
    return spec.result.decode(raw, fn) as ResultOf<N>;
  }

  /** The committee `rotate-signers` accepts now, computed from get-ranking, get-config and the serving epoch. */
  async proposedCommittee(): Promise<string[]> {
    return currentProposal(async (fn, args) => decode(await this.backend.callReadOnly(fn, args, this.sender ?? undefined)));
  }

  /** The contract's events from `fromBlock` on, oldest first (optionally one topic). */
  async events(fromBlock = 0, topic?: string): Promise<ContractEvent[]> {
    const events = await this.backend.events(fromBlock);
    return topic ? events.filter((e) => e.topic === topic) : events;
  }

  /**
   * Follows the contract's events: yields every event from `fromBlock` on, in order, then
   * polls for new blocks every `intervalMs` until `signal` aborts. Each event is yielded once.
   */
  async *watch(fromBlock = 0, options: { intervalMs?: number; signal?: AbortSignal } = {}): AsyncGenerator<ContractEvent> {
    const intervalMs = options.intervalMs ?? 1000;
    let next = fromBlock;
    // Events of the last block seen, so that a block read while still filling is not lost.
    let seen = new Set<string>();
    while (!options.signal?.aborted) {
      // never past what the event source has indexed (an API indexer can lag the node)
      const tip = await readableTip(this.backend);
      const events = await this.backend.events(next);
      // The newest block read may still receive transactions: read it again next time.
      const high = Math.max(tip, next, ...events.map((e) => e.blockHeight));
      const nextSeen = new Set<string>();
      for (const event of events) {
        const id = `${event.blockHeight}:${event.txid ?? event.txIndex}:${event.eventIndex}`;
        if (event.blockHeight >= high) nextSeen.add(id);
        if (seen.has(id)) continue;
        yield event;
        if (options.signal?.aborted) return;
      }
      seen = nextSeen;
      next = high;
      await sleep(intervalMs, options.signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
