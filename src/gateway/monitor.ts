// What the gateway learns by following the contract's events (src/roles/follow.ts): the
// Prometheus metrics of /metrics and the recent requests, faults and slashes of the status
// page. Every number here comes from an event the chain printed, in chain order.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ContractEvent } from "../chain/backend.js";
import type { Plain } from "../chain/clarity.js";
import type { RequestState } from "./requests.js";

/** Blocks from request to finalized aggregate: histogram buckets. */
export const LATENCY_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100, 200];

export interface TrackedRequest {
  id: string;
  requester: string;
  fee: bigint;
  epoch: number;
  deadline: bigint;
  requestedAt: number;
  partials: number;
  threshold: number;
  finalizedAt: number | null;
  state: Exclude<RequestState, "submitted">;
  txid: string | null;
}

export interface FaultRecord {
  kind: "invalid-partial-claim" | "invalid-partial-slashed" | "aggregate-rejected" | "aggregate-dropped" | "liveness-penalty" | "invalid-aggregate-claim";
  blockHeight: number;
  txid: string | null;
  messageHash: string | null;
  signer: string | null;
  detail: string;
}

export interface SlashRecord {
  blockHeight: number;
  txid: string | null;
  signer: string;
  reason: string;
  amount: bigint;
  messageHash: string | null;
}

const RECENT = 50;
const STATES: TrackedRequest["state"][] = ["pending", "aggregating", "finalized", "settled", "expired", "refunded"];

const str = (v: Plain | undefined): string | null => (typeof v === "string" ? v : null);
const big = (v: Plain | undefined): bigint => (typeof v === "bigint" ? v : 0n);
const id = (v: Plain | undefined): string => (str(v) ?? "").replace(/^0x/, "");

export class Monitor {
  readonly registry = new Registry();
  /** Requests seen, by id, in order of their signature-requested event. */
  readonly requests = new Map<string, TrackedRequest>();
  readonly faults: FaultRecord[] = [];
  readonly slashes: SlashRecord[] = [];
  /** Epoch number -> threshold and committee, from epoch-activated events. */
  readonly epochs = new Map<number, { threshold: number; committee: string[] }>();
  currentEpoch = 0;
  /** The last block whose events were handled (0: none yet). */
  syncedTo = 0;

  private readonly requestsTotal: Counter;
  private readonly requestsByState: Gauge;
  private readonly latency: Histogram;
  private readonly partialsTotal: Counter;
  private readonly faultsTotal: Counter;
  private readonly slashesTotal: Counter;
  private readonly slashedTotal: Counter;
  private readonly feesSettled: Counter;
  private readonly feesRefunded: Counter;
  private readonly epochGauge: Gauge;
  private readonly committeeSize: Gauge;
  private readonly thresholdGauge: Gauge;
  private readonly syncedGauge: Gauge;
  readonly signCalls: Counter;

