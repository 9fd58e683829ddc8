// The model: the contract's rules restated in TypeScript, beside the real simnet. Each
// public function here checks the same guards in the same order and returns the same
// `(err uN)`; when it succeeds it changes the model as the contract should change its state
// and returns the value the contract should return. The property test compares both after
// every call, and the contract's whole state with the model after every step.
//
// Ghost state (deposits, withdrawals, slashes, which partials are really invalid, who was
// paid for what) is what the invariants need beyond the contract's own state.
import { proposeCommittee, type RankingEntry } from "../../src/chain/committee.js";

export const ERR = {
  UNAUTHORIZED: 100, INVALID_PARAMS: 101, INSUFFICIENT_STAKE: 102, INVALID_SIGNATURE: 103,
  INVALID_THRESHOLD: 104, WATCHTOWER_EXISTS: 105, NOT_ACTIVE_SIGNER: 106, ALREADY_REGISTERED: 107,
  INVALID_METRICS: 108, INVALID_SIGNATURE_LENGTH: 109, INVALID_KEY_LENGTH: 110, ALREADY_INITIALIZED: 111,
  NOT_INITIALIZED: 112, PAUSED: 113, NOT_REGISTERED: 114, INVALID_KEY: 115, KEY_IN_USE: 116,
  INVALID_AMOUNT: 117, STAKE_LOCKED: 118, NOTHING_TO_WITHDRAW: 119, REQUEST_EXISTS: 120,
  UNKNOWN_REQUEST: 121, REQUEST_EXPIRED: 122, ALREADY_SIGNED: 123, THRESHOLD_NOT_MET: 124,
  ALREADY_FINALIZED: 125, NO_ACTIVE_KEY: 126, KEY_MISMATCH: 127, UNKNOWN_EPOCH: 128,
  ROTATION_NOT_DUE: 129, INSUFFICIENT_SIGNERS: 130, FEE_TOO_LOW: 131, NOT_WATCHTOWER: 132,
  ALREADY_REPORTED: 133, DEADLINE_NOT_REACHED: 134, NOT_PENALIZABLE: 135, UNKNOWN_PROPOSAL: 136,
  VOTING_CLOSED: 137, VOTING_OPEN: 138, ALREADY_VOTED: 139, PROPOSAL_REJECTED: 140,
  ALREADY_EXECUTED: 141, UNKNOWN_PARAMETER: 142, SIGNER_LIMIT: 143, WATCHTOWER_LIMIT: 144,
  CLAIM_EXPIRED: 145, UNKNOWN_CLAIM: 146, EPOCH_CLOSED: 147, INSUFFICIENT_FUNDS: 148,
  FEE_EARNED: 149, NOT_FINALIZED: 150, FEE_SETTLED: 151, NOT_PAUSED: 152, INVALID_COMMITTEE: 153, PROPOSAL_EXPIRED: 154,
} as const;

const BPS = 10000n;
const PERCENT = 100n;
const NEUTRAL_REPUTATION = 5000n;
const MAX_REPUTATION = 10000n;
const SLASH_REPUTATION_PENALTY = 1500n;
const MISSED_UPTIME_PENALTY = 10n;
const MAX_SIGNING_SPEED = 100000n;
const MAX_COMMITTEE = 32n;
const MAX_SIGNERS = 128;
const MAX_WATCHTOWERS = 32n;
const WIND_DOWN_PERIODS = 5n;
const WATCHTOWER_START_ACCURACY = 100n;
const WATCHTOWER_CONFIRM_BONUS = 5n;
const WATCHTOWER_EXPIRY_PENALTY = 10n;
const WATCHTOWER_MIN_ACCURACY = 50n;
const FIELD_MODULUS = Buffer.from("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab", "hex");

/** What a call returns: `{ok: value}` or `{err: code}` (the shape `decode` gives). */
export type Outcome = { ok: unknown } | { err: bigint };
const ok = (value: unknown): Outcome => ({ ok: value });
const err = (code: number): Outcome => ({ err: BigInt(code) });
export const isErr = (o: Outcome): o is { err: bigint } => "err" in o;

/** The heights a call runs at (stacks-block-height, burn-block-height) and the caller's STX. */
export interface Env {
  stacks: bigint;
  burn: bigint;
  balance: (who: string) => bigint;
}

export interface Metrics {
  "signing-speed": bigint; uptime: bigint; "stake-duration": bigint; accuracy: bigint;
  "total-signatures": bigint; "valid-signatures": bigint;
}
export interface Signer {
  stake: bigint; "public-key": string; "reputation-score": bigint; "last-active": bigint;
  "performance-metrics": Metrics;
  "slashing-history": { "total-slashes": bigint; "last-slash-height": bigint; "slashed-amount": bigint };
  "registered-at": bigint; seq: bigint; unbonding: bigint; "unbonding-release": bigint;
  "claim-until": bigint; "excluded-from": bigint; exiting: boolean;
}
export interface Epoch {
  committee: string[]; threshold: bigint; previous: bigint; "group-public-key": string | null;
  "share-public-keys": string[]; status: "pending" | "active" | "cancelled"; "created-at": bigint;
  "formed-at": bigint; "activated-at": bigint;
}
export interface Request {
  requester: string; fee: bigint; epoch: bigint; "created-at": bigint; deadline: bigint;
  "partial-count": bigint; signers: string[]; "aggregate-signature": string | null;
  aggregator: string | null; "finalized-at": bigint; "settle-at": bigint; "closed-early": boolean;
  "fee-paid": boolean; refunded: boolean; attempt: bigint; "contest-until": bigint;
}
export interface Partial {
  signature: string; "message-hash": string; timestamp: bigint; index: bigint; "claim-until": bigint;
  invalid: boolean; attempt: bigint;
}
export interface Tower {
  "last-report": bigint; "reports-submitted": bigint; "accuracy-score": bigint; "is-active": boolean;
  bond: bigint; "registered-at": bigint; "release-at": bigint; "open-claims": bigint;
}
export interface Claim { claimants: string[]; "opened-at": bigint; confirmed: boolean; attempt: bigint }
export interface AggregateClaim { claimants: string[]; "opened-at": bigint }
export interface IntervalReports { reporters: string[]; uptimes: bigint[]; speeds: bigint[]; accuracies: bigint[]; quorum: bigint }
export interface Report { uptime: bigint; speed: bigint; accuracy: bigint }
export interface Proposal {
  proposer: string; kind: "parameter" | "treasury" | "guardian"; parameter: string; value: bigint;
  recipient: string | null; "votes-for": bigint; "votes-against": bigint; "created-at": bigint;
  "ends-at": bigint; "expires-at": bigint; "total-stake": bigint; executed: boolean;
}

