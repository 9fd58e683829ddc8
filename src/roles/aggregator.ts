// The aggregator as a long-running process (or inside a signer node, `[signer] aggregate =
// true`): collects the partials of each request from the contract's events, combines them
// robustly (the first t at once; if that does not verify, every partial is checked and the
// bad ones dropped) against the epoch's share keys and group key, submits the aggregate once
// t valid partials are in and none stands, and after the aggregate's settle-at (burn-now)
// settles the fee. Competing aggregators never fail each other: it reads the request before
// submitting, and ERR-ALREADY-FINALIZED / ERR-FEE-SETTLED mean someone else did it. An
// aggregate that watchtowers rejected, or that was dropped below t, is recombined.
import type { DtsClient } from "../chain/client.js";
import type { ContractEvent } from "../chain/backend.js";
import { InsufficientValidPartialsError, ThresholdNotMetError, robustCombine, toHex, verify } from "../crypto/index.js";
import { followStored, type Follower } from "./follow.js";
import { ChainView, contractErrorName, describeError, field, hex } from "./chain-view.js";
import type { RoleStore, StoredRequest } from "./watchtower-store.js";
import type { RoleAction } from "./watchtower.js";
import { MAX_TXS_IN_FLIGHT, inParallel } from "./parallel.js";

export interface AggregatorOptions {
  /** Sends as the aggregator's account (client.sender). */
  client: DtsClient;
  store: RoleStore;
  pollIntervalMs?: number;
  /** First block to follow; default: where the store left off. */
  fromBlock?: number;
  log?: (line: string) => void;
  onAction?: (action: RoleAction) => void;
}

export class Aggregator {
  readonly address: string;
  /** Unexpected failures (contract errors that do not just mean "done", node errors), newest last. */
  readonly errors: string[] = [];
  private readonly view: ChainView;
  private readonly store: RoleStore;
  private follower: Follower | null = null;
  private readonly log: (line: string) => void;
  private readonly emit: (action: RoleAction) => void;
  /** Per request attempt: the partial set a combination last failed on (retry when it grows). */
  private readonly failedWith = new Map<string, string>();
  /** Standing aggregates already checked (request attempt and aggregate). */
  private readonly checked = new Set<string>();

  constructor(private readonly options: AggregatorOptions) {
    if (!options.client.sender) throw new Error("the aggregator's client needs a sender");
    this.address = options.client.sender;
    this.view = new ChainView(options.client);
    this.store = options.store;
    this.log = options.log ?? (() => {});
    this.emit = options.onAction ?? (() => {});
  }

  private get client(): DtsClient {
    return this.options.client;
  }

  get next(): number {
    return this.follower?.next ?? this.store.next;
  }

  async start(): Promise<void> {
    if (this.follower) return;
    this.follower = followStored({
      backend: this.client.backend,
      store: this.store,
      fromBlock: this.options.fromBlock,
      pollIntervalMs: this.options.pollIntervalMs,
      handle: (events) => this.handle(events),
      onError: (error) => this.fail(`${describeError(error)} (retrying)`),
    });
    this.log(`aggregator ${this.address}: following ${this.client.contractId} from block ${this.follower.next}`);
  }

  async stop(): Promise<void> {
    const follower = this.follower;
    this.follower = null;
    if (follower) await follower.stop();
  }

  private fail(line: string): void {
    this.errors.push(line);
    this.log(`aggregator: ${line}`);
  }

  /** Records a batch of events, then advances every open request (concurrently: a burst's aggregates are sent together, see MAX_TXS_IN_FLIGHT). */
  async handle(events: ContractEvent[]): Promise<void> {
    for (const event of events) {
      const d = event.data;
      if (event.topic === "signature-requested") {
        this.store.addRequest({
          hash: field.str(d, "message-hash"),
          attempt: field.num(d, "attempt"),
          epoch: field.num(d, "epoch"),
          block: event.blockHeight,
          deadline: field.big(d, "deadline"),
          interval: 0,
        });
      } else if (event.topic === "partial-signature") {
        const hash = field.str(d, "message-hash");
        this.store.addPartial({
          hash,
          attempt: this.store.request(hash)?.attempt ?? 1,
          signer: field.str(d, "signer"),
          index: field.num(d, "index"),
          signature: field.str(d, "signature"),
          epoch: field.num(d, "epoch"),
          block: event.blockHeight,
          valid: null,
          interval: 0,
        });
      } else if (event.topic === "aggregate-rejected" || event.topic === "aggregate-dropped") {
        this.log(`${event.topic} on ${field.str(d, "message-hash").slice(0, 18)}…: recombining`);
      }
    }
    const newest = new Map<string, StoredRequest>();
    for (const r of this.store.requests()) newest.set(r.hash, r);
    const open = [...newest.values()].filter((r) => !this.store.isDone("finished", `${r.hash}:${r.attempt}`));
    if (open.length === 0) return;
    const clock = await this.view.clock();
    if (clock.paused) return; // nothing can be submitted or settled until the guardian unpauses
    await inParallel(open, MAX_TXS_IN_FLIGHT, async (request) => {
      try {
        await this.advance(request, clock.stacksNow, clock.burnNow);
      } catch (error) {
        this.fail(`${request.hash.slice(0, 18)}…: ${describeError(error)}`);
      }
    });
  }

