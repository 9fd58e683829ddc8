// Slashing an invalid partial signature by a supermajority of the active watchtowers
// (max(watchtower-quorum 3, ceil(2/3 of the active ones))), open until the partial's
// claim-until (burn-now at submission + claim-window, Bitcoin blocks); and expiring claims
// that never reached it: each claimant forfeits false-claim-bps of its bond to the treasury
// and 10 accuracy-score. Slashes take unbonding stake first.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  activeEpoch,
  call,
  combine,
  contractPrincipal,
  decode,
  expectBalancedBooks,
  hex,
  messageHashOf,
  activeWatchtowers,
  burnNow,
  mineBurnBlocks,
  nextCallAtBurn,
  settleFee,
  supermajority,
  partialSign,
  printed,
  prints,
  read,
  rewardsOf,
  signerInfo,
  stxBalance,
  stxTransfers,
  thresholdKeys,
  treasury,
  verifyBls,
  wallets,
  watchtower,
} from "./helpers";

afterEach(() => expectBalancedBooks());

const STAKE = 100_000_000n; // min-stake
const SLASH_INVALID_BPS = 1000n;
const NOTIFIER_REWARD_BPS = 1000n;
const CLAIM_WINDOW = 144n;
const FEE = 3_000_000n;
const BOND = 100_000_000n;
const FORFEIT = BOND / 10n; // false-claim-bps 1000 of a full bond

const keys = thresholdKeys(3, 5, "slashing");
// Four active watchtowers: the supermajority is max(3, ceil(2/3 * 4)) = 3.
const [towerA, towerB, towerC, towerD] = [wallets[5], wallets[6], wallets[7], wallets[11]];
const requester = wallets[8];
const outsider = wallets[9];
let committee: string[] = [];

function setup() {
  committee = activeEpoch(wallets.slice(0, 5), keys);
  for (const tower of [towerA, towerB, towerC, towerD]) expect(call("register-watchtower", [], tower).result).toBeOk(Cl.bool(true));
  expect(supermajority()).toBe(3n);
}

/** Towers A, B and C claim member `index`'s partial; C's claim confirms it. */
function confirm(message: Uint8Array, index: number) {
  expect(claim(towerA, message, index).result).toBeOk(Cl.bool(false));
  expect(claim(towerB, message, index).result).toBeOk(Cl.bool(false));
  const confirmed = claim(towerC, message, index);
  expect(confirmed.result).toBeOk(Cl.bool(true));
  return confirmed;
}

function request(text: string, fee = FEE): Uint8Array {
  const message = messageHashOf(text);
  expect(call("request-signature", [Cl.buffer(message), Cl.uint(fee)], requester).result).toBeOk(expect.anything());
  return message;
}

/** The member at share `index` (1-based) submits s * H(m); `share` defaults to its own. */
function sign(message: Uint8Array, index: number, share = keys.shares[index - 1]): Uint8Array {
  const signature = partialSign(share, message);
  const { result } = call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(signature)], committee[index - 1]);
  expect(result).toBeOk(expect.anything());
  return signature;
}

function claim(tower: string, message: Uint8Array, index: number) {
  return call("report-invalid-signature", [Cl.buffer(message), Cl.principal(committee[index - 1])], tower);
}

function expire(message: Uint8Array, index: number) {
  return call("expire-claim", [Cl.buffer(message), Cl.principal(committee[index - 1])], outsider);
}

const getRequest = (message: Uint8Array) => decode(read("get-request", [Cl.buffer(message)])) as Record<string, any>;
const getPartial = (message: Uint8Array, index: number) =>
  decode(read("get-partial-signature", [Cl.buffer(message), Cl.principal(committee[index - 1])])) as Record<string, any>;
const getClaim = (message: Uint8Array, index: number) =>
  decode(read("get-claim", [Cl.buffer(message), Cl.principal(committee[index - 1])])) as Record<string, any> | null;

