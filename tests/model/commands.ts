// The commands of the property test: each is generated as a kind and a few choice numbers,
// resolved against the model when it runs (which request, which member, which partial), so
// that every command always runs: the choices that make no sense in the state reached are
// exactly the refusals the model must predict.
import fc from "fast-check";
import { Cl } from "@stacks/transactions";
import { badKeys, badSignatures, deployer, freshAccount, wallets } from "../helpers.js";
import { epochKeys, identityKey, junkAggregate, MESSAGES, messageHex, partialOf, validAggregate } from "./crypto.js";
import { Model } from "./model.js";
import { short, World } from "./world.js";

// ---- accounts --------------------------------------------------------------------------

export interface Accounts {
  /** Who registers as signer (wallet_1..8 and two fresh accounts with little STX). */
  signers: string[];
  /** Who registers as watchtower (wallet_9..14 and one fresh account). */
  towers: string[];
  /** Everyone: the deployer (guardian), the 14 wallets and the fresh accounts. */
  everyone: string[];
}

/** Funds the fresh accounts (a new simnet has none) and names every pool. */
export function accounts(): Accounts {
  const signerA = freshAccount("property-signer-a", 250_000_000n); // two min-stakes and a half
  const signerB = freshAccount("property-signer-b", 120_000_000n); // one min-stake and a little
  const tower = freshAccount("property-tower", 150_000_000n); // one bond and a half
  const poor = freshAccount("property-poor", 5_000n); // a few fees
  const signers = [...wallets.slice(0, 8), signerA, signerB];
  const towers = [...wallets.slice(8, 14), tower];
  return { signers, towers, everyone: [deployer, ...wallets, signerA, signerB, tower, poor] };
}

const pick = <T>(list: T[], i: number): T => list[i % list.length];
const bytesOf = (h: string) => Uint8Array.from(Buffer.from(h.slice(2), "hex"));

// ---- setup -------------------------------------------------------------------------------

export interface Setup {
  config: number;
  rotation: bigint;
  signers: number;
  activate: boolean;
  towers: number;
  /** Requests made once epoch 1 is active. */
  requests: number;
  /** Governance shortens voting-period to 10 and unbonding-period to 150 Bitcoin blocks
   *  first, so that votes, unbonding and exits complete within a sequence. */
  shortClocks: boolean;
  /** Valid partials each of those requests already has (from its first members, at most t). */
  partials: number;
  /** The first request also holds a partial forged with another member's share. */
  forged: boolean;
}

export const CONFIGS = [
  { n: 3n, t: 2n, required: 2n },
  { n: 4n, t: 3n, required: 3n },
  { n: 5n, t: 3n, required: 3n },
];
export const MIN_STAKE = 100_000_000n;

// Mostly a network that can sign at once (n + 0..2 signers, epoch 1 active, 3-5 watchtowers),
// sometimes one that has to get there within the sequence.
export const setupArb: fc.Arbitrary<Setup> = fc
  .record({
    config: fc.integer({ min: 0, max: CONFIGS.length - 1 }),
    rotation: fc.constantFrom(3n, 12n),
    extra: fc.constantFrom(-99, -1, 0, 0, 0, 1, 1, 1, 2, 2),
    activate: fc.constantFrom(true, true, true, true, true, true, true, true, true, false),
    towers: fc.constantFrom(0, 2, 3, 3, 4, 4, 5, 5),
    requests: fc.constantFrom(1, 2, 2, 3),
    shortClocks: fc.constantFrom(false, true),
    partials: fc.constantFrom(0, 1, 2, 3, 3),
    forged: fc.boolean(),
  })
  .map(({ extra, ...s }) => ({ ...s, signers: Math.max(0, Number(CONFIGS[s.config].n) + extra) }));

export const showSetup = (s: Setup) => {
  const c = CONFIGS[s.config];
  const clocks = s.shortClocks && s.signers > 0 ? "voting-period 10 and unbonding-period 150 by governance; " : "";
  const active = s.activate && s.signers >= Number(c.required);
  const signing = active ? `; epoch 1 formed and voted in; ${s.requests} requests with ${Math.min(s.partials, Number(c.t))} partials${s.forged ? " (the first t, and a forged one that all but one of the supermajority claimed)" : ""}` : "";
  return `setup: initialize t=${c.t} n=${c.n} required=${c.required} rotation-period=${s.rotation}; ${s.signers} signers registered; ${clocks}${s.towers} watchtowers${signing}`;
};

/** Initializes, registers signers and watchtowers, shortens clocks, forms and activates
 *  epoch 1, requests signatures with partials: every call checked against the model like any
 *  step. */