  constructor() {
    const registers = [this.registry];
    this.requestsTotal = new Counter({ name: "dts_requests_total", help: "Signing requests made on-chain (signature-requested events)", registers });
    this.requestsByState = new Gauge({ name: "dts_requests", help: "Signing requests by current state", labelNames: ["status"], registers });
    for (const s of STATES) this.requestsByState.set({ status: s }, 0);
    this.latency = new Histogram({
      name: "dts_signature_latency_blocks",
      help: "Stacks blocks from a request to its finalized aggregate",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.partialsTotal = new Counter({ name: "dts_partial_signatures_total", help: "Partial signatures submitted on-chain", registers });
    this.faultsTotal = new Counter({
      name: "dts_faults_total",
      help: "Faults seen on-chain: invalid partials claimed and slashed, aggregates rejected or dropped, liveness penalties",
      labelNames: ["kind"],
      registers,
    });
    for (const kind of ["invalid_partial_claimed", "invalid_partial_slashed", "invalid_aggregate_claimed", "aggregate_rejected", "aggregate_dropped", "liveness_penalty"])
      this.faultsTotal.inc({ kind }, 0);
    this.slashesTotal = new Counter({ name: "dts_slashes_total", help: "Signer slashes (signer-slashed events)", labelNames: ["reason"], registers });
    this.slashedTotal = new Counter({ name: "dts_slashed_ustx_total", help: "Micro-STX slashed from signers", labelNames: ["reason"], registers });
    for (const reason of ["invalid-partial", "missed-signature"]) {
      this.slashesTotal.inc({ reason }, 0);
      this.slashedTotal.inc({ reason }, 0);
    }
    this.feesSettled = new Counter({ name: "dts_fees_settled_ustx_total", help: "Request fees settled to signers and treasury, micro-STX", registers });
    this.feesRefunded = new Counter({ name: "dts_fees_refunded_ustx_total", help: "Request fees refunded to requesters, micro-STX", registers });
    this.epochGauge = new Gauge({ name: "dts_current_epoch", help: "The epoch serving requests (0: none)", registers });
    this.committeeSize = new Gauge({ name: "dts_committee_size", help: "Members of the serving epoch's committee", registers });
    this.thresholdGauge = new Gauge({ name: "dts_threshold", help: "Partials the serving epoch needs (t)", registers });
    this.syncedGauge = new Gauge({ name: "dts_gateway_synced_block", help: "The last Stacks block whose events the gateway handled", registers });
    this.signCalls = new Counter({ name: "dts_gateway_sign_requests_total", help: "POST /sign calls by outcome", labelNames: ["outcome"], registers });
    for (const outcome of ["created", "submitted", "existing", "rejected", "failed"]) this.signCalls.inc({ outcome }, 0);
    this.epochGauge.set(0);
    this.committeeSize.set(0);
    this.thresholdGauge.set(0);
    this.syncedGauge.set(0);
  }

  /** Handles the events of blocks up to `tip` (in chain order); `stacksNow` dates expiries. */
  handle(events: ContractEvent[], tip: number, stacksNow: bigint | null): void {
    for (const event of events) this.apply(event);
    if (stacksNow !== null) {
      for (const r of this.requests.values()) if (r.state === "pending" && stacksNow > r.deadline && r.partials < r.threshold) r.state = "expired";
    }
    this.syncedTo = Math.max(this.syncedTo, tip);
    this.syncedGauge.set(this.syncedTo);
    this.refreshStates();
  }

  /** True while some tracked request is pending (its expiry needs the contract's clock). */
  get hasPending(): boolean {
    for (const r of this.requests.values()) if (r.state === "pending") return true;
    return false;
  }

  private refreshStates(): void {
    const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
    for (const r of this.requests.values()) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    for (const [status, n] of counts) this.requestsByState.set({ status }, n);
  }

  private fault(record: FaultRecord): void {
    this.faults.push(record);
    if (this.faults.length > RECENT) this.faults.shift();
  }

  private apply(e: ContractEvent): void {
    const d = e.data;
    const where = { blockHeight: e.blockHeight, txid: e.txid };
    switch (e.topic) {
      case "epoch-activated": {
        const epoch = Number(big(d.epoch));
        const committee = Array.isArray(d.committee) ? (d.committee as Plain[]).filter((m): m is string => typeof m === "string") : [];
        this.epochs.set(epoch, { threshold: Number(big(d.threshold)), committee });
        this.currentEpoch = epoch;
        this.epochGauge.set(epoch);
        this.committeeSize.set(committee.length);
        this.thresholdGauge.set(Number(big(d.threshold)));
        break;
      }
      case "signature-requested": {
        const key = id(d["message-hash"]);
        const epoch = Number(big(d.epoch));
        this.requests.delete(key); // a new attempt after a refund goes to the end
        this.requests.set(key, {
          id: key,
          requester: str(d.requester) ?? "",
          fee: big(d.fee),
          epoch,
          deadline: big(d.deadline),
          requestedAt: e.blockHeight,
          partials: 0,
          threshold: this.epochs.get(epoch)?.threshold ?? 0,
          finalizedAt: null,
          state: "pending",
          txid: e.txid,
        });
        while (this.requests.size > 1000) this.requests.delete(this.requests.keys().next().value!);
        this.requestsTotal.inc();
        break;
      }
      case "partial-signature": {
        this.partialsTotal.inc();
        const r = this.requests.get(id(d["message-hash"]));
        if (r) {
          r.partials = Number(big(d["partial-count"]));
          if (r.state === "pending" && r.threshold > 0 && r.partials >= r.threshold) r.state = "aggregating";
        }
        break;
      }
      case "signature-finalized": {
        const r = this.requests.get(id(d["message-hash"]));
        if (r) {
          // The first aggregate of the attempt dates the latency; a replacement after a
          // rejection does not count twice.
          if (r.finalizedAt === null) this.latency.observe(e.blockHeight - r.requestedAt);
          r.finalizedAt = e.blockHeight;
          r.partials = Number(big(d["partial-count"]));
          r.state = "finalized";
        }
        break;
      }
      case "fee-settled": {
        this.feesSettled.inc(Number(big(d.fee)));
        const r = this.requests.get(id(d["message-hash"]));
        if (r) r.state = "settled";
        break;
      }
      case "fee-refunded": {
        this.feesRefunded.inc(Number(big(d.fee)));
        const r = this.requests.get(id(d["message-hash"]));
        if (r) r.state = "refunded";
        break;
      }
      case "invalid-signature-claim": {
        this.faultsTotal.inc({ kind: "invalid_partial_claimed" });
        const confirmed = d.confirmed === true;
        if (confirmed) {
          this.faultsTotal.inc({ kind: "invalid_partial_slashed" });
          const r = this.requests.get(id(d["message-hash"]));
          if (r) r.partials = Math.max(0, r.partials - 1);
        }
        this.fault({
          kind: confirmed ? "invalid-partial-slashed" : "invalid-partial-claim",
          ...where,
          messageHash: str(d["message-hash"]),
          signer: str(d.signer),
          detail: `claim by ${str(d.watchtower)} (${big(d.claims)} of ${big(d.quorum)})${confirmed ? ": confirmed" : ""}`,
        });
        break;
      }
      case "invalid-aggregate-claim":
        this.faultsTotal.inc({ kind: "invalid_aggregate_claimed" });
        this.fault({ kind: "invalid-aggregate-claim", ...where, messageHash: str(d["message-hash"]), signer: null, detail: `claim by ${str(d.watchtower)} (${big(d.claims)} of ${big(d.quorum)})` });
        break;
      case "aggregate-rejected":
      case "aggregate-dropped": {
        const rejected = e.topic === "aggregate-rejected";
        this.faultsTotal.inc({ kind: rejected ? "aggregate_rejected" : "aggregate_dropped" });
        const r = this.requests.get(id(d["message-hash"]));
        if (r) r.state = r.partials >= r.threshold ? "aggregating" : "pending";
        this.fault({
          kind: rejected ? "aggregate-rejected" : "aggregate-dropped",
          ...where,
          messageHash: str(d["message-hash"]),
          signer: rejected ? str(d.aggregator) : null,
          detail: rejected ? "a watchtower supermajority found the aggregate invalid" : `fewer than t valid partials left (${big(d["partial-count"])})`,
        });
        break;
      }
      case "liveness-penalty":
        this.faultsTotal.inc({ kind: "liveness_penalty" });
        this.fault({ kind: "liveness-penalty", ...where, messageHash: str(d["message-hash"]), signer: str(d.signer), detail: `missed signature; ${big(d.slashed)} uSTX slashed, notified by ${str(d.notifier)}` });
        break;
      case "signer-slashed": {
        const reason = str(d.reason) ?? "unknown";
        const amount = big(d.amount);
        this.slashesTotal.inc({ reason });
        this.slashedTotal.inc({ reason }, Number(amount));
        this.slashes.push({ ...where, signer: str(d.signer) ?? "", reason, amount, messageHash: str(d["message-hash"]) });
        if (this.slashes.length > RECENT) this.slashes.shift();
        break;
      }
    }
  }

  /** The newest tracked requests first. */
  recentRequests(limit = 20): TrackedRequest[] {
    return [...this.requests.values()].slice(-limit).reverse();
  }

  /** Prometheus text exposition. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
