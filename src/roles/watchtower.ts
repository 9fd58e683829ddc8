// The watchtower as a long-running process: bonds itself, follows the contract's events,
// verifies every partial against its share key and every aggregate against the group key,
// files claims against invalid ones (each watchtower files its own: a claim needs the
// supermajority of active watchtowers), penalizes missed signatures after a request's
// deadline, expires other watchtowers' claims that closed without quorum, cancels forming
// epochs past their DKG timeout, and reports each committee member's metrics once per report
// interval. Its state (follower position, observations, what it did) lives in a RoleStore.
import type { DtsClient } from "../chain/client.js";
import type { ContractEvent } from "../chain/backend.js";
import { verify, verifyPartials } from "../crypto/index.js";
import { followStored, type Follower } from "./follow.js";
import { ChainView, contractErrorName, describeError, field, hex, type Clock } from "./chain-view.js";
import type { RoleStore, StoredRequest } from "./watchtower-store.js";

/** One notable action, as the `--json` output prints it. */
export interface RoleAction {
  event: string;
  [key: string]: string | number | boolean | null;
}

export interface WatchtowerOptions {
  /** Sends as the watchtower's account (client.sender). */
  client: DtsClient;
  store: RoleStore;
  /** Register (lock watchtower-bond) at start if not registered; default true. */
  bond?: boolean;
  /** Submit per-interval metric reports; default true. */
  report?: boolean;
  /** Call penalize-missed-signature after deadlines; default true. */
  penalize?: boolean;
  /** Expire other watchtowers' claims that closed without quorum; default true. */
  expireClaims?: boolean;
  /** Cancel forming epochs past their DKG timeout; default true. */
  cancelEpochs?: boolean;
  pollIntervalMs?: number;
  /** First block to follow; default: where the store left off. */
  fromBlock?: number;
  /** Human progress lines. */
  log?: (line: string) => void;
  /** Notable actions (claimed, penalized, ...). */
  onAction?: (action: RoleAction) => void;
}

/** Contract errors that mean an action is settled (done by us or someone else, or moot). */
const CLAIM_DONE = new Set(["ERR-ALREADY-REPORTED", "ERR-CLAIM-EXPIRED", "ERR-NOT-PENALIZABLE", "ERR-UNKNOWN-REQUEST"]);
const PENALTY_DONE = new Set(["ERR-ALREADY-REPORTED", "ERR-NOT-PENALIZABLE", "ERR-NOT-REGISTERED", "ERR-UNKNOWN-REQUEST"]);
const EXPIRE_DONE = new Set(["ERR-UNKNOWN-CLAIM", "ERR-ALREADY-FINALIZED", "ERR-UNKNOWN-REQUEST"]);
const REPORT_DONE = new Set(["ERR-ALREADY-REPORTED", "ERR-NOT-REGISTERED", "ERR-INVALID-METRICS", "ERR-UNAUTHORIZED"]);

export class Watchtower {
  readonly address: string;
  /** Unexpected failures (contract errors that do not just mean "done", node errors), newest last. */
  readonly errors: string[] = [];
  private readonly view: ChainView;
  private readonly store: RoleStore;
  private follower: Follower | null = null;
  private readonly log: (line: string) => void;
  private readonly emit: (action: RoleAction) => void;
  private warnedInactive = false;
  /** The bond question is settled (bonded, or not to bond). */
  private bondSettled = false;

  constructor(private readonly options: WatchtowerOptions) {
    if (!options.client.sender) throw new Error("the watchtower's client needs a sender");
    this.address = options.client.sender;
    this.view = new ChainView(options.client);
    this.store = options.store;
    this.log = options.log ?? (() => {});
    this.emit = options.onAction ?? (() => {});
  }

  private get client(): DtsClient {
    return this.options.client;
  }

  /** The next block to handle. */
  get next(): number {
    return this.follower?.next ?? this.store.next;
  }

  /** Bonds if asked to, then follows the chain until stop(). */
  async start(): Promise<void> {
    if (this.follower) return;
    await this.tryBond();
    this.follower = followStored({
      backend: this.client.backend,
      store: this.store,
      fromBlock: this.options.fromBlock,
      pollIntervalMs: this.options.pollIntervalMs,
      handle: (events) => this.handle(events),
      onError: (error) => this.fail(`${describeError(error)} (retrying)`),
    });
    this.log(`watchtower ${this.address}: following ${this.client.contractId} from block ${this.follower.next}`);
  }

