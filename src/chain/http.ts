// The HTTP backend: a Stacks node's RPC (/v2/...) and the Hiro API (/extended/...), for
// devnet, testnet and mainnet. Transactions are built and signed with @stacks/transactions,
// read through @stacks/blockchain-api-client; every request retries transient failures
// (connection refused/reset, timeouts, 5xx, 429) with exponential backoff.
//
// Nonces: one allocator per account, seeded from the API's possible_next_nonce, hands out
// consecutive nonces to concurrent calls; building, signing and broadcasting run one at a
// time per account (so the node sees nonces in order), waiting for results runs in
// parallel. A BadNonce/ConflictingNonceInMempool rejection resyncs from the node and retries.
//
// A broadcast is never signed twice: when the node may already hold the transaction (a
// retried post, no answer, a nonce rejection), its txid is looked up, and a transaction the
// node knows counts as sent.
import { createClient, type OperationResponse, type Transaction } from "@stacks/blockchain-api-client";
import { STACKS_DEVNET, STACKS_MAINNET, STACKS_TESTNET, type StacksNetwork } from "@stacks/network";
import {
  ClarityVersion,
  PostConditionMode,
  cvToHex,
  deserializeTransaction,
  estimateTransactionByteLength,
  fetchFeeEstimateTransaction,
  fetchFeeEstimateTransfer,
  serializePayload,
  hexToCV,
  makeContractCall,
  makeContractDeploy,
  makeUnsignedContractCall,
  privateKeyToAddress,
  privateKeyToPublic,
  type ClarityValue,
  type StacksTransactionWire,
} from "@stacks/transactions";
import { decode, type Plain } from "./clarity.js";
import { compareEvents, toContractEvent, type ChainBackend, type ContractEvent, type TxOptions, type TxOutcome } from "./backend.js";
import { BroadcastRejectedError, NodeError, TransactionFailedError, TxTimeoutError } from "./errors.js";

export type HttpNetworkName = "devnet" | "testnet" | "mainnet";

/** The network constants of @stacks/network; their client.baseUrl is the public default. */
export const NETWORKS: Record<HttpNetworkName, StacksNetwork> = {
  devnet: STACKS_DEVNET,
  testnet: STACKS_TESTNET,
  mainnet: STACKS_MAINNET,
};

/** The default node URL: the local devnet node, or Hiro's public API for testnet/mainnet. */
export function defaultNodeUrl(network: HttpNetworkName): string {
  return network === "devnet" ? "http://127.0.0.1:3999" : NETWORKS[network].client.baseUrl;
}

// ---------------------------------------------------------------------------------------
// Fetch with retries
// ---------------------------------------------------------------------------------------

export interface RetryOptions {
  /** Attempts after the first; default 5. */
  retries?: number;
  /** First backoff in ms, doubled each attempt (with jitter); default 250. */
  baseDelayMs?: number;
  /** Per-request timeout in ms; default 30 000. */
  requestTimeoutMs?: number;
  /** Called before each retry, for logs. */
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
  fetch?: typeof fetch;
}

const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT"]);

function errorCode(error: unknown): string | null {
  for (let e: any = error, depth = 0; e && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === "string") return e.code;
    if (e.name === "TimeoutError") return "ETIMEDOUT";
  }
  return null;
}

/** A fetch that retries transient failures; after the last attempt it throws a NodeError. */
export function retryingFetch(options: RetryOptions = {}): typeof fetch {
  const retries = options.retries ?? 5;
  const base = options.baseDelayMs ?? 250;
  const timeout = options.requestTimeoutMs ?? 30_000;
  const inner = options.fetch ?? globalThis.fetch;
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    for (let attempt = 0; ; attempt++) {
      let reason: string;
      let retryAfterMs = 0;
      try {
        const request = input instanceof Request ? input.clone() : input;
        const response = await inner(request, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeout) });
        if (response.status !== 429 && response.status < 500) return response;
        if (attempt >= retries) return response;
        reason = `HTTP ${response.status}`;
        const after = Number(response.headers.get("retry-after"));
        if (Number.isFinite(after) && after > 0) retryAfterMs = Math.min(after * 1000, 30_000);
        await response.body?.cancel().catch(() => {});
      } catch (error) {
        const code = errorCode(error);
        if (!code || !TRANSIENT_CODES.has(code)) throw error;
        if (attempt >= retries) throw new NodeError(`cannot reach the node at ${new URL(url).origin} (${code} after ${attempt + 1} attempts)`);
        reason = code;
      }
      const delayMs = Math.max(retryAfterMs, base * 2 ** attempt * (0.75 + Math.random() / 2));
      options.onRetry?.({ url, attempt: attempt + 1, delayMs, reason });
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }) as typeof fetch;
}