export function runSetup(w: World, a: Accounts, s: Setup) {
  const c = CONFIGS[s.config];
  w.call("initialize", [Cl.uint(MIN_STAKE), Cl.uint(c.required), Cl.uint(c.n), Cl.uint(s.rotation), Cl.uint(c.t)], deployer, (m) => m.initialize(MIN_STAKE, c.required, c.n, s.rotation, c.t));
  for (const who of a.signers.slice(0, s.signers)) register(w, who, identityKey(who));
  if (s.shortClocks && s.signers > 0) {
    // one signer holding about half the stake carries the 20% turnout alone
    const voter = a.signers[0];
    const top = BigInt(s.signers) * MIN_STAKE;
    const { res } = w.call("increase-stake", [Cl.uint(top)], voter, (m) => m.increaseStake(top), `increase-stake ${top}`);
    w.recordStakeTransfers(res.events, voter);
    for (const [name, value, wait] of [["voting-period", 10n, 1008], ["unbonding-period", 150n, 10]] as const) {
      const id = w.model.proposalCount + 1n;
      w.call("propose-parameter-change", [Cl.stringAscii(name), Cl.uint(value)], voter, (m) => m.proposeParameterChange(name, value), `propose-parameter-change ${name} := ${value}`);
      w.call("vote-on-proposal", [Cl.uint(id), Cl.bool(true)], voter, (m) => m.voteOnProposal(id, true), `vote-on-proposal ${id} for`);
      simnet.mineEmptyBurnBlocks(wait);
      w.call("execute-proposal", [Cl.uint(id)], voter, (m) => m.executeProposal(id), `execute-proposal ${id}`);
    }
  }
  const towers = a.towers.slice(0, s.towers);
  for (const who of towers) w.call("register-watchtower", [], who, (m) => m.registerWatchtower());
  if (s.activate && s.signers >= Number(c.required)) {
    const committee = w.model.proposal();
    w.call("rotate-signers", [committeeArg(committee)], deployer, (m) => m.rotateSigners(committee));
    for (const who of committee.slice(0, Number(c.t))) vote(w, 1n, who, "correct");
    for (let i = 0; i < s.requests; i++) {
      const hash = messageHex(i);
      w.call("request-signature", [Cl.buffer(bytesOf(hash)), Cl.uint(50_000n)], a.everyone[1 + i], (m) => m.requestSignature(hash, 32, 50_000n), `request-signature ${hash.slice(0, 8)} fee 50000`);
      // the request with a forged partial also has t valid ones: it can settle without it
      const valid = i === 0 && s.forged ? Number(c.t) : Math.min(s.partials, Number(c.t));
      committee.slice(0, valid).forEach((who, k) => {
        const signature = partialOf(Number(c.t), k + 1, hash);
        w.call("submit-partial-signature", [Cl.buffer(bytesOf(hash)), Cl.buffer(signature)], who, (m) => m.submitPartial(hash, signature, false), `submit-partial-signature ${hash.slice(0, 8)} valid`);
      });
      const forger = committee[valid];
      if (i === 0 && s.forged && forger) {
        const index = committee.indexOf(forger) + 1;
        const signature = partialOf(Number(c.t), (index % committee.length) + 1, hash);
        w.call("submit-partial-signature", [Cl.buffer(bytesOf(hash)), Cl.buffer(signature)], forger, (m) => m.submitPartial(hash, signature, true), `submit-partial-signature ${hash.slice(0, 8)} forged`);
        // all but one of the supermajority have claimed it: one more claim confirms it
        for (const tower of towers.slice(0, Number(w.model.supermajority()) - 1))
          w.call("report-invalid-signature", [Cl.buffer(bytesOf(hash)), Cl.principal(forger)], tower, (m) => m.reportInvalidSignature(hash, forger), `report-invalid-signature ${hash.slice(0, 8)} of ${short(forger)} (forged)`);
      }
    }
  }
  w.check(false);
}

// ---- shared actions ----------------------------------------------------------------------

const committeeArg = (members: string[]) => Cl.list(members.map((m) => Cl.principal(m)));

function register(w: World, who: string, key: Uint8Array) {
  const { res, refused } = w.call("register-signer", [Cl.buffer(key)], who, (m) => m.registerSigner(key));
  if (!refused) w.recordStakeTransfers(res.events, who);
  return refused;
}

type KeyVariant = "correct" | "wrongGroup" | "wrongLength" | "badShare";
function vote(w: World, epoch: bigint, who: string, variant: KeyVariant) {
  const info = w.model.epochs.get(epoch);
  const size = info ? info.committee.length : 3;
  const keys = epochKeys(Number(info?.threshold ?? 2n), size);
  let group = keys.groupKey;
  let shares = keys.shareKeys;
  if (variant === "wrongGroup") group = identityKey("not-the-group");
  if (variant === "wrongLength") shares = shares.slice(0, -1);
  if (variant === "badShare") shares = [badKeys.infinity(), ...shares.slice(1)];
  return w.call("submit-epoch-key", [Cl.uint(epoch), Cl.buffer(group), Cl.list(shares.map((k) => Cl.buffer(k)))], who, (m) => m.submitEpochKey(epoch, group, shares), `submit-epoch-key e${epoch} ${variant}`);
}

/** Requests in the model, oldest first; the chosen one or, with none, an unknown hash. */
function chooseRequest(m: Model, sel: number, prefer?: (hash: string) => boolean): string {
  const hashes = [...m.requests.keys()];
  if (hashes.length === 0) return messageHex(sel % MESSAGES.length);
  const preferred = prefer ? hashes.filter(prefer) : [];
  return pick(preferred.length > 0 && sel % 5 !== 0 ? preferred : hashes, sel);
}

