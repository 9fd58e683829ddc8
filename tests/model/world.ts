// The real side of the property test: calls into the simnet beside the model, the contract's
// whole state read after every step and compared with the model, and the invariants.
//
// Speed. On simnet every call into `dts` costs ~7 ms (the SDK loads the 1,700-line contract
// for each call, read-only views and nested contract-calls included), while a raw read of
// one map entry or data var costs ~0.1 ms. So after every step the state is read raw
// (`getMapEntry` / `getDataVar`: the very entries the read-only views return, e.g.
// get-signer-info is `map-get? signers` plus derived fields), decoded only when its bytes
// changed, and the views themselves (get-accounting, get-signer-info, get-request,
// get-partial-signature, get-epoch) are read and checked against the raw state at the end
// of every sequence.
import { Cl, serializeCVBytes, type ClarityValue } from "@stacks/transactions";
import { ERROR_NAMES, toJson } from "../../src/chain/clarity.js";
import { contractPrincipal, decode, deployer, read, stxBalance, type Plain } from "../helpers.js";
import { isErr, Model, type Env, type Outcome } from "./model.js";

const CONTRACT = "dts";

/** Calls refused while paused, and calls a pause never refuses (README "Emergency"). */
export const REFUSED_WHEN_PAUSED = new Set([
  "register-signer", "increase-stake", "post-dkg-message", "submit-epoch-key", "request-signature",
  "submit-partial-signature", "submit-aggregate-signature", "settle-fee", "rotate-signers", "update-metrics",
  "submit-watchtower-report", "register-watchtower", "report-invalid-signature", "report-invalid-aggregate",
  "expire-claim", "expire-aggregate-claim", "penalize-missed-signature", "cancel-epoch",
]);
export const NEVER_REFUSED_WHEN_PAUSED = new Set([
  "request-unstake", "withdraw-stake", "leave-watchtower", "withdraw-watchtower-bond", "reclaim-fee", "claim-rewards",
  "propose-parameter-change", "propose-treasury-spend", "propose-guardian", "vote-on-proposal", "execute-proposal",
]);

/** A broken invariant or a call the model did not predict: names the rule and the step. */
export class PropertyViolation extends Error {
  constructor(rule: string, detail: string, log: string[]) {
    super(`${rule}: ${detail}\n  last calls (newest last):\n    ${log.slice(-12).join("\n    ")}`);
    this.name = "PropertyViolation";
  }
}

/** Canonical JSON: sorted keys, bigints as decimal strings. */
export function canon(value: unknown): string {
  return JSON.stringify(value, (_, v) => {
    if (typeof v === "bigint") return `${v}`;
    if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]));
    return v;
  });
}

const show = (o: unknown) => {
  const d = o as { err?: bigint };
  if (d && typeof d === "object" && "err" in d && typeof d.err === "bigint") return `(err u${d.err} ${ERROR_NAMES[Number(d.err)] ?? "?"})`;
  return toJson(o, 0);
};

// ---- raw reads -------------------------------------------------------------------------
// The SDK's getMapEntry serializes its key on every call (c32-decoding a principal costs
// 0.3 ms); keys are serialized once here and the SDK's own method is called with the bytes.
type RawGetMapEntry = (contract: string, map: string, key: Uint8Array) => string;
type RawGetDataVar = (contract: string, name: string) => string;
const proto = Object.getPrototypeOf(simnet) as { getMapEntry?: RawGetMapEntry; getDataVar?: RawGetDataVar };
const keyBytes = new Map<string, Uint8Array>();
function keyOf(label: string, make: () => ClarityValue): Uint8Array {
  let bytes = keyBytes.get(label);
  if (!bytes) keyBytes.set(label, (bytes = serializeCVBytes(make())));
  return bytes;
}
function rawEntry(map: string, keyLabel: string, make: () => ClarityValue): string | null {
  const key = keyOf(`${map}:${keyLabel}`, make);
  try {
    return proto.getMapEntry ? proto.getMapEntry.call(simnet, CONTRACT, map, key) : Cl.serialize(simnet.getMapEntry(CONTRACT, map, Cl.deserialize(key)));
  } catch (e) {
    if (String(e).includes("value not found")) return null;
    throw e;
  }
}
function rawVar(name: string): string {
  return proto.getDataVar ? proto.getDataVar.call(simnet, CONTRACT, name) : Cl.serialize(simnet.getDataVar(CONTRACT, name));
}