export const PARAM_BOUNDS: Record<string, [bigint, bigint]> = {
  "min-stake": [1n, 1_000_000_000_000_000n], "required-signers": [1n, MAX_COMMITTEE],
  "total-signers": [1n, MAX_COMMITTEE], "rotation-period": [1n, 52560n],
  "signature-threshold": [1n, MAX_COMMITTEE], "signing-timeout": [6n, 10000n],
  "unbonding-period": [2n, 52560n], "watchtower-bond": [1n, 1_000_000_000_000_000n],
  "watchtower-quorum": [1n, MAX_WATCHTOWERS], "slash-invalid-bps": [0n, BPS],
  "slash-liveness-bps": [0n, 5000n], "notifier-reward-bps": [0n, BPS],
  "min-reputation": [0n, MAX_REPUTATION], "min-fee": [1n, 1_000_000_000_000_000n],
  "voting-period": [1n, 52560n], "quorum-bps": [1n, BPS], "claim-window": [1n, 52560n],
  "report-interval": [1n, 52560n], "max-churn": [0n, MAX_COMMITTEE], "false-claim-bps": [0n, BPS],
  "dkg-timeout": [1n, 52560n],
};

const inBounds = (name: string, value: bigint) => value >= PARAM_BOUNDS[name][0] && value <= PARAM_BOUNDS[name][1];
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const key2 = (a: unknown, b: unknown) => `${a}|${b}`;

/** The contract's check-g1 on a 48-byte compressed G1 encoding. */
export function checkG1(key: Uint8Array): number | null {
  if (key.length !== 48) return ERR.INVALID_KEY_LENGTH;
  const flags = key[0];
  if (!(flags & 0x80) || flags & 0x40) return ERR.INVALID_KEY;
  const top = flags & 0x1f;
  const below = top < FIELD_MODULUS[0] || (top === FIELD_MODULUS[0] && Buffer.compare(Buffer.from(key.subarray(1)), FIELD_MODULUS.subarray(1)) < 0);
  return below ? null : ERR.INVALID_KEY;
}

/** The contract's check-g2 on a 96-byte compressed G2 encoding. */
export function checkG2(sig: Uint8Array): number | null {
  if (sig.length !== 96) return ERR.INVALID_SIGNATURE_LENGTH;
  const flags = sig[0];
  return !(flags & 0x80) || flags & 0x40 ? ERR.INVALID_SIGNATURE : null;
}

export function computeReputation(m: Metrics, slashes: bigint): bigint {
  const speedScore = PERCENT / (m["signing-speed"] > 1n ? m["signing-speed"] : 1n);
  const base = 40n * m.uptime + 40n * m.accuracy + 20n * speedScore;
  const untested = m["total-signatures"] === 0n ? MAX_REPUTATION - NEUTRAL_REPUTATION : 0n;
  const penalty = untested + SLASH_REPUTATION_PENALTY * slashes;
  return base - min(base, penalty);
}

const accuracyOf = (valid: bigint, total: bigint) => (total === 0n ? PERCENT : (valid * PERCENT) / total);

function insertSorted(values: bigint[], value: bigint): bigint[] {
  const out = [...values];
  const at = out.findIndex((v) => value < v);
  if (at < 0) out.push(value);
  else out.splice(at, 0, value);
  return out;
}

function agreedValue(values: bigint[], quorum: bigint, current: bigint): bigint {
  const lo = values[Number(quorum) - 1] ?? current;
  const hi = values[values.length - Number(quorum)] ?? current;
  return current > lo ? lo : current < hi ? hi : current;
}

export class Model {
  // configuration
  initialized = false;
  paused = false;
  guardian: string;
  pauseBegan = { stacks: 0n, burn: 0n };
  pausedBlocks = { stacks: 0n, burn: 0n };
  params = new Map<string, bigint>();
  // signers
  signers = new Map<string, Signer>();
  signerList: string[] = [];
  signerKeys = new Map<string, string>();
  signerSeq = 0n;
  // epochs
  epochs = new Map<bigint, Epoch>();
  seatStakes = new Map<string, bigint>();
  dkgDealt = new Set<string>();
  keyVotes = new Map<string, string>();
  keyTally = new Map<string, bigint>();
  currentEpoch = 0n;
  latestEpoch = 0n;
  lastRotation = 0n;
  // signing
  requests = new Map<string, Request>();
  partials = new Map<string, Partial>();
  // watchtowers and claims
  towers = new Map<string, Tower>();
  activeTowers = 0n;
  reports = new Map<string, Report>();
  intervalReports = new Map<string, IntervalReports>();
  aggregateClaims = new Map<string, AggregateClaim>();
  claims = new Map<string, Claim>();
  liveness = new Map<string, bigint>();
  livenessIntervals = new Map<string, bigint>();
  // governance
  proposals = new Map<bigint, Proposal>();
  proposalVotes = new Map<string, { support: boolean; weight: bigint }>();
  proposalCount = 0n;
  // accounting
  totals = { stake: 0n, unbonding: 0n, bonds: 0n, pendingFees: 0n, rewards: 0n, treasury: 0n };
  rewards = new Map<string, bigint>();

  // ghost state
  /** The committee size n in force when each epoch was formed. */
  epochN = new Map<bigint, bigint>();
  /** Principals that ever registered as signer / watchtower, ever held rewards. */
  everSigners = new Set<string>();
  everTowers = new Set<string>();
  /** Lifetime stake moved in and out by STX transfers, and slashed, per principal. */
  deposited = new Map<string, bigint>();
  withdrawn = new Map<string, bigint>();
  slashed = new Map<string, bigint>();
  /** Partials (hash|signer, per attempt) that are not the signer's valid partial. */
  forged = new Set<string>();
  /** Aggregates (hash|bytes) known to be the valid group signature. */
  validAggregates = new Set<string>();
  /** Keys of every claim and aggregate claim ever opened, every principal ever credited. */
  claimKeys = new Set<string>();
  aggregateClaimKeys = new Set<string>();
  everRewarded = new Set<string>();

  /** The environment of the call being predicted (set by `at`). */
  private env!: Env;
  /** The caller of the call being predicted. */
  private sender = "";

  constructor(readonly deployer: string) {
    this.guardian = deployer;
  }

  /** Sets the heights and caller of the next call. */
  at(env: Env, sender: string): this {
    this.env = env;
    this.sender = sender;
    return this;
  }

  // ---- reads ----------------------------------------------------------------------------

