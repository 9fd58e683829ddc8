// Rejecting an invalid aggregate. The contract cannot check BLS, so once t partials are in
// anyone can store 96 well-shaped junk bytes as a request's aggregate. Until the request's
// settle-at (burn-now at the aggregate + claim-window) a supermajority of the active
// watchtowers removes it with report-invalid-aggregate (no accuracy-score, nothing paid);
// then anyone submits the real combination, and the fee is settled once, after its settle-at.
// A claim still standing after settle-at is expired with expire-aggregate-claim: each
// claimant forfeits false-claim-bps of its bond to the treasury.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  activeEpoch,
  bytes,
  call,
  combine,
  contractPrincipal,
  decode,
  deployer,
  expectBalancedBooks,
  hex,
  junkSignature,
  messageHashOf,
  burnNow,
  mineBurnBlocks,
  nextCallAtBurn,
  nextCallAtStacks,
  settleFee,
  supermajority,
  treasury,
  partialSign,
  printed,
  prints,
  read,
  rewardsOf,
  stxBalance,
  stxTransfers,
  thresholdKeys,
  verifyBls,
  wallets,
  watchtower,
} from "./helpers";

afterEach(() => expectBalancedBooks());

const ERR_PAUSED = 113;
const ERR_UNKNOWN_REQUEST = 121;
const ERR_NOT_WATCHTOWER = 132;
const ERR_ALREADY_REPORTED = 133;
const ERR_DEADLINE_NOT_REACHED = 134;
const ERR_NOT_PENALIZABLE = 135;
const ERR_CLAIM_EXPIRED = 145;
const ERR_UNKNOWN_CLAIM = 146;
const ERR_FEE_EARNED = 149;
const ERR_NOT_FINALIZED = 150;
const BOND = 100_000_000n;
const FORFEIT = BOND / 10n; // false-claim-bps 1000

const CLAIM_WINDOW = 144n;
const FEE = 3_000_000n; // t = 3: 1 STX per counted partial

const keys = thresholdKeys(3, 5, "aggregates");
// Four active watchtowers: the supermajority is max(3, ceil(2/3 * 4)) = 3.
const [towerA, towerB, towerC, towerD] = [wallets[5], wallets[6], wallets[7], wallets[11]];
const requester = wallets[8];
const griefer = wallets[9];
const combiner = wallets[10];
let committee: string[] = [];

function setup() {
  committee = activeEpoch(wallets.slice(0, 5), keys);
  for (const tower of [towerA, towerB, towerC, towerD]) expect(call("register-watchtower", [], tower).result).toBeOk(Cl.bool(true));
  expect(supermajority()).toBe(3n);
}

function request(text: string): Uint8Array {
  const message = messageHashOf(text);
  expect(call("request-signature", [Cl.buffer(message), Cl.uint(FEE)], requester).result).toBeOk(expect.anything());
  return message;
}

/** The member at share `index` (1-based) submits its real partial. */
function sign(message: Uint8Array, index: number): { index: number; signature: Uint8Array } {
  const signature = partialSign(keys.shares[index - 1], message);
  expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(signature)], committee[index - 1]).result).toBeOk(expect.anything());
  return { index, signature };
}

const aggregate = (message: Uint8Array, signature: Uint8Array, sender: string) =>
  call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(signature)], sender);

const claim = (tower: string, message: Uint8Array) => call("report-invalid-aggregate", [Cl.buffer(message)], tower);

/** A request with members 1..3's real partials, and the griefer's junk stored as its aggregate. */
function griefed(text: string) {
  const message = request(text);
  const partials = [1, 2, 3].map((index) => sign(message, index));
  const junk = junkSignature(text);
  const settleAt = burnNow() + CLAIM_WINDOW;
  expect(aggregate(message, junk, griefer).result).toBeOk(Cl.uint(settleAt)); // pays nothing
  return { message, partials, junk, settleAt };
}

/** Watchtowers A, B and C (the supermajority) reject the stored aggregate. */
function reject(message: Uint8Array) {
  expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
  expect(claim(towerB, message).result).toBeOk(Cl.bool(false));
  expect(claim(towerC, message).result).toBeOk(Cl.bool(true));
}