  async stop(): Promise<void> {
    const follower = this.follower;
    this.follower = null;
    if (follower) await follower.stop();
  }

  private fail(line: string): void {
    this.errors.push(line);
    this.log(`watchtower: ${line}`);
  }

  /** Bonds, or logs why it cannot yet (not initialized, paused, too little STX) and retries on the next block. */
  private async tryBond(): Promise<void> {
    try {
      await this.ensureBond();
      this.bondSettled = true;
    } catch (error) {
      const name = contractErrorName(error);
      if (!name) throw error;
      this.log(`register-watchtower: ${describeError(error)} (retrying on the next block)`);
    }
  }

  private async ensureBond(): Promise<void> {
    const tower = await this.client.getWatchtower(this.address);
    if (tower) {
      if (!tower.isActive) this.log(`watchtower ${this.address} is registered but not active: it cannot claim or report`);
      return;
    }
    if (this.options.bond === false) {
      this.log(`watchtower ${this.address} is not registered (bond = false): it only penalizes, expires and cancels`);
      return;
    }
    const result = await this.client.registerWatchtower();
    const bond = (await this.client.getWatchtower(this.address))?.bond ?? 0n;
    this.log(`register-watchtower: bonded ${bond} uSTX`);
    this.emit({ event: "registered", watchtower: this.address, bond: bond.toString(), txid: result.txid });
  }

  /** Handles one batch of events and everything due at the tip. */
  async handle(events: ContractEvent[]): Promise<void> {
    if (!this.bondSettled) await this.tryBond();
    const clock = await this.view.clock();
    const config = await this.client.getConfig();
    const reportInterval = config.reportInterval > 0n ? config.reportInterval : 1n;
    const interval = Number(clock.burnNow / reportInterval);
    for (const event of events) await this.observe(event, interval);
    // While the contract is paused every action fails (ERR-PAUSED) and no clock runs: observe only.
    if (clock.paused) return;
    const tower = await this.client.getWatchtower(this.address);
    const active = tower?.isActive ?? false;
    if (!active && !this.warnedInactive && (this.store.invalidPartials().length > 0 || this.options.report !== false)) {
      this.warnedInactive = true;
      this.log(`watchtower ${this.address} is not an active watchtower: claims and reports are skipped`);
    }
    if (active) {
      await this.claimPartials();
      await this.claimAggregates();
    }
    if (this.options.penalize !== false) await this.penalizeMissed(clock);
    if (this.options.expireClaims !== false) await this.expireClaims(clock);
    if (this.options.cancelEpochs !== false) await this.cancelEpochs(clock);
    if (active && this.options.report !== false) await this.report(interval, config.signingTimeout);
  }

  private async observe(event: ContractEvent, interval: number): Promise<void> {
    const d = event.data;
    switch (event.topic) {
      case "committee-rotated":
        this.store.setEpoch(field.num(d, "epoch"), "pending");
        break;
      case "epoch-activated":
        this.store.setEpoch(field.num(d, "epoch"), "active");
        break;
      case "epoch-cancelled":
        this.store.setEpoch(field.num(d, "epoch"), "cancelled");
        break;
      case "signature-requested":
        this.store.addRequest({
          hash: field.str(d, "message-hash"),
          attempt: field.num(d, "attempt"),
          epoch: field.num(d, "epoch"),
          block: event.blockHeight,
          deadline: field.big(d, "deadline"),
          interval,
        });
        break;
      case "partial-signature":
        await this.checkPartial(event, interval);
        break;
      case "signature-finalized":
        await this.checkAggregate(event);
        break;
      case "invalid-signature-claim":
        if (d.confirmed === true) this.store.removeClaim("partial", field.str(d, "message-hash"), field.str(d, "signer"));
        else this.store.addClaim({ kind: "partial", hash: field.str(d, "message-hash"), subject: field.str(d, "signer"), claimant: field.str(d, "watchtower") });
        break;
      case "invalid-aggregate-claim":
        if (d.confirmed === true) this.store.removeClaim("aggregate", field.str(d, "message-hash"), field.str(d, "aggregate"));
        else
          this.store.addClaim({ kind: "aggregate", hash: field.str(d, "message-hash"), subject: field.str(d, "aggregate"), claimant: field.str(d, "watchtower") });
        break;
      case "aggregate-rejected":
      case "aggregate-dropped":
        if (typeof d.aggregate === "string") this.store.removeClaim("aggregate", field.str(d, "message-hash"), d.aggregate);
        break;
      case "claim-expired":
        if (typeof d.signer === "string") this.store.removeClaim("partial", field.str(d, "message-hash"), d.signer);
        break;
    }
  }