  param(name: string): bigint {
    return this.params.get(name) ?? 0n;
  }
  stacksNow(env = this.env): bigint {
    return (this.paused ? this.pauseBegan.stacks : env.stacks) - this.pausedBlocks.stacks;
  }
  burnNow(env = this.env): bigint {
    return (this.paused ? this.pauseBegan.burn : env.burn) - this.pausedBlocks.burn;
  }
  isMember(epoch: bigint, who: string): boolean {
    return this.epochs.get(epoch)?.committee.includes(who) ?? false;
  }
  memberIndex(epoch: bigint, who: string): bigint {
    const at = this.epochs.get(epoch)?.committee.indexOf(who) ?? -1;
    return BigInt(at + 1);
  }
  woundDown(env = this.env): boolean {
    const serving = this.epochs.get(this.currentEpoch);
    return serving ? this.burnNow(env) >= serving["formed-at"] + WIND_DOWN_PERIODS * this.param("rotation-period") : false;
  }
  formingEpoch(): bigint {
    return this.epochs.get(this.latestEpoch)?.status === "pending" ? this.latestEpoch : 0n;
  }
  stakeLocked(who: string, env = this.env): boolean {
    return (this.isMember(this.currentEpoch, who) && !this.woundDown(env)) || this.isMember(this.formingEpoch(), who);
  }
  lockedStake(who: string, env = this.env): bigint {
    const serving = this.woundDown(env) ? 0n : (this.seatStakes.get(key2(this.currentEpoch, who)) ?? 0n);
    return max(serving, this.seatStakes.get(key2(this.formingEpoch(), who)) ?? 0n);
  }
  supermajority(): bigint {
    return max(this.param("watchtower-quorum"), (this.activeTowers * 2n + 2n) / 3n);
  }
  towerActive(who: string): boolean {
    return this.towers.get(who)?.["is-active"] ?? false;
  }
  rewardOf(who: string): bigint {
    return this.rewards.get(who) ?? 0n;
  }
  ranking(): RankingEntry[] {
    return this.signerList.map((who) => {
      const s = this.signers.get(who)!;
      return { signer: who, stake: s.stake, reputation: s["reputation-score"], seq: s.seq, exiting: s.exiting, excludedFrom: s["excluded-from"] };
    });
  }
  /** The one committee rotate-signers accepts now (src/chain/committee.ts over the model). */
  proposal(): string[] {
    const serving = this.epochs.get(this.currentEpoch)?.committee ?? [];
    return proposeCommittee({
      ranking: this.ranking(), serving, epoch: this.latestEpoch + 1n, totalSigners: this.param("total-signers"),
      threshold: this.param("signature-threshold"), maxChurn: this.param("max-churn"),
      minStake: this.param("min-stake"), minReputation: this.param("min-reputation"),
    });
  }
  eligibleCount(): number {
    const epoch = this.latestEpoch + 1n;
    return this.ranking().filter((e) => e.stake >= this.param("min-stake") && !e.exiting && e.reputation >= this.param("min-reputation") && e.excludedFrom !== epoch).length;
  }

  // ---- private helpers --------------------------------------------------------------------

  private checkActive(): number | null {
    if (this.paused) return ERR.PAUSED;
    if (!this.initialized) return ERR.NOT_INITIALIZED;
    return null;
  }
  private add(map: Map<string, bigint>, who: string, amount: bigint) {
    map.set(who, (map.get(who) ?? 0n) + amount);
  }
  private creditReward(who: string, amount: bigint) {
    this.rewards.set(who, this.rewardOf(who) + amount);
    this.totals.rewards += amount;
    this.everRewarded.add(who);
  }
  private storeMetrics(who: string, info: Signer): bigint {
    info["performance-metrics"]["stake-duration"] = this.env.stacks - info["registered-at"];
    info["reputation-score"] = computeReputation(info["performance-metrics"], info["slashing-history"]["total-slashes"]);
    this.signers.set(who, info);
    return info["reputation-score"];
  }
  /** slash-signer: bps of stake + unbonding, unbonding first; stores `info` once. */
  private slash(who: string, info: Signer, bps: bigint): bigint {
    const amount = ((info.stake + info.unbonding) * bps) / BPS;
    const fromUnbonding = min(amount, info.unbonding);
    const fromStake = amount - fromUnbonding;
    this.totals.stake -= fromStake;
    this.totals.unbonding -= fromUnbonding;
    info.stake -= fromStake;
    info.unbonding -= fromUnbonding;
    const h = info["slashing-history"];
    info["slashing-history"] = { "total-slashes": h["total-slashes"] + 1n, "last-slash-height": this.env.stacks, "slashed-amount": h["slashed-amount"] + amount };
    this.add(this.slashed, who, amount);
    this.storeMetrics(who, info);
    return amount;
  }
  private clone<T>(value: T): T {
    return structuredClone(value);
  }
  private deactivate(tower: Tower) {
    this.activeTowers -= 1n;
    tower["is-active"] = false;
    tower["release-at"] = this.env.burn + this.param("unbonding-period");
  }
  private penalizeClaimant(who: string): bigint {
    const tower = this.towers.get(who);
    if (!tower) return 0n;
    const forfeit = (tower.bond * this.param("false-claim-bps")) / BPS;
    const bond = tower.bond - forfeit;
    const score = tower["accuracy-score"] - min(tower["accuracy-score"], WATCHTOWER_EXPIRY_PENALTY);
    const deactivate = tower["is-active"] && (score < WATCHTOWER_MIN_ACCURACY || bond * 2n < this.param("watchtower-bond"));
    tower.bond = bond;
    tower["accuracy-score"] = score;
    tower["open-claims"] -= min(1n, tower["open-claims"]);
    if (deactivate) this.deactivate(tower);
    return forfeit;
  }
  private forfeitBonds(claimants: string[]): bigint {
    // a claim at least half of the active watchtowers still back was blocked, not false
    const backing = BigInt(claimants.filter((who) => this.towerActive(who)).length);
    if (backing > 0n && backing * 2n >= this.activeTowers) {
      claimants.forEach((who) => this.closeClaim(who));
      return 0n;
    }
    let forfeited = 0n;
    for (const who of claimants) forfeited += this.penalizeClaimant(who);
    this.totals.bonds -= forfeited;
    this.totals.treasury += forfeited;
    return forfeited;
  }
  private closeClaim(who: string) {
    const tower = this.towers.get(who);
    if (tower) tower["open-claims"] -= min(1n, tower["open-claims"]);
  }
  private countActive(claimants: string[]): bigint {
    return BigInt(claimants.filter((who) => this.towerActive(who)).length);
  }
  private validConfig(changed: string, value: bigint): boolean {
    if (!(changed in PARAM_BOUNDS)) return false;
    const after = (name: string) => (name === changed ? value : this.param(name));
    const n = after("total-signers");
    const t = after("signature-threshold");
    const required = after("required-signers");
    const unbonding = after("unbonding-period");
    return inBounds(changed, value) && t <= n && t * 2n > n && required >= t && required <= n &&
      after("max-churn") <= n - t && unbonding > after("voting-period") && unbonding > after("claim-window");
  }

  // ---- public: initialization -------------------------------------------------------------

  initialize(minStake: bigint, required: bigint, total: bigint, rotation: bigint, threshold: bigint): Outcome {
    if (this.sender !== this.deployer) return err(ERR.UNAUTHORIZED);
    if (this.initialized) return err(ERR.ALREADY_INITIALIZED);
    if (!(inBounds("min-stake", minStake) && inBounds("rotation-period", rotation))) return err(ERR.INVALID_PARAMS);
    if (!(total >= 1n && total <= MAX_COMMITTEE)) return err(ERR.INVALID_PARAMS);
    if (!(threshold <= total && threshold * 2n > total)) return err(ERR.INVALID_THRESHOLD);
    if (!(required >= threshold && required <= total)) return err(ERR.INVALID_PARAMS);
    const p: Record<string, bigint> = {
      "min-stake": minStake, "required-signers": required, "total-signers": total, "rotation-period": rotation,
      "signature-threshold": threshold, "signing-timeout": 120n, "unbonding-period": 2016n,
      "watchtower-bond": 100_000_000n, "watchtower-quorum": 3n, "slash-invalid-bps": 1000n,
      "slash-liveness-bps": 100n, "notifier-reward-bps": 1000n, "min-reputation": 2000n, "min-fee": 1000n,
      "voting-period": 1008n, "quorum-bps": 2000n, "claim-window": 144n, "report-interval": 144n,
      "max-churn": total - threshold, "false-claim-bps": 1000n, "dkg-timeout": 144n,
    };
    for (const [k, v] of Object.entries(p)) this.params.set(k, v);
    this.initialized = true;
    return ok(true);
  }