const DATA_VARS = [
  "initialized", "paused", "guardian", "pause-began", "paused-blocks", "signer-list", "ranking", "signer-seq",
  "current-epoch", "latest-epoch", "last-rotation", "active-watchtowers", "proposal-count", "total-stake",
  "total-unbonding", "total-bonds", "total-pending-fees", "total-rewards", "treasury",
];

/** Labels of the state read each step, with how to read each and what the model says. */
interface Slot {
  read: () => string | null;
  expected: () => unknown;
}

export class World {
  readonly log: string[] = [];
  /** Raw bytes, decoded value and canonical form of each slot at the last read. */
  private hex = new Map<string, string | null>();
  private value = new Map<string, Plain | null>();
  private rawCanon = new Map<string, string>();
  private balances = "";
  private probeDeployed = false;
  private probed = new Map<string, string>();
  /** Lifetime STX each principal moved into stake and back out, from the transfer events. */
  readonly deposits = new Map<string, bigint>();
  readonly withdrawals = new Map<string, bigint>();
  steps = 0;
  calls = 0;
  /** Results by function across all sequences: "fn ok" or "fn err uN". */
  static readonly outcomes = new Map<string, number>();

  constructor(readonly model: Model) {}

  env(): Env {
    return { stacks: BigInt(simnet.blockHeight + 1), burn: BigInt(simnet.burnBlockHeight), balance: (who) => stxBalance(who) };
  }

  /** Counts an outcome for DTS_PROPERTY_STATS. */
  count(tag: string) {
    World.outcomes.set(tag, (World.outcomes.get(tag) ?? 0) + 1);
  }

  fail(rule: string, detail: string): never {
    throw new PropertyViolation(rule, detail, this.log);
  }

  /** One public call beside the model's prediction (`predict` changes the model when it
   *  predicts ok). Checks the result, the pause rule and, for a refused call, that nothing
   *  changed. Returns the call's result and events. */
  call(fn: string, args: ClarityValue[], sender: string, predict: (m: Model) => Outcome, what = fn) {
    const wasPaused = this.model.paused;
    const predicted = predict(this.model.at(this.env(), sender));
    const res = simnet.callPublicFn(CONTRACT, fn, args, sender);
    this.calls++;
    const actual = decode(res.result) as Outcome;
    this.count(`${fn} ${isErr(actual) ? `err ${ERROR_NAMES[Number(actual.err)] ?? actual.err}` : typeof actual.ok === "boolean" ? `ok ${actual.ok}` : "ok"}`);
    this.log.push(`#${this.steps} ${what} by ${short(sender)} -> ${show(actual)}${canon(actual) === canon(predicted) ? "" : ` (model: ${show(predicted)})`}`);
    if (wasPaused && REFUSED_WHEN_PAUSED.has(fn) && !(isErr(actual) && actual.err === 113n))
      this.fail("INV-PAUSE", `${fn} is in the documented refused set but returned ${show(actual)} while paused`);
    if (wasPaused && NEVER_REFUSED_WHEN_PAUSED.has(fn) && isErr(actual) && actual.err === 113n)
      this.fail("INV-PAUSE", `${fn} is never refused by a pause (README) but returned ERR-PAUSED`);
    if (canon(actual) !== canon(predicted)) this.fail("MODEL", `${what}: the contract returned ${show(actual)}, the model predicted ${show(predicted)}`);
    if (isErr(actual) && res.events.length > 0) this.fail("INV-REFUSED-UNCHANGED", `${what} was refused but emitted ${res.events.length} events`);
    return { res, refused: isErr(actual) };
  }

