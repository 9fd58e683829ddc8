// Epochs and group keys: rotate-signers forms a committee (top total-signers by stake x
// reputation), its members vote the DKG result in with submit-epoch-key, and a reshare must
// keep the group key while the old committee keeps serving requests.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  type ThresholdKeys,
  activeEpoch,
  badKeys,
  burnNow,
  call,
  combine,
  config,
  decode,
  deployer,
  expectBalancedBooks,
  freshWatchtowers,
  hex,
  initialize,
  messageHashOf,
  mineBurnBlocks,
  mineBurnNowTo,
  mineStacksBlocks,
  nextCallAtBurn,
  nextCallAtStacks,
  partialSign,
  printed,
  prints,
  read,
  registerSigners,
  reportMetrics,
  signerInfo,
  stxTransfers,
  thresholdKeys,
  verifyBls,
  wallets,
  rotate,
} from "./helpers";

// The books add up to the contract's STX balance after every test.
afterEach(() => expectBalancedBooks());

const ERR_INVALID_PARAMS = 101;
const ERR_NOT_ACTIVE_SIGNER = 106;
const ERR_INVALID_KEY_LENGTH = 110;
const ERR_INVALID_KEY = 115;
const ERR_KEY_MISMATCH = 127;
const ERR_UNKNOWN_EPOCH = 128;
const ERR_ROTATION_NOT_DUE = 129;
const ERR_INSUFFICIENT_SIGNERS = 130;
const ERR_ALREADY_VOTED = 139;
const ERR_EPOCH_CLOSED = 147;

const STX = 1_000_000n;
const ROTATION_PERIOD = 144n; // Bitcoin blocks
const CLAIM_WINDOW = 144n;
const [w1, w2, w3, w4, w5, w6, w7, w8] = wallets;

interface Epoch {
  committee: string[];
  threshold: bigint;
  previous: bigint;
  "group-public-key": string | null;
  "share-public-keys": string[];
  status: string;
  "created-at": bigint;
  "activated-at": bigint;
}

const epochOf = (epoch: number) => decode(read("get-epoch", [Cl.uint(epoch)])) as Epoch | null;
const memberIndex = (epoch: number, who: string) => decode(read("get-member-index", [Cl.uint(epoch), Cl.principal(who)]));
const networkState = () => decode(read("get-network-state")) as Record<string, bigint>;
const rotateBy = (sender = w1) => rotate(sender);

/** Mines Bitcoin blocks until the next rotation is due: burn-now = last-rotation + rotation-period. */
const mineToNextRotation = () => mineBurnNowTo(networkState()["last-rotation"] + ROTATION_PERIOD);

const voteArgs = (epoch: number, group: Uint8Array, shares: Uint8Array[]) => [
  Cl.uint(epoch),
  Cl.buffer(group),
  Cl.list(shares.map((k) => Cl.buffer(k))),
];
const vote = (epoch: number, keys: ThresholdKeys, who: string) =>
  call("submit-epoch-key", voteArgs(epoch, keys.groupKey, keys.shareKeys), who);

/** The id of a DKG result as the contract tallies it: sha256 of its consensus encoding. */
const resultId = (keys: ThresholdKeys) =>
  hex(
    sha256(
      Buffer.from(
        Cl.serialize(Cl.tuple({ group: Cl.buffer(keys.groupKey), shares: Cl.list(keys.shareKeys.map((k) => Cl.buffer(k))) })),
        "hex",
      ),
    ),
  );
const tally = (epoch: number, keys: ThresholdKeys) =>
  read("get-epoch-key-votes", [Cl.uint(epoch), Cl.bufferFromHex(resultId(keys).slice(2))]);

/** A reshare of `old` to a committee of n with threshold t, as the old members run it: each of
 *  old members 1..old.t deals its own share as the constant term of a fresh degree t-1
 *  polynomial; new share j = sum_i lambda_i * f_i(j). The group secret is never assembled. */