/** A role-holder (e.g. a registered signer) most of the time, anyone from `pool` otherwise. */
const chooseRole = (holders: string[], pool: string[], sel: number) => (holders.length > 0 && sel % 10 !== 0 ? pick(holders, sel) : pick(pool, sel));

// ---- commands ----------------------------------------------------------------------------

type Params = Record<string, number | boolean | bigint | string>;
interface Def<P extends Params> {
  kind: string;
  weight: number;
  arb: fc.Arbitrary<P>;
  /** Runs the command; returns true if the contract's state must not have changed. */
  run: (w: World, a: Accounts, p: P) => boolean;
}
const def = <P extends Params>(d: Def<P>) => d as unknown as Def<Params>;
const sel = fc.nat({ max: 10_000 });

const PARAM_CHOICES: [string, bigint][] = [
  ["claim-window", 20n], ["claim-window", 300n], ["signing-timeout", 10n], ["rotation-period", 2n],
  ["min-stake", 50_000_000n], ["min-stake", 200_000_000n], ["watchtower-quorum", 1n], ["watchtower-quorum", 5n],
  ["false-claim-bps", 10_000n], ["slash-invalid-bps", 5_000n], ["slash-liveness-bps", 5_000n],
  ["notifier-reward-bps", 10_000n], ["min-reputation", 9_000n], ["min-fee", 1n], ["voting-period", 5n],
  ["unbonding-period", 10n], ["unbonding-period", 1_500n], ["total-signers", 4n], ["signature-threshold", 2n],
  ["max-churn", 0n], ["dkg-timeout", 5n], ["report-interval", 10n], ["quorum-bps", 1n], ["watchtower-bond", 1n],
  ["no-such-parameter", 1n], ["min-stake", 0n],
];