  /** Ghost ledger of stake moved by STX transfers (not from the model). */
  recordStakeTransfers(events: { event: string; data: any }[], who: string) {
    for (const e of events.filter((x) => x.event === "stx_transfer_event")) {
      const amount = BigInt(e.data.amount);
      if (e.data.sender === who && e.data.recipient === contractPrincipal) this.deposits.set(who, (this.deposits.get(who) ?? 0n) + amount);
      else if (e.data.sender === contractPrincipal && e.data.recipient === who) this.withdrawals.set(who, (this.withdrawals.get(who) ?? 0n) + amount);
      else this.fail("INV-STAKE", `unexpected STX transfer ${toJson(e.data, 0)} in a stake call of ${who}`);
    }
  }

  // ---- the state, read raw ----------------------------------------------------------------

  private slots(): Map<string, Slot> {
    const m = this.model;
    const slots = new Map<string, Slot>();
    const entry = (map: string, label: string, make: () => ClarityValue, expected: () => unknown) =>
      slots.set(`${map}:${label}`, { read: () => rawEntry(map, label, make), expected });
    const opt = <T>(v: T | undefined) => (v === undefined ? null : v);
    const vars: Record<string, () => unknown> = {
      initialized: () => m.initialized, paused: () => m.paused, guardian: () => m.guardian,
      "pause-began": () => m.pauseBegan, "paused-blocks": () => m.pausedBlocks, "signer-list": () => m.signerList,
      ranking: () => m.ranking().map((e) => ({ signer: e.signer, stake: e.stake, reputation: e.reputation, seq: e.seq, exiting: e.exiting, "excluded-from": e.excludedFrom })),
      "signer-seq": () => m.signerSeq, "current-epoch": () => m.currentEpoch, "latest-epoch": () => m.latestEpoch,
      "last-rotation": () => m.lastRotation, "active-watchtowers": () => m.activeTowers, "proposal-count": () => m.proposalCount,
      "total-stake": () => m.totals.stake, "total-unbonding": () => m.totals.unbonding, "total-bonds": () => m.totals.bonds,
      "total-pending-fees": () => m.totals.pendingFees, "total-rewards": () => m.totals.rewards, treasury: () => m.totals.treasury,
    };
    for (const name of DATA_VARS) slots.set(`var:${name}`, { read: () => rawVar(name), expected: vars[name] });
    for (const who of m.everSigners) entry("signers", who, () => Cl.principal(who), () => opt(m.signers.get(who)));
    for (const [id, e] of m.epochs) {
      entry("epochs", `${id}`, () => Cl.uint(id), () => e);
      for (const who of e.committee) entry("seat-stakes", `${id}|${who}`, () => Cl.tuple({ epoch: Cl.uint(id), signer: Cl.principal(who) }), () => opt(m.seatStakes.get(`${id}|${who}`)));
    }
    for (const [hash, r] of m.requests) entry("requests", hash, () => Cl.bufferFromHex(hash.slice(2)), () => r);
    for (const [k, p] of m.partials) {
      const [hash, who] = k.split("|");
      entry("partial-signatures", k, () => Cl.tuple({ "message-hash": Cl.bufferFromHex(hash.slice(2)), signer: Cl.principal(who) }), () => p);
    }
    for (const k of m.claimKeys) {
      const [hash, who] = k.split("|");
      entry("claims", k, () => Cl.tuple({ "message-hash": Cl.bufferFromHex(hash.slice(2)), signer: Cl.principal(who) }), () => opt(m.claims.get(k)));
    }
    for (const k of m.aggregateClaimKeys) {
      const [hash, aggregate] = k.split("|");
      entry("aggregate-claims", k, () => Cl.tuple({ "message-hash": Cl.bufferFromHex(hash.slice(2)), aggregate: Cl.bufferFromHex(aggregate.slice(2)) }), () => opt(m.aggregateClaims.get(k)));
    }
    for (const who of m.everTowers) entry("watchtowers", who, () => Cl.principal(who), () => opt(m.towers.get(who)));
    for (const who of m.everRewarded) entry("rewards", who, () => Cl.principal(who), () => opt(m.rewards.get(who)));
    for (const [id, p] of m.proposals) entry("proposals", `${id}`, () => Cl.uint(id), () => p);
    return slots;
  }