const getRequest = (message: Uint8Array) => decode(read("get-request", [Cl.buffer(message)])) as Record<string, any>;
const getAggregateClaim = (message: Uint8Array, stored: Uint8Array) =>
  decode(read("get-aggregate-claim", [Cl.buffer(message), Cl.buffer(stored)])) as Record<string, any> | null;
const storedGroupKey = () => bytes((decode(read("get-epoch", [Cl.uint(1)])) as Record<string, any>)["group-public-key"]);

describe("report-invalid-aggregate", () => {
  it("removes a stored aggregate that does not verify once the supermajority (3 of 4 active) claims it: aggregate, aggregator, finalized-at and settle-at cleared, aggregate-rejected printed, no STX moves", () => {
    setup();
    const { message, junk, settleAt } = griefed("griefed");
    const record = getRequest(message);
    expect(record).toMatchObject({ "aggregate-signature": hex(junk), aggregator: griefer, "partial-count": 3n, "settle-at": settleAt, "closed-early": true, "fee-paid": false });
    // What every verifier sees: the stored bytes are no signature under the stored group key.
    expect(verifyBls(storedGroupKey(), message, bytes(record["aggregate-signature"]))).toBe(false);
    for (const member of committee.slice(0, 3)) expect(rewardsOf(member)).toBe(0n);
    const books = expectBalancedBooks();
    expect(books["pending-fees"]).toBe(FEE);
    const balances = [towerA, towerB, towerC, griefer, requester, contractPrincipal].map(stxBalance);

    expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
    expect(claim(towerB, message).result).toBeOk(Cl.bool(false));
    const { result, events } = claim(towerC, message);
    expect(result).toBeOk(Cl.bool(true));
    expect(printed(events, "invalid-aggregate-claim")).toEqual({
      topic: "invalid-aggregate-claim",
      "message-hash": hex(message),
      aggregate: hex(junk),
      watchtower: towerC,
      claims: 3n,
      quorum: 3n,
      confirmed: true,
    });
    expect(printed(events, "aggregate-rejected")).toEqual({
      topic: "aggregate-rejected",
      "message-hash": hex(message),
      aggregate: hex(junk),
      aggregator: griefer,
      claimants: [towerA, towerB, towerC],
    });
    // Nothing else: no accuracy-score, no reward.
    expect(prints(events).map((e) => e.topic)).toEqual(["invalid-aggregate-claim", "aggregate-rejected"]);
    expect(stxTransfers(events)).toEqual([]);

    // The request is open again (no aggregate, aggregator, finalized-at or settle-at); the fee
    // was never paid and stays pending, the partials still count, closed-early stays.
    expect(getRequest(message)).toEqual({ ...record, "aggregate-signature": null, aggregator: null, "finalized-at": 0n, "settle-at": 0n });
    expect(getAggregateClaim(message, junk)).toBeNull();
    expect([towerA, towerB, towerC, griefer, requester, contractPrincipal].map(stxBalance)).toEqual(balances);
    expect(expectBalancedBooks()).toEqual(books);
    for (const member of committee.slice(0, 3)) expect(rewardsOf(member)).toBe(0n);
    expect([towerA, towerB, towerC].map(rewardsOf)).toEqual([0n, 0n, 0n]); // aggregators are not bonded: nothing to share
    for (const tower of [towerA, towerB, towerC]) expect(watchtower(tower)).toMatchObject({ "accuracy-score": 100n, bond: BOND, "is-active": true });
  });

  it("accepts the real combination from anyone after a rejection; it verifies against the stored group key and the fee is settled once, after its own settle-at", () => {
    setup();
    const { message, partials } = griefed("replaced");
    reject(message);
    // Nothing stands: nothing to settle.
    expect(call("settle-fee", [Cl.buffer(message)], combiner).result).toBeErr(Cl.uint(ERR_NOT_FINALIZED));
    const real = combine(partials);
    expect(verifyBls(keys.groupKey, message, real)).toBe(true);
    const books = expectBalancedBooks();
    expect(books).toMatchObject({ "pending-fees": FEE, rewards: 0n });

    mineBurnBlocks(5);
    const settleAt = burnNow() + CLAIM_WINDOW;
    const { result, events } = aggregate(message, real, combiner);
    expect(result).toBeOk(Cl.uint(settleAt));
    expect(printed(events, "signature-finalized")).toEqual({
      topic: "signature-finalized",
      "message-hash": hex(message),
      signature: hex(real),
      epoch: 1n,
      "group-public-key": hex(keys.groupKey),
      aggregator: combiner,
      fee: FEE,
      "settle-at": settleAt,
      "partial-count": 3n,
      signers: committee.slice(0, 3),
    });
    expect(stxTransfers(events)).toEqual([]);
    expect(expectBalancedBooks()).toEqual(books);
    expect(getRequest(message)).toMatchObject({
      "aggregate-signature": hex(real),
      aggregator: combiner,
      "finalized-at": BigInt(simnet.blockHeight),
      "settle-at": settleAt,
      "fee-paid": false,
      refunded: false,
    });
    const stored = bytes(getRequest(message)["aggregate-signature"]);
    expect(verifyBls(storedGroupKey(), message, stored)).toBe(true);

    // Paid exactly once: FEE / 3 to each of the three signers.
    expect(settleFee(message, combiner).result).toBeOk(Cl.uint(FEE));
    for (const member of committee.slice(0, 3)) expect(rewardsOf(member)).toBe(FEE / 3n);
    expect(getRequest(message)).toMatchObject({ "fee-paid": true });
  });

  it("leaves the fee unpaid after a rejection: reclaim-fee follows its own rules (ERR-FEE-EARNED while t partials count)", () => {
    setup();
    const { message } = griefed("no refund");
    reject(message);
    nextCallAtStacks(BigInt(getRequest(message).deadline) + 1n);
    const before = stxBalance(requester);
    const books = expectBalancedBooks();
    const refused = call("reclaim-fee", [Cl.buffer(message)], requester);
    expect(refused.result).toBeErr(Cl.uint(ERR_FEE_EARNED));
    expect(refused.events).toEqual([]);
    expect(stxBalance(requester)).toBe(before);
    expect(expectBalancedBooks()).toEqual(books);
    expect(getRequest(message)).toMatchObject({ "aggregate-signature": null, "fee-paid": false, refunded: false, "partial-count": 3n });
  });

  it("earns the confirming watchtowers no accuracy-score (a watchtower at 90 stays at 90)", () => {
    setup();
    // Lower tower A to 90 first with a claim against a partial that expires (it also forfeits
    // 10% of its bond).
    const warmup = request("warm-up");
    sign(warmup, 1);
    expect(call("report-invalid-signature", [Cl.buffer(warmup), Cl.principal(committee[0])], towerA).result).toBeOk(Cl.bool(false));
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    expect(call("expire-claim", [Cl.buffer(warmup), Cl.principal(committee[0])], griefer).result).toBeOk(Cl.uint(FORFEIT));
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 90n, bond: BOND - FORFEIT });

    const { message } = griefed("accuracy");
    expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
    expect(claim(towerB, message).result).toBeOk(Cl.bool(false));
    const { result, events } = claim(towerC, message);
    expect(result).toBeOk(Cl.bool(true));
    expect(prints(events).filter((e) => e.topic === "watchtower-accuracy")).toEqual([]);
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 90n, "is-active": true, bond: BOND - FORFEIT });
    expect(watchtower(towerB)).toMatchObject({ "accuracy-score": 100n, "is-active": true });
    expect(watchtower(towerC)).toMatchObject({ "accuracy-score": 100n, "is-active": true });
  });

  it("records one watchtower's claim alone (opened-at on burn-now) and changes nothing else", () => {
    setup();
    const { message, junk } = griefed("one claim");
    const record = getRequest(message);
    const books = expectBalancedBooks();
    const { result, events } = claim(towerA, message);
    expect(result).toBeOk(Cl.bool(false));
    expect(prints(events)).toEqual([
      { topic: "invalid-aggregate-claim", "message-hash": hex(message), aggregate: hex(junk), watchtower: towerA, claims: 1n, quorum: 3n, confirmed: false },
    ]);
    expect(getAggregateClaim(message, junk)).toEqual({ claimants: [towerA], "opened-at": burnNow() });
    expect(getRequest(message)).toEqual(record);
    expect(watchtower(towerA)!["accuracy-score"]).toBe(100n);
    expect(expectBalancedBooks()).toEqual(books);
  });

  it("keys a claim by the aggregate: after a rejection a new aggregate starts a fresh claim", () => {
    setup();
    const { message, junk } = griefed("again");
    reject(message);
    // The griefer stores its junk once more (a new settle-at), and tower A may claim afresh.
    expect(aggregate(message, junk, griefer).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    const { result, events } = claim(towerA, message);
    expect(result).toBeOk(Cl.bool(false));
    expect(printed(events, "invalid-aggregate-claim")).toMatchObject({ watchtower: towerA, claims: 1n, confirmed: false });
    expect(getAggregateClaim(message, junk)).toMatchObject({ claimants: [towerA] });
    expect(getRequest(message)).toMatchObject({ "aggregate-signature": hex(junk), aggregator: griefer });
  });

  it("is ERR-PAUSED while paused and changes nothing; after unpause the claim is recorded", () => {
    setup();
    const { message, junk } = griefed("paused");
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    const state = () => ({ request: getRequest(message), claim: getAggregateClaim(message, junk), tower: watchtower(towerA), books: expectBalancedBooks() });
    const before = state();
    const refused = claim(towerA, message);
    expect(refused.result).toBeErr(Cl.uint(ERR_PAUSED));
    expect(refused.events).toEqual([]);
    expect(state()).toEqual(before);
    expect(before.claim).toBeNull();

    expect(call("unpause", [], deployer).result).toBeOk(Cl.bool(true));
    expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
    expect(getAggregateClaim(message, junk)).toMatchObject({ claimants: [towerA] });
  });

  it("refuses a caller that is not a watchtower, or no longer an active one, with ERR-NOT-WATCHTOWER", () => {
    setup();
    const { message, junk } = griefed("not a watchtower");
    const refused = claim(griefer, message);
    expect(refused.result).toBeErr(Cl.uint(ERR_NOT_WATCHTOWER));
    expect(refused.events).toEqual([]);
    expect(call("leave-watchtower", [], towerD).result).toBeOk(expect.anything());
    const inactive = claim(towerD, message);
    expect(inactive.result).toBeErr(Cl.uint(ERR_NOT_WATCHTOWER));
    expect(inactive.events).toEqual([]);
    expect(getAggregateClaim(message, junk)).toBeNull();
    expect(getRequest(message)["aggregate-signature"]).toBe(hex(junk));
    // The caller's role is checked before the request's state.
    expect(claim(towerD, messageHashOf("never requested")).result).toBeErr(Cl.uint(ERR_NOT_WATCHTOWER));
  });

  it("refuses an unknown request with ERR-UNKNOWN-REQUEST", () => {
    setup();
    const { result, events } = claim(towerA, messageHashOf("never requested"));
    expect(result).toBeErr(Cl.uint(ERR_UNKNOWN_REQUEST));
    expect(events).toEqual([]);
  });

  it("refuses a request with no stored aggregate (none yet, or rejected) with ERR-NOT-PENALIZABLE", () => {
    setup();
    const pending = request("no aggregate yet");
    [1, 2, 3].forEach((index) => sign(pending, index));
    const early = claim(towerA, pending);
    expect(early.result).toBeErr(Cl.uint(ERR_NOT_PENALIZABLE));
    expect(early.events).toEqual([]);

    const { message } = griefed("already rejected");
    reject(message);
    const late = claim(towerD, message);
    expect(late.result).toBeErr(Cl.uint(ERR_NOT_PENALIZABLE));
    expect(late.events).toEqual([]);
    expect(watchtower(towerD)!["accuracy-score"]).toBe(100n);
  });

  it("refuses the same watchtower twice with ERR-ALREADY-REPORTED", () => {
    setup();
    const { message, junk } = griefed("twice");
    expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
    const { result, events } = claim(towerA, message);
    expect(result).toBeErr(Cl.uint(ERR_ALREADY_REPORTED));
    expect(events).toEqual([]);
    expect(getAggregateClaim(message, junk)).toMatchObject({ claimants: [towerA] });
    expect(getRequest(message)["aggregate-signature"]).toBe(hex(junk));
  });

  it("accepts claims up to the request's settle-at (Bitcoin blocks) and refuses them after it with ERR-CLAIM-EXPIRED; a stale claim is not reopened", () => {
    setup();
    const first = griefed("window 1");
    const second = griefed("window 2");
    expect(claim(towerA, first.message).result).toBeOk(Cl.bool(false));
    expect(claim(towerB, first.message).result).toBeOk(Cl.bool(false));
    expect(claim(towerA, second.message).result).toBeOk(Cl.bool(false));
    // The last Bitcoin block before settle-at passes still confirms.
    nextCallAtBurn(first.settleAt);
    expect(claim(towerC, first.message).result).toBeOk(Cl.bool(true));
    expect(getRequest(first.message)["aggregate-signature"]).toBeNull();
    // After settle-at the aggregate stands for good: no claim, not even a fresh one.
    mineBurnBlocks(1);
    const late = claim(towerB, second.message);
    expect(late.result).toBeErr(Cl.uint(ERR_CLAIM_EXPIRED));
    expect(late.events).toEqual([]);
    expect(getAggregateClaim(second.message, second.junk)).toMatchObject({ claimants: [towerA] });
    expect(getRequest(second.message)).toMatchObject({ "aggregate-signature": hex(second.junk), aggregator: griefer });
  });
});