function reshare(old: ThresholdKeys, t: number, n: number, seed: string): ThresholdKeys {
  const Fr = bls12_381.fields.Fr;
  const dealers = Array.from({ length: old.t }, (_, i) => i + 1);
  const lambda = (i: number) =>
    dealers.filter((j) => j !== i).reduce((acc, j) => Fr.mul(acc, Fr.div(BigInt(j), Fr.sub(BigInt(j), BigInt(i)))), 1n);
  const shares = Array.from({ length: n }, () => 0n);
  for (const i of dealers) {
    const coeffs = [old.shares[i - 1]];
    for (let k = 1; k < t; k++) coeffs.push(Fr.create(BigInt(hex(sha256(new TextEncoder().encode(`${seed}-${i}-${k}`))))));
    for (let j = 1; j <= n; j++) {
      const fj = coeffs.reduceRight((acc, c) => Fr.add(Fr.mul(acc, BigInt(j)), c), 0n);
      shares[j - 1] = Fr.add(shares[j - 1], Fr.mul(lambda(i), fj));
    }
  }
  const G1 = bls12_381.G1.Point;
  const groupKey = G1.BASE.multiply(dealers.reduce((acc, i) => Fr.add(acc, Fr.mul(lambda(i), old.shares[i - 1])), 0n)).toBytes(true);
  return { t, n, groupKey, shares, shareKeys: shares.map((s) => G1.BASE.multiply(s).toBytes(true)) };
}

