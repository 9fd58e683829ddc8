// The devnet node: a mempool that admits transactions as a Stacks node does, a miner that
// runs them in simnet blocks, and the records the Hiro API endpoints read.
import type { Tx } from "@stacks/clarinet-sdk";
import { tx as simnetTx } from "@stacks/clarinet-sdk";
import {
  addressToString,
  AuthType,
  ClarityVersion,
  cvToString,
  deserializeTransaction,
  PayloadType,
  type StacksTransactionWire,
} from "@stacks/transactions";
import { ChainId, TransactionVersion } from "@stacks/network";
import { sha512_256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { admits, functionSignature, typeRepr, type AbiFunction } from "./abi.js";
import type { DevnetChain, PlannedTx, TxOutcome } from "./chain.js";
import {
  eventsJson,
  mempoolJson,
  minedJson,
  originAddress,
  postConditionsHold,
  type ContractEventsPage,
  type HiroEvent,
  type MinedRecord,
  type NoncesResponse,
  type PendingRecord,
} from "./hiro.js";

/** stacks-core's limit on one account's chain of unconfirmed transactions. */
export const MAX_TX_CHAIN = 25;
/** stacks-core's minimum fee rate, in micro-STX per byte of the serialized transaction. */
export const MIN_FEE_RATE = 1n;

export interface Rejection {
  error: "transaction rejected";
  reason: string;
  reason_data?: Record<string, unknown>;
  txid: string;
}

export type SubmitResult = { ok: true; txid: string } | { ok: false; rejection: Rejection };

interface Pending extends PendingRecord {
  nonce: bigint;
  fee: bigint;
  seq: number;
}

export interface ContractLogEntry {
  event: HiroEvent;
  blockHeight: number;
  txIndex: number;
}

export interface BlockSummary {
  height: number;
  burnHeight: number;
  txs: { txId: string; status: TxOutcome["status"]; summary: string }[];
}

const u128Hex = (n: bigint) => `0x${n.toString(16).padStart(32, "0")}`;

export class DevnetNode {
  private readonly pending = new Map<string, Pending>();
  private readonly mined = new Map<string, MinedRecord>();
  private readonly dropped = new Map<string, { record: PendingRecord; by: string }>();
  private readonly confirmedNonce = new Map<string, bigint>();
  private readonly lastExecutedNonce = new Map<string, bigint>();
  private readonly contractLogs = new Map<string, ContractLogEntry[]>();
  private readonly deployHeights = new Map<string, number>();
  private interfaces: Map<string, { functions: AbiFunction[] } & Record<string, unknown>> | null = null;
  private seq = 0;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly chain: DevnetChain,
    private readonly onBlock: (block: BlockSummary) => void = () => {},
  ) {}

  // ---- mempool admission ----

  submit(bytes: Uint8Array): SubmitResult {
    const reject = (txid: string, reason: string, reason_data?: Record<string, unknown>): SubmitResult => ({
      ok: false,
      rejection: { error: "transaction rejected", reason, ...(reason_data ? { reason_data } : {}), txid },
    });
    let tx: StacksTransactionWire;
    try {
      tx = deserializeTransaction(bytes);
    } catch (e) {
      return reject(bytesToHex(sha512_256(bytes)), "Deserialization", { message: errorMessage(e) });
    }
    const txid = tx.txid();
    if (tx.transactionVersion !== TransactionVersion.Testnet || tx.chainId !== ChainId.Testnet) {
      return reject(txid, "BadTransactionVersion");
    }
    if (tx.auth.authType === AuthType.Sponsored) {
      return reject(txid, "ServerFailureOther", { message: "sponsored transactions are not supported by the devnet node" });
    }
    try {
      tx.verifyOrigin();
    } catch (e) {
      return reject(txid, "SignatureValidation", { message: errorMessage(e) });
    }
    const p = tx.payload;
    if (p.payloadType === PayloadType.Coinbase || p.payloadType === PayloadType.CoinbaseToAltRecipient || p.payloadType === PayloadType.NakamotoCoinbase) {
      return reject(txid, "NoCoinbaseViaMempool");
    }
    if (p.payloadType !== PayloadType.TokenTransfer && p.payloadType !== PayloadType.ContractCall && p.payloadType !== PayloadType.SmartContract && p.payloadType !== PayloadType.VersionedSmartContract) {
      return reject(txid, "ServerFailureOther", { message: `payload type ${p.payloadType} cannot be submitted to the devnet mempool` });
    }
    const origin = originAddress(tx);
    const { nonce, fee } = tx.auth.spendingCondition;
    const minFee = MIN_FEE_RATE * BigInt(bytes.length);
    if (fee < minFee) return reject(txid, "FeeTooLow", { expected: Number(minFee), actual: Number(fee) });

    const expected = this.confirmedNonce.get(origin) ?? 0n;
    if (nonce < expected) return reject(txid, "BadNonce", { expected: Number(expected), actual: Number(nonce), principal: origin, is_origin: true });
    const ownPending = [...this.pending.values()].filter((r) => r.origin === origin);
    const sameNonce = ownPending.find((r) => r.nonce === nonce);
    if (sameNonce?.txId === `0x${txid}`) return { ok: true, txid };
    if (sameNonce && fee <= sameNonce.fee) return reject(txid, "ConflictingNonceInMempool");
    if (!sameNonce && ownPending.length >= MAX_TX_CHAIN) {
      return reject(txid, "TooMuchChaining", {
        message: "Too many transactions in the mempool chained to this one",
        expected: MAX_TX_CHAIN,
        actual: ownPending.length + 1,
        principal: origin,
        is_origin: true,
      });
    }

    const balance = this.chain.stxBalance(origin);
    const needed = fee + (p.payloadType === PayloadType.TokenTransfer ? p.amount : 0n);
    if (balance < needed) return reject(txid, "NotEnoughFunds", { expected: u128Hex(needed), actual: u128Hex(balance) });

    let fn: AbiFunction | undefined;
    if (p.payloadType === PayloadType.TokenTransfer) {
      const recipient = cvToString(p.recipient);
      if (recipient === origin) return reject(txid, "TransferRecipientCannotEqualSender", { recipient });
      if (p.amount === 0n) return reject(txid, "TransferAmountMustBePositive");
    } else if (p.payloadType === PayloadType.ContractCall) {
      const contractId = `${addressToString(p.contractAddress)}.${p.contractName.content}`;
      const iface = this.contractInterfaces().get(contractId);
      if (!iface) return reject(txid, "NoSuchContract");
      fn = iface.functions.find((f) => f.name === p.functionName.content && f.access === "public");
      if (!fn) return reject(txid, "NoSuchPublicFunction");
      if (fn.args.length !== p.functionArgs.length) {
        return reject(txid, "BadFunctionArgument", { message: `expected ${fn.args.length} arguments, got ${p.functionArgs.length}` });
      }
      const bad = fn.args.findIndex((a, i) => !admits(a.type, p.functionArgs[i]));
      if (bad >= 0) {
        return reject(txid, "BadFunctionArgument", {
          message: `argument ${bad + 1} (${fn.args[bad].name}) expects ${typeRepr(fn.args[bad].type)}, got ${cvToString(p.functionArgs[bad])}`,
        });
      }
    } else {
      const contractId = `${origin}.${p.contractName.content}`;
      if (this.contractInterfaces().has(contractId)) return reject(txid, "ContractAlreadyExists", { contract_identifier: contractId });
    }

    const record: Pending = {
      tx,
      txId: `0x${txid}`,
      origin,
      receiptTime: Math.floor(Date.now() / 1000),
      nonce,
      fee,
      seq: this.seq++,
      ...(fn ? { fn: { signature: functionSignature(fn), argNames: fn.args.map((a) => a.name), argTypes: fn.args.map((a) => typeRepr(a.type)) } } : {}),
    };
    if (sameNonce) {
      this.pending.delete(sameNonce.txId);
      this.dropped.set(sameNonce.txId, { record: sameNonce, by: record.txId });
    }
    this.pending.set(record.txId, record);
    return { ok: true, txid };
  }

  // ---- mining ----

  /** Mines `blocks` Stacks blocks (the first takes the mempool), then `burnBlocks` Bitcoin blocks. */
  mine(blocks = 1, burnBlocks = 0): Promise<void> {
    const run = this.lock.then(async () => {
      for (let i = 0; i < blocks; i++) {
        if (i === 0 && this.pending.size > 0) await this.mineMempool();
        else this.chain.mineEmptyStacksBlocks(1);
      }
      this.chain.mineEmptyBurnBlocks(burnBlocks);
    });
    this.lock = run.catch(() => {});
    return run;
  }

  /** Waits for the block being mined, if any. */
  idle(): Promise<unknown> {
    return this.lock;
  }

  private selectBlock(): Pending[] {
    // Per sender: consecutive nonces from the confirmed one, while the balance covers them.
    const queues = new Map<string, Pending[]>();
    const bySender = new Map<string, Pending[]>();
    for (const r of this.pending.values()) bySender.set(r.origin, [...(bySender.get(r.origin) ?? []), r]);
    for (const [origin, rs] of bySender) {
      rs.sort((a, b) => (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0));
      let next = this.confirmedNonce.get(origin) ?? 0n;
      let budget = this.chain.stxBalance(origin);
      const queue: Pending[] = [];
      for (const r of rs) {
        if (r.nonce < next) continue;
        if (r.nonce !== next) break;
        const p = r.tx.payload;
        const cost = r.fee + (p.payloadType === PayloadType.TokenTransfer ? p.amount : 0n);
        if (cost > budget) break;
        budget -= cost;
        queue.push(r);
        next++;
      }
      if (queue.length) queues.set(origin, queue);
    }
    // Across senders: the order of arrival, keeping each sender's nonce order.
    const block: Pending[] = [];
    for (;;) {
      let best: Pending[] | null = null;
      for (const q of queues.values()) if (q.length && (!best || q[0].seq < best[0].seq)) best = q;
      if (!best) return block;
      block.push(best.shift()!);
    }
  }

  private async mineMempool(): Promise<void> {
    const selected = this.selectBlock();
    if (!selected.length) {
      this.chain.mineEmptyStacksBlocks(1);
      return;
    }
    const planned: PlannedTx[] = selected.map((r) => ({ sender: r.origin, fee: r.fee, op: toSimnetTx(r) }));
    // A node checks post-conditions on contract calls and deploys, not on STX transfers.
    const outcomes = await this.chain.mineBlock(planned, (i, _result, events) =>
      selected[i].tx.payload.payloadType === PayloadType.TokenTransfer ? true : postConditionsHold(selected[i].tx, events),
    );
    const height = this.chain.stacksHeight;
    const burnHeight = this.chain.burnHeight;
    const time = Number(this.chain.simnet.getBlockTime());
    const summary: BlockSummary = { height, burnHeight, txs: [] };
    selected.forEach((r, i) => {
      const outcome = deployOutcome(r, outcomes[i]);
      const hiroEvents = eventsJson(r.txId, outcome.events);
      const record: MinedRecord = { ...r, outcome, blockHeight: height, burnBlockHeight: burnHeight, blockTime: time, burnBlockTime: time, txIndex: i, hiroEvents };
      this.pending.delete(r.txId);
      this.mined.set(r.txId, record);
      this.confirmedNonce.set(r.origin, r.nonce + 1n);
      this.lastExecutedNonce.set(r.origin, r.nonce);
      for (const e of hiroEvents) {
        if (e.event_type !== "smart_contract_log") continue;
        const list = this.contractLogs.get(e.contract_log.contract_id) ?? [];
        list.push({ event: e, blockHeight: height, txIndex: i });
        this.contractLogs.set(e.contract_log.contract_id, list);
      }
      const p = r.tx.payload;
      if ((p.payloadType === PayloadType.SmartContract || p.payloadType === PayloadType.VersionedSmartContract) && outcome.status === "success") {
        this.deployHeights.set(`${r.origin}.${p.contractName.content}`, height);
        this.interfaces = null;
      }
      summary.txs.push({ txId: r.txId, status: outcome.status, summary: describe(r) });
    });
    // A transaction that replaced one of these by fee while the block was being mined now
    // has a spent nonce: it can never be mined.
    for (const r of [...this.pending.values()]) {
      if (r.nonce >= (this.confirmedNonce.get(r.origin) ?? 0n)) continue;
      const winner = selected.find((m) => m.origin === r.origin && m.nonce === r.nonce);
      this.pending.delete(r.txId);
      this.dropped.set(r.txId, { record: r, by: winner?.txId ?? "" });
    }
    this.onBlock(summary);
  }

  // ---- reads ----

  contractInterfaces(): Map<string, { functions: AbiFunction[] } & Record<string, unknown>> {
    if (!this.interfaces) this.interfaces = this.chain.simnet.getContractsInterfaces() as unknown as Map<string, { functions: AbiFunction[] } & Record<string, unknown>>;
    return this.interfaces;
  }

  deployHeight(contractId: string): number {
    return this.deployHeights.get(contractId) ?? 0;
  }

  nonce(principal: string): bigint {
    return this.confirmedNonce.get(principal) ?? 0n;
  }

  transaction(txId: string) {
    const id = txId.startsWith("0x") ? txId.toLowerCase() : `0x${txId.toLowerCase()}`;
    const mined = this.mined.get(id);
    if (mined) return minedJson(mined);
    const pending = this.pending.get(id);
    if (pending) return mempoolJson(pending);
    const dropped = this.dropped.get(id);
    if (dropped) return { ...mempoolJson(dropped.record), tx_status: "dropped_replace_by_fee" as const, replaced_by_tx_id: dropped.by };
    return null;
  }

  /** Newest first, as the Hiro API orders them; each entry also carries its block_height. */
  contractEvents(contractId: string, limit: number, offset: number): ContractEventsPage & { results: { block_height: number }[] } {
    const all = this.contractLogs.get(contractId) ?? [];
    const newestFirst = all.slice().reverse();
    return {
      limit,
      offset,
      results: newestFirst.slice(offset, offset + limit).map((e) => ({ ...e.event, block_height: e.blockHeight })),
    };
  }

  nonces(principal: string): NoncesResponse {
    const executed = this.lastExecutedNonce.get(principal);
    const next = this.confirmedNonce.get(principal) ?? 0n;
    const mempool = [...this.pending.values()].filter((r) => r.origin === principal).map((r) => Number(r.nonce)).sort((a, b) => b - a);
    const lastMempool = mempool.length ? mempool[0] : null;
    const missing: number[] = [];
    if (lastMempool !== null) for (let n = lastMempool - 1; n >= Number(next); n--) if (!mempool.includes(n)) missing.push(n);
    return {
      last_executed_tx_nonce: executed === undefined ? null : Number(executed),
      last_mempool_tx_nonce: lastMempool,
      possible_next_nonce: Math.max(Number(next), lastMempool === null ? 0 : lastMempool + 1),
      detected_missing_nonces: missing,
      detected_mempool_nonces: mempool,
    };
  }

  /** STX this principal sends (fees and transfers) and receives (transfers) in mempool transactions. */
  pendingFlows(principal: string): { inbound: bigint; outbound: bigint } {
    let inbound = 0n;
    let outbound = 0n;
    for (const r of this.pending.values()) {
      const p = r.tx.payload;
      const amount = p.payloadType === PayloadType.TokenTransfer ? p.amount : 0n;
      if (r.origin === principal) outbound += r.fee + amount;
      if (p.payloadType === PayloadType.TokenTransfer && cvToString(p.recipient) === principal) inbound += amount;
    }
    return { inbound, outbound };
  }

  pendingCount(): number {
    return this.pending.size;
  }
}