  /** Reads the whole state; returns the slots whose bytes changed since the last read. */
  private refresh(slots: Map<string, Slot>): { changed: string[]; balancesChanged: boolean } {
    const changed: string[] = [];
    for (const [label, slot] of slots) {
      const hex = slot.read();
      if (this.hex.has(label) && this.hex.get(label) === hex) continue;
      changed.push(label);
      this.hex.set(label, hex);
      const value = hex === null ? null : decode(Cl.deserialize(hex));
      this.value.set(label, value);
      this.rawCanon.set(label, canon(value));
    }
    const balances = canon([...(simnet.getAssetsMap().get("STX") ?? new Map()).entries()].sort());
    const balancesChanged = balances !== this.balances;
    this.balances = balances;
    return { changed, balancesChanged };
  }

  get = (label: string) => this.value.get(label) as any;

  /** After every step: the state against the model, then the invariants. `refused`: the
   *  step was one refused call, which must have changed nothing at all. */
  check(refused: boolean) {
    const slots = this.slots();
    const { changed, balancesChanged } = this.refresh(slots);
    if (refused && (changed.length > 0 || balancesChanged))
      this.fail("INV-REFUSED-UNCHANGED", `a refused call changed ${balancesChanged ? "STX balances " : ""}${changed.join(", ")}`);
    // the invariants first: they hold of the contract alone, whatever the model says
    this.invariants();
    for (const [label, slot] of slots) {
      const expected = canon(slot.expected());
      if (this.rawCanon.get(label) !== expected) this.fail("MODEL", `${label} is ${this.rawCanon.get(label)}\n  the model says ${expected}`);
    }
  }

  private invariants() {
    const m = this.model;
    // Accounting: the contract's STX balance is the sum of its parts.
    const parts = ["total-stake", "total-unbonding", "total-bonds", "total-pending-fees", "total-rewards", "treasury"].map((v) => this.get(`var:${v}`) as bigint);
    const sum = parts.reduce((a, b) => a + b, 0n);
    const balance = stxBalance(contractPrincipal);
    if (sum !== balance) this.fail("INV-ACCOUNTING", `the parts of get-accounting add up to ${sum} (${parts.join(" + ")}) but the contract holds ${balance} micro-STX`);

    // Stake: never negative, never above what its owner deposited less withdrawals and slashes.
    for (const who of m.everSigners) {
      const info = this.get(`signers:${who}`);
      const stake: bigint = info?.stake ?? 0n;
      const unbonding: bigint = info?.unbonding ?? 0n;
      const deposited = this.deposits.get(who) ?? 0n;
      const withdrawn = this.withdrawals.get(who) ?? 0n;
      const slashed = m.slashed.get(who) ?? 0n;
      if (stake < 0n || unbonding < 0n) this.fail("INV-STAKE", `${who} has stake ${stake}, unbonding ${unbonding}`);
      if (stake + unbonding > deposited - withdrawn - slashed)
        this.fail("INV-STAKE", `${who} holds ${stake} + ${unbonding} unbonding, above the ${deposited} it deposited less ${withdrawn} withdrawn and ${slashed} slashed`);
    }

    // Committees: the serving and the forming epoch never exceed n, never seat anyone twice,
    // and seat only registered signers (a serving epoch that wound down excepted: README
    // "Wind-down" lets its members leave).
    const current = this.get("var:current-epoch") as bigint;
    const latest = this.get("var:latest-epoch") as bigint;
    const forming = latest > 0n && this.get(`epochs:${latest}`)?.status === "pending" ? latest : 0n;
    for (const epoch of new Set([current, forming])) {
      if (epoch === 0n) continue;
      const info = this.get(`epochs:${epoch}`);
      const committee = info.committee as string[];
      const n = m.epochN.get(epoch)!;
      if (BigInt(committee.length) > n || committee.length > 32) this.fail("INV-COMMITTEE", `epoch ${epoch} seats ${committee.length} > n = ${n}`);
      if (new Set(committee).size !== committee.length) this.fail("INV-COMMITTEE", `epoch ${epoch} seats a principal twice: ${committee.join(", ")}`);
      const exempt = epoch === current && epoch !== forming && m.woundDown(this.env());
      // read raw: a member the model never saw registered has no slot
      for (const who of committee)
        if (!exempt && rawEntry("signers", who, () => Cl.principal(who)) === null)
          this.fail("INV-COMMITTEE", `${who} sits on ${epoch === current ? "the serving" : "the forming"} epoch ${epoch} but is not registered (get-signer-info none)`);
    }

    // A signer stays registered (slashable) while one of its partials can still be contested
    // (README: withdraw-stake waits until none of the signer's partials can be contested).
    const burnNow = m.burnNow(this.env());
    for (const [k, p] of m.partials) {
      const who = k.slice(k.indexOf("|") + 1);
      if (!p.invalid && p["claim-until"] >= burnNow && this.get(`signers:${who}`) === null)
        this.fail("INV-SLASHABLE", `${who} left the registry while its partial on ${k.slice(0, 10)}… can still be contested (claim-until ${p["claim-until"]} >= burn-now ${burnNow}): a confirmed claim can no longer slash it`);
    }

    // A finalized request stands on at least t partials not confirmed invalid.
    for (const [hash] of m.requests) {
      const r = this.get(`requests:${hash}`);
      if (r["aggregate-signature"] === null) continue;
      const threshold = this.get(`epochs:${r.epoch}`).threshold as bigint;
      const standing = (r.signers as string[]).filter((who) => {
        const p = this.get(`partial-signatures:${hash}|${who}`);
        return p && p.attempt === r.attempt && !p.invalid;
      }).length;
      if (BigInt(standing) < threshold)
        this.fail("INV-FINALIZED", `request ${hash.slice(0, 10)}… stands finalized on ${standing} partials not confirmed invalid, threshold ${threshold}`);
    }
  }