describe("rotate-signers", () => {
  it("refuses with ERR-INSUFFICIENT-SIGNERS until required-signers are eligible", () => {
    initialize();
    registerSigners([w1, w2]);

    const refused = rotateBy();
    expect(refused.result).toBeErr(Cl.uint(ERR_INSUFFICIENT_SIGNERS));
    expect(prints(refused.events)).toEqual([]);
    expect(epochOf(1)).toBeNull();
    expect(networkState()["latest-epoch"]).toBe(0n);

    registerSigners([w3]);
    expect(rotateBy().result).toBeOk(Cl.uint(1));
    expect(epochOf(1)!.committee).toEqual([w1, w2, w3]);
  });

  it("forms the first committee from the top total-signers by stake, ties broken by registration order", () => {
    initialize();
    // Registration order (the tie-break) differs from the wallets' order on purpose.
    const order = [w5, w4, w3, w2, w1, w6, w7];
    registerSigners(order);
    expect(call("increase-stake", [Cl.uint(50n * STX)], w6).result).toBeOk(Cl.uint(150n * STX));
    expect(call("increase-stake", [Cl.uint(20n * STX)], w7).result).toBeOk(Cl.uint(120n * STX));

    const rotated = rotateBy(deployer); // anyone may rotate
    expect(rotated.result).toBeOk(Cl.uint(1));
    const height = BigInt(simnet.blockHeight);
    const burn = BigInt(simnet.burnBlockHeight);
    const committee = [w6, w7, w5, w4, w3];

    expect(epochOf(1)).toEqual({
      committee,
      threshold: 3n,
      previous: 0n,
      "group-public-key": null,
      "share-public-keys": [],
      status: "pending",
      "created-at": height,
      "formed-at": burn,
      "activated-at": 0n,
    });
    committee.forEach((member, i) => expect(memberIndex(1, member)).toBe(BigInt(i + 1)));
    expect(memberIndex(1, w2)).toBeNull();
    expect(memberIndex(1, w1)).toBeNull();
    expect(printed(rotated.events, "committee-rotated")).toEqual({
      topic: "committee-rotated",
      epoch: 1n,
      previous: 0n,
      committee,
      threshold: 3n,
      "churn-limit": 5n, // no serving committee yet: every seat may change
      joined: committee,
      left: [],
    });
    // created-at is a Stacks height; last-rotation is burn-now (Bitcoin blocks).
    expect(networkState()).toMatchObject({ "current-epoch": 0n, "latest-epoch": 1n, "last-rotation": burn });
    expect(read("get-current-epoch")).toBeUint(0); // pending until its key is agreed
    expect(stxTransfers(rotated.events)).toEqual([]);
    expectBalancedBooks();
  });

  it("ranks by stake x reputation (reputations set by a watchtower supermajority's reports), not by stake alone", () => {
    initialize();
    registerSigners([w1, w2, w3, w4, w5, w6]);
    const towers = freshWatchtowers(3, "epochs-rank");
    // w1 has the most stake but a poor reputation; w6, registered last, a little more stake and
    // a reputation a little below neutral. Neither has signed yet, so 5000 is withheld from each.
    expect(call("increase-stake", [Cl.uint(50n * STX)], w1).result).toBeOk(Cl.uint(150n * STX));
    expect(call("increase-stake", [Cl.uint(20n * STX)], w6).result).toBeOk(Cl.uint(120n * STX));
    // 40 * 90 + 40 * 90 + 20 * (100 / 100) = 7220, - 5000 = 2220 (above min-reputation 2000)
    // Three watchtowers (the supermajority) agree; the first two reports change nothing.
    expect(reportMetrics(towers, w1, 100, 90, 90).map((r) => r.result)).toEqual([Cl.ok(Cl.uint(5000)), Cl.ok(Cl.uint(5000)), Cl.ok(Cl.uint(2220))]);
    // 40 * 90 + 40 * 90 + 20 * 100 = 9200, - 5000 = 4200
    expect(reportMetrics(towers, w6, 1, 90, 90).map((r) => r.result)).toEqual([Cl.ok(Cl.uint(5000)), Cl.ok(Cl.uint(5000)), Cl.ok(Cl.uint(4200))]);
    // 150 x 2220 = 333000 < 100 x 5000 (neutral) = 500000 < 120 x 4200 = 504000
    expect(signerInfo(w1)).toMatchObject({ stake: 150n * STX, "reputation-score": 2220n });
    expect(signerInfo(w6)).toMatchObject({ stake: 120n * STX, "reputation-score": 4200n });

    expect(rotateBy().result).toBeOk(Cl.uint(1));
    expect(epochOf(1)!.committee).toEqual([w6, w2, w3, w4, w5]);
    expect(memberIndex(1, w1)).toBeNull();
  });

  it("refuses with ERR-ROTATION-NOT-DUE before rotation-period Bitcoin blocks have passed (Stacks blocks do not count), then rotates", () => {
    activeEpoch([w1, w2, w3, w4, w5], thresholdKeys(3, 5, "epoch-1"));
    const last = networkState()["last-rotation"];
    expect(networkState()["last-rotation"]).toBe(last);

    expect(rotateBy().result).toBeErr(Cl.uint(ERR_ROTATION_NOT_DUE));
    // Many Stacks blocks, no Bitcoin block: still not due.
    mineStacksBlocks(ROTATION_PERIOD * 2n);
    expect(rotateBy().result).toBeErr(Cl.uint(ERR_ROTATION_NOT_DUE));
    nextCallAtBurn(last + ROTATION_PERIOD - 1n);
    const early = rotateBy();
    expect(early.result).toBeErr(Cl.uint(ERR_ROTATION_NOT_DUE));
    expect(prints(early.events)).toEqual([]);
    expect(epochOf(2)).toBeNull();

    mineBurnBlocks(1);
    const due = rotateBy();
    expect(BigInt(simnet.burnBlockHeight)).toBe(last + ROTATION_PERIOD);
    expect(due.result).toBeOk(Cl.uint(2));
    // Epoch 1 serves, so epoch 2 reshares from it.
    expect(epochOf(2)).toMatchObject({ committee: [w1, w2, w3, w4, w5], previous: 1n, status: "pending" });
    expect(networkState()).toMatchObject({ "current-epoch": 1n, "latest-epoch": 2n, "last-rotation": last + ROTATION_PERIOD });
  });

  it("reports who joined and who left when the ranking changed since the active epoch", () => {
    const keys = thresholdKeys(3, 5, "epoch-1");
    expect(activeEpoch([w1, w2, w3, w4, w5, w6, w7], keys)).toEqual([w1, w2, w3, w4, w5]);
    expect(call("increase-stake", [Cl.uint(100n * STX)], w6).result).toBeOk(Cl.uint(200n * STX));
    mineToNextRotation();

    const rotated = rotateBy(w7);
    expect(rotated.result).toBeOk(Cl.uint(2));
    const committee = [w6, w1, w2, w3, w4];
    expect(printed(rotated.events, "committee-rotated")).toEqual({
      topic: "committee-rotated",
      epoch: 2n,
      previous: 1n,
      committee,
      threshold: 3n,
      "churn-limit": 2n, // max-churn = n - t
      joined: [w6],
      left: [w5],
    });
    expect(epochOf(2)).toMatchObject({ committee, previous: 1n, status: "pending", "group-public-key": null });
    committee.forEach((member, i) => expect(memberIndex(2, member)).toBe(BigInt(i + 1)));
    expect(memberIndex(2, w5)).toBeNull();
    // The serving epoch and its indexes are untouched.
    expect(memberIndex(1, w5)).toBe(5n);
    expect(read("get-current-epoch")).toBeUint(1);
  });

  it("changes at most max-churn (n - t) seats per rotation; the seats the limit keeps go to outranked eligible serving members in seat order", () => {
    const keys = thresholdKeys(3, 5, "epoch-1");
    expect(activeEpoch([w1, w2, w3, w4, w5, w6, w7, w8], keys)).toEqual([w1, w2, w3, w4, w5]);
    // Three backups now outrank every member: the top five are [w6, w7, w8, w1, w2].
    expect(call("increase-stake", [Cl.uint(300n * STX)], w6).result).toBeOk(Cl.uint(400n * STX));
    expect(call("increase-stake", [Cl.uint(200n * STX)], w7).result).toBeOk(Cl.uint(300n * STX));
    expect(call("increase-stake", [Cl.uint(100n * STX)], w8).result).toBeOk(Cl.uint(200n * STX));
    expect(config()["max-churn"]).toBe(2n);
    mineToNextRotation();

    const rotated = rotateBy();
    expect(rotated.result).toBeOk(Cl.uint(2));
    // Two newcomers join (w8 is kept out by the limit); w1 and w2 rank in; the fifth seat goes
    // to the first outranked serving member in seat order, w3.
    const committee = [w6, w7, w1, w2, w3];
    expect(epochOf(2)!.committee).toEqual(committee);
    committee.forEach((member, i) => expect(memberIndex(2, member)).toBe(BigInt(i + 1)));
    expect(memberIndex(2, w8)).toBeNull();
    expect(printed(rotated.events, "committee-rotated")).toEqual({
      topic: "committee-rotated",
      epoch: 2n,
      previous: 1n,
      committee,
      threshold: 3n,
      "churn-limit": 2n,
      joined: [w6, w7],
      left: [w4, w5],
    });
    // t = 3 members of the serving committee carry the key over.
    expect(committee.filter((m) => [w1, w2, w3, w4, w5].includes(m))).toHaveLength(3);
  });

  it("lifts the churn limit when fewer than t serving members are still eligible", () => {
    const keys = thresholdKeys(3, 5, "epoch-1");
    expect(activeEpoch([w1, w2, w3, w4, w5, w6, w7, w8], keys)).toEqual([w1, w2, w3, w4, w5]);
    expect(call("increase-stake", [Cl.uint(300n * STX)], w6).result).toBeOk(Cl.uint(400n * STX));
    expect(call("increase-stake", [Cl.uint(200n * STX)], w7).result).toBeOk(Cl.uint(300n * STX));
    expect(call("increase-stake", [Cl.uint(100n * STX)], w8).result).toBeOk(Cl.uint(200n * STX));
    // w3, w4 and w5 miss a request and fall below min-stake: only two serving members stay eligible.
    const hash = messageHashOf("missed by w3, w4, w5");
    expect(call("request-signature", [Cl.buffer(hash), Cl.uint(1000)], deployer).result).toBeOk(Cl.uint(simnet.blockHeight + 120));
    nextCallAtStacks(BigInt(simnet.blockHeight) + 121n);
    for (const member of [w3, w4, w5]) {
      expect(call("penalize-missed-signature", [Cl.buffer(hash), Cl.principal(member)], deployer).result).toBeOk(Cl.uint(1n * STX));
      expect(signerInfo(member)).toMatchObject({ stake: 99n * STX });
    }
    mineToNextRotation();

    const rotated = rotateBy();
    expect(rotated.result).toBeOk(Cl.uint(2));
    const committee = [w6, w7, w8, w1, w2];
    expect(epochOf(2)!.committee).toEqual(committee);
    expect(printed(rotated.events, "committee-rotated")).toMatchObject({
      committee,
      "churn-limit": 5n, // lifted: every seat may change
      joined: [w6, w7, w8],
      left: [w3, w4, w5],
    });
    expectBalancedBooks();
  });

  it("leaves exiting signers out", () => {
    initialize();
    registerSigners([w1, w2, w3]);
    expect(call("request-unstake", [Cl.uint(1)], w2).result).toBeOk(Cl.uint(simnet.burnBlockHeight + 2016)); // a Bitcoin height
    expect(signerInfo(w2)).toMatchObject({ exiting: true, status: "exiting" });
    expect(rotateBy().result).toBeErr(Cl.uint(ERR_INSUFFICIENT_SIGNERS));

    registerSigners([w4]);
    expect(rotateBy().result).toBeOk(Cl.uint(1));
    expect(epochOf(1)!.committee).toEqual([w1, w3, w4]);
    expect(memberIndex(1, w2)).toBeNull();
  });

  it("leaves out signers whose stake fell below min-stake", () => {
    const keys = thresholdKeys(3, 5, "epoch-1");
    activeEpoch([w1, w2, w3, w4, w5], keys);
    // w5 misses a request and is slashed 1% for it: 99 STX bonded, not exiting.
    const hash = messageHashOf("missed by w5");
    expect(call("request-signature", [Cl.buffer(hash), Cl.uint(1000)], w7).result).toBeOk(Cl.uint(simnet.blockHeight + 120));
    nextCallAtStacks(BigInt(simnet.blockHeight) + 121n); // past the deadline (Stacks blocks)
    expect(call("penalize-missed-signature", [Cl.buffer(hash), Cl.principal(w5)], w7).result).toBeOk(Cl.uint(1n * STX));
    expect(signerInfo(w5)).toMatchObject({ stake: 99n * STX, exiting: false });
    mineToNextRotation();

    const rotated = rotateBy();
    expect(rotated.result).toBeOk(Cl.uint(2));
    expect(epochOf(2)!.committee).toEqual([w1, w2, w3, w4]);
    expect(printed(rotated.events, "committee-rotated")).toMatchObject({ "churn-limit": 2n, joined: [], left: [w5] });
    expectBalancedBooks();
  });
});