describe("expire-aggregate-claim", () => {
  const expireAggregate = (message: Uint8Array, stored: Uint8Array, sender = combiner) =>
    call("expire-aggregate-claim", [Cl.buffer(message), Cl.buffer(stored)], sender);

  it("after settle-at charges each claimant false-claim-bps of its bond (to the treasury) and 10 accuracy-score, clears the claim, and the aggregate's fee can be settled", () => {
    setup();
    const { message, junk, settleAt } = griefed("claim expires");
    expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
    expect(claim(towerB, message).result).toBeOk(Cl.bool(false));
    // Not before settle-at has passed.
    nextCallAtBurn(settleAt);
    const early = expireAggregate(message, junk);
    expect(early.result).toBeErr(Cl.uint(ERR_DEADLINE_NOT_REACHED));
    expect(early.events).toEqual([]);
    mineBurnBlocks(1);
    // a fifth watchtower: the two claimants are a minority of the active ones
    expect(call("register-watchtower", [], wallets[12]).result).toBeOk(Cl.bool(true));

    const books = expectBalancedBooks();
    const treasuryBefore = treasury();
    const { result, events } = expireAggregate(message, junk);
    expect(result).toBeOk(Cl.uint(2n * FORFEIT));
    expect(printed(events, "claim-expired")).toEqual({
      topic: "claim-expired",
      "message-hash": hex(message),
      signer: null,
      claimants: [towerA, towerB],
      backing: 2n,
      "active-watchtowers": 5n,
      contested: false,
      forfeited: 2n * FORFEIT,
    });
    expect(prints(events).filter((e) => e.topic === "watchtower-accuracy")).toEqual([
      { topic: "watchtower-accuracy", watchtower: towerA, "accuracy-score": 90n, bond: BOND - FORFEIT, forfeited: FORFEIT, "is-active": true },
      { topic: "watchtower-accuracy", watchtower: towerB, "accuracy-score": 90n, bond: BOND - FORFEIT, forfeited: FORFEIT, "is-active": true },
    ]);
    expect(stxTransfers(events)).toEqual([]);
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 90n, bond: BOND - FORFEIT, "is-active": true });
    expect(watchtower(towerC)).toMatchObject({ "accuracy-score": 100n, bond: BOND });
    expect(treasury()).toBe(treasuryBefore + 2n * FORFEIT);
    expect(expectBalancedBooks()).toMatchObject({ bonds: books.bonds - 2n * FORFEIT, treasury: books.treasury + 2n * FORFEIT, total: books.total });
    expect(getAggregateClaim(message, junk)).toBeNull();
    expect(expireAggregate(message, junk).result).toBeErr(Cl.uint(ERR_UNKNOWN_CLAIM));
    // The (junk) aggregate stood through its settle-at: the signers' fee is settled.
    expect(settleFee(message).result).toBeOk(Cl.uint(FEE));
  });

  it("refuses a claim that does not exist with ERR-UNKNOWN-CLAIM", () => {
    setup();
    const { message, junk } = griefed("no claim");
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    const refused = expireAggregate(message, junk);
    expect(refused.result).toBeErr(Cl.uint(ERR_UNKNOWN_CLAIM));
    expect(refused.events).toEqual([]);
  });
});
