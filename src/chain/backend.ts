// The one interface both chain backends implement: the in-process simnet and a node's HTTP
// API (devnet, testnet, mainnet). Arguments are Clarity values here; the typed client above
// (client.ts) encodes and decodes them through the function table.
import type { ClarityValue } from "@stacks/transactions";
import type { Plain } from "./clarity.js";

export type NetworkName = "simnet" | "devnet" | "testnet" | "mainnet";

/** A contract `print` event, decoded: `data` is the printed tuple (with its `topic`). */
export interface ContractEvent {
  topic: string;
  data: Record<string, Plain>;
  /** The Stacks block that holds the transaction. */
  blockHeight: number;
  /** The transaction's id (0x-hex); simnet calls have none. */
  txid: string | null;
  /** Position of the transaction in its block, when known. */
  txIndex: number;
  /** Position of the event in its transaction. */
  eventIndex: number;
}

/** Per-call options of a public call. */
export interface TxOptions {
  /** Fee in micro-STX; default: the backend's fee policy (HTTP: estimated). */
  fee?: bigint;
  /** Explicit nonce; default: the backend's nonce allocator. */
  nonce?: bigint;
  /** How long to wait for the transaction's result (HTTP), in ms. */
  timeoutMs?: number;
}

/** The outcome of a mined public call: `ok` false means the contract returned (err ...). */
export interface TxOutcome {
  txid: string | null;
  ok: boolean;
  /** The `ok` or `err` value, decoded. */
  value: Plain;
  events: ContractEvent[];
  blockHeight: number;
  fee: bigint | null;
  nonce: bigint | null;
}

export interface ChainBackend {
  readonly network: NetworkName;
  /** `<deployer>.<name>` of the DTS contract this backend talks to. */
  readonly contractId: string;
  /** Calls a public function as `sender` and waits for its result. Rejections throw. */
  callPublic(fn: string, args: ClarityValue[], sender: string, options?: TxOptions): Promise<TxOutcome>;
  /** Calls a read-only function; returns the raw Clarity value. */
  callReadOnly(fn: string, args: ClarityValue[], sender?: string): Promise<ClarityValue>;
  /** The contract's print events in blocks >= fromBlock, oldest first. */
  events(fromBlock: number): Promise<ContractEvent[]>;
  blockHeight(): Promise<number>;
  /**
   * The last block whose events events() can return, when its event source can lag the tip
   * (an API indexer behind the node); absent: blockHeight().
   */
  indexedHeight?(): Promise<number>;
  burnBlockHeight(): Promise<number>;
  /** STX balance in micro-STX. */
  balance(address: string): Promise<bigint>;
  /** Resolves once the chain tip is at least `height`, or throws after timeoutMs. */
  waitForBlock(height: number, timeoutMs?: number): Promise<number>;
}

/**
 * The last block whose events can be read: the chain tip, or less when the event source
 * lags it (the HTTP backend reads events from an API indexer that can be behind the node).
 * Treating a block the source has not indexed yet as read would skip its events for good.
 */
export async function readableTip(backend: ChainBackend): Promise<number> {
  const [tip, indexed] = await Promise.all([backend.blockHeight(), backend.indexedHeight?.() ?? Number.POSITIVE_INFINITY]);
  return Math.min(tip, indexed);
}

/** Orders events as the chain did: block, transaction, event. */
export function compareEvents(a: ContractEvent, b: ContractEvent): number {
  return a.blockHeight - b.blockHeight || a.txIndex - b.txIndex || a.eventIndex - b.eventIndex;
}

/** A print payload as a ContractEvent, or null when it is not a DTS event tuple. */
export function toContractEvent(
  value: Plain,
  where: { blockHeight: number; txid: string | null; txIndex: number; eventIndex: number },
): ContractEvent | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const data = value as Record<string, Plain>;
  if (typeof data.topic !== "string") return null;
  return { topic: data.topic, data, ...where };
}