  // ---- withdrawal liveness -----------------------------------------------------------------
  // After unbonding, a signer outside every committee with no contestable partial can always
  // withdraw everything it has left: checked by a probe contract that calls withdraw-stake
  // (and, for stake still bonded, request-unstake of all of it) as the signer and then
  // returns an error, so that the transaction is rolled back and nothing changes.
  checkExitLiveness() {
    const m = this.model;
    const env = this.env();
    const burnNow = m.burnNow(env);
    for (const [who, info] of m.signers) {
      if (info.unbonding === 0n || env.burn < info["unbonding-release"]) continue;
      if (m.isMember(m.formingEpoch(), who) || (m.isMember(m.currentEpoch, who) && !m.woundDown(env))) continue;
      const contestable = [...m.partials.entries()].some(([k, p]) => k.endsWith(`|${who}`) && p["claim-until"] >= burnNow);
      if (contestable) continue;
      // what the outcome depends on; heights only move forward, so once it held it holds
      const fingerprint = canon([info.stake, info.unbonding, info["unbonding-release"], info["claim-until"], m.currentEpoch, m.formingEpoch(), m.woundDown(env), m.param("min-stake")]);
      if (this.probed.get(who) === fingerprint) continue;
      if (!this.probeDeployed) {
        simnet.deployContract("exit-probe", EXIT_PROBE, { clarityVersion: 4 }, deployer);
        this.probeDeployed = true;
      }
      const res = simnet.callPublicFn("exit-probe", "exit", [Cl.uint(info.stake)], who);
      const out = decode(res.result) as { err: { withdrawn: Outcome; unstaked: Outcome } };
      const withdrawOk = canon(out.err.withdrawn) === canon({ ok: info.unbonding });
      const unstakeOk = info.stake === 0n || !isErr(out.err.unstaked);
      this.log.push(`#${this.steps} exit probe for ${short(who)}: withdraw-stake -> ${show(out.err.withdrawn)}, request-unstake ${info.stake} -> ${show(out.err.unstaked)} (rolled back)`);
      if (!withdrawOk || !unstakeOk)
        this.fail("INV-EXIT", `${who} is outside every committee, its unbonding (${info.unbonding}) released at ${info["unbonding-release"]} <= ${env.burn}, no partial contestable, yet withdraw-stake gives ${show(out.err.withdrawn)} and request-unstake of its ${info.stake} bonded gives ${show(out.err.unstaked)}`);
      this.probed.set(who, fingerprint);
      this.count("exit-probe passed");
    }
  }