function toSimnetTx(r: Pending): Tx {
  const p = r.tx.payload;
  switch (p.payloadType) {
    case PayloadType.TokenTransfer:
      return simnetTx.transferSTX(Number(p.amount), cvToString(p.recipient), r.origin);
    case PayloadType.ContractCall:
      return simnetTx.callPublicFn(`${addressToString(p.contractAddress)}.${p.contractName.content}`, p.functionName.content, p.functionArgs, r.origin);
    case PayloadType.SmartContract:
      // An unversioned contract gets the epoch's default Clarity version, as on a node.
      return simnetTx.deployContract(p.contractName.content, p.codeBody.content, { clarityVersion: ClarityVersion.Clarity4 }, r.origin);
    case PayloadType.VersionedSmartContract:
      return simnetTx.deployContract(p.contractName.content, p.codeBody.content, { clarityVersion: p.clarityVersion }, r.origin);
    default:
      throw new Error(`payload type ${p.payloadType} cannot be mined`);
  }
}

/** A successful deploy returns `true` in the simnet; a node reports `(ok true)`. */
function deployOutcome(r: Pending, outcome: TxOutcome): TxOutcome {
  const p = r.tx.payload;
  const isDeploy = p.payloadType === PayloadType.SmartContract || p.payloadType === PayloadType.VersionedSmartContract;
  if (isDeploy && outcome.status === "success" && outcome.result.type === "true") return { ...outcome, result: { type: "ok", value: outcome.result } as TxOutcome["result"] };
  return outcome;
}

function describe(r: Pending): string {
  const p = r.tx.payload;
  if (p.payloadType === PayloadType.ContractCall) return `${p.contractName.content}.${p.functionName.content}`;
  if (p.payloadType === PayloadType.TokenTransfer) return `transfer ${p.amount} uSTX`;
  if (p.payloadType === PayloadType.SmartContract || p.payloadType === PayloadType.VersionedSmartContract) return `deploy ${p.contractName.content}`;
  return "transaction";
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