export const DEFS: Def<Params>[] = [
  // first: what shrinking turns an irrelevant step into (fc.oneof withCrossShrink)
  def({ kind: "observe", weight: 1, arb: fc.record({}), run: () => true }),
  def({
    kind: "mine-stacks", weight: 4, arb: fc.record({ n: fc.constantFrom(1, 2, 5, 30, 121) }),
    run: (w, _a, p) => {
      simnet.mineEmptyStacksBlocks(p.n);
      w.log.push(`#${w.steps} mined ${p.n} Stacks blocks -> stacks ${simnet.blockHeight}, burn ${simnet.burnBlockHeight}`);
      return true;
    },
  }),
  def({
    kind: "mine-burn", weight: 7, arb: fc.record({ n: fc.constantFrom(1, 3, 10, 50, 145, 145, 1009, 2017) }),
    run: (w, _a, p) => {
      simnet.mineEmptyBurnBlocks(p.n);
      w.log.push(`#${w.steps} mined ${p.n} Bitcoin blocks -> stacks ${simnet.blockHeight}, burn ${simnet.burnBlockHeight}`);
      return true;
    },
  }),
  def({
    kind: "register-signer", weight: 2,
    arb: fc.record({ who: sel, anyone: fc.boolean(), key: fc.constantFrom("own", "own", "own", "own", "own", "own", "taken", "short", "infinity", "uncompressed", "above-modulus") }),
    run: (w, a, p) => {
      const who = pick(p.anyone && (p.who as number) % 4 === 0 ? a.everyone : a.signers, p.who as number);
      const others = w.model.signerList.filter((s) => s !== who);
      const key =
        p.key === "taken" && others.length > 0 ? identityKey(pick(others, p.who as number))
        : p.key === "short" ? badKeys.short()
        : p.key === "infinity" ? badKeys.infinity()
        : p.key === "uncompressed" ? badKeys.uncompressedFlag()
        : p.key === "above-modulus" ? Uint8Array.from([0x9a, ...new Array(47).fill(0xff)])
        : identityKey(who);
      return register(w, who, key);
    },
  }),
  def({
    kind: "increase-stake", weight: 1, arb: fc.record({ who: sel, amount: fc.constantFrom("one", "half", "min", "zero", "too-much") }),
    run: (w, a, p) => {
      const who = chooseRole(w.model.signerList, a.signers, p.who as number);
      const amount = { one: 1n, half: MIN_STAKE / 2n, min: MIN_STAKE, zero: 0n, "too-much": w.env().balance(who) + 1n }[p.amount as string]!;
      const { res, refused } = w.call("increase-stake", [Cl.uint(amount)], who, (m) => m.increaseStake(amount), `increase-stake ${amount}`);
      if (!refused) w.recordStakeTransfers(res.events, who);
      return refused;
    },
  }),
  def({
    kind: "request-unstake", weight: 3, arb: fc.record({ who: sel, amount: fc.constantFrom("all", "all", "half", "above-min", "zero", "over", "tenth") }),
    run: (w, a, p) => {
      const m = w.model;
      // half the time a signer outside the serving and forming committees: one that may leave
      const free = m.signerList.filter((who) => !m.isMember(m.currentEpoch, who) && !m.isMember(m.formingEpoch(), who));
      const who = chooseRole((p.who as number) % 2 === 0 && free.length > 0 ? free : m.signerList, a.signers, p.who as number);
      const stake = m.signers.get(who)?.stake ?? MIN_STAKE;
      const amount = { all: stake, half: stake / 2n, "above-min": stake > MIN_STAKE ? stake - MIN_STAKE : 1n, zero: 0n, over: stake + 1n, tenth: MIN_STAKE / 10n }[p.amount as string]!;
      return w.call("request-unstake", [Cl.uint(amount)], who, (m) => m.requestUnstake(amount), `request-unstake ${amount}`).refused;
    },
  }),
  def({
    kind: "withdraw-stake", weight: 4, arb: fc.record({ who: sel }),
    run: (w, a, p) => {
      const unbonding = [...w.model.signers.entries()].filter(([, s]) => s.unbonding > 0n).map(([who]) => who);
      const who = chooseRole(unbonding, a.signers, p.who as number);
      const { res, refused } = w.call("withdraw-stake", [], who, (m) => m.withdrawStake());
      if (!refused) w.recordStakeTransfers(res.events, who);
      return refused;
    },
  }),
  def({
    kind: "rotate-signers", weight: 4,
    arb: fc.record({ caller: sel, variant: fc.constantFrom("proposal", "proposal", "proposal", "proposal", "proposal", "proposal", "reversed", "drop-one", "add-outsider", "swap-outsider", "duplicate", "empty") }),
    run: (w, a, p) => {
      const caller = pick(a.everyone, p.caller as number);
      const c = w.model.proposal();
      const outsiders = [...w.model.signerList, ...a.signers].filter((s) => !c.includes(s));
      const outsider = outsiders.length > 0 ? pick(outsiders, p.caller as number) : deployer;
      const at = (p.caller as number) % Math.max(1, c.length);
      const committee = {
        proposal: c, reversed: [...c].reverse(), "drop-one": c.filter((_, i) => i !== at), "add-outsider": [...c, outsider],
        "swap-outsider": c.map((m, i) => (i === at ? outsider : m)), duplicate: c.length > 0 ? [...c, c[0]] : [deployer, deployer], empty: [],
      }[p.variant as string]!.slice(0, 32);
      return w.call("rotate-signers", [committeeArg(committee)], caller, (m) => m.rotateSigners(committee), `rotate-signers ${p.variant} [${committee.map(short).join(" ")}]`).refused;
    },
  }),
  def({
    kind: "post-dkg-message", weight: 1,
    arb: fc.record({ who: sel, epoch: fc.constantFrom("latest", "latest", "current", "unknown"), phase: fc.integer({ min: 1, max: 3 }), empty: fc.boolean() }),
    run: (w, a, p) => {
      const m = w.model;
      const epoch = p.epoch === "latest" ? m.latestEpoch : p.epoch === "current" ? m.currentEpoch : 99n;
      const info = m.epochs.get(epoch);
      const members = info ? [...info.committee, ...(m.epochs.get(info.previous)?.committee ?? [])] : [];
      const who = chooseRole(members, a.everyone, p.who as number);
      const payload = p.empty && (p.who as number) % 5 === 0 ? new Uint8Array(0) : Uint8Array.from([1, 2, 3, 4, 5, 6, 7, Number(p.phase)]);
      return w.call("post-dkg-message", [Cl.uint(epoch), Cl.uint(p.phase as number), Cl.buffer(payload)], who, (m) => m.postDkgMessage(epoch, BigInt(p.phase as number), payload.length), `post-dkg-message e${epoch} phase ${p.phase}`).refused;
    },
  }),
  def({
    kind: "submit-epoch-key", weight: 5,
    arb: fc.record({ who: sel, epoch: fc.constantFrom("latest", "latest", "latest", "latest", "current", "unknown"), variant: fc.constantFrom<KeyVariant | "outsider">("correct", "correct", "correct", "correct", "correct", "correct", "correct", "correct", "wrongGroup", "wrongLength", "badShare", "outsider") }),
    run: (w, a, p) => {
      const m = w.model;
      const epoch = p.epoch === "latest" ? m.latestEpoch : p.epoch === "current" ? m.currentEpoch : 99n;
      const committee = m.epochs.get(epoch)?.committee ?? [];
      const unvoted = committee.filter((who) => !m.keyVotes.has(`${epoch}|${who}`));
      const who = p.variant === "outsider" ? pick(a.everyone, p.who as number) : chooseRole(unvoted.length > 0 ? unvoted : committee, a.signers, p.who as number);
      return vote(w, epoch, who, p.variant === "outsider" ? "correct" : (p.variant as KeyVariant)).refused;
    },
  }),
  def({
    kind: "cancel-epoch", weight: 1, arb: fc.record({ caller: sel, epoch: fc.constantFrom("latest", "latest", "previous", "unknown") }),
    run: (w, a, p) => {
      const m = w.model;
      const epoch = p.epoch === "latest" ? m.latestEpoch : p.epoch === "previous" ? (m.latestEpoch > 0n ? m.latestEpoch - 1n : 0n) : 99n;
      const caller = pick(a.everyone, p.caller as number);
      const { res, refused } = w.call("cancel-epoch", [Cl.uint(epoch)], caller, (m) => m.cancelEpoch(epoch), `cancel-epoch e${epoch}`);
      if (!refused && res.events.some((e) => e.event === "stx_transfer_event")) w.fail("INV-STAKE", "cancel-epoch moved STX");
      return refused;
    },
  }),
  def({
    kind: "request-signature", weight: 8,
    arb: fc.record({ who: sel, message: fc.nat({ max: MESSAGES.length - 1 }), fee: fc.constantFrom("min", "mid", "mid", "mid", "high", "high", "below-min", "short-hash") }),
    run: (w, a, p) => {
      const who = pick(a.everyone, p.who as number);
      const hash = messageHex(p.message as number);
      const bytes = p.fee === "short-hash" ? bytesOf(hash).slice(0, 31) : bytesOf(hash);
      const minFee = w.model.param("min-fee");
      const fee = { min: minFee, mid: 50_000n, high: 3_000_000n, "below-min": minFee - 1n, "short-hash": 50_000n }[p.fee as string]!;
      return w.call("request-signature", [Cl.buffer(bytes), Cl.uint(fee)], who, (m) => m.requestSignature(hash, bytes.length, fee), `request-signature ${hash.slice(0, 8)} fee ${fee}`).refused;
    },
  }),
  def({
    kind: "submit-partial-signature", weight: 26,
    arb: fc.record({ request: sel, who: sel, variant: fc.constantFrom("valid", "valid", "valid", "valid", "valid", "valid", "valid", "valid", "forged", "forged", "bad-shape", "outsider") }),
    run: (w, a, p) => {
      const m = w.model;
      const open = (h: string) => {
        const r = m.requests.get(h)!;
        const unsigned = m.epochs.get(r.epoch)!.committee.some((who) => m.signers.has(who) && (m.partials.get(`${h}|${who}`)?.attempt ?? 0n) < r.attempt);
        return r["aggregate-signature"] === null && !r.refunded && m.stacksNow(w.env()) <= r.deadline && unsigned;
      };
      const hash = chooseRequest(m, p.request as number, open);
      const r = m.requests.get(hash);
      const epoch = r ? m.epochs.get(r.epoch)! : undefined;
      const committee = epoch?.committee ?? [];
      const unsigned = committee.filter((who) => { const old = m.partials.get(`${hash}|${who}`); return !old || (r && old.attempt < r.attempt); });
      const who = p.variant === "outsider" || committee.length === 0 ? pick(a.everyone, p.who as number) : pick(unsigned.length > 0 ? unsigned : committee, p.who as number);
      const index = committee.indexOf(who) + 1;
      const t = Number(epoch?.threshold ?? 2n);
      let signature: Uint8Array;
      let forged = false;
      if (p.variant === "bad-shape") signature = [badSignatures.short, badSignatures.infinity, badSignatures.uncompressedFlag][(p.who as number) % 3]();
      else if (index === 0) signature = partialOf(2, 1, hash);
      else if (p.variant === "forged") {
        // made with another member's share: well-formed, but not this member's partial
        signature = partialOf(t, (index % committee.length) + 1, hash);
        forged = true;
      } else signature = partialOf(t, index, hash);
      return w.call("submit-partial-signature", [Cl.buffer(bytesOf(hash)), Cl.buffer(signature)], who, (m) => m.submitPartial(hash, signature, forged), `submit-partial-signature ${hash.slice(0, 8)} ${p.variant}`).refused;
    },
  }),
  def({
    kind: "submit-aggregate-signature", weight: 8,
    arb: fc.record({ request: sel, caller: sel, variant: fc.constantFrom("valid", "valid", "valid", "junk", "junk", "bad-shape") }),
    run: (w, a, p) => {
      const m = w.model;
      const ready = (h: string) => { const r = m.requests.get(h)!; return r["aggregate-signature"] === null && !r.refunded && r["partial-count"] >= m.epochs.get(r.epoch)!.threshold; };
      const hash = chooseRequest(m, p.request as number, ready);
      const r = m.requests.get(hash);
      const caller = pick(a.everyone, p.caller as number);
      const t = r ? Number(m.epochs.get(r.epoch)!.threshold) : 2;
      const honest = r ? r.signers.filter((who) => { const k = `${hash}|${who}`; const part = m.partials.get(k)!; return !part.invalid && !m.forged.has(`${k}|${r.attempt}`); }).map((who) => Number(m.partials.get(`${hash}|${who}`)!.index)) : [];
      let signature: Uint8Array;
      let valid = false;
      if (p.variant === "bad-shape") signature = badSignatures.infinity();
      else if (p.variant === "valid" && honest.length >= t) {
        signature = validAggregate(t, honest, hash);
        valid = true;
      } else signature = junkAggregate(hash, (p.caller as number) % 3);
      return w.call("submit-aggregate-signature", [Cl.buffer(bytesOf(hash)), Cl.buffer(signature)], caller, (m) => m.submitAggregate(hash, signature, valid), `submit-aggregate-signature ${hash.slice(0, 8)} ${valid ? "valid" : p.variant === "bad-shape" ? "bad-shape" : "junk"}`).refused;
    },
  }),
  def({
    kind: "register-watchtower", weight: 1, arb: fc.record({ who: sel }),
    run: (w, a, p) => w.call("register-watchtower", [], pick((p.who as number) % 10 === 0 ? a.everyone : a.towers, p.who as number), (m) => m.registerWatchtower()).refused,
  }),
  def({
    kind: "leave-watchtower", weight: 1, arb: fc.record({ who: sel }),
    run: (w, a, p) => w.call("leave-watchtower", [], chooseRole([...w.model.towers.keys()], a.towers, p.who as number), (m) => m.leaveWatchtower()).refused,
  }),
  def({
    kind: "withdraw-watchtower-bond", weight: 1, arb: fc.record({ who: sel }),
    run: (w, a, p) => {
      const leaving = [...w.model.towers.entries()].filter(([, t]) => !t["is-active"]).map(([who]) => who);
      return w.call("withdraw-watchtower-bond", [], chooseRole(leaving, a.towers, p.who as number), (m) => m.withdrawWatchtowerBond()).refused;
    },
  }),
  def({
    kind: "report-invalid-signature", weight: 12, arb: fc.record({ tower: sel, target: sel, honest: fc.constantFrom(true, true, true, false) }),
    run: (w, a, p) => {
      const m = w.model;
      const active = [...m.towers.entries()].filter(([, t]) => t["is-active"]).map(([who]) => who);
      const forged = [...m.partials.entries()].filter(([k, part]) => !part.invalid && m.forged.has(`${k}|${part.attempt}`)).map(([k]) => k);
      const claimed = (k: string) => m.claims.get(k)?.claimants ?? [];
      // honest towers go after forged partials they have not claimed yet; others claim anything
      const targets = p.honest && forged.length > 0 ? forged : [...m.partials.keys()];
      const key = targets.length > 0 ? pick(targets, p.target as number) : `${messageHex(0)}|${pick(a.signers, p.target as number)}`;
      const towers = active.filter((t) => !claimed(key).includes(t));
      const tower = chooseRole(towers.length > 0 ? towers : active, a.towers, p.tower as number);
      const [hash, signer] = key.split("|");
      return w.call("report-invalid-signature", [Cl.buffer(bytesOf(hash)), Cl.principal(signer)], tower, (m) => m.reportInvalidSignature(hash, signer), `report-invalid-signature ${hash.slice(0, 8)} of ${short(signer)}${m.forged.has(`${key}|${m.partials.get(key)?.attempt}`) ? " (forged)" : ""}`).refused;
    },
  }),
  def({
    kind: "report-invalid-aggregate", weight: 5, arb: fc.record({ tower: sel, request: sel }),
    run: (w, a, p) => {
      const m = w.model;
      const hash = chooseRequest(m, p.request as number, (h) => { const r = m.requests.get(h)!; return r["aggregate-signature"] !== null && !m.validAggregates.has(`${h}|${r["aggregate-signature"]}`); });
      const agg = m.requests.get(hash)?.["aggregate-signature"];
      const claimants = agg ? (m.aggregateClaims.get(`${hash}|${agg}`)?.claimants ?? []) : [];
      const active = [...m.towers.entries()].filter(([who, t]) => t["is-active"] && !claimants.includes(who)).map(([who]) => who);
      const tower = chooseRole(active, a.towers, p.tower as number);
      return w.call("report-invalid-aggregate", [Cl.buffer(bytesOf(hash))], tower, (m) => m.reportInvalidAggregate(hash), `report-invalid-aggregate ${hash.slice(0, 8)}`).refused;
    },
  }),
  def({
    kind: "watchtower-report", weight: 3,
    arb: fc.record({ tower: sel, signer: sel, call: fc.boolean(), values: fc.constantFrom("honest", "honest", "honest", "random", "out-of-range"), u: fc.nat({ max: 100 }), s: fc.nat({ max: 12 }), acc: fc.nat({ max: 100 }) }),
    run: (w, a, p) => {
      const m = w.model;
      const tower = chooseRole([...m.towers.keys()], a.towers, p.tower as number);
      const signer = chooseRole(m.signerList, a.signers, p.signer as number);
      const metrics = m.signers.get(signer)?.["performance-metrics"];
      const total = metrics?.["total-signatures"] ?? 0n;
      const honest = p.values === "honest" && metrics;
      const uptime = p.values === "out-of-range" ? 101n : honest ? metrics.uptime : BigInt(p.u as number);
      const speed = honest ? metrics["signing-speed"] : BigInt(p.s as number);
      if (p.call) {
        const accuracy = honest ? metrics.accuracy : BigInt(p.acc as number);
        const args = [Cl.principal(signer), Cl.uint(speed), Cl.uint(uptime), Cl.uint(accuracy)];
        return w.call("update-metrics", args, tower, (m) => m.updateMetrics(signer, speed, uptime, accuracy), `update-metrics ${short(signer)} speed ${speed} uptime ${uptime} accuracy ${accuracy}`).refused;
      }
      const valid = honest ? metrics["valid-signatures"] : total === 0n ? 0n : BigInt(p.acc as number) % (total + 1n);
      const args = [Cl.principal(signer), Cl.uint(uptime), Cl.uint(speed), Cl.uint(valid)];
      return w.call("submit-watchtower-report", args, tower, (m) => m.submitWatchtowerReport(signer, uptime, speed, valid), `submit-watchtower-report ${short(signer)} uptime ${uptime} speed ${speed} valid ${valid}/${total}`).refused;
    },
  }),
  def({
    kind: "expire-claim", weight: 3, arb: fc.record({ caller: sel, claim: sel, aggregate: fc.boolean() }),
    run: (w, a, p) => {
      const m = w.model;
      const caller = pick(a.everyone, p.caller as number);
      if (p.aggregate) {
        const keys = [...m.aggregateClaims.keys()];
        const key = keys.length > 0 ? pick(keys, p.claim as number) : `${messageHex(0)}|0x${"80".padEnd(192, "0")}`;
        const [hash, agg] = key.split("|");
        return w.call("expire-aggregate-claim", [Cl.buffer(bytesOf(hash)), Cl.buffer(bytesOf(agg))], caller, (m) => m.expireAggregateClaim(hash, agg), `expire-aggregate-claim ${hash.slice(0, 8)}`).refused;
      }
      const keys = [...m.claims.keys()];
      const key = keys.length > 0 ? pick(keys, p.claim as number) : `${messageHex(0)}|${pick(a.signers, p.claim as number)}`;
      const [hash, signer] = key.split("|");
      return w.call("expire-claim", [Cl.buffer(bytesOf(hash)), Cl.principal(signer)], caller, (m) => m.expireClaim(hash, signer), `expire-claim ${hash.slice(0, 8)} of ${short(signer)}`).refused;
    },
  }),
  def({
    kind: "penalize-missed-signature", weight: 3, arb: fc.record({ caller: sel, request: sel, who: sel }),
    run: (w, a, p) => {
      const m = w.model;
      const late = (h: string) => { const r = m.requests.get(h)!; return m.stacksNow(w.env()) > r.deadline && !r["closed-early"]; };
      const hash = chooseRequest(m, p.request as number, late);
      const r = m.requests.get(hash);
      const committee = r ? m.epochs.get(r.epoch)!.committee : [];
      const missing = committee.filter((who) => { const old = m.partials.get(`${hash}|${who}`); return !old || (r && old.attempt < r.attempt); });
      const signer = chooseRole(missing.length > 0 ? missing : committee, a.signers, p.who as number);
      const caller = pick(a.everyone, p.caller as number);
      return w.call("penalize-missed-signature", [Cl.buffer(bytesOf(hash)), Cl.principal(signer)], caller, (m) => m.penalizeMissedSignature(hash, signer), `penalize-missed-signature ${hash.slice(0, 8)} of ${short(signer)}`).refused;
    },
  }),
  def({
    kind: "settle-fee", weight: 6, arb: fc.record({ caller: sel, request: sel }),
    run: (w, a, p) => {
      const m = w.model;
      const hash = chooseRequest(m, p.request as number, (h) => { const r = m.requests.get(h)!; return r["aggregate-signature"] !== null && !r["fee-paid"]; });
      const signers = m.requests.get(hash)?.signers ?? [];
      const before = new Map(signers.map((who) => [who, w.get(`rewards:${who}`) ?? 0n]));
      let credited = new Map<string, bigint>();
      const { refused } = w.call("settle-fee", [Cl.buffer(bytesOf(hash))], pick(a.everyone, p.caller as number), (m) => {
        const settled = m.settleFee(hash);
        credited = settled.credited;
        return settled.outcome;
      }, `settle-fee ${hash.slice(0, 8)}`);
      if (!refused) {
        // a confirmed-invalid partial never earns a fee: each signer's credit, read from the
        // contract, is the share for a partial that stands and nothing for one confirmed invalid
        w.check(false);
        for (const who of signers) {
          const partial = w.get(`partial-signatures:${hash}|${who}`);
          const delta = ((w.get(`rewards:${who}`) as bigint | null) ?? 0n) - (before.get(who) as bigint);
          if (partial.invalid && delta !== 0n) w.fail("INV-FEE", `${who}'s partial on ${hash} was confirmed invalid, yet settle-fee credited it ${delta}`);
          if (delta !== (credited.get(who) ?? 0n)) w.fail("INV-FEE", `${who} was credited ${delta} by settle-fee, the model's ledger says ${credited.get(who) ?? 0n}`);
        }
        if (signers.some((who) => w.get(`partial-signatures:${hash}|${who}`).invalid)) w.count("settle-fee ok with a confirmed-invalid partial");
      }
      return refused;
    },
  }),
  def({
    kind: "reclaim-fee", weight: 3, arb: fc.record({ request: sel, caller: sel, requester: fc.boolean() }),
    run: (w, a, p) => {
      const m = w.model;
      const expired = (h: string) => { const r = m.requests.get(h)!; return r["aggregate-signature"] === null && !r.refunded && m.stacksNow(w.env()) > r.deadline; };
      const hash = chooseRequest(m, p.request as number, expired);
      const r = m.requests.get(hash);
      const caller = r && (p.requester || (p.caller as number) % 3 !== 0) ? r.requester : pick(a.everyone, p.caller as number);
      return w.call("reclaim-fee", [Cl.buffer(bytesOf(hash))], caller, (m) => m.reclaimFee(hash), `reclaim-fee ${hash.slice(0, 8)}`).refused;
    },
  }),
  def({
    kind: "claim-rewards", weight: 2, arb: fc.record({ who: sel }),
    run: (w, a, p) => {
      const earners = [...w.model.rewards.entries()].filter(([, v]) => v > 0n).map(([who]) => who);
      return w.call("claim-rewards", [], chooseRole(earners, a.everyone, p.who as number), (m) => m.claimRewards()).refused;
    },
  }),
  def({
    kind: "propose", weight: 2, arb: fc.record({ who: sel, kind: fc.constantFrom("parameter", "parameter", "parameter", "treasury", "guardian"), choice: sel }),
    run: (w, a, p) => {
      const m = w.model;
      const who = chooseRole(m.signerList, a.everyone, p.who as number);
      const choice = p.choice as number;
      if (p.kind === "parameter") {
        const [name, value] = pick(PARAM_CHOICES, choice);
        return w.call("propose-parameter-change", [Cl.stringAscii(name), Cl.uint(value)], who, (m) => m.proposeParameterChange(name, value), `propose-parameter-change ${name} := ${value}`).refused;
      }
      if (p.kind === "treasury") {
        const amount = [1n, m.totals.treasury, m.totals.treasury + 1n][choice % 3];
        const recipient = pick(a.everyone, choice);
        return w.call("propose-treasury-spend", [Cl.uint(amount), Cl.principal(recipient)], who, (m) => m.proposeTreasurySpend(amount, recipient), `propose-treasury-spend ${amount} to ${short(recipient)}`).refused;
      }
      const guardian = pick(a.everyone, choice);
      return w.call("propose-guardian", [Cl.principal(guardian)], who, (m) => m.proposeGuardian(guardian), `propose-guardian ${short(guardian)}`).refused;
    },
  }),
  def({
    kind: "vote-on-proposal", weight: 5, arb: fc.record({ who: sel, proposal: sel, support: fc.constantFrom(true, true, true, false) }),
    run: (w, a, p) => {
      const m = w.model;
      const id = m.proposalCount === 0n ? 1n : BigInt(((p.proposal as number) % Number(m.proposalCount + 1n)) || 1);
      const unvoted = m.signerList.filter((who) => !m.proposalVotes.has(`${id}|${who}`));
      const who = chooseRole(unvoted, a.everyone, p.who as number);
      return w.call("vote-on-proposal", [Cl.uint(id), Cl.bool(p.support as boolean)], who, (m) => m.voteOnProposal(id, p.support as boolean), `vote-on-proposal ${id} ${p.support ? "for" : "against"}`).refused;
    },
  }),
  def({
    kind: "execute-proposal", weight: 3, arb: fc.record({ caller: sel, proposal: sel }),
    run: (w, a, p) => {
      const m = w.model;
      const id = m.proposalCount === 0n ? 1n : BigInt(((p.proposal as number) % Number(m.proposalCount + 1n)) || 1);
      return w.call("execute-proposal", [Cl.uint(id)], pick(a.everyone, p.caller as number), (m) => m.executeProposal(id), `execute-proposal ${id}${m.proposals.get(id) ? ` (${m.proposals.get(id)!.kind} ${m.proposals.get(id)!.parameter} ${m.proposals.get(id)!.value})` : ""}`).refused;
    },
  }),
  def({
    kind: "pause", weight: 1, arb: fc.record({ who: sel }),
    run: (w, a, p) => w.call("pause", [], (p.who as number) % 8 === 0 ? pick(a.everyone, p.who as number) : w.model.guardian, (m) => m.pause()).refused,
  }),
  def({
    kind: "unpause", weight: 6, arb: fc.record({ who: sel }),
    run: (w, a, p) => w.call("unpause", [], (p.who as number) % 8 === 0 ? pick(a.everyone, p.who as number) : w.model.guardian, (m) => m.unpause()).refused,
  }),
];