// ---------------------------------------------------------------------------------------
// Nonces
// ---------------------------------------------------------------------------------------

const NONCE_REASONS = new Set(["BadNonce", "ConflictingNonceInMempool"]);

/**
 * Rejections a node can give to a transaction it already holds or has mined: a nonce
 * rejection, or an "already in mempool" style reason (stacks-core itself answers a repeat
 * post with 200 and the txid, other nodes and proxies may not).
 */
function mayBeKnown(error: unknown): boolean {
  if (!(error instanceof BroadcastRejectedError)) return false;
  return NONCE_REASONS.has(error.reason) || /already/i.test(error.reason);
}

/** The 0x txid of a signed transaction, or null for bytes that are not one. */
function txidOf(tx: StacksTransactionWire | string): string | null {
  try {
    return `0x${(typeof tx === "string" ? deserializeTransaction(tx) : tx).txid()}`;
  } catch {
    return null;
  }
}

/**
 * Consecutive nonces for concurrent transactions from one account. `use` runs its callback
 * (sign and broadcast) one at a time per account with the next nonce; the nonce counts as
 * used only if the callback succeeds. A nonce rejection resyncs from the node and retries.
 */
export class NonceAllocator {
  private readonly next = new Map<string, bigint>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly fetchNonce: (address: string) => Promise<bigint>,
    private readonly attempts = 3,
  ) {}

  /** Forgets the local count; the next transaction asks the node. */
  resync(address: string): void {
    this.next.delete(address);
  }

  peek(address: string): bigint | undefined {
    return this.next.get(address);
  }

  use<T>(address: string, run: (nonce: bigint) => Promise<T>): Promise<T> {
    const previous = this.queues.get(address) ?? Promise.resolve();
    const task = previous.catch(() => {}).then(() => this.runWithNonce(address, run));
    this.queues.set(address, task);
    return task;
  }

  private async runWithNonce<T>(address: string, run: (nonce: bigint) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let nonce = this.next.get(address);
      if (nonce === undefined) {
        nonce = await this.fetchNonce(address);
        this.next.set(address, nonce);
      }
      try {
        const result = await run(nonce);
        this.next.set(address, nonce + 1n);
        return result;
      } catch (error) {
        if (error instanceof BroadcastRejectedError) {
          if (NONCE_REASONS.has(error.reason)) {
            this.resync(address);
            if (attempt < this.attempts) continue;
          }
          // Any other rejection: the nonce was not used; the next transaction takes it.
        } else this.resync(address); // unknown whether the node took it
        throw error;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// The backend
// ---------------------------------------------------------------------------------------

export interface HttpBackendOptions {
  network: HttpNetworkName;
  /** Node / API base URL; default defaultNodeUrl(network). */
  nodeUrl?: string;
  /** `<address>.<name>` of the DTS contract. */
  contractId: string;
  /** Private keys (hex) of the accounts that send transactions. */
  keys?: string[];
  /** A fixed fee in micro-STX for every transaction; default: the node's estimate. */
  fee?: bigint;
  /** The largest fee an estimate may set; default 10 STX. */
  maxFee?: bigint;
  /** Fee when the node has no estimate (a fresh devnet); default: refuse. */
  fallbackFee?: bigint;
  /** How long to wait for a transaction to be mined, in ms; default 10 minutes. */
  txTimeoutMs?: number;
  /** How often to poll for a transaction or a block, in ms; default 1000. */
  pollIntervalMs?: number;
  retry?: RetryOptions;
}

type TxResponse = Transaction;
type EventsPage = OperationResponse["get_contract_events_by_id"];

export class HttpBackend implements ChainBackend {
  readonly network: HttpNetworkName;
  readonly nodeUrl: string;
  readonly contractId: string;
  readonly stacksNetwork: StacksNetwork;
  readonly nonces: NonceAllocator;
  private readonly fetch: typeof fetch;
  private readonly api: ReturnType<typeof createClient>;
  private readonly keys = new Map<string, string>();
  private readonly txBlocks = new Map<string, { blockHeight: number; txIndex: number }>();

  constructor(private readonly options: HttpBackendOptions) {
    this.network = options.network;
    this.nodeUrl = (options.nodeUrl ?? defaultNodeUrl(options.network)).replace(/\/+$/, "");
    this.contractId = options.contractId;
    this.fetch = retryingFetch(options.retry);
    this.stacksNetwork = { ...NETWORKS[options.network], client: { baseUrl: this.nodeUrl, fetch: this.fetch } };
    this.api = createClient({ baseUrl: this.nodeUrl, fetch: this.fetch as (request: Request) => Promise<Response> });
    this.nonces = new NonceAllocator((address) => this.fetchNonce(address));
    for (const key of options.keys ?? []) this.addKey(key);
  }

  /** Registers a sending account; returns its address. The key stays in memory only. */
  addKey(privateKey: string): string {
    const address = privateKeyToAddress(privateKey, this.stacksNetwork);
    this.keys.set(address, privateKey);
    return address;
  }

  get addresses(): string[] {
    return [...this.keys.keys()];
  }

  private keyOf(sender: string): string {
    const key = this.keys.get(sender);
    if (!key) throw new Error(`no private key for ${sender}: pass it to the HttpBackend (keys or addKey)`);
    return key;
  }

  private get contractParts(): [string, string] {
    const [address, name] = this.contractId.split(".");
    return [address!, name!];
  }

  // --- reads

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await this.fetch(`${this.nodeUrl}${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new NodeError(`${init?.method ?? "GET"} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`, response.status);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new NodeError(`${path}: the node's answer is not JSON`);
    }
  }

  async info(): Promise<{ stacks_tip_height: number; burn_block_height: number; network_id: number }> {
    return this.json("/v2/info");
  }

  async blockHeight(): Promise<number> {
    return (await this.info()).stacks_tip_height;
  }

  async burnBlockHeight(): Promise<number> {
    return (await this.info()).burn_block_height;
  }

  /**
   * The last block the API has indexed (its status' chain_tip): events() and transaction()
   * see nothing newer. The indexer can be a block or more behind the node's tip (/v2/info).
   */
  async indexedHeight(): Promise<number> {
    const { data, response } = await this.api.GET("/extended");
    // A bare node without the extended API: nothing lags it.
    if (response.status === 404) return this.blockHeight();
    if (!data) throw new NodeError(`API status: HTTP ${response.status}`, response.status);
    if (!data.chain_tip) throw new NodeError("API status: no block indexed yet");
    return data.chain_tip.block_height;
  }

  async balance(address: string): Promise<bigint> {
    const account = await this.json<{ balance: string; nonce: number }>(`/v2/accounts/${address}?proof=0`);
    return BigInt(account.balance);
  }

  /** The next nonce the node will accept from `address`, counting its mempool. */
  async fetchNonce(address: string): Promise<bigint> {
    const { data, response } = await this.api.GET("/extended/v1/address/{principal}/nonces", { params: { path: { principal: address } } });
    if (data) return BigInt(data.possible_next_nonce);
    if (response.status !== 404) throw new NodeError(`nonce of ${address}: HTTP ${response.status}`, response.status);
    // A bare node without the extended API: its account nonce.
    const account = await this.json<{ nonce: number }>(`/v2/accounts/${address}?proof=0`);
    return BigInt(account.nonce);
  }

  async callReadOnly(fn: string, args: ClarityValue[], sender?: string): Promise<ClarityValue> {
    const [address, name] = this.contractParts;
    const body = JSON.stringify({ sender: sender ?? address, arguments: args.map((a) => cvToHex(a)) });
    const result = await this.json<{ okay: boolean; result?: string; cause?: string }>(
      `/v2/contracts/call-read/${address}/${name}/${encodeURIComponent(fn)}`,
      { method: "POST", headers: { "Content-Type": "application/json" }, body },
    );
    if (!result.okay || !result.result) throw new NodeError(`${fn}: read-only call failed: ${result.cause ?? "no result"}`);
    return hexToCV(result.result);
  }

  /** The contract interface (ABI) as the node reports it. */
  async contractInterface(): Promise<unknown> {
    const [address, name] = this.contractParts;
    return this.json(`/v2/contracts/interface/${address}/${name}`);
  }

  // --- transactions

  /**
   * Fee for a transaction: the fixed one, or the node's middle estimate (/v2/fees/transaction;
   * without an estimate, the transfer fee rate times the length) capped at maxFee.
   */
  async estimateFee(tx: StacksTransactionWire): Promise<bigint> {
    if (this.options.fee !== undefined) return this.options.fee;
    const client = this.stacksNetwork.client;
    let fee: bigint;
    try {
      try {
        const estimates = await fetchFeeEstimateTransaction({
          payload: serializePayload(tx.payload),
          estimatedLength: estimateTransactionByteLength(tx),
          network: this.stacksNetwork,
          client,
        });
        fee = BigInt(estimates[1].fee);
      } catch (error) {
        // NoEstimateAvailableError is not exported by @stacks/transactions; its name is.
        if ((error as Error).name !== "NoEstimateAvailableError") throw error;
        // The library's own fallback would ask the network's default URL, not this node.
        fee = await fetchFeeEstimateTransfer({ transaction: tx, network: this.stacksNetwork, client });
      }
    } catch (error) {
      if (this.options.fallbackFee !== undefined) return this.options.fallbackFee;
      throw new NodeError(`fee estimate failed: ${(error as Error).message}; set a fee`);
    }
    const max = this.options.maxFee ?? 10_000_000n;
    return fee > max ? max : fee;
  }

  /**
   * Broadcasts a signed transaction; returns its 0x txid or throws BroadcastRejectedError.
   * When the node may already hold it (the post was retried after a timeout, a reset or a
   * 5xx, none of its attempts got an answer, or it was refused for its nonce or as already
   * known), the txid is looked up: a transaction the node knows was sent, and the caller
   * must not sign the call again with the next nonce.
   */
  async broadcast(tx: StacksTransactionWire | string, fn: string | null = null): Promise<string> {
    const hex = typeof tx === "string" ? tx : tx.serialize();
    let retried = false;
    try {
      return await this.postTransaction(hex, fn, () => (retried = true));
    } catch (error) {
      const noAnswer = !(error instanceof BroadcastRejectedError);
      if (!retried && !noAnswer && !mayBeKnown(error)) throw error;
      const txid = txidOf(tx);
      if (!txid) throw error;
      if (await this.isKnown(txid)) return txid;
      // A retried post whose first attempt may have landed, and the API does not list it
      // (yet): a nonce rejection now would make the allocator sign the call a second time.
      if (retried && mayBeKnown(error)) {
        throw new NodeError(`${fn ? `${fn}: ` : ""}broadcast of ${txid} was retried and then refused (${(error as BroadcastRejectedError).reason}); the first attempt may have been accepted, so it is not sent again`);
      }
      throw error;
    }
  }

  /** One POST /v2/transactions (retried on transient failures; `onRetry` is told). */
  private async postTransaction(hex: string, fn: string | null, onRetry: () => void): Promise<string> {
    const retry = this.options.retry;
    const fetch = retryingFetch({
      ...retry,
      onRetry: (info) => {
        onRetry();
        retry?.onRetry?.(info);
      },
    });
    const response = await fetch(`${this.nodeUrl}/v2/transactions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tx: hex }),
    });
    const text = await response.text();
    if (response.ok) {
      const txid = text.replace(/"/g, "").trim();
      if (!/^(0x)?[0-9a-fA-F]{64}$/.test(txid)) throw new NodeError(`broadcast: unexpected answer ${text.slice(0, 200)}`);
      return txid.startsWith("0x") ? txid : `0x${txid}`;
    }
    let body: { error?: string; reason?: string; reason_data?: unknown; txid?: string } = {};
    try {
      body = JSON.parse(text);
    } catch {
      throw new NodeError(`broadcast: HTTP ${response.status} ${text.slice(0, 300)}`, response.status);
    }
    throw new BroadcastRejectedError(body.reason ?? body.error ?? `HTTP ${response.status}`, body.reason_data ?? null, body.txid ? `0x${body.txid.replace(/^0x/, "")}` : null, fn);
  }

  /** Whether the API knows the transaction (pending, mined or replaced); false if it cannot tell. */
  private async isKnown(txid: string): Promise<boolean> {
    try {
      return (await this.transaction(txid)) !== null;
    } catch {
      return false;
    }
  }

  /** Builds, signs and broadcasts a contract call with the next nonce; does not wait. */
  async submit(fn: string, args: ClarityValue[], sender: string, options: TxOptions = {}): Promise<{ txid: string; nonce: bigint; fee: bigint }> {
    const senderKey = this.keyOf(sender);
    const [contractAddress, contractName] = this.contractParts;
    const common = { contractAddress, contractName, functionName: fn, functionArgs: args, network: this.stacksNetwork, postConditionMode: PostConditionMode.Allow };
    const fee = options.fee ?? (await this.estimateFee(await makeUnsignedContractCall({ ...common, publicKey: privateKeyToPublic(senderKey) as string, fee: 0n, nonce: 0n })));
    const send = async (nonce: bigint) => {
      const tx = await makeContractCall({ ...common, senderKey, fee, nonce });
      return { txid: await this.broadcast(tx, fn), nonce, fee };
    };
    return options.nonce !== undefined ? send(options.nonce) : this.nonces.use(sender, send);
  }

  async callPublic(fn: string, args: ClarityValue[], sender: string, options: TxOptions = {}): Promise<TxOutcome> {
    const { txid, nonce, fee } = await this.submit(fn, args, sender, options);
    const outcome = await this.waitForTx(txid, options.timeoutMs);
    return { ...outcome, nonce, fee };
  }

  /** Deploys a Clarity contract (Clarity 4 unless told) and waits for it. */
  async deployContract(name: string, codeBody: string, sender: string, options: TxOptions & { clarityVersion?: ClarityVersion } = {}): Promise<TxOutcome> {
    const senderKey = this.keyOf(sender);
    const common = { contractName: name, codeBody, clarityVersion: options.clarityVersion ?? ClarityVersion.Clarity4, network: this.stacksNetwork, postConditionMode: PostConditionMode.Allow };
    const fee = options.fee ?? (await this.estimateFee(await makeContractDeploy({ ...common, senderKey, fee: 0n, nonce: 0n })));
    const send = async (nonce: bigint) => {
      const tx = await makeContractDeploy({ ...common, senderKey, fee, nonce });
      return { txid: await this.broadcast(tx, `deploy ${name}`), nonce, fee };
    };
    const sent = options.nonce !== undefined ? await send(options.nonce) : await this.nonces.use(sender, send);
    return { ...(await this.waitForTx(sent.txid, options.timeoutMs)), nonce: sent.nonce, fee: sent.fee };
  }

  /** The transaction as the API reports it, or null while it is unknown (not yet indexed). */
  async transaction(txid: string): Promise<TxResponse | { tx_status: string; tx_id: string } | null> {
    const { data, response } = await this.api.GET("/extended/v1/tx/{tx_id}", { params: { path: { tx_id: txid }, query: { event_limit: 200 } } });
    if (response.status === 404) return null;
    if (!data) throw new NodeError(`transaction ${txid}: HTTP ${response.status}`, response.status);
    return data as TxResponse;
  }

  /**
   * Polls until the transaction is mined. Resolves with its result (`ok` false for an
   * (err ...) response); throws TransactionFailedError for a post-condition abort or a drop,
   * TxTimeoutError after timeoutMs.
   */
  async waitForTx(txid: string, timeoutMs = this.options.txTimeoutMs ?? 600_000): Promise<TxOutcome> {
    const deadline = Date.now() + timeoutMs;
    const interval = this.options.pollIntervalMs ?? 1000;
    for (;;) {
      const tx = await this.transaction(txid);
      if (tx && tx.tx_status !== "pending") {
        if (tx.tx_status === "success" || tx.tx_status === "abort_by_response") return this.outcomeOf(tx as TxResponse);
        const detail = "vm_error" in tx && tx.vm_error ? String(tx.vm_error) : "";
        throw new TransactionFailedError(txid, tx.tx_status, detail);
      }
      if (Date.now() >= deadline) throw new TxTimeoutError(txid, timeoutMs);
      await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(0, deadline - Date.now()))));
    }
  }

  private outcomeOf(tx: TxResponse): TxOutcome {
    const result = decode(hexToCV(tx.tx_result.hex)) as Plain;
    const response = typeof result === "object" && result !== null && !Array.isArray(result) && ("ok" in result || "err" in result);
    const ok = response ? "ok" in result : tx.tx_status === "success";
    this.txBlocks.set(tx.tx_id, { blockHeight: tx.block_height, txIndex: tx.tx_index });
    const events: ContractEvent[] = [];
    for (const e of tx.events) {
      if (e.event_type !== "smart_contract_log" || e.contract_log.contract_id !== this.contractId || e.contract_log.topic !== "print") continue;
      const event = toContractEvent(decode(hexToCV(e.contract_log.value.hex)), { blockHeight: tx.block_height, txid: tx.tx_id, txIndex: tx.tx_index, eventIndex: e.event_index });
      if (event) events.push(event);
    }
    return {
      txid: tx.tx_id,
      ok,
      value: response ? ((result as Record<string, Plain>).ok ?? (result as Record<string, Plain>).err!) : result,
      events: events.sort(compareEvents),
      blockHeight: tx.block_height,
      fee: BigInt(tx.fee_rate),
      nonce: BigInt(tx.nonce),
    };
  }

  private async blockOf(txid: string): Promise<{ blockHeight: number; txIndex: number }> {
    const known = this.txBlocks.get(txid);
    if (known) return known;
    const tx = await this.transaction(txid);
    if (!tx || !("block_height" in tx)) throw new NodeError(`event of unknown transaction ${txid}`);
    const where = { blockHeight: tx.block_height, txIndex: tx.tx_index };
    this.txBlocks.set(txid, where);
    return where;
  }

  /**
   * The contract's print events in blocks >= fromBlock, oldest first. The API lists a
   * contract's events newest first without their block, so pages are read until an event
   * older than fromBlock, and each transaction's block is looked up once (and cached).
   * An event indexed between two page reads shifts the offsets by one: the next page then
   * starts with events already read, which are dropped by (txid, event index).
   */
  async events(fromBlock: number): Promise<ContractEvent[]> {
    const limit = 50;
    const out: ContractEvent[] = [];
    const seen = new Set<string>();
    for (let offset = 0; ; offset += limit) {
      const { data, response } = await this.api.GET("/extended/v1/contract/{contract_id}/events", {
        params: { path: { contract_id: this.contractId }, query: { limit, offset } },
      });
      if (!data) {
        if (response.status === 404) return out.sort(compareEvents);
        throw new NodeError(`events of ${this.contractId}: HTTP ${response.status}`, response.status);
      }
      const page = data as EventsPage;
      let older = false;
      for (const e of page.results) {
        if (e.event_type !== "smart_contract_log" || e.contract_log.topic !== "print") continue;
        const key = `${e.tx_id}:${e.event_index}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const where = await this.blockOf(e.tx_id);
        if (where.blockHeight < fromBlock) {
          older = true;
          continue;
        }
        const event = toContractEvent(decode(hexToCV(e.contract_log.value.hex)), { ...where, txid: e.tx_id, eventIndex: e.event_index });
        if (event) out.push(event);
      }
      if (older || page.results.length < limit) return out.sort(compareEvents);
    }
  }

  async waitForBlock(height: number, timeoutMs = this.options.txTimeoutMs ?? 600_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tip = await this.blockHeight();
      if (tip >= height) return tip;
      if (Date.now() >= deadline) throw new NodeError(`block ${height} not reached within ${Math.round(timeoutMs / 1000)} s (tip ${tip})`);
      await new Promise((r) => setTimeout(r, this.options.pollIntervalMs ?? 1000));
    }
  }
}