  /** At the end of a sequence: the read-only views agree with the raw state the steps
   *  checked: get-accounting, and one of get-signer-info, get-request,
   *  get-partial-signature and get-epoch in turn (`pick`: every view call costs a contract
   *  load, as much as a step). */
  checkViews(pick: number) {
    const m = this.model;
    const books = decode(read("get-accounting")) as Record<string, bigint>;
    const parts = books.stakes + books.unbonding + books.bonds + books["pending-fees"] + books.rewards + books.treasury;
    if (books.total !== parts || books.total !== books.balance || books.balance !== stxBalance(contractPrincipal))
      this.fail("INV-ACCOUNTING", `get-accounting ${toJson(books, 0)}: total, the sum of its parts and the balance differ`);
    const t = m.totals;
    if (canon([books.stakes, books.unbonding, books.bonds, books["pending-fees"], books.rewards, books.treasury]) !== canon([t.stake, t.unbonding, t.bonds, t.pendingFees, t.rewards, t.treasury]))
      this.fail("MODEL", `get-accounting ${toJson(books, 0)} differs from the model ${toJson(t, 0)}`);
    const nth = <T>(items: T[]) => (items.length > 0 ? items[Math.floor(pick / 4) % items.length] : undefined);
    switch (pick % 4) {
      case 0: {
        const who = nth([...m.everSigners]);
        if (!who) break;
        const view = decode(read("get-signer-info", [Cl.principal(who)])) as Record<string, any> | null;
        const info = m.signers.get(who);
        const same = view === null ? info === undefined : info !== undefined && view.stake === info.stake && view.unbonding === info.unbonding && view["reputation-score"] === info["reputation-score"] && view.exiting === info.exiting;
        if (!same) this.fail("VIEW", `get-signer-info ${who} ${toJson(view, 0)} differs from the model ${toJson(info ?? null, 0)}`);
        break;
      }
      case 1: {
        const hash = nth([...m.requests.keys()]);
        if (!hash) break;
        const view = decode(read("get-request", [Cl.bufferFromHex(hash.slice(2))]));
        if (canon(view) !== canon(m.requests.get(hash))) this.fail("VIEW", `get-request ${hash} ${toJson(view, 0)} differs from the model`);
        break;
      }
      case 2: {
        const partial = nth([...m.partials.keys()]);
        if (!partial) break;
        const [h, signer] = partial.split("|");
        const view = decode(read("get-partial-signature", [Cl.bufferFromHex(h.slice(2)), Cl.principal(signer)]));
        if (canon(view) !== canon(m.partials.get(partial))) this.fail("VIEW", `get-partial-signature ${partial} ${toJson(view, 0)} differs from the model`);
        break;
      }
      default: {
        const epoch = nth([...m.epochs.keys()]);
        if (!epoch) break;
        const view = decode(read("get-epoch", [Cl.uint(epoch)]));
        if (canon(view) !== canon(m.epochs.get(epoch))) this.fail("VIEW", `get-epoch ${epoch} ${toJson(view, 0)} differs from the model`);
      }
    }
  }
}

const EXIT_PROBE = `
(define-public (exit (stake uint))
  (let ((withdrawn (contract-call? .dts withdraw-stake))
        (unstaked (if (> stake u0) (contract-call? .dts request-unstake stake) (ok u0))))
    ;; an error rolls the whole transaction back: the probe changes nothing
    (if true (err {withdrawn: withdrawn, unstaked: unstaked}) (ok true))))
`;

export const short = (who: string) => (who.includes(".") ? who : `${who.slice(0, 6)}…${who.slice(-3)}`);