describe("report-invalid-signature", () => {
  it("slashes a partial that is not valid for its share key once the supermajority (3 of 4) confirms it, pays the confirmers and drops the partial from the threshold (ERR-THRESHOLD-NOT-MET until another honest partial); the fee goes to the valid partials only", () => {
    setup();

    // First lower the confirmers' accuracy-score (100 -> 90) with claims that expire, so the
    // confirmation bonus is visible below the cap (each also forfeits 10% of its bond).
    const warmup = request("warm-up");
    [2, 3, 4].forEach((index) => sign(warmup, index));
    expect(claim(towerA, warmup, 2).result).toBeOk(Cl.bool(false));
    expect(claim(towerB, warmup, 3).result).toBeOk(Cl.bool(false));
    expect(claim(towerC, warmup, 4).result).toBeOk(Cl.bool(false));
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    for (const index of [2, 3, 4]) expect(expire(warmup, index).result).toBeOk(Cl.uint(FORFEIT));
    for (const tower of [towerA, towerB, towerC]) expect(watchtower(tower)).toMatchObject({ "accuracy-score": 90n, bond: BOND - FORFEIT });

    // Member 1 submits a well-formed G2 point made with the wrong scalar.
    const message = request("the acceptance message");
    const bad = committee[0];
    const badPartial = sign(message, 1, bls12_381.fields.Fr.add(keys.shares[0], 1n));
    const p2 = sign(message, 2);
    const p3 = sign(message, 3);
    const shareKeys = (decode(read("get-epoch", [Cl.uint(1)])) as Record<string, any>)["share-public-keys"] as string[];
    const stored = (i: number) => Uint8Array.from(Buffer.from(shareKeys[i - 1].slice(2), "hex"));
    expect(verifyBls(stored(1), message, badPartial)).toBe(false);
    expect(verifyBls(stored(2), message, p2)).toBe(true);
    expect(verifyBls(stored(3), message, p3)).toBe(true);
    expect(getPartial(message, 1)).toMatchObject({ signature: hex(badPartial), invalid: false, index: 1n, "claim-until": burnNow() + CLAIM_WINDOW });
    const badAggregate = combine([{ index: 1, signature: badPartial }, { index: 2, signature: p2 }, { index: 3, signature: p3 }]);
    expect(verifyBls(keys.groupKey, message, badAggregate)).toBe(false);
    expect(getRequest(message)["partial-count"]).toBe(3n);

    const before = signerInfo(bad)!;
    expect(before.stake).toBe(STAKE);
    expect(before["performance-metrics"]).toMatchObject({ "total-signatures": 1n, "valid-signatures": 1n, accuracy: 100n, "signing-speed": 1n });
    expect(before["reputation-score"]).toBe(10_000n);
    const books = expectBalancedBooks();
    const contractBalance = stxBalance(contractPrincipal);
    const badBalance = stxBalance(bad);

    // The first two claims change nothing but the claim.
    expect(claim(towerA, message, 1).result).toBeOk(Cl.bool(false));
    expect(claim(towerB, message, 1).result).toBeOk(Cl.bool(false));
    expect(signerInfo(bad)!.stake).toBe(STAKE);
    expect(getRequest(message)["partial-count"]).toBe(3n);

    // The third confirms it.
    const { result, events } = claim(towerC, message, 1);
    expect(result).toBeOk(Cl.bool(true));
    const slashed = (STAKE * SLASH_INVALID_BPS) / 10_000n; // 10 STX
    const pool = (slashed * NOTIFIER_REWARD_BPS) / 10_000n; // 1 STX for the three watchtowers
    const share = pool / 3n;
    expect(printed(events, "invalid-signature-claim")).toEqual({
      topic: "invalid-signature-claim",
      "message-hash": hex(message),
      signer: bad,
      watchtower: towerC,
      claims: 3n,
      quorum: 3n,
      confirmed: true,
    });
    expect(printed(events, "signer-slashed")).toEqual({
      topic: "signer-slashed",
      signer: bad,
      reason: "invalid-partial",
      "message-hash": hex(message),
      amount: slashed,
      stake: STAKE - slashed,
      unbonding: 0n,
    });
    expect(prints(events).filter((e) => e.topic === "watchtower-accuracy")).toEqual(
      [towerA, towerB, towerC].map((tower) => ({
        topic: "watchtower-accuracy",
        watchtower: tower,
        "accuracy-score": 95n,
        bond: BOND - FORFEIT,
        "is-active": true,
      })),
    );
    // A slash moves no STX out of the contract: it moves between the books.
    expect(stxTransfers(events)).toEqual([]);
    expect(stxBalance(contractPrincipal)).toBe(contractBalance);
    expect(stxBalance(bad)).toBe(badBalance);

    const after = signerInfo(bad)!;
    expect(after.stake).toBe(STAKE - slashed);
    expect(after["slashing-history"]).toEqual({ "total-slashes": 1n, "last-slash-height": BigInt(simnet.blockHeight), "slashed-amount": slashed });
    expect(after["performance-metrics"]).toMatchObject({ "total-signatures": 1n, "valid-signatures": 0n, accuracy: 0n });
    // 40 * 100 (uptime) + 40 * 0 (accuracy) + 20 * 100 (speed 1) - 1500 * 1 slash
    expect(after["reputation-score"]).toBe(4500n);

    for (const tower of [towerA, towerB, towerC]) {
      expect(rewardsOf(tower)).toBe(share);
      expect(watchtower(tower)!["accuracy-score"]).toBe(95n);
    }
    expect(rewardsOf(towerD)).toBe(0n);
    const booksAfter = expectBalancedBooks();
    expect(booksAfter.stakes).toBe(books.stakes - slashed);
    expect(booksAfter.rewards).toBe(books.rewards + 3n * share);
    expect(booksAfter.treasury).toBe(books.treasury + slashed - 3n * share);
    expect(treasury()).toBe(books.treasury + slashed - 3n * share);

    expect(getPartial(message, 1).invalid).toBe(true);
    expect(getClaim(message, 1)).toMatchObject({ claimants: [towerA, towerB, towerC], confirmed: true });
    expect(getRequest(message)["partial-count"]).toBe(2n);

    // Two counted partials are below the threshold.
    const refused = call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(badAggregate)], requester);
    expect(refused.result).toBeErr(Cl.uint(124));

    // Another honest member signs; the honest three combine into a valid group signature.
    const p4 = sign(message, 4);
    expect(getRequest(message)["partial-count"]).toBe(3n);
    const aggregate = combine([{ index: 2, signature: p2 }, { index: 3, signature: p3 }, { index: 4, signature: p4 }]);
    expect(verifyBls(keys.groupKey, message, aggregate)).toBe(true);
    const rewardsBefore = committee.map(rewardsOf);
    const treasuryBefore = treasury();
    const finalized = call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(aggregate)], requester);
    expect(finalized.result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    const settled = settleFee(message);
    expect(settled.result).toBeOk(Cl.uint(FEE));
    // The fee is split among the three counted partials; the invalid signer gets nothing.
    expect(printed(settled.events, "fee-settled")).toMatchObject({ "fee-share": FEE / 3n, "fees-paid": FEE, signers: committee.slice(0, 4) });
    expect(committee.map(rewardsOf)).toEqual([
      rewardsBefore[0],
      rewardsBefore[1] + FEE / 3n,
      rewardsBefore[2] + FEE / 3n,
      rewardsBefore[3] + FEE / 3n,
      rewardsBefore[4],
    ]);
    expect(rewardsOf(bad)).toBe(0n);
    expect(treasury()).toBe(treasuryBefore);

    // The watchtowers' rewards are claimable.
    const towerBalance = stxBalance(towerA);
    const claimed = call("claim-rewards", [], towerA);
    expect(claimed.result).toBeOk(Cl.uint(share));
    expect(stxBalance(towerA)).toBe(towerBalance + share);
    expect(stxTransfers(claimed.events)).toEqual([{ sender: contractPrincipal, recipient: towerA, amount: share }]);
    expect(printed(claimed.events, "rewards-claimed")).toEqual({ topic: "rewards-claimed", recipient: towerA, amount: share });
    expect(rewardsOf(towerA)).toBe(0n);
  });

  it("drops a standing aggregate (fee not yet settled) when a confirmed claim leaves fewer than t counted partials: aggregate-dropped", () => {
    setup();
    const message = request("aggregate over an invalid partial");
    const badPartial = sign(message, 1, 7n);
    const p2 = sign(message, 2);
    const p3 = sign(message, 3);
    const standing = combine([{ index: 1, signature: badPartial }, { index: 2, signature: p2 }, { index: 3, signature: p3 }]);
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(standing)], outsider).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    const record = getRequest(message);
    const books = expectBalancedBooks();

    const { events } = confirm(message, 1);
    expect(printed(events, "aggregate-dropped")).toEqual({
      topic: "aggregate-dropped",
      "message-hash": hex(message),
      aggregate: hex(standing),
      "partial-count": 2n,
    });
    expect(getRequest(message)).toEqual({
      ...record,
      "partial-count": 2n,
      "aggregate-signature": null,
      aggregator: null,
      "finalized-at": 0n,
      "settle-at": 0n,
    });
    // Nothing to settle; the fee stays pending.
    expect(call("settle-fee", [Cl.buffer(message)], outsider).result).toBeErr(Cl.uint(150));
    expect(expectBalancedBooks()["pending-fees"]).toBe(books["pending-fees"]);
    // The request is open again before its deadline: an honest member completes it.
    const p4 = sign(message, 4);
    const real = combine([{ index: 2, signature: p2 }, { index: 3, signature: p3 }, { index: 4, signature: p4 }]);
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(real)], outsider).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expect(settleFee(message).result).toBeOk(Cl.uint(FEE));
    expect(rewardsOf(committee[0])).toBe(0n);
  });

  it("lowers partial-count but keeps a standing aggregate that still has t counted partials", () => {
    setup();
    const message = request("four partials, one invalid");
    sign(message, 1, 7n);
    const partials = [2, 3, 4].map((index) => ({ index, signature: sign(message, index) }));
    const settleAt = burnNow() + CLAIM_WINDOW;
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(combine(partials))], outsider).result).toBeOk(Cl.uint(settleAt));
    const { events } = confirm(message, 1);
    expect(prints(events).map((e) => e.topic)).not.toContain("aggregate-dropped");
    expect(getRequest(message)).toMatchObject({ "partial-count": 3n, "aggregate-signature": hex(combine(partials)), "settle-at": settleAt });
  });

  it("records a claim by one watchtower alone (opened-at on burn-now) and slashes nothing", () => {
    setup();
    const message = request("one claim");
    sign(message, 1);
    const books = expectBalancedBooks();
    const { result, events } = claim(towerA, message, 1);
    expect(result).toBeOk(Cl.bool(false));
    expect(printed(events, "invalid-signature-claim")).toMatchObject({ watchtower: towerA, claims: 1n, quorum: 3n, confirmed: false });
    expect(prints(events).map((e) => e.topic)).toEqual(["invalid-signature-claim"]);
    expect(getClaim(message, 1)).toEqual({ claimants: [towerA], "opened-at": burnNow(), confirmed: false, attempt: 1n });
    expect(signerInfo(committee[0])).toMatchObject({
      stake: STAKE,
      "slashing-history": { "total-slashes": 0n, "last-slash-height": 0n, "slashed-amount": 0n },
    });
    expect(getPartial(message, 1).invalid).toBe(false);
    expect(getRequest(message)["partial-count"]).toBe(1n);
    expect(rewardsOf(towerA)).toBe(0n);
    expect(watchtower(towerA)!["accuracy-score"]).toBe(100n);
    expect(expectBalancedBooks()).toEqual(books);
  });

  it("counts only claimants that are still active, and needs 2/3 of the active watchtowers once that exceeds watchtower-quorum", () => {
    setup();
    const message = request("active claimants");
    sign(message, 1, 7n);
    expect(claim(towerA, message, 1).result).toBeOk(Cl.bool(false));
    expect(claim(towerB, message, 1).result).toBeOk(Cl.bool(false));
    // A leaves: its claim no longer counts, and the supermajority of the 3 left is still 3.
    expect(call("leave-watchtower", [], towerA).result).toBeOk(expect.anything());
    expect(activeWatchtowers()).toBe(3n);
    expect(claim(towerC, message, 1).result).toBeOk(Cl.bool(false));
    expect(getClaim(message, 1)).toMatchObject({ claimants: [towerA, towerB, towerC], confirmed: false });
    expect(claim(towerD, message, 1).result).toBeOk(Cl.bool(true));
    // With 6 active watchtowers the supermajority is ceil(2/3 * 6) = 4 > 3.
    const [towerE, towerF, towerG] = [wallets[12], wallets[13], wallets[10]];
    for (const tower of [towerE, towerF, towerG]) expect(call("register-watchtower", [], tower).result).toBeOk(Cl.bool(true));
    expect(activeWatchtowers()).toBe(6n);
    expect(supermajority()).toBe(4n);
    const second = request("six watchtowers");
    sign(second, 2, 8n);
    for (const tower of [towerB, towerC, towerD]) expect(claim(tower, second, 2).result).toBeOk(Cl.bool(false));
    const fourth = claim(towerE, second, 2);
    expect(fourth.result).toBeOk(Cl.bool(true));
    expect(printed(fourth.events, "invalid-signature-claim")).toMatchObject({ claims: 4n, quorum: 4n, confirmed: true });
  });

  it("slashes unbonding stake first, then bonded stake: slash-invalid-bps of stake + unbonding", () => {
    setup();
    // Member 1: enough unbonding to cover the whole slash.
    const member = committee[0];
    expect(call("increase-stake", [Cl.uint(STAKE)], member).result).toBeOk(Cl.uint(2n * STAKE));
    expect(call("request-unstake", [Cl.uint(STAKE)], member).result).toBeOk(expect.anything());
    expect(signerInfo(member)).toMatchObject({ stake: STAKE, unbonding: STAKE });
    // Member 2: a little unbonding; the rest of its slash comes from its bond.
    const second = committee[1];
    const little = 5_000_000n;
    expect(call("increase-stake", [Cl.uint(STAKE)], second).result).toBeOk(Cl.uint(2n * STAKE));
    expect(call("request-unstake", [Cl.uint(little)], second).result).toBeOk(expect.anything());
    const message = request("unbonding");
    sign(message, 1, 7n);
    sign(message, 2, 8n);
    const books = expectBalancedBooks();
    const slashed = (2n * STAKE * SLASH_INVALID_BPS) / 10_000n; // 20 STX of 200
    const { events } = confirm(message, 1);
    expect(printed(events, "signer-slashed")).toMatchObject({ amount: slashed, stake: STAKE, unbonding: STAKE - slashed });
    expect(signerInfo(member)).toMatchObject({ stake: STAKE, unbonding: STAKE - slashed });
    expect(signerInfo(member)!["slashing-history"]["slashed-amount"]).toBe(slashed);
    const middle = expectBalancedBooks();
    expect(middle.stakes).toBe(books.stakes);
    expect(middle.unbonding).toBe(books.unbonding - slashed);
    // notifier-reward-bps of the slash is split equally by the three confirmers; the division's
    // remainder stays in the treasury.
    expect(middle.treasury).toBe(books.treasury + slashed - 3n * ((slashed * NOTIFIER_REWARD_BPS) / 10_000n / 3n));

    const { events: secondEvents } = confirm(message, 2);
    expect(printed(secondEvents, "signer-slashed")).toMatchObject({ amount: slashed, stake: 2n * STAKE - little - (slashed - little), unbonding: 0n });
    expect(signerInfo(second)).toMatchObject({ stake: 2n * STAKE - slashed, unbonding: 0n });
    const after = expectBalancedBooks();
    expect(after.unbonding).toBe(middle.unbonding - little);
    expect(after.stakes).toBe(middle.stakes - (slashed - little));
  });

  it("refuses a caller that is not a watchtower, or no longer an active one, with ERR-NOT-WATCHTOWER", () => {
    setup();
    const message = request("not a watchtower");
    sign(message, 1);
    expect(claim(outsider, message, 1).result).toBeErr(Cl.uint(132));
    expect(call("leave-watchtower", [], towerA).result).toBeOk(expect.anything());
    const { result, events } = claim(towerA, message, 1);
    expect(result).toBeErr(Cl.uint(132));
    expect(events).toHaveLength(0);
    expect(getClaim(message, 1)).toBeNull();
    // The caller's role is checked before the request's state.
    expect(call("report-invalid-signature", [Cl.buffer(messageHashOf("unknown")), Cl.principal(committee[0])], towerA).result).toBeErr(Cl.uint(132));
  });

  it("refuses an unknown request with ERR-UNKNOWN-REQUEST", () => {
    setup();
    const message = messageHashOf("never requested");
    expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(committee[0])], towerA).result).toBeErr(Cl.uint(121));
  });

  it("refuses a signer with no partial on that request with ERR-NOT-PENALIZABLE", () => {
    setup();
    const message = request("no partial");
    sign(message, 1);
    expect(claim(towerA, message, 5).result).toBeErr(Cl.uint(135));
    expect(getClaim(message, 5)).toBeNull();
  });

  it("refuses a claim that is already confirmed with ERR-NOT-PENALIZABLE", () => {
    setup();
    const message = request("already confirmed");
    sign(message, 1, 7n);
    confirm(message, 1);
    const stake = signerInfo(committee[0])!.stake;
    const { result, events } = claim(towerD, message, 1);
    expect(result).toBeErr(Cl.uint(135));
    expect(events).toHaveLength(0);
    expect(signerInfo(committee[0])!.stake).toBe(stake);
    expect(rewardsOf(towerD)).toBe(0n);
  });

  it("refuses the same watchtower twice with ERR-ALREADY-REPORTED", () => {
    setup();
    const message = request("twice");
    sign(message, 1, 7n);
    claim(towerA, message, 1);
    const { result, events } = claim(towerA, message, 1);
    expect(result).toBeErr(Cl.uint(133));
    expect(events).toHaveLength(0);
    expect(getClaim(message, 1)).toMatchObject({ claimants: [towerA], confirmed: false });
    expect(signerInfo(committee[0])!.stake).toBe(STAKE);
  });

  it("accepts claims up to the partial's claim-until (burn-now at submission + claim-window), however late the first claim, and refuses them after it with ERR-CLAIM-EXPIRED", () => {
    setup();
    const message = request("window");
    sign(message, 1, 7n);
    const until1 = burnNow() + CLAIM_WINDOW;
    mineBurnBlocks(10);
    sign(message, 2, 8n);
    const until2 = burnNow() + CLAIM_WINDOW;
    expect(getPartial(message, 1)["claim-until"]).toBe(until1);
    expect(getPartial(message, 2)["claim-until"]).toBe(until2);
    expect(signerInfo(committee[1])!["claim-until"]).toBe(until2);
    // The first claims come late in the window: the window is the partial's, not the claim's.
    nextCallAtBurn(until1 - 1n);
    expect(claim(towerA, message, 1).result).toBeOk(Cl.bool(false));
    expect(claim(towerA, message, 2).result).toBeOk(Cl.bool(false));
    // The last Bitcoin block of member 1's window still confirms.
    nextCallAtBurn(until1);
    expect(claim(towerB, message, 1).result).toBeOk(Cl.bool(false));
    expect(claim(towerC, message, 1).result).toBeOk(Cl.bool(true));
    expect(signerInfo(committee[0])!.stake).toBe(STAKE - (STAKE * SLASH_INVALID_BPS) / 10_000n);
    // The first Bitcoin block after member 2's window is too late.
    nextCallAtBurn(until2 + 1n);
    const { result, events } = claim(towerB, message, 2);
    expect(result).toBeErr(Cl.uint(145));
    expect(events).toHaveLength(0);
    expect(signerInfo(committee[1])!.stake).toBe(STAKE);
    expect(getClaim(message, 2)).toMatchObject({ claimants: [towerA], confirmed: false });
  });
});