  // ---- public: signers and stake ----------------------------------------------------------

  registerSigner(key: Uint8Array): Outcome {
    const who = this.sender;
    const minStake = this.param("min-stake");
    const seq = this.signerSeq + 1n;
    const keyHex = `0x${Buffer.from(key).toString("hex")}`;
    const guard = this.checkActive() ?? checkG1(key);
    if (guard) return err(guard);
    if (this.signers.has(who)) return err(ERR.ALREADY_REGISTERED);
    if (this.signerKeys.has(keyHex)) return err(ERR.KEY_IN_USE);
    if (this.signerList.length >= MAX_SIGNERS) return err(ERR.SIGNER_LIMIT);
    if (this.env.balance(who) < minStake) return err(ERR.INSUFFICIENT_STAKE);
    this.signerKeys.set(keyHex, who);
    this.signerList.push(who);
    this.signers.set(who, {
      stake: minStake, "public-key": keyHex, "reputation-score": NEUTRAL_REPUTATION, "last-active": this.env.stacks,
      "performance-metrics": { "signing-speed": 0n, uptime: PERCENT, "stake-duration": 0n, accuracy: PERCENT, "total-signatures": 0n, "valid-signatures": 0n },
      "slashing-history": { "total-slashes": 0n, "last-slash-height": 0n, "slashed-amount": 0n },
      "registered-at": this.env.stacks, seq, unbonding: 0n, "unbonding-release": 0n, "claim-until": 0n,
      "excluded-from": 0n, exiting: false,
    });
    this.signerSeq = seq;
    this.totals.stake += minStake;
    this.everSigners.add(who);
    this.add(this.deposited, who, minStake);
    return ok(true);
  }

  increaseStake(amount: bigint): Outcome {
    const who = this.sender;
    const active = this.checkActive();
    if (active) return err(active);
    const info = this.signers.get(who);
    if (!info) return err(ERR.NOT_REGISTERED);
    if (amount === 0n) return err(ERR.INVALID_AMOUNT);
    if (this.env.balance(who) < amount) return err(ERR.INSUFFICIENT_STAKE);
    info.stake += amount;
    info.exiting = info.exiting && info.stake < this.param("min-stake");
    this.totals.stake += amount;
    this.add(this.deposited, who, amount);
    return ok(info.stake);
  }

  requestUnstake(amount: bigint): Outcome {
    const who = this.sender;
    const info = this.signers.get(who);
    if (!info) return err(ERR.NOT_REGISTERED);
    const remaining = info.stake - min(amount, info.stake);
    const release = this.env.burn + this.param("unbonding-period");
    if (!(amount > 0n && amount <= info.stake)) return err(ERR.INVALID_AMOUNT);
    if (remaining < this.lockedStake(who)) return err(ERR.STAKE_LOCKED);
    info.stake = remaining;
    info.unbonding += amount;
    info["unbonding-release"] = release;
    info.exiting = info.exiting || remaining < this.param("min-stake");
    this.totals.stake -= amount;
    this.totals.unbonding += amount;
    return ok(release);
  }

  withdrawStake(): Outcome {
    const who = this.sender;
    const info = this.signers.get(who);
    if (!info) return err(ERR.NOT_REGISTERED);
    const amount = info.unbonding;
    if (amount === 0n) return err(ERR.NOTHING_TO_WITHDRAW);
    if (this.env.burn < info["unbonding-release"]) return err(ERR.STAKE_LOCKED);
    if (!(this.burnNow() > info["claim-until"])) return err(ERR.STAKE_LOCKED);
    if (this.stakeLocked(who) && info.stake < this.param("min-stake")) return err(ERR.STAKE_LOCKED);
    this.totals.unbonding -= amount;
    if (info.stake === 0n) {
      this.signers.delete(who);
      this.signerKeys.delete(info["public-key"]);
      this.signerList = this.signerList.filter((s) => s !== who);
    } else {
      info.unbonding = 0n;
      info["unbonding-release"] = 0n;
    }
    this.add(this.withdrawn, who, amount);
    return ok(amount);
  }