// ---- steps and programs ------------------------------------------------------------------

/** One step: a command with its choices. Runs, then the state and invariants are checked. */
export class Step implements fc.Command<Model, { world: World; accounts: Accounts }> {
  constructor(
    readonly def: Def<Params>,
    readonly params: Params,
  ) {}
  check = () => true;
  run(_model: Model, real: { world: World; accounts: Accounts }) {
    const w = real.world;
    w.steps++;
    const unchanged = this.def.run(w, real.accounts, this.params);
    w.check(unchanged);
    w.checkExitLiveness();
  }
  toString() {
    const p = Object.entries(this.params).map(([k, v]) => `${k}: ${typeof v === "string" ? JSON.stringify(v) : `${v}`}`);
    return `${this.def.kind}(${p.join(", ")})`;
  }
}

/** A sequence of steps; printed without the `observe` steps shrinking left behind. */
export class Program {
  constructor(readonly steps: Step[]) {}
  [Symbol.iterator]() {
    return this.steps[Symbol.iterator]();
  }
  toString() {
    const lines = this.steps.map((s, i) => `  ${i + 1}. ${s}`).filter((line) => !line.endsWith("observe()"));
    return `${this.steps.length} steps (${this.steps.length - lines.length} observe steps not shown):\n${lines.join("\n")}`;
  }
}

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { withCrossShrink: true },
  ...DEFS.map((d) => ({ weight: d.weight, arbitrary: d.arb.map((params) => new Step(d, params)) })),
);

export const programArb = (length: number) => fc.array(stepArb, { minLength: length, maxLength: length }).map((steps) => new Program(steps));