describe("expire-claim", () => {
  it("refuses a claim that does not exist with ERR-UNKNOWN-CLAIM", () => {
    setup();
    const message = request("no claim");
    sign(message, 1);
    expect(expire(message, 1).result).toBeErr(Cl.uint(146));
  });

  it("refuses up to the partial's claim-until with ERR-DEADLINE-NOT-REACHED", () => {
    setup();
    const message = request("inside window");
    sign(message, 1);
    claim(towerA, message, 1);
    nextCallAtBurn(getPartial(message, 1)["claim-until"]);
    const { result, events } = expire(message, 1);
    expect(result).toBeErr(Cl.uint(134));
    expect(events).toHaveLength(0);
    expect(getClaim(message, 1)).not.toBeNull();
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 100n, bond: BOND });
  });

  it("refuses a confirmed claim with ERR-ALREADY-FINALIZED", () => {
    setup();
    const message = request("confirmed");
    sign(message, 1, 7n);
    confirm(message, 1);
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    expect(expire(message, 1).result).toBeErr(Cl.uint(125));
    expect(getClaim(message, 1)).toMatchObject({ confirmed: true });
    expect(watchtower(towerA)!["accuracy-score"]).toBe(100n);
  });

  it("after claim-until charges each claimant false-claim-bps of its bond (to the treasury) and 10 accuracy-score, clears the claim and slashes nobody", () => {
    setup();
    const message = request("expires");
    sign(message, 1);
    claim(towerA, message, 1);
    claim(towerB, message, 1);
    // a fifth watchtower: the two claimants are a minority of the active ones
    expect(call("register-watchtower", [], wallets[12]).result).toBeOk(Cl.bool(true));
    const books = expectBalancedBooks();
    nextCallAtBurn(getPartial(message, 1)["claim-until"] + 1n);
    const { result, events } = expire(message, 1);
    expect(result).toBeOk(Cl.uint(2n * FORFEIT));
    expect(printed(events, "claim-expired")).toEqual({
      topic: "claim-expired",
      "message-hash": hex(message),
      signer: committee[0],
      claimants: [towerA, towerB],
      backing: 2n,
      "active-watchtowers": 5n,
      contested: false,
      forfeited: 2n * FORFEIT,
    });
    expect(prints(events).filter((e) => e.topic === "watchtower-accuracy")).toEqual(
      [towerA, towerB].map((tower) => ({
        topic: "watchtower-accuracy",
        watchtower: tower,
        "accuracy-score": 90n,
        bond: BOND - FORFEIT,
        forfeited: FORFEIT,
        "is-active": true,
      })),
    );
    expect(stxTransfers(events)).toEqual([]);
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 90n, bond: BOND - FORFEIT, "is-active": true });
    expect(watchtower(towerC)).toMatchObject({ "accuracy-score": 100n, bond: BOND });
    expect(getClaim(message, 1)).toBeNull();
    expect(signerInfo(committee[0])!.stake).toBe(STAKE);
    expect(getPartial(message, 1).invalid).toBe(false);
    expect(expectBalancedBooks()).toMatchObject({
      bonds: books.bonds - 2n * FORFEIT,
      treasury: books.treasury + 2n * FORFEIT,
      stakes: books.stakes,
      total: books.total,
    });
    expect(treasury()).toBe(books.treasury + 2n * FORFEIT);
    // The window is over: the pair cannot be claimed again.
    expect(claim(towerC, message, 1).result).toBeErr(Cl.uint(145));
  });

  it("charges nobody for a claim that half of the active watchtowers still back: a minority blocked it, nobody made it falsely", () => {
    setup(); // four active watchtowers: supermajority 3
    const message = request("blocked claim");
    sign(message, 1);
    claim(towerA, message, 1);
    claim(towerB, message, 1);
    const books = expectBalancedBooks();
    nextCallAtBurn(getPartial(message, 1)["claim-until"] + 1n);
    const { result, events } = expire(message, 1);
    expect(result).toBeOk(Cl.uint(0));
    expect(printed(events, "claim-expired")).toEqual({
      topic: "claim-expired",
      "message-hash": hex(message),
      signer: committee[0],
      claimants: [towerA, towerB],
      backing: 2n,
      "active-watchtowers": 4n,
      contested: true,
      forfeited: 0n,
    });
    expect(prints(events).filter((e) => e.topic === "watchtower-accuracy")).toEqual([]);
    for (const tower of [towerA, towerB]) {
      expect(watchtower(tower)).toMatchObject({ "accuracy-score": 100n, bond: BOND, "is-active": true, "open-claims": 0n });
    }
    expect(getClaim(message, 1)).toBeNull();
    expect(signerInfo(committee[0])!.stake).toBe(STAKE);
    expect(expectBalancedBooks()).toEqual(books);
  });

  it("deactivates a watchtower whose bond falls below half of watchtower-bond, even at accuracy-score 50", () => {
    setup();
    // Seven claims by tower A alone, none ever confirmed.
    const first = request("half bond 1");
    const second = request("half bond 2");
    [1, 2, 3, 4, 5].forEach((i) => sign(first, i));
    [1, 2].forEach((i) => sign(second, i));
    const pairs: [Uint8Array, number][] = [[first, 1], [first, 2], [first, 3], [first, 4], [first, 5], [second, 1], [second, 2]];
    for (const [message, index] of pairs) expect(claim(towerA, message, index).result).toBeOk(Cl.bool(false));
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    let bond = BOND;
    const expireNext = (pair: [Uint8Array, number]) => {
      const forfeit = bond / 10n;
      const done = expire(pair[0], pair[1]);
      expect(done.result).toBeOk(Cl.uint(forfeit));
      bond -= forfeit;
      return done;
    };
    // Three expire: accuracy 70.
    pairs.slice(0, 3).forEach(expireNext);
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 70n, bond: 72_900_000n, "is-active": true });
    // Four confirmed claims (+5 each) bring it back to 90.
    const fresh = request("half bond confirmed");
    [1, 2, 3, 4].forEach((i) => sign(fresh, i, 7n + BigInt(i)));
    [1, 2, 3, 4].forEach((i) => confirm(fresh, i));
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 90n, bond: 72_900_000n, "is-active": true });
    // Three more expire: accuracy 60, bond 53.1441 STX (still at least half of 100 STX).
    pairs.slice(3, 6).forEach(expireNext);
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 60n, bond: 53_144_100n, "is-active": true });
    expect(activeWatchtowers()).toBe(4n);
    // The seventh: accuracy 50 (at the floor, not below) but the bond falls to 47.82969 STX.
    const { events } = expireNext(pairs[6]);
    expect(bond).toBe(47_829_690n);
    expect(printed(events, "watchtower-deactivated")).toEqual({
      topic: "watchtower-deactivated",
      watchtower: towerA,
      "accuracy-score": 50n,
      bond,
      forfeited: 5_314_410n,
      "is-active": false,
    });
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 50n, bond, "is-active": false, "release-at": BigInt(simnet.burnBlockHeight) + 2016n });
    expect(activeWatchtowers()).toBe(3n);
    expect(claim(towerA, fresh, 5).result).toBeErr(Cl.uint(132));
  });

  it("deactivates a watchtower whose accuracy-score falls below 50 and frees its slot at once; it can no longer report", () => {
    setup();
    const first = request("deactivate-1");
    const second = request("deactivate-2");
    [1, 2, 3, 4, 5].forEach((i) => sign(first, i));
    sign(second, 1);
    const pairs: [Uint8Array, number][] = [[first, 1], [first, 2], [first, 3], [first, 4], [first, 5], [second, 1]];
    for (const [message, index] of pairs) expect(claim(towerA, message, index).result).toBeOk(Cl.bool(false));
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    // Each expiry forfeits 10% of what is left of the bond.
    let bond = BOND;
    for (const [message, index] of pairs.slice(0, 5)) {
      const forfeit = bond / 10n;
      expect(expire(message, index).result).toBeOk(Cl.uint(forfeit));
      bond -= forfeit;
    }
    // 100 - 5 * 10 = 50: at the floor, still active; 59.049 STX is above half the bond.
    expect(bond).toBe(59_049_000n);
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 50n, bond, "is-active": true, "release-at": 0n });
    expect(activeWatchtowers()).toBe(4n);

    const { result, events } = expire(second, 1);
    const forfeit = bond / 10n;
    expect(result).toBeOk(Cl.uint(forfeit));
    expect(printed(events, "watchtower-deactivated")).toEqual({
      topic: "watchtower-deactivated",
      watchtower: towerA,
      "accuracy-score": 40n,
      bond: bond - forfeit,
      forfeited: forfeit,
      "is-active": false,
    });
    expect(watchtower(towerA)).toMatchObject({
      "accuracy-score": 40n,
      bond: bond - forfeit,
      "is-active": false,
      "release-at": BigInt(simnet.burnBlockHeight) + 2016n,
    });
    expect(activeWatchtowers()).toBe(3n);

    expect(claim(towerA, first, 1).result).toBeErr(Cl.uint(132));
    expect(call("submit-watchtower-report", [Cl.principal(committee[0]), Cl.uint(100), Cl.uint(1), Cl.uint(1)], towerA).result).toBeErr(Cl.uint(132));
    expect(call("update-metrics", [Cl.principal(committee[0]), Cl.uint(1), Cl.uint(100), Cl.uint(100)], towerA).result).toBeErr(Cl.uint(100));
    // Its (reduced) bond stays locked until the release height, then leaves.
    expect(call("withdraw-watchtower-bond", [], towerA).result).toBeErr(Cl.uint(118));
    nextCallAtBurn(BigInt(simnet.burnBlockHeight) + 2016n);
    expect(call("withdraw-watchtower-bond", [], towerA).result).toBeOk(Cl.uint(bond - forfeit));
  });
});