  private async advance(request: StoredRequest, stacksNow: bigint, burnNow: bigint): Promise<void> {
    const item = `${request.hash}:${request.attempt}`;
    const onChain = await this.view.record("get-request", request.hash);
    if (!onChain) return;
    if (onChain.attempt !== BigInt(request.attempt) || onChain.refunded === true || onChain["fee-paid"] === true) {
      this.store.markDone("finished", item, onChain["fee-paid"] === true ? "settled" : "closed");
      return;
    }
    const keys = await this.view.epoch(request.epoch);
    if (!keys?.groupKey) return;
    const standing = onChain["aggregate-signature"];
    if (typeof standing === "string") {
      if (!this.checked.has(`${item}:${standing}`)) {
        this.checked.add(`${item}:${standing}`);
        // Someone else's: the watchtowers reject an invalid one before settle-at, then it recombines.
        if (!verify(keys.groupKey, hex(request.hash), hex(standing)))
          this.log(`${request.hash.slice(0, 18)}…: the standing aggregate does not verify against the group key; waiting for the watchtowers to reject it`);
      }
      if (burnNow > (onChain["settle-at"] as bigint)) await this.settle(request, item);
      return;
    }
    const partialCount = Number(onChain["partial-count"] as bigint);
    if (partialCount < keys.threshold) {
      // No partial arrives after the deadline: the requester reclaims the fee.
      if (stacksNow > request.deadline) this.store.markDone("finished", item, "expired");
      return;
    }
    const partials = this.store.partials(request.hash, request.attempt);
    const seen = partials.map((p) => p.signer).join(",");
    if (this.failedWith.get(item) === seen) return;
    let combined;
    try {
      combined = robustCombine({
        messageHash: hex(request.hash),
        partials: partials.map((p) => ({ index: p.index, signature: hex(p.signature) })),
        threshold: keys.threshold,
        groupKey: keys.groupKey,
        shareKeys: keys.shareKeys,
      });
    } catch (error) {
      if (error instanceof InsufficientValidPartialsError || error instanceof ThresholdNotMetError) {
        this.failedWith.set(item, seen);
        this.log(`${request.hash.slice(0, 18)}…: fewer than ${keys.threshold} valid partials so far (${describeError(error)})`);
        return;
      }
      throw error;
    }
    if (combined.invalid.length > 0) this.log(`${request.hash.slice(0, 18)}…: dropped invalid partial(s) of share(s) ${combined.invalid.join(",")}`);
    // Someone else's aggregate may have landed since the read above.
    const current = await this.client.getRequest(request.hash);
    if (!current || current.aggregateSignature !== null) return;
    const signature = toHex(combined.signature);
    try {
      const result = await this.client.submitAggregateSignature(request.hash, combined.signature);
      this.log(`submit-aggregate-signature on ${request.hash.slice(0, 18)}… from shares ${combined.signers.join(",")}; settle after burn ${result.value}`);
      this.emit({
        event: "aggregated",
        messageHash: request.hash,
        signature: `0x${signature}`,
        signers: combined.signers.join(","),
        invalid: combined.invalid.join(","),
        settleAt: result.value.toString(),
        txid: result.txid,
      });
    } catch (error) {
      const name = contractErrorName(error);
      if (name === "ERR-ALREADY-FINALIZED") this.log(`${request.hash.slice(0, 18)}…: another aggregate landed first`);
      else if (name === "ERR-THRESHOLD-NOT-MET") this.log(`${request.hash.slice(0, 18)}…: partials fell below the threshold`);
      else throw error;
    }
  }

  private async settle(request: StoredRequest, item: string): Promise<void> {
    try {
      const result = await this.client.settleFee(request.hash);
      this.store.markDone("finished", item, "settled");
      this.log(`settle-fee on ${request.hash.slice(0, 18)}…: ${result.value} uSTX to the signers`);
      this.emit({ event: "settled", messageHash: request.hash, paid: result.value.toString(), txid: result.txid });
    } catch (error) {
      const name = contractErrorName(error);
      if (name === "ERR-FEE-SETTLED") this.store.markDone("finished", item, "settled by another");
      else if (name !== "ERR-NOT-FINALIZED" && name !== "ERR-DEADLINE-NOT-REACHED") throw error;
    }
  }
}