  private async checkPartial(event: ContractEvent, interval: number): Promise<void> {
    const d = event.data;
    const hash = field.str(d, "message-hash");
    const signer = field.str(d, "signer");
    const index = field.num(d, "index");
    const epoch = field.num(d, "epoch");
    const signature = field.str(d, "signature");
    const keys = await this.view.epoch(epoch);
    if (!keys || keys.shareKeys.length === 0) throw new Error(`partial for epoch ${epoch}, which has no share keys`);
    let valid: boolean;
    try {
      valid = verifyPartials(hex(hash), [{ index, signature: hex(signature) }], keys.shareKeys)[0]!;
    } catch {
      valid = false; // an index outside the committee or a malformed point
    }
    const attempt = this.store.request(hash)?.attempt ?? 1;
    const seen = this.store.hasPartial(hash, attempt, signer); // a replay of history
    this.store.addPartial({ hash, attempt, signer, index, signature, epoch, block: event.blockHeight, valid, interval });
    if (!valid && !seen) {
      this.log(`invalid partial: ${signer} (share ${index}) on ${hash.slice(0, 18)}…`);
      this.emit({ event: "invalid-partial", messageHash: hash, signer, index });
    }
  }

  private async checkAggregate(event: ContractEvent): Promise<void> {
    const d = event.data;
    const hash = field.str(d, "message-hash");
    const signature = field.str(d, "signature");
    const keys = await this.view.epoch(field.num(d, "epoch"));
    if (!keys?.groupKey) throw new Error(`aggregate for epoch ${field.num(d, "epoch")}, which has no group key`);
    const valid = verify(keys.groupKey, hex(hash), hex(signature));
    // One item per submission: the same junk submitted again after a rejection is a new claim.
    const item = `${hash}:${signature}:${event.blockHeight}:${event.txIndex}:${event.eventIndex}`;
    if (valid || this.store.isDone("invalid-aggregate", item)) return;
    this.store.markDone("invalid-aggregate", item);
    this.log(`invalid aggregate on ${hash.slice(0, 18)}…`);
    this.emit({ event: "invalid-aggregate", messageHash: hash, aggregate: signature });
  }

  private async claimPartials(): Promise<void> {
    for (const partial of this.store.invalidPartials()) {
      const item = `${partial.hash}:${partial.attempt}:${partial.signer}`;
      if (this.store.isDone("claimed", item)) continue;
      try {
        const result = await this.client.reportInvalidSignature(partial.hash, partial.signer);
        this.store.markDone("claimed", item, result.value ? "confirmed" : "open");
        this.log(`report-invalid-signature: ${partial.signer} on ${partial.hash.slice(0, 18)}…${result.value ? " (confirmed: slashed)" : ""}`);
        this.emit({ event: "claimed", messageHash: partial.hash, signer: partial.signer, confirmed: result.value, txid: result.txid });
      } catch (error) {
        const name = contractErrorName(error);
        if (name && CLAIM_DONE.has(name)) this.store.markDone("claimed", item, name);
        else this.fail(`report-invalid-signature ${partial.signer}: ${describeError(error)}`);
      }
    }
  }

  private async claimAggregates(): Promise<void> {
    for (const { item } of this.store.doneItems("invalid-aggregate")) {
      if (this.store.isDone("claimed-aggregate", item)) continue;
      const [hash, aggregate] = item.split(":") as [string, string];
      const request = await this.client.getRequest(hash);
      // Only the aggregate that stands now can be claimed; a replaced one is moot.
      if (!request || request.aggregateSignature !== aggregate) {
        this.store.markDone("claimed-aggregate", item, "moot");
        continue;
      }
      try {
        const result = await this.client.reportInvalidAggregate(hash);
        this.store.markDone("claimed-aggregate", item, result.value ? "confirmed" : "open");
        this.log(`report-invalid-aggregate on ${hash.slice(0, 18)}…${result.value ? " (confirmed: rejected)" : ""}`);
        this.emit({ event: "claimed-aggregate", messageHash: hash, aggregate, confirmed: result.value, txid: result.txid });
      } catch (error) {
        const name = contractErrorName(error);
        if (name && CLAIM_DONE.has(name)) this.store.markDone("claimed-aggregate", item, name);
        else this.fail(`report-invalid-aggregate: ${describeError(error)}`);
      }
    }
  }

