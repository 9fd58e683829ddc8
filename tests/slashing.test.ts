// Slashing an invalid partial signature by a quorum of watchtowers, and expiring claims
// that never reached quorum.
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
  nextCallAt,
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

const keys = thresholdKeys(3, 5, "slashing");
const [towerA, towerB, towerC] = [wallets[5], wallets[6], wallets[7]];
const requester = wallets[8];
const outsider = wallets[9];
let committee: string[] = [];

function setup() {
  committee = activeEpoch(wallets.slice(0, 5), keys);
  for (const tower of [towerA, towerB, towerC]) expect(call("register-watchtower", [], tower).result).toBeOk(Cl.bool(true));
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
  it("slashes a partial that is not valid for its share key once two watchtowers confirm it, pays them and drops the partial from the threshold (ERR-THRESHOLD-NOT-MET until another honest partial)", () => {
    setup();

    // First lower both watchtowers' accuracy-score (100 -> 90) with claims that expire, so the
    // confirmation bonus is visible below the cap.
    const warmup = request("warm-up");
    sign(warmup, 2);
    sign(warmup, 3);
    expect(claim(towerA, warmup, 2).result).toBeOk(Cl.bool(false));
    expect(claim(towerB, warmup, 3).result).toBeOk(Cl.bool(false));
    simnet.mineEmptyBlocks(Number(CLAIM_WINDOW));
    expect(expire(warmup, 2).result).toBeOk(Cl.bool(true));
    expect(expire(warmup, 3).result).toBeOk(Cl.bool(true));
    expect(watchtower(towerA)!["accuracy-score"]).toBe(90n);
    expect(watchtower(towerB)!["accuracy-score"]).toBe(90n);

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
    expect(getPartial(message, 1)).toMatchObject({ signature: hex(badPartial), invalid: false, index: 1n });
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

    // The first claim alone changes nothing but the claim.
    expect(claim(towerA, message, 1).result).toBeOk(Cl.bool(false));
    expect(signerInfo(bad)!.stake).toBe(STAKE);
    expect(getRequest(message)["partial-count"]).toBe(3n);

    // The second confirms it.
    const { result, events } = claim(towerB, message, 1);
    expect(result).toBeOk(Cl.bool(true));
    const slashed = (STAKE * SLASH_INVALID_BPS) / 10_000n; // 10 STX
    const pool = (slashed * NOTIFIER_REWARD_BPS) / 10_000n; // 1 STX for the two watchtowers
    expect(printed(events, "invalid-signature-claim")).toEqual({
      topic: "invalid-signature-claim",
      "message-hash": hex(message),
      signer: bad,
      watchtower: towerB,
      claims: 2n,
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
    expect(prints(events).filter((e) => e.topic === "watchtower-accuracy")).toEqual([
      { topic: "watchtower-accuracy", watchtower: towerA, "accuracy-score": 95n, "is-active": true },
      { topic: "watchtower-accuracy", watchtower: towerB, "accuracy-score": 95n, "is-active": true },
    ]);
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

    expect(rewardsOf(towerA)).toBe(pool / 2n);
    expect(rewardsOf(towerB)).toBe(pool / 2n);
    expect(watchtower(towerA)!["accuracy-score"]).toBe(95n);
    expect(watchtower(towerB)!["accuracy-score"]).toBe(95n);
    const booksAfter = expectBalancedBooks();
    expect(booksAfter.stakes).toBe(books.stakes - slashed);
    expect(booksAfter.rewards).toBe(books.rewards + pool);
    expect(booksAfter.treasury).toBe(books.treasury + slashed - pool);
    expect(treasury()).toBe(books.treasury + slashed - pool);

    expect(getPartial(message, 1).invalid).toBe(true);
    expect(getClaim(message, 1)).toMatchObject({ claimants: [towerA, towerB], confirmed: true });
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
    expect(finalized.result).toBeOk(Cl.uint(FEE));
    // The fee is split among the three counted partials; the invalid signer gets nothing.
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
    expect(claimed.result).toBeOk(Cl.uint(pool / 2n));
    expect(stxBalance(towerA)).toBe(towerBalance + pool / 2n);
    expect(stxTransfers(claimed.events)).toEqual([{ sender: contractPrincipal, recipient: towerA, amount: pool / 2n }]);
    expect(printed(claimed.events, "rewards-claimed")).toEqual({ topic: "rewards-claimed", recipient: towerA, amount: pool / 2n });
    expect(rewardsOf(towerA)).toBe(0n);
  });

  it("records a claim by one watchtower alone and slashes nothing", () => {
    setup();
    const message = request("one claim");
    sign(message, 1);
    const books = expectBalancedBooks();
    const { result, events } = claim(towerA, message, 1);
    expect(result).toBeOk(Cl.bool(false));
    expect(printed(events, "invalid-signature-claim")).toMatchObject({ watchtower: towerA, claims: 1n, confirmed: false });
    expect(prints(events).map((e) => e.topic)).toEqual(["invalid-signature-claim"]);
    expect(getClaim(message, 1)).toEqual({ claimants: [towerA], "opened-at": BigInt(simnet.blockHeight), confirmed: false });
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

  it("slashes unbonding stake too: slash-invalid-bps of stake + unbonding", () => {
    setup();
    const member = committee[0];
    expect(call("increase-stake", [Cl.uint(STAKE)], member).result).toBeOk(Cl.uint(2n * STAKE));
    expect(call("request-unstake", [Cl.uint(STAKE)], member).result).toBeOk(expect.anything());
    expect(signerInfo(member)).toMatchObject({ stake: STAKE, unbonding: STAKE });
    const message = request("unbonding");
    sign(message, 1, 7n);
    claim(towerA, message, 1);
    const books = expectBalancedBooks();
    const { result, events } = claim(towerB, message, 1);
    expect(result).toBeOk(Cl.bool(true));
    const slashed = (2n * STAKE * SLASH_INVALID_BPS) / 10_000n;
    expect(printed(events, "signer-slashed")).toMatchObject({ amount: slashed, stake: STAKE - slashed, unbonding: STAKE });
    expect(signerInfo(member)).toMatchObject({ stake: STAKE - slashed, unbonding: STAKE });
    expect(signerInfo(member)!["slashing-history"]["slashed-amount"]).toBe(slashed);
    const after = expectBalancedBooks();
    expect(after.stakes + after.unbonding).toBe(books.stakes + books.unbonding - slashed);
    expect(after.treasury).toBe(books.treasury + slashed - (slashed * NOTIFIER_REWARD_BPS) / 10_000n);
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
    claim(towerA, message, 1);
    expect(claim(towerB, message, 1).result).toBeOk(Cl.bool(true));
    const stake = signerInfo(committee[0])!.stake;
    const { result, events } = claim(towerC, message, 1);
    expect(result).toBeErr(Cl.uint(135));
    expect(events).toHaveLength(0);
    expect(signerInfo(committee[0])!.stake).toBe(stake);
    expect(rewardsOf(towerC)).toBe(0n);
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

  it("accepts agreement up to claim-window blocks after the first claim and refuses it later with ERR-CLAIM-EXPIRED", () => {
    setup();
    const message = request("window");
    sign(message, 1, 7n);
    sign(message, 2, 8n);
    expect(claim(towerA, message, 1).result).toBeOk(Cl.bool(false));
    const opened1 = BigInt(simnet.blockHeight);
    expect(claim(towerA, message, 2).result).toBeOk(Cl.bool(false));
    const opened2 = BigInt(simnet.blockHeight);
    // The last block of member 1's window still confirms.
    nextCallAt(opened1 + CLAIM_WINDOW);
    expect(claim(towerB, message, 1).result).toBeOk(Cl.bool(true));
    expect(signerInfo(committee[0])!.stake).toBe(STAKE - (STAKE * SLASH_INVALID_BPS) / 10_000n);
    // The first block after member 2's window is too late.
    nextCallAt(opened2 + CLAIM_WINDOW + 1n);
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

  it("refuses inside the claim window with ERR-DEADLINE-NOT-REACHED", () => {
    setup();
    const message = request("inside window");
    sign(message, 1);
    claim(towerA, message, 1);
    const opened = BigInt(simnet.blockHeight);
    nextCallAt(opened + CLAIM_WINDOW);
    const { result, events } = expire(message, 1);
    expect(result).toBeErr(Cl.uint(134));
    expect(events).toHaveLength(0);
    expect(getClaim(message, 1)).not.toBeNull();
    expect(watchtower(towerA)!["accuracy-score"]).toBe(100n);
  });

  it("refuses a confirmed claim with ERR-ALREADY-FINALIZED", () => {
    setup();
    const message = request("confirmed");
    sign(message, 1, 7n);
    claim(towerA, message, 1);
    claim(towerB, message, 1);
    simnet.mineEmptyBlocks(Number(CLAIM_WINDOW) + 1);
    expect(expire(message, 1).result).toBeErr(Cl.uint(125));
    expect(getClaim(message, 1)).toMatchObject({ confirmed: true });
    expect(watchtower(towerA)!["accuracy-score"]).toBe(100n);
  });

  it("after the window lowers each claimant's accuracy-score by 10, clears the claim and slashes nobody", () => {
    setup();
    const message = request("expires");
    sign(message, 1);
    claim(towerA, message, 1);
    const opened = BigInt(simnet.blockHeight);
    const books = expectBalancedBooks();
    nextCallAt(opened + CLAIM_WINDOW + 1n);
    const { result, events } = expire(message, 1);
    expect(result).toBeOk(Cl.bool(true));
    expect(printed(events, "claim-expired")).toEqual({
      topic: "claim-expired",
      "message-hash": hex(message),
      signer: committee[0],
      claimants: [towerA],
    });
    expect(printed(events, "watchtower-accuracy")).toEqual({
      topic: "watchtower-accuracy",
      watchtower: towerA,
      "accuracy-score": 90n,
      "is-active": true,
    });
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 90n, "is-active": true });
    expect(getClaim(message, 1)).toBeNull();
    expect(signerInfo(committee[0])!.stake).toBe(STAKE);
    expect(getPartial(message, 1).invalid).toBe(false);
    expect(expectBalancedBooks()).toEqual(books);
    // The pair can be claimed afresh.
    expect(claim(towerB, message, 1).result).toBeOk(Cl.bool(false));
    expect(getClaim(message, 1)).toMatchObject({ claimants: [towerB] });
  });

  it("deactivates a watchtower whose accuracy-score falls below 50; it can no longer report", () => {
    setup();
    const first = request("deactivate-1");
    const second = request("deactivate-2");
    [1, 2, 3, 4, 5].forEach((i) => sign(first, i));
    sign(second, 1);
    const pairs: [Uint8Array, number][] = [[first, 1], [first, 2], [first, 3], [first, 4], [first, 5], [second, 1]];
    for (const [message, index] of pairs) expect(claim(towerA, message, index).result).toBeOk(Cl.bool(false));
    simnet.mineEmptyBlocks(Number(CLAIM_WINDOW) + 1);
    for (const [message, index] of pairs.slice(0, 5)) expect(expire(message, index).result).toBeOk(Cl.bool(true));
    // 100 - 5 * 10 = 50: at the floor, still active
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 50n, "is-active": true, "release-at": 0n });

    const { result, events } = expire(second, 1);
    expect(result).toBeOk(Cl.bool(true));
    expect(printed(events, "watchtower-deactivated")).toEqual({
      topic: "watchtower-deactivated",
      watchtower: towerA,
      "accuracy-score": 40n,
      "is-active": false,
    });
    expect(watchtower(towerA)).toMatchObject({
      "accuracy-score": 40n,
      "is-active": false,
      "release-at": BigInt(simnet.blockHeight) + 2016n,
    });

    expect(claim(towerA, first, 1).result).toBeErr(Cl.uint(132));
    expect(call("submit-watchtower-report", [Cl.principal(committee[0]), Cl.uint(100), Cl.uint(1), Cl.uint(1)], towerA).result).toBeErr(Cl.uint(132));
    expect(call("update-metrics", [Cl.principal(committee[0]), Cl.uint(1), Cl.uint(100), Cl.uint(100)], towerA).result).toBeErr(Cl.uint(100));
    // Its bond stays locked until the release height.
    expect(call("withdraw-watchtower-bond", [], towerA).result).toBeErr(Cl.uint(118));
  });
});