describe("submit-epoch-key", () => {
  const keys = thresholdKeys(3, 5, "epoch-1");

  /** Epoch 1 formed by w1..w5 (w6 is a backup), no votes yet. */
  function pendingEpoch() {
    initialize();
    registerSigners([w1, w2, w3, w4, w5, w6]);
    expect(rotateBy().result).toBeOk(Cl.uint(1));
  }

  it("refuses an epoch that was never formed with ERR-UNKNOWN-EPOCH", () => {
    pendingEpoch();
    expect(vote(2, keys, w1).result).toBeErr(Cl.uint(ERR_UNKNOWN_EPOCH));
    expect(vote(0, keys, w1).result).toBeErr(Cl.uint(ERR_UNKNOWN_EPOCH));
  });

  it("refuses callers outside the epoch's committee with ERR-NOT-ACTIVE-SIGNER", () => {
    pendingEpoch();
    expect(vote(1, keys, w6).result).toBeErr(Cl.uint(ERR_NOT_ACTIVE_SIGNER)); // registered backup
    expect(vote(1, keys, deployer).result).toBeErr(Cl.uint(ERR_NOT_ACTIVE_SIGNER)); // not a signer
    expect(tally(1, keys)).toBeUint(0);
  });

  it("refuses a group key or a share key shorter than 48 bytes with ERR-INVALID-KEY-LENGTH", () => {
    pendingEpoch();
    expect(call("submit-epoch-key", voteArgs(1, badKeys.short(), keys.shareKeys), w1).result).toBeErr(Cl.uint(ERR_INVALID_KEY_LENGTH));
    const shares = [...keys.shareKeys];
    shares[3] = badKeys.short();
    expect(call("submit-epoch-key", voteArgs(1, keys.groupKey, shares), w1).result).toBeErr(Cl.uint(ERR_INVALID_KEY_LENGTH));
  });

  it("refuses a group key or a share key that is not a compressed finite point with ERR-INVALID-KEY", () => {
    pendingEpoch();
    for (const bad of [badKeys.infinity(), badKeys.uncompressedFlag()]) {
      expect(call("submit-epoch-key", voteArgs(1, bad, keys.shareKeys), w1).result).toBeErr(Cl.uint(ERR_INVALID_KEY));
      const shares = [...keys.shareKeys];
      shares[4] = bad;
      expect(call("submit-epoch-key", voteArgs(1, keys.groupKey, shares), w1).result).toBeErr(Cl.uint(ERR_INVALID_KEY));
    }
    expect(tally(1, keys)).toBeUint(0);
  });

  it("refuses a share-key list whose length is not the committee size with ERR-INVALID-PARAMS", () => {
    pendingEpoch();
    const six = thresholdKeys(3, 6, "epoch-1").shareKeys;
    expect(call("submit-epoch-key", voteArgs(1, keys.groupKey, six.slice(0, 4)), w1).result).toBeErr(Cl.uint(ERR_INVALID_PARAMS));
    expect(call("submit-epoch-key", voteArgs(1, keys.groupKey, six), w1).result).toBeErr(Cl.uint(ERR_INVALID_PARAMS));
  });

  it("refuses a second vote from the same member with ERR-ALREADY-VOTED", () => {
    pendingEpoch();
    expect(vote(1, keys, w1).result).toBeOk(Cl.bool(false));
    expect(vote(1, keys, w1).result).toBeErr(Cl.uint(ERR_ALREADY_VOTED));
    const other = thresholdKeys(3, 5, "another result");
    expect(vote(1, other, w1).result).toBeErr(Cl.uint(ERR_ALREADY_VOTED));
    expect(tally(1, keys)).toBeUint(1);
    expect(tally(1, other)).toBeUint(0);
  });

  it("activates the epoch at t identical votes; votes for another result do not count", () => {
    pendingEpoch();
    const other = thresholdKeys(3, 5, "a faulty transcript");
    const first = vote(1, keys, w1);
    expect(first.result).toBeOk(Cl.bool(false));
    expect(printed(first.events, "epoch-key-vote")).toEqual({
      topic: "epoch-key-vote",
      epoch: 1n,
      voter: w1,
      result: resultId(keys),
      votes: 1n,
      threshold: 3n,
    });
    expect(vote(1, other, w2).result).toBeOk(Cl.bool(false));
    expect(vote(1, keys, w3).result).toBeOk(Cl.bool(false));
    expect(tally(1, keys)).toBeUint(2);
    expect(tally(1, other)).toBeUint(1);
    expect(epochOf(1)).toMatchObject({ status: "pending", "group-public-key": null, "share-public-keys": [] });
    expect(read("get-current-epoch")).toBeUint(0);

    const last = vote(1, keys, w5);
    expect(last.result).toBeOk(Cl.bool(true));
    const height = BigInt(simnet.blockHeight);
    expect(printed(last.events, "epoch-key-vote")).toMatchObject({ voter: w5, votes: 3n });
    expect(printed(last.events, "epoch-activated")).toEqual({
      topic: "epoch-activated",
      epoch: 1n,
      previous: 0n,
      "group-public-key": hex(keys.groupKey),
      "share-public-keys": keys.shareKeys.map(hex),
      committee: [w1, w2, w3, w4, w5],
      threshold: 3n,
    });
    expect(epochOf(1)).toMatchObject({
      status: "active",
      "group-public-key": hex(keys.groupKey),
      "share-public-keys": keys.shareKeys.map(hex),
      "activated-at": height,
    });
    expect(read("get-current-epoch")).toBeUint(1);
    expect(networkState()).toMatchObject({ "current-epoch": 1n, "latest-epoch": 1n });
    expect(signerInfo(w1)!.status).toBe("primary");
    expect(signerInfo(w6)!.status).toBe("backup");
  });

  it("refuses votes on an epoch that is already active with ERR-EPOCH-CLOSED", () => {
    activeEpoch([w1, w2, w3, w4, w5], keys);
    expect(vote(1, keys, w4).result).toBeErr(Cl.uint(ERR_EPOCH_CLOSED));
    expect(tally(1, keys)).toBeUint(3);
  });

  it("refuses votes on a cancelled epoch with ERR-EPOCH-CLOSED (a pending one cannot be superseded: it activates or is cancelled)", () => {
    pendingEpoch();
    expect(vote(1, keys, w1).result).toBeOk(Cl.bool(false));
    mineToNextRotation();
    expect(rotateBy().result).toBeErr(Cl.uint(ERR_ROTATION_NOT_DUE));
    mineBurnBlocks(1); // past dkg-timeout (144) after the rotation
    expect(call("cancel-epoch", [Cl.uint(1)], w6).result).toBeOk(expect.anything());

    expect(vote(1, keys, w2).result).toBeErr(Cl.uint(ERR_EPOCH_CLOSED));
    expect(tally(1, keys)).toBeUint(1);
    expect(epochOf(1)!.status).toBe("cancelled");
  });

  it("keeps the group key across a reshare (ERR-KEY-MISMATCH otherwise) while the old committee serves requests", () => {
    const old = thresholdKeys(3, 5, "epoch-1");
    expect(activeEpoch([w1, w2, w3, w4, w5, w6], old)).toEqual([w1, w2, w3, w4, w5]);
    expect(call("increase-stake", [Cl.uint(100n * STX)], w6).result).toBeOk(Cl.uint(200n * STX));
    mineToNextRotation();
    expect(rotateBy().result).toBeOk(Cl.uint(2));
    const next = epochOf(2)!;
    expect(next.committee).toEqual([w6, w1, w2, w3, w4]); // w6 joined, w5 left

    // During the switch the old epoch serves: a request goes to epoch 1 and its committee.
    const during = messageHashOf("signed during the switch");
    const requested = call("request-signature", [Cl.buffer(during), Cl.uint(3000)], w7);
    expect(requested.result).toBeOk(Cl.uint(simnet.blockHeight + 120));
    expect(printed(requested.events, "signature-requested")).toMatchObject({ epoch: 1n, "group-public-key": hex(old.groupKey) });
    expect(decode(read("get-request", [Cl.buffer(during)]))).toMatchObject({ epoch: 1n });
    const signOld = (member: string) => {
      const index = Number(memberIndex(1, member));
      return call("submit-partial-signature", [Cl.buffer(during), Cl.buffer(partialSign(old.shares[index - 1], during))], member);
    };
    expect(signOld(w5).result).toBeOk(Cl.uint(1)); // left the new committee, still serves epoch 1
    expect(signOld(w1).result).toBeOk(Cl.uint(2));
    const newcomer = call(
      "submit-partial-signature",
      [Cl.buffer(during), Cl.buffer(partialSign(old.shares[0], during))],
      w6,
    );
    expect(newcomer.result).toBeErr(Cl.uint(ERR_NOT_ACTIVE_SIGNER));

    // A fresh key for epoch 2 is refused: verifiers would have to change keys.
    const fresh = thresholdKeys(3, 5, "a fresh DKG");
    expect(vote(2, fresh, w6).result).toBeErr(Cl.uint(ERR_KEY_MISMATCH));
    expect(tally(2, fresh)).toBeUint(0);

    // The reshare: new shares for the new committee, the same group key.
    const reshared = reshare(old, 3, 5, "reshare-epoch-2");
    expect(hex(reshared.groupKey)).toBe(hex(old.groupKey));
    expect(reshared.shareKeys.map(hex)).not.toEqual(old.shareKeys.map(hex));
    expect(vote(2, reshared, w6).result).toBeOk(Cl.bool(false)); // w6 refused above may vote again
    expect(vote(2, reshared, w1).result).toBeOk(Cl.bool(false));
    expect(read("get-current-epoch")).toBeUint(1);
    const activated = vote(2, reshared, w3);
    expect(activated.result).toBeOk(Cl.bool(true));
    expect(printed(activated.events, "epoch-activated")).toMatchObject({
      epoch: 2n,
      previous: 1n,
      "group-public-key": hex(old.groupKey),
      "share-public-keys": reshared.shareKeys.map(hex),
    });
    expect(read("get-current-epoch")).toBeUint(2);
    expect(epochOf(1)!.status).toBe("active"); // superseded, still the record of epoch 1

    // The request opened during the switch still completes with epoch 1's shares.
    expect(signOld(w3).result).toBeOk(Cl.uint(3));
    const oldPartials = [w5, w1, w3].map((member) => {
      const stored = decode(read("get-partial-signature", [Cl.buffer(during), Cl.principal(member)])) as { signature: string; index: bigint };
      return { index: Number(stored.index), signature: Buffer.from(stored.signature.slice(2), "hex") };
    });
    expect(oldPartials.map((p) => p.index)).toEqual([5, 1, 3]);
    const duringSig = combine(oldPartials);
    expect(verifyBls(old.groupKey, during, duringSig)).toBe(true);
    expect(call("submit-aggregate-signature", [Cl.buffer(during), Cl.buffer(duringSig)], w7).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));

    // After activation new requests go to epoch 2 and its committee.
    const after = messageHashOf("signed after the switch");
    expect(call("request-signature", [Cl.buffer(after), Cl.uint(3000)], w7).result).toBeOk(Cl.uint(simnet.blockHeight + 120));
    expect(decode(read("get-request", [Cl.buffer(after)]))).toMatchObject({ epoch: 2n });
    const signNew = (member: string) => {
      const index = Number(memberIndex(2, member));
      const signature = partialSign(reshared.shares[index - 1], after);
      expect(verifyBls(Buffer.from(epochOf(2)!["share-public-keys"][index - 1].slice(2), "hex"), after, signature)).toBe(true);
      expect(call("submit-partial-signature", [Cl.buffer(after), Cl.buffer(signature)], member).result).toBeOk(expect.anything());
      return { index, signature };
    };
    const stale = call("submit-partial-signature", [Cl.buffer(after), Cl.buffer(partialSign(old.shares[4], after))], w5);
    expect(stale.result).toBeErr(Cl.uint(ERR_NOT_ACTIVE_SIGNER));
    const newPartials = [w6, w3, w4].map(signNew);
    expect(newPartials.map((p) => p.index)).toEqual([1, 4, 5]);
    const afterSig = combine(newPartials);
    // Verifiers never update keys: the new committee's signature verifies under the old key.
    expect(verifyBls(old.groupKey, after, afterSig)).toBe(true);
    expect(call("submit-aggregate-signature", [Cl.buffer(after), Cl.buffer(afterSig)], w7).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expectBalancedBooks();
  });
});