  /** After a request's deadline (stacks-now), every member of its epoch without a partial. */
  private async penalizeMissed(clock: Clock): Promise<void> {
    const newest = new Map<string, StoredRequest>();
    for (const r of this.store.requests()) newest.set(r.hash, r);
    for (const request of newest.values()) {
      const item = `${request.hash}:${request.attempt}`;
      if (this.store.isDone("penalty-checked", item) || clock.stacksNow <= request.deadline) continue;
      const onChain = await this.view.record("get-request", request.hash);
      if (!onChain || onChain.attempt !== BigInt(request.attempt) || onChain["closed-early"] === true) {
        this.store.markDone("penalty-checked", item, onChain?.["closed-early"] === true ? "closed-early" : "superseded");
        continue;
      }
      const keys = await this.view.epoch(request.epoch);
      if (!keys) continue;
      let all = true;
      for (const member of keys.committee) {
        const memberItem = `${item}:${member}`;
        if (this.store.isDone("penalized", memberItem)) continue;
        const partial = await this.view.record("get-partial-signature", request.hash, member);
        if (partial && partial.attempt === BigInt(request.attempt)) {
          this.store.markDone("penalized", memberItem, "signed");
          continue;
        }
        try {
          const result = await this.client.penalizeMissedSignature(request.hash, member);
          this.store.markDone("penalized", memberItem, result.value.toString());
          this.log(`penalize-missed-signature: ${member} on ${request.hash.slice(0, 18)}…, slashed ${result.value} uSTX`);
          this.emit({ event: "penalized", messageHash: request.hash, signer: member, slashed: result.value.toString(), txid: result.txid });
        } catch (error) {
          const name = contractErrorName(error);
          if (name && PENALTY_DONE.has(name)) this.store.markDone("penalized", memberItem, name);
          else {
            all = false;
            this.fail(`penalize-missed-signature ${member}: ${describeError(error)}`);
          }
        }
      }
      if (all) this.store.markDone("penalty-checked", item);
    }
  }

  /** Other watchtowers' claims that closed without the supermajority (this one never expires its own). */
  private async expireClaims(clock: Clock): Promise<void> {
    for (const claim of this.store.claims()) {
      if (claim.claimants.includes(this.address)) continue;
      let due: boolean;
      if (claim.kind === "partial") {
        const partial = await this.view.record("get-partial-signature", claim.hash, claim.subject);
        const stored = await this.view.record("get-claim", claim.hash, claim.subject);
        if (!partial || !stored || stored.confirmed === true) {
          this.store.removeClaim(claim.kind, claim.hash, claim.subject);
          continue;
        }
        due = (stored.attempt as bigint) < (partial.attempt as bigint) || clock.burnNow > (partial["claim-until"] as bigint);
      } else {
        const request = await this.client.getRequest(claim.hash);
        const stored = request ? await this.client.getAggregateClaim(claim.hash, claim.subject) : null;
        if (!request || !stored) {
          this.store.removeClaim(claim.kind, claim.hash, claim.subject);
          continue;
        }
        due = clock.burnNow > request.settleAt;
      }
      if (!due) continue;
      try {
        const result =
          claim.kind === "partial"
            ? await this.client.expireClaim(claim.hash, claim.subject)
            : await this.client.expireAggregateClaim(claim.hash, claim.subject);
        this.store.removeClaim(claim.kind, claim.hash, claim.subject);
        this.log(`expire-${claim.kind === "partial" ? "claim" : "aggregate-claim"} on ${claim.hash.slice(0, 18)}…: ${result.value} uSTX forfeited`);
        this.emit({ event: "expired", kind: claim.kind, messageHash: claim.hash, subject: claim.subject, forfeited: result.value.toString(), txid: result.txid });
      } catch (error) {
        const name = contractErrorName(error);
        if (name && EXPIRE_DONE.has(name)) this.store.removeClaim(claim.kind, claim.hash, claim.subject);
        else if (name !== "ERR-DEADLINE-NOT-REACHED") this.fail(`expire claim: ${describeError(error)}`);
      }
    }
  }