  updateMetrics(signer: string, speed: bigint, uptime: bigint, accuracy: bigint): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    if (!this.towerActive(this.sender)) return err(ERR.UNAUTHORIZED);
    if (this.sender === signer) return err(ERR.UNAUTHORIZED);
    if (!(speed <= MAX_SIGNING_SPEED && uptime <= PERCENT && accuracy <= PERCENT)) return err(ERR.INVALID_METRICS);
    if (!this.signers.has(signer)) return err(ERR.NOT_REGISTERED);
    return this.recordReport(signer, uptime, speed, accuracy);
  }

  submitWatchtowerReport(signer: string, uptime: bigint, speed: bigint, validSignatures: bigint): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    if (!this.towerActive(this.sender)) return err(ERR.NOT_WATCHTOWER);
    if (this.sender === signer) return err(ERR.UNAUTHORIZED);
    const info = this.signers.get(signer);
    if (!info) return err(ERR.NOT_REGISTERED);
    const total = info["performance-metrics"]["total-signatures"];
    if (!(uptime <= PERCENT && speed <= MAX_SIGNING_SPEED && validSignatures <= total)) return err(ERR.INVALID_METRICS);
    return this.recordReport(signer, uptime, speed, accuracyOf(validSignatures, total));
  }

  private recordReport(signer: string, uptime: bigint, speed: bigint, accuracy: bigint): Outcome {
    const tower = this.towers.get(this.sender)!;
    const info = this.signers.get(signer)!;
    const interval = this.currentInterval();
    const key = key2(signer, interval);
    const prior = this.intervalReports.get(key) ??
      { reporters: [], uptimes: [], speeds: [], accuracies: [], quorum: this.supermajority() };
    const reportKey = `${this.sender}|${signer}|${interval}`;
    if (this.reports.has(reportKey)) return err(ERR.ALREADY_REPORTED);
    this.reports.set(reportKey, { uptime, speed, accuracy });
    // only the reports of watchtowers still active count (a report leaves with its watchtower)
    const reporters = [...prior.reporters.filter((who) => this.towerActive(who)), this.sender];
    const counted = reporters.map((who) => this.reports.get(`${who}|${signer}|${interval}`)!);
    const sorted = (values: bigint[]) => values.reduce((acc: bigint[], v) => insertSorted(acc, v), []);
    const next = {
      reporters, uptimes: sorted(counted.map((r) => r.uptime)), speeds: sorted(counted.map((r) => r.speed)),
      accuracies: sorted(counted.map((r) => r.accuracy)), quorum: max(prior.quorum, this.supermajority()),
    };
    const agreed = BigInt(next.uptimes.length) >= next.quorum;
    this.intervalReports.set(key, next);
    tower["last-report"] = this.env.burn;
    tower["reports-submitted"] += 1n;
    if (!agreed) return ok(info["reputation-score"]);
    const m = info["performance-metrics"];
    m.uptime = agreedValue(next.uptimes, next.quorum, m.uptime);
    m["signing-speed"] = agreedValue(next.speeds, next.quorum, m["signing-speed"]);
    m.accuracy = agreedValue(next.accuracies, next.quorum, m.accuracy);
    return ok(this.storeMetrics(signer, info));
  }

  currentInterval(): bigint {
    return this.burnNow() / max(1n, this.param("report-interval"));
  }

  claimRewards(): Outcome {
    const who = this.sender;
    const amount = this.rewardOf(who);
    if (amount === 0n) return err(ERR.NOTHING_TO_WITHDRAW);
    this.rewards.delete(who);
    this.totals.rewards -= amount;
    return ok(amount);
  }

  // ---- public: epochs and keys ------------------------------------------------------------

  rotateSigners(committee: string[]): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const latest = this.epochs.get(this.latestEpoch);
    if (latest && !(latest.status === "cancelled" ||
        (latest.status !== "pending" && this.burnNow() >= this.lastRotation + this.param("rotation-period")))) {
      return err(ERR.ROTATION_NOT_DUE);
    }
    if (BigInt(this.eligibleCount()) < this.param("required-signers")) return err(ERR.INSUFFICIENT_SIGNERS);
    // Exactly one committee passes (any seat order): the proposal, as a set, each member once.
    const expected = new Set(this.proposal());
    const passes = new Set(committee).size === committee.length && committee.length === expected.size && committee.every((m) => expected.has(m));
    if (!passes) return err(ERR.INVALID_COMMITTEE);
    const epoch = this.latestEpoch + 1n;
    committee.forEach((who) => this.seatStakes.set(key2(epoch, who), this.signers.get(who)?.stake ?? 0n));
    this.epochs.set(epoch, {
      committee: [...committee], threshold: this.param("signature-threshold"), previous: this.currentEpoch,
      "group-public-key": null, "share-public-keys": [], status: "pending", "created-at": this.env.stacks,
      "formed-at": this.burnNow(), "activated-at": 0n,
    });
    this.epochN.set(epoch, this.param("total-signers"));
    this.latestEpoch = epoch;
    this.lastRotation = this.burnNow();
    return ok(epoch);
  }

  cancelEpoch(epoch: bigint): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const info = this.epochs.get(epoch);
    if (!info) return err(ERR.UNKNOWN_EPOCH);
    if (!(epoch === this.latestEpoch && info.status === "pending")) return err(ERR.EPOCH_CLOSED);
    if (!(this.burnNow() > info["formed-at"] + this.param("dkg-timeout"))) return err(ERR.DEADLINE_NOT_REACHED);
    info.status = "cancelled";
    const fresh = info.previous === 0n;
    let slashed = 0n;
    const silent: string[] = [];
    const penalize = (who: string, skipNew: boolean) => {
      const inNew = this.isMember(epoch, who);
      const owesDeal = fresh ? inNew : this.isMember(info.previous, who);
      const dealt = this.dkgDealt.has(key2(epoch, who));
      const voted = this.keyVotes.has(key2(epoch, who));
      if ((skipNew && inNew) || !((owesDeal && !dealt) || (inNew && !voted))) return;
      const signer = this.signers.get(who);
      if (!signer) return;
      signer["excluded-from"] = epoch + 1n;
      const m = signer["performance-metrics"];
      m.uptime -= min(MISSED_UPTIME_PENALTY, m.uptime);
      slashed += this.slash(who, signer, this.param("slash-liveness-bps"));
      silent.push(who);
    };
    info.committee.forEach((who) => penalize(who, false));
    (this.epochs.get(info.previous)?.committee ?? []).forEach((who) => penalize(who, true));
    const reward = (slashed * this.param("notifier-reward-bps")) / BPS;
    this.creditReward(this.sender, reward);
    this.totals.treasury += slashed - reward;
    return ok(silent);
  }

  postDkgMessage(epoch: bigint, phase: bigint, payloadLength: number): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const info = this.epochs.get(epoch);
    if (!info) return err(ERR.UNKNOWN_EPOCH);
    if (!(this.isMember(epoch, this.sender) || this.isMember(info.previous, this.sender))) return err(ERR.NOT_ACTIVE_SIGNER);
    if (payloadLength === 0) return err(ERR.INVALID_PARAMS);
    if (!(epoch === this.latestEpoch && info.status === "pending")) return err(ERR.EPOCH_CLOSED);
    if (phase === 1n) this.dkgDealt.add(key2(epoch, this.sender));
    return ok(true);
  }

  submitEpochKey(epoch: bigint, group: Uint8Array, shares: Uint8Array[]): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const info = this.epochs.get(epoch);
    if (!info) return err(ERR.UNKNOWN_EPOCH);
    if (!this.isMember(epoch, this.sender)) return err(ERR.NOT_ACTIVE_SIGNER);
    const groupCheck = checkG1(group);
    if (groupCheck) return err(groupCheck);
    if (shares.length !== info.committee.length) return err(ERR.INVALID_PARAMS);
    for (const share of shares) {
      const c = checkG1(share);
      if (c) return err(c);
    }
    if (!(epoch === this.latestEpoch && info.status === "pending")) return err(ERR.EPOCH_CLOSED);
    const groupHex = `0x${Buffer.from(group).toString("hex")}`;
    const old = this.epochs.get(info.previous);
    if (old && old["group-public-key"] !== groupHex) return err(ERR.KEY_MISMATCH);
    if (this.keyVotes.has(key2(epoch, this.sender))) return err(ERR.ALREADY_VOTED);
    const shareHex = shares.map((s) => `0x${Buffer.from(s).toString("hex")}`);
    const result = `${groupHex}/${shareHex.join(",")}`;
    const votes = (this.keyTally.get(key2(epoch, result)) ?? 0n) + 1n;
    this.keyVotes.set(key2(epoch, this.sender), result);
    this.keyTally.set(key2(epoch, result), votes);
    const activates = votes >= info.threshold;
    if (activates) {
      info["group-public-key"] = groupHex;
      info["share-public-keys"] = shareHex;
      info.status = "active";
      info["activated-at"] = this.env.stacks;
      this.currentEpoch = epoch;
    }
    return ok(activates);
  }

  // ---- public: signing ----------------------------------------------------------------------

  requestSignature(hash: string, hashLength: number, fee: bigint): Outcome {
    const epoch = this.currentEpoch;
    const deadline = this.stacksNow() + this.param("signing-timeout");
    const prior = this.requests.get(hash);
    const active = this.checkActive();
    if (active) return err(active);
    if (hashLength !== 32) return err(ERR.INVALID_PARAMS);
    if (fee < this.param("min-fee")) return err(ERR.FEE_TOO_LOW);
    if (epoch === 0n) return err(ERR.NO_ACTIVE_KEY);
    // expired under t partials and never refunded: its fee goes to its requester's rewards
    const lapsed = !!prior && !prior.refunded && prior["aggregate-signature"] === null &&
      this.stacksNow() > prior.deadline && prior["partial-count"] < this.epochs.get(prior.epoch)!.threshold;
    if (prior && !((prior.refunded || lapsed) && this.burnNow() > prior["contest-until"])) return err(ERR.REQUEST_EXISTS);
    if (this.env.balance(this.sender) < fee) return err(ERR.INSUFFICIENT_FUNDS);
    if (prior && lapsed) {
      this.totals.pendingFees -= prior.fee;
      this.creditReward(prior.requester, prior.fee);
    }
    this.requests.set(hash, {
      requester: this.sender, fee, epoch, "created-at": this.stacksNow(), deadline, "partial-count": 0n, signers: [],
      "aggregate-signature": null, aggregator: null, "finalized-at": 0n, "settle-at": 0n, "closed-early": false,
      "fee-paid": false, refunded: false, attempt: prior ? prior.attempt + 1n : 1n, "contest-until": 0n,
    });
    this.totals.pendingFees += fee;
    return ok(deadline);
  }

  submitPartial(hash: string, signature: Uint8Array, forged: boolean): Outcome {
    const who = this.sender;
    const active = this.checkActive();
    if (active) return err(active);
    const request = this.requests.get(hash);
    if (!request) return err(ERR.UNKNOWN_REQUEST);
    if (!this.isMember(request.epoch, who)) return err(ERR.NOT_ACTIVE_SIGNER);
    const info = this.signers.get(who);
    if (!info) return err(ERR.NOT_ACTIVE_SIGNER);
    const now = this.stacksNow();
    const claimUntil = this.burnNow() + this.param("claim-window");
    const shape = checkG2(signature);
    if (shape) return err(shape);
    if (request["aggregate-signature"] !== null) return err(ERR.ALREADY_FINALIZED);
    if (!(now <= request.deadline)) return err(ERR.REQUEST_EXPIRED);
    const key = key2(hash, who);
    const old = this.partials.get(key);
    if (old && !(old.attempt < request.attempt)) return err(ERR.ALREADY_SIGNED);
    const index = this.memberIndex(request.epoch, who);
    this.partials.set(key, {
      signature: `0x${Buffer.from(signature).toString("hex")}`, "message-hash": hash, timestamp: now, index,
      "claim-until": claimUntil, invalid: false, attempt: request.attempt,
    });
    if (forged) this.forged.add(`${key}|${request.attempt}`);
    else this.forged.delete(`${key}|${request.attempt}`);
    request["contest-until"] = max(request["contest-until"], claimUntil);
    request["partial-count"] += 1n;
    request.signers.push(who);
    const m = info["performance-metrics"];
    const elapsed = now - request["created-at"];
    m["signing-speed"] = m["total-signatures"] === 0n ? elapsed : (m["signing-speed"] * 3n + elapsed) / 4n;
    m["total-signatures"] += 1n;
    m["valid-signatures"] += 1n;
    m.accuracy = accuracyOf(m["valid-signatures"], m["total-signatures"]);
    info["last-active"] = this.env.stacks;
    // the latest of its partials' windows: a claim-window shortened later never shortens it
    info["claim-until"] = max(info["claim-until"], claimUntil);
    this.storeMetrics(who, info);
    return ok(request["partial-count"]);
  }

  submitAggregate(hash: string, signature: Uint8Array, valid: boolean): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const shape = checkG2(signature);
    if (shape) return err(shape);
    const request = this.requests.get(hash);
    if (!request) return err(ERR.UNKNOWN_REQUEST);
    const epoch = this.epochs.get(request.epoch)!;
    const settleAt = max(this.burnNow() + this.param("claim-window"), request["contest-until"]);
    if (request["aggregate-signature"] !== null || request.refunded) return err(ERR.ALREADY_FINALIZED);
    if (request["partial-count"] < epoch.threshold) return err(ERR.THRESHOLD_NOT_MET);
    const sigHex = `0x${Buffer.from(signature).toString("hex")}`;
    request["closed-early"] = request["closed-early"] || this.stacksNow() <= request.deadline;
    request["aggregate-signature"] = sigHex;
    request.aggregator = this.sender;
    request["finalized-at"] = this.env.stacks;
    request["settle-at"] = settleAt;
    if (valid) this.validAggregates.add(key2(hash, sigHex));
    return ok(settleAt);
  }

  /** Returns the fee credited to each signer beside the outcome (the invariant's ledger). */
  settleFee(hash: string): { outcome: Outcome; credited: Map<string, bigint> } {
    const credited = new Map<string, bigint>();
    const active = this.checkActive();
    if (active) return { outcome: err(active), credited };
    const request = this.requests.get(hash);
    if (!request) return { outcome: err(ERR.UNKNOWN_REQUEST), credited };
    const count = request["partial-count"];
    const share = count > 0n ? request.fee / count : 0n;
    if (request["aggregate-signature"] === null) return { outcome: err(ERR.NOT_FINALIZED), credited };
    if (request["fee-paid"]) return { outcome: err(ERR.FEE_SETTLED), credited };
    if (!(this.burnNow() > request["settle-at"])) return { outcome: err(ERR.DEADLINE_NOT_REACHED), credited };
    let paid = 0n;
    for (const who of request.signers) {
      const partial = this.partials.get(key2(hash, who));
      if (!partial || partial.invalid) continue;
      this.creditReward(who, share);
      credited.set(who, (credited.get(who) ?? 0n) + share);
      paid += share;
    }
    this.totals.pendingFees -= request.fee;
    this.totals.treasury += request.fee - paid;
    request["fee-paid"] = true;
    return { outcome: ok(paid), credited };
  }

  reclaimFee(hash: string): Outcome {
    const request = this.requests.get(hash);
    if (!request) return err(ERR.UNKNOWN_REQUEST);
    const threshold = this.epochs.get(request.epoch)!.threshold;
    if (this.sender !== request.requester) return err(ERR.UNAUTHORIZED);
    if (request["aggregate-signature"] !== null || request.refunded || request["fee-paid"]) return err(ERR.ALREADY_FINALIZED);
    if (!(this.stacksNow() > request.deadline)) return err(ERR.DEADLINE_NOT_REACHED);
    if (request["partial-count"] >= threshold) return err(ERR.FEE_EARNED);
    this.totals.pendingFees -= request.fee;
    request.refunded = true;
    return ok(request.fee);
  }

  // ---- public: watchtowers and slashing -------------------------------------------------------

  registerWatchtower(): Outcome {
    const bond = this.param("watchtower-bond");
    const active = this.checkActive();
    if (active) return err(active);
    if (this.towers.has(this.sender)) return err(ERR.WATCHTOWER_EXISTS);
    if (this.activeTowers >= MAX_WATCHTOWERS) return err(ERR.WATCHTOWER_LIMIT);
    if (this.env.balance(this.sender) < bond) return err(ERR.INSUFFICIENT_FUNDS);
    this.towers.set(this.sender, {
      "last-report": 0n, "reports-submitted": 0n, "accuracy-score": WATCHTOWER_START_ACCURACY, "is-active": true,
      bond, "registered-at": this.env.burn, "release-at": 0n, "open-claims": 0n,
    });
    this.activeTowers += 1n;
    this.totals.bonds += bond;
    this.everTowers.add(this.sender);
    return ok(true);
  }

  leaveWatchtower(): Outcome {
    const tower = this.towers.get(this.sender);
    if (!tower || !tower["is-active"]) return err(ERR.NOT_WATCHTOWER);
    this.deactivate(tower);
    return ok(tower["release-at"]);
  }

  withdrawWatchtowerBond(): Outcome {
    const tower = this.towers.get(this.sender);
    if (!tower) return err(ERR.NOT_WATCHTOWER);
    if (tower["is-active"]) return err(ERR.STAKE_LOCKED);
    if (this.env.burn < tower["release-at"]) return err(ERR.STAKE_LOCKED);
    if (tower["open-claims"] !== 0n) return err(ERR.STAKE_LOCKED);
    this.towers.delete(this.sender);
    this.totals.bonds -= tower.bond;
    return ok(tower.bond);
  }

  reportInvalidSignature(hash: string, signer: string): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const tower = this.towers.get(this.sender);
    if (!tower || !tower["is-active"]) return err(ERR.NOT_WATCHTOWER);
    const request = this.requests.get(hash);
    if (!request) return err(ERR.UNKNOWN_REQUEST);
    const key = key2(hash, signer);
    const partial = this.partials.get(key);
    if (!partial) return err(ERR.NOT_PENALIZABLE);
    const stored = this.claims.get(key);
    const stale = stored ? stored.attempt < partial.attempt : false;
    const claim: Claim = stored && !stale ? this.clone(stored) : { claimants: [], "opened-at": this.burnNow(), confirmed: false, attempt: partial.attempt };
    if (claim.claimants.length >= 32) return err(ERR.WATCHTOWER_LIMIT);
    const claimants = [...claim.claimants, this.sender];
    const quorum = this.supermajority();
    const confirms = this.countActive(claimants) >= quorum;
    if (claim.confirmed) return err(ERR.NOT_PENALIZABLE);
    if (claim.claimants.includes(this.sender)) return err(ERR.ALREADY_REPORTED);
    if (this.burnNow() > partial["claim-until"]) return err(ERR.CLAIM_EXPIRED);
    if (confirms && !this.signers.has(signer)) return err(ERR.NOT_REGISTERED);
    if (stored && stale && !stored.confirmed) this.forfeitBonds(stored.claimants);
    this.claims.set(key, { ...claim, claimants, confirmed: confirms });
    this.claimKeys.add(key);
    this.towers.get(this.sender)!["open-claims"] += 1n;
    if (!confirms) return ok(false);
    const info = this.signers.get(signer)!;
    const m = info["performance-metrics"];
    const valid = m["valid-signatures"] - min(1n, m["valid-signatures"]);
    const count = request["partial-count"] - 1n;
    const threshold = this.epochs.get(request.epoch)!.threshold;
    const drop = request["aggregate-signature"] !== null && !request["fee-paid"] && count < threshold;
    partial.invalid = true;
    request["partial-count"] = count;
    if (drop) {
      const dropped = key2(hash, request["aggregate-signature"]);
      const moot = this.aggregateClaims.get(dropped);
      if (moot) moot.claimants.forEach((who) => this.closeClaim(who));
      this.aggregateClaims.delete(dropped);
      request["aggregate-signature"] = null;
      request.aggregator = null;
      request["finalized-at"] = 0n;
      request["settle-at"] = 0n;
    }
    m["valid-signatures"] = valid;
    m.accuracy = accuracyOf(valid, m["total-signatures"]);
    const amount = this.slash(signer, info, this.param("slash-invalid-bps"));
    const pool = (amount * this.param("notifier-reward-bps")) / BPS;
    const share = pool / BigInt(claimants.length);
    for (const who of claimants) {
      this.creditReward(who, share);
      const t = this.towers.get(who);
      if (t) {
        t["accuracy-score"] = min(PERCENT, t["accuracy-score"] + WATCHTOWER_CONFIRM_BONUS);
        t["open-claims"] -= min(1n, t["open-claims"]);
      }
    }
    this.totals.treasury += amount - share * BigInt(claimants.length);
    return ok(true);
  }

  reportInvalidAggregate(hash: string): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const tower = this.towers.get(this.sender);
    if (!tower || !tower["is-active"]) return err(ERR.NOT_WATCHTOWER);
    const request = this.requests.get(hash);
    if (!request) return err(ERR.UNKNOWN_REQUEST);
    const aggregate = request["aggregate-signature"];
    if (aggregate === null) return err(ERR.NOT_PENALIZABLE);
    const key = key2(hash, aggregate);
    const claim = this.aggregateClaims.get(key) ?? { claimants: [], "opened-at": this.burnNow() };
    if (claim.claimants.length >= 32) return err(ERR.WATCHTOWER_LIMIT);
    const claimants = [...claim.claimants, this.sender];
    const confirms = this.countActive(claimants) >= this.supermajority();
    if (claim.claimants.includes(this.sender)) return err(ERR.ALREADY_REPORTED);
    if (this.burnNow() > request["settle-at"]) return err(ERR.CLAIM_EXPIRED);
    tower["open-claims"] += 1n;
    if (confirms) {
      claimants.forEach((who) => this.closeClaim(who));
      this.aggregateClaims.delete(key);
      request["aggregate-signature"] = null;
      request.aggregator = null;
      request["finalized-at"] = 0n;
      request["settle-at"] = 0n;
      return ok(true);
    }
    this.aggregateClaims.set(key, { claimants, "opened-at": claim["opened-at"] });
    this.aggregateClaimKeys.add(key);
    return ok(false);
  }

  expireClaim(hash: string, signer: string): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const key = key2(hash, signer);
    const claim = this.claims.get(key);
    if (!claim) return err(ERR.UNKNOWN_CLAIM);
    const partial = this.partials.get(key);
    if (!partial) return err(ERR.UNKNOWN_CLAIM);
    if (claim.confirmed) return err(ERR.ALREADY_FINALIZED);
    if (!(claim.attempt < partial.attempt || this.burnNow() > partial["claim-until"])) return err(ERR.DEADLINE_NOT_REACHED);
    this.claims.delete(key);
    return ok(this.forfeitBonds(claim.claimants));
  }

  expireAggregateClaim(hash: string, aggregate: string): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const key = key2(hash, aggregate);
    const claim = this.aggregateClaims.get(key);
    if (!claim) return err(ERR.UNKNOWN_CLAIM);
    const request = this.requests.get(hash);
    if (!request) return err(ERR.UNKNOWN_REQUEST);
    if (!(this.burnNow() > request["settle-at"])) return err(ERR.DEADLINE_NOT_REACHED);
    this.aggregateClaims.delete(key);
    return ok(this.forfeitBonds(claim.claimants));
  }

  penalizeMissedSignature(hash: string, signer: string): Outcome {
    const active = this.checkActive();
    if (active) return err(active);
    const request = this.requests.get(hash);
    if (!request) return err(ERR.UNKNOWN_REQUEST);
    const info = this.signers.get(signer);
    if (!info) return err(ERR.NOT_REGISTERED);
    if (!(this.stacksNow() > request.deadline)) return err(ERR.DEADLINE_NOT_REACHED);
    if (!this.isMember(request.epoch, signer)) return err(ERR.NOT_PENALIZABLE);
    if (request["closed-early"]) return err(ERR.NOT_PENALIZABLE);
    const key = key2(hash, signer);
    const old = this.partials.get(key);
    if (old && !(old.attempt < request.attempt)) return err(ERR.NOT_PENALIZABLE);
    const penalized = this.liveness.get(key);
    if (penalized !== undefined && !(penalized < request.attempt)) return err(ERR.ALREADY_REPORTED);
    // at most one liveness penalty per member per report interval
    const last = this.livenessIntervals.get(signer);
    if (last !== undefined && !(last < this.currentInterval())) return err(ERR.ALREADY_REPORTED);
    this.liveness.set(key, request.attempt);
    this.livenessIntervals.set(signer, this.currentInterval());
    const m = info["performance-metrics"];
    m.uptime -= min(MISSED_UPTIME_PENALTY, m.uptime);
    const amount = this.slash(signer, info, this.param("slash-liveness-bps"));
    const reward = (amount * this.param("notifier-reward-bps")) / BPS;
    this.creditReward(this.sender, reward);
    this.totals.treasury += amount - reward;
    return ok(amount);
  }

  // ---- public: governance ---------------------------------------------------------------------

  private checkProposer(): number | null {
    if (!this.initialized) return ERR.NOT_INITIALIZED;
    const info = this.signers.get(this.sender);
    if (!info) return ERR.NOT_REGISTERED;
    if (!(info.stake > 0n)) return ERR.INSUFFICIENT_STAKE;
    return null;
  }
  private newProposal(kind: Proposal["kind"], parameter: string, value: bigint, recipient: string | null): Outcome {
    const id = this.proposalCount + 1n;
    this.proposals.set(id, {
      proposer: this.sender, kind, parameter, value, recipient, "votes-for": 0n, "votes-against": 0n,
      "created-at": this.env.burn, "ends-at": this.env.burn + this.param("voting-period"),
      "expires-at": this.env.burn + 2n * this.param("voting-period"), "total-stake": this.totals.stake, executed: false,
    });
    this.proposalCount = id;
    return ok(id);
  }
  proposeParameterChange(parameter: string, value: bigint): Outcome {
    const check = this.checkProposer();
    if (check) return err(check);
    if (!(parameter in PARAM_BOUNDS)) return err(ERR.UNKNOWN_PARAMETER);
    if (!this.validConfig(parameter, value)) return err(ERR.INVALID_PARAMS);
    return this.newProposal("parameter", parameter, value, null);
  }
  proposeTreasurySpend(amount: bigint, recipient: string): Outcome {
    const check = this.checkProposer();
    if (check) return err(check);
    if (amount === 0n) return err(ERR.INVALID_AMOUNT);
    if (amount > this.totals.treasury) return err(ERR.INSUFFICIENT_FUNDS);
    return this.newProposal("treasury", "", amount, recipient);
  }
  proposeGuardian(guardian: string): Outcome {
    const check = this.checkProposer();
    if (check) return err(check);
    return this.newProposal("guardian", "", 0n, guardian);
  }
  voteOnProposal(id: bigint, support: boolean): Outcome {
    const proposal = this.proposals.get(id);
    if (!proposal) return err(ERR.UNKNOWN_PROPOSAL);
    const info = this.signers.get(this.sender);
    if (!info) return err(ERR.NOT_REGISTERED);
    const weight = info.stake;
    if (!(weight > 0n)) return err(ERR.INSUFFICIENT_STAKE);
    if (!(this.env.burn < proposal["ends-at"])) return err(ERR.VOTING_CLOSED);
    if (this.proposalVotes.has(key2(id, this.sender))) return err(ERR.ALREADY_VOTED);
    this.proposalVotes.set(key2(id, this.sender), { support, weight });
    if (support) proposal["votes-for"] += weight;
    else proposal["votes-against"] += weight;
    return ok(weight);
  }
  /** The outcome, and for a treasury spend the STX that leave the contract. */
  executeProposal(id: bigint): Outcome {
    const proposal = this.proposals.get(id);
    if (!proposal) return err(ERR.UNKNOWN_PROPOSAL);
    const turnout = proposal["votes-for"] + proposal["votes-against"];
    if (proposal.executed) return err(ERR.ALREADY_EXECUTED);
    if (!(this.env.burn >= proposal["ends-at"])) return err(ERR.VOTING_OPEN);
    if (!(this.env.burn < proposal["expires-at"])) return err(ERR.PROPOSAL_EXPIRED);
    const base = max(proposal["total-stake"], this.totals.stake);
    if (!(proposal["votes-for"] > proposal["votes-against"] && turnout * BPS >= base * this.param("quorum-bps"))) return err(ERR.PROPOSAL_REJECTED);
    if (proposal.kind === "parameter") {
      if (!this.validConfig(proposal.parameter, proposal.value)) return err(ERR.INVALID_PARAMS);
      this.params.set(proposal.parameter, proposal.value);
    } else if (proposal.kind === "treasury") {
      if (proposal.value > this.totals.treasury) return err(ERR.INSUFFICIENT_FUNDS);
      this.totals.treasury -= proposal.value;
    } else {
      this.guardian = proposal.recipient!;
    }
    proposal.executed = true;
    return ok(true);
  }

  // ---- public: emergency ------------------------------------------------------------------------

  pause(): Outcome {
    if (this.sender !== this.guardian) return err(ERR.UNAUTHORIZED);
    if (this.paused) return err(ERR.PAUSED);
    this.pauseBegan = { stacks: this.env.stacks, burn: this.env.burn };
    this.paused = true;
    return ok(true);
  }
  unpause(): Outcome {
    if (this.sender !== this.guardian) return err(ERR.UNAUTHORIZED);
    if (!this.paused) return err(ERR.NOT_PAUSED);
    this.pausedBlocks = {
      stacks: this.pausedBlocks.stacks + (this.env.stacks - this.pauseBegan.stacks),
      burn: this.pausedBlocks.burn + (this.env.burn - this.pauseBegan.burn),
    };
    this.paused = false;
    return ok(true);
  }
}