  /** Forming epochs with no key after dkg-timeout Bitcoin blocks (burn-now) past formed-at. */
  private async cancelEpochs(clock: Clock): Promise<void> {
    const pending = this.store.epochsWithStatus("pending");
    if (pending.length === 0) return;
    const config = (await this.view.record("get-config"))!;
    const timeout = config["dkg-timeout"] as bigint;
    for (const epoch of pending) {
      const info = await this.view.record("get-epoch", epoch);
      if (!info) continue;
      if (info.status !== "pending") {
        this.store.setEpoch(epoch, String(info.status));
        continue;
      }
      if (clock.burnNow <= (info["formed-at"] as bigint) + timeout) continue;
      try {
        const result = await this.client.cancelEpoch(epoch);
        this.store.setEpoch(epoch, "cancelled");
        this.log(`cancel-epoch ${epoch}: ${result.value.length} silent member(s) penalized`);
        this.emit({ event: "cancelled", epoch, silent: result.value.join(","), txid: result.txid });
      } catch (error) {
        const name = contractErrorName(error);
        if (name === "ERR-EPOCH-CLOSED") this.store.setEpoch(epoch, "closed");
        else if (name !== "ERR-DEADLINE-NOT-REACHED") this.fail(`cancel-epoch ${epoch}: ${describeError(error)}`);
      }
    }
  }

  /**
   * Once per report interval, about the interval before: for each member of the epochs of the
   * requests observed then (never itself), uptime = partials / requests (percent),
   * signing-speed = average Stacks blocks from request to partial (signing-timeout when it
   * sent none), valid-signatures = its total-signatures less the partials this watchtower
   * found invalid.
   */
  private async report(interval: number, signingTimeout: bigint): Promise<void> {
    const previous = interval - 1;
    if (previous < 0 || this.store.isDone("reported-interval", String(previous))) return;
    const requests = this.store.requestsInInterval(previous);
    const perMember = new Map<string, { requests: number; partials: number; blocks: number }>();
    for (const request of requests) {
      const keys = await this.view.epoch(request.epoch);
      if (!keys) continue;
      const partials = this.store.partials(request.hash, request.attempt);
      for (const member of keys.committee) {
        const m = perMember.get(member) ?? { requests: 0, partials: 0, blocks: 0 };
        m.requests += 1;
        const partial = partials.find((p) => p.signer === member);
        if (partial) {
          m.partials += 1;
          m.blocks += Math.max(0, partial.block - request.block);
        }
        perMember.set(member, m);
      }
    }
    let all = true;
    for (const [member, m] of perMember) {
      if (member === this.address) continue;
      const item = `${interval}:${member}`;
      if (this.store.isDone("reported", item)) continue;
      const info = await this.client.getSignerInfo(member);
      if (!info) {
        this.store.markDone("reported", item, "not registered");
        continue;
      }
      const uptime = BigInt(Math.round((100 * m.partials) / m.requests));
      const speed = m.partials > 0 ? BigInt(Math.round(m.blocks / m.partials)) : signingTimeout;
      const invalid = BigInt(this.store.invalidCount(member));
      const total = info.performanceMetrics.totalSignatures;
      const valid = total > invalid ? total - invalid : 0n;
      try {
        const result = await this.client.submitWatchtowerReport(member, uptime, speed, valid);
        this.store.markDone("reported", item, `${uptime}/${speed}/${valid}`);
        this.log(`submit-watchtower-report ${member}: uptime ${uptime}, signing-speed ${speed}, valid ${valid} of ${total}`);
        this.emit({
          event: "reported",
          signer: member,
          interval,
          uptime: Number(uptime),
          signingSpeed: Number(speed),
          validSignatures: valid.toString(),
          txid: result.txid,
        });
      } catch (error) {
        const name = contractErrorName(error);
        if (name && REPORT_DONE.has(name)) this.store.markDone("reported", item, name);
        else {
          all = false;
          this.fail(`submit-watchtower-report ${member}: ${describeError(error)}`);
        }
      }
    }
    if (all) this.store.markDone("reported-interval", String(previous));
  }
}
