// The contract's lifecycle (issue 9): rotation checked against a proposed committee and
// never stuck (cancel-epoch, wind-down), identity keys whose x is a field element, seats that
// keep their stake bonded, hashes that can be requested again, and stake-weighted
// governance over parameters, the treasury and the guardian.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { bytesToHex } from "@noble/hashes/utils.js";
import { type LocalDkgMessage, runLocalDkg, runLocalReshare } from "../src/crypto/local.js";
import { DkgPhase } from "../src/crypto/dkg-wire.js";
import {
  DEFAULTS,
  activeEpoch,
  blsKeyPair,
  bytes,
  call,
  combine,
  committeeArg,
  config,
  decode,
  deployer,
  errCode,
  expectBalancedBooks,
  freshAccount,
  freshWatchtowers,
  hex,
  initialize,
  messageHashOf,
  mineBurnBlocks,
  mineBurnNowTo,
  mineStacksBlocks,
  partialSign,
  printed,
  proposal,
  read,
  registerSigners,
  rewardsOf,
  rotate,
  settleFee,
  signerInfo,
  stxBalance,
  thresholdKeys,
  treasury,
  verifyBls,
  wallets,
  mineToNextInterval,
  mineBurnNowAtLeast,
} from "./helpers";

afterEach(() => expectBalancedBooks());

const STAKE = DEFAULTS.minStake;
const ROTATION = Number(DEFAULTS.rotationPeriod);
const SIGNING_TIMEOUT = 120;
const DKG_TIMEOUT = 144;
const VOTING_PERIOD = 1008;
const FEE = 3_000_000n;

const ERR = {
  UNAUTHORIZED: 100,
  INVALID_PARAMS: 101,
  INSUFFICIENT_STAKE: 102,
  NOT_REGISTERED: 114,
  INVALID_KEY: 115,
  INVALID_AMOUNT: 117,
  STAKE_LOCKED: 118,
  REQUEST_EXISTS: 120,
  UNKNOWN_EPOCH: 128,
  ROTATION_NOT_DUE: 129,
  INSUFFICIENT_SIGNERS: 130,
  DEADLINE_NOT_REACHED: 134,
  UNKNOWN_PROPOSAL: 136,
  VOTING_CLOSED: 137,
  VOTING_OPEN: 138,
  ALREADY_VOTED: 139,
  PROPOSAL_REJECTED: 140,
  ALREADY_EXECUTED: 141,
  UNKNOWN_PARAMETER: 142,
  EPOCH_CLOSED: 147,
  INSUFFICIENT_FUNDS: 148,
  INVALID_COMMITTEE: 153,
  PROPOSAL_EXPIRED: 154,
};

const [w1, w2, w3, w4, w5, w6, w7, w8] = wallets;
const requester = wallets[12];

const epochOf = (epoch: number) =>
  decode(read("get-epoch", [Cl.uint(epoch)])) as { committee: string[]; "group-public-key": string | null; status: string; "formed-at": bigint };
const networkState = () => decode(read("get-network-state")) as Record<string, bigint>;
const requestOf = (message: Uint8Array) => decode(read("get-request", [Cl.buffer(message)])) as Record<string, any>;
const identityOf = (member: string) => {
  const { secret, publicKey } = blsKeyPair(member);
  return { secretKey: BigInt(`0x${bytesToHex(secret)}`), publicKey };
};
const post = (epoch: number, phase: number, payload: Uint8Array, sender: string) =>
  call("post-dkg-message", [Cl.uint(epoch), Cl.uint(phase), Cl.buffer(payload)], sender);
const nextRotation = () => networkState()["last-rotation"] + BigInt(ROTATION);

function request(text: string, fee = FEE): Uint8Array {
  const message = messageHashOf(text);
  expect(call("request-signature", [Cl.buffer(message), Cl.uint(fee)], requester).result).toBeOk(expect.anything());
  return message;
}

/** Members at the given 1-based positions of `committee` sign with `shares` (by position). */
function signBy(message: Uint8Array, committee: string[], shares: bigint[], positions: number[]) {
  return positions.map((index) => {
    const signature = partialSign(shares[index - 1], message);
    expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(signature)], committee[index - 1]).result).toBeOk(
      expect.anything(),
    );
    return { index, signature };
  });
}

/** t members vote `result` for `epoch`; the last vote activates it. */
function voteIn(epoch: number, voters: string[], result: { groupKey: Uint8Array; shareKeys: Uint8Array[] }) {
  const args = [Cl.uint(epoch), Cl.buffer(result.groupKey), Cl.list(result.shareKeys.map((k) => Cl.buffer(k)))];
  voters.forEach((member, i) => expect(call("submit-epoch-key", args, member).result).toBeOk(Cl.bool(i === voters.length - 1)));
  expect(read("get-current-epoch")).toBeUint(epoch);
}

/** Routes the DKG messages of src/crypto/local.ts through post-dkg-message. */
function throughContract(epoch: number, sender: (message: LocalDkgMessage) => string) {
  return (message: LocalDkgMessage) =>
    message.frames.map((frame) => {
      const posted = post(epoch, message.phase, frame, sender(message));
      expect(posted.result).toBeOk(Cl.bool(true));
      return bytes((printed(posted.events, "dkg-message") as { payload: string }).payload);
    });
}

// ---- the acceptance scenario ----------------------------------------------------------------

describe("rotation with a reshare, end to end with real cryptography", () => {
  it("epoch 1 (3,5) signs; three members miss signatures; the rotation admits at most n - t backups; old and new committees reshare through post-dkg-message; the key never changes; requests during the switch are signed by the old committee", () => {
    initialize();
    registerSigners([w1, w2, w3, w4, w5, w6, w7, w8]);
    expect(rotate(w1).result).toBeOk(Cl.uint(1));
    const old = epochOf(1).committee;
    expect(old).toEqual([w1, w2, w3, w4, w5]);
    const dkg = runLocalDkg({ n: 5, t: 3, epoch: 1, identities: old.map(identityOf), intercept: throughContract(1, (m) => old[m.from - 1]) });
    voteIn(1, old.slice(0, 3), dkg);
    const groupKey = bytes(epochOf(1)["group-public-key"]!);
    const shares = dkg.shares.map((s) => s.value);

    // A round with every member builds track records; then members 1-3 go silent three times
    // (they top up first, so their slashes leave them eligible: only their reputation falls).
    for (const member of [w1, w2, w3]) expect(call("increase-stake", [Cl.uint(STAKE / 10n)], member).result).toBeOk(expect.anything());
    const first = request("epoch 1 signs");
    const firstSig = combine(signBy(first, old, shares, [1, 2, 3, 4, 5]).slice(0, 3));
    expect(verifyBls(groupKey, first, firstSig)).toBe(true);
    expect(call("submit-aggregate-signature", [Cl.buffer(first), Cl.buffer(firstSig)], requester).result).toBeOk(expect.anything());
    for (const round of [1, 2, 3]) {
      const missed = request(`members 1-3 miss ${round}`);
      signBy(missed, old, shares, [4, 5]);
      mineStacksBlocks(SIGNING_TIMEOUT + 1);
      if (round > 1) mineToNextInterval(); // one liveness penalty per member per report interval
      for (const member of [w1, w2, w3]) {
        expect(call("penalize-missed-signature", [Cl.buffer(missed), Cl.principal(member)], w8).result).toBeOk(expect.anything());
      }
      expect(call("reclaim-fee", [Cl.buffer(missed)], requester).result).toBeOk(Cl.uint(FEE));
    }
    for (const member of [w1, w2, w3]) expect(signerInfo(member)!["reputation-score"]).toBeLessThan(5000n);

    // The rotation: three backups outrank members 1-3, but only n - t = 2 seats change.
    mineBurnNowAtLeast(nextRotation());
    const rotated = rotate(w8);
    expect(rotated.result).toBeOk(Cl.uint(2));
    const next = epochOf(2).committee;
    const event = printed(rotated.events, "committee-rotated");
    expect(event.joined).toEqual([w6, w7]);
    expect(event.left).toEqual([w2, w3]);
    expect(next.filter((m) => old.includes(m))).toHaveLength(3);

    // During the switch a request is bound to epoch 1 and signed by the old committee.
    const during = request("during the switch");
    expect(requestOf(during).epoch).toBe(1n);
    const duringSig = combine(signBy(during, old, shares, [1, 4, 5]));
    expect(verifyBls(groupKey, during, duringSig)).toBe(true);

    // The reshare: old members 1, 4, 5 deal their shares to the new committee's identity keys.
    const reshared = runLocalReshare({
      previous: { epoch: 1, threshold: 3, groupKey: dkg.groupKey, shareKeys: dkg.shareKeys, shares: [dkg.shares[0], dkg.shares[3], dkg.shares[4]] },
      n: 5,
      t: 3,
      epoch: 2,
      identities: next.map(identityOf),
      intercept: throughContract(2, (m) => (m.phase === DkgPhase.Complaint ? next : old)[m.from - 1]),
    });
    expect(hex(reshared.groupKey)).toBe(hex(groupKey));
    voteIn(2, next.slice(0, 3), reshared);
    expect(epochOf(2)["group-public-key"]).toBe(hex(groupKey));

    // The new committee signs; the signature verifies against the key stored since epoch 1.
    const after = request("signed by epoch 2");
    expect(requestOf(after).epoch).toBe(2n);
    const afterSig = combine(signBy(after, next, reshared.shares.map((s) => s.value), [2, 3, 5]));
    expect(verifyBls(bytes(epochOf(1)["group-public-key"]!), after, afterSig)).toBe(true);
    expect(call("submit-aggregate-signature", [Cl.buffer(after), Cl.buffer(afterSig)], requester).result).toBeOk(expect.anything());
    expect(call("submit-aggregate-signature", [Cl.buffer(during), Cl.buffer(duringSig)], requester).result).toBeOk(expect.anything());
    settleFee(after);
    expect([next[1], next[2], next[4]].map(rewardsOf)).toEqual([FEE / 3n, FEE / 3n, FEE / 3n]);
  });
});

// ---- rotate-signers: the proposal is checked in one pass ----------------------------------

describe("rotate-signers checks the proposed committee", () => {
  /** Epoch 1 = w1..w5 active; w6, w7, w8 backups with more stake than the members. */
  function contested() {
    activeEpoch([w1, w2, w3, w4, w5], thresholdKeys(3, 5, "contested"));
    registerSigners([w6, w7, w8]);
    for (const [i, backup] of [w6, w7, w8].entries()) {
      expect(call("increase-stake", [Cl.uint(BigInt(3 - i) * STAKE)], backup).result).toBeOk(expect.anything());
    }
    mineBurnNowTo(nextRotation());
  }

  it("accepts the one committee the rules give, in any seat order, and prints it", () => {
    contested();
    const committee = proposal();
    expect(committee).toEqual([w6, w7, w1, w2, w3]);
    const shuffled = [w3, w1, w7, w2, w6];
    const { result, events } = call("rotate-signers", [committeeArg(shuffled)], w8);
    expect(result).toBeOk(Cl.uint(2));
    expect(epochOf(2).committee).toEqual(shuffled);
    expect(printed(events, "committee-rotated")).toMatchObject({ joined: [w7, w6], left: [w4, w5], "churn-limit": 2n });
    expect(decode(read("get-seat-stake", [Cl.uint(2), Cl.principal(w6)]))).toBe(4n * STAKE);
  });

  it.each([
    ["a newcomer beyond the churn limit", [w6, w7, w8, w1, w2]],
    ["a weaker newcomer in place of a stronger one", [w6, w8, w1, w2, w3]],
    ["an outranked member in place of a stronger member", [w6, w7, w1, w2, w5]],
    ["a short committee", [w6, w7, w1, w2]],
    ["a duplicate", [w6, w7, w1, w2, w2]],
    ["an unregistered principal", [w6, w7, w1, w2, wallets[10]]],
    ["no change at all, while seats may change", [w1, w2, w3, w4, w5]],
  ])("refuses %s with ERR-INVALID-COMMITTEE and changes nothing", (_, committee) => {
    contested();
    const before = networkState();
    expect(call("rotate-signers", [committeeArg(committee)], w8).result).toEqual(errCode(ERR.INVALID_COMMITTEE));
    expect(networkState()["latest-epoch"]).toBe(before["latest-epoch"]);
    expect(read("get-epoch", [Cl.uint(2)])).toBeNone();
  });

  it("refuses an ineligible member (exiting) with ERR-INVALID-COMMITTEE", () => {
    contested();
    expect(call("request-unstake", [Cl.uint(4n * STAKE)], w6).result).toBeOk(expect.anything());
    expect(call("rotate-signers", [committeeArg([w6, w7, w1, w2, w3])], w8).result).toEqual(errCode(ERR.INVALID_COMMITTEE));
    expect(proposal()).toEqual([w7, w8, w1, w2, w3]);
    expect(rotate(w8).result).toBeOk(Cl.uint(2));
  });

  it("costs one read of the ranking, not one per signer: 128 registered signers rotate into a committee of 32", () => {
    initialize({ totalSigners: 32n, threshold: 17n, requiredSigners: 17n });
    const signers = Array.from({ length: 128 }, (_, i) => freshAccount(`rank-${i}`, 2n * STAKE));
    registerSigners(signers);
    const { result, events } = rotate(signers[0]);
    expect(result).toBeOk(Cl.uint(1));
    expect((printed(events, "committee-rotated").committee as string[])).toEqual(signers.slice(0, 32));
  });
});

// ---- finding 2: an epoch stalled by silent members ---------------------------------------------

describe("cancel-epoch", () => {
  /** Epoch 1 = w1..w5 (threshold keys); two sybils with a little more stake join epoch 2. */
  function stalled() {
    const keys = thresholdKeys(3, 5, "stalled");
    activeEpoch([w1, w2, w3, w4, w5], keys);
    const sybils = [0, 1, 2].map((i) => freshAccount(`silent-${i}`, 2n * STAKE));
    registerSigners(sybils);
    for (const sybil of sybils) expect(call("increase-stake", [Cl.uint(1)], sybil).result).toBeOk(Cl.uint(STAKE + 1n));
    mineBurnNowTo(nextRotation());
    expect(rotate(w1).result).toBeOk(Cl.uint(2));
    expect(epochOf(2).committee).toEqual([sybils[0], sybils[1], w1, w2, w3]);
    return { keys, sybils };
  }

  /** In epoch 2, w1, w2 and w4 deal and w1 and w2 vote (two votes of the three needed). */
  function partlyHeard(keys: { groupKey: Uint8Array; shareKeys: Uint8Array[] }) {
    for (const dealer of [w1, w2, w4]) expect(post(2, 1, Uint8Array.of(1, 2, 3), dealer).result).toBeOk(Cl.bool(true));
    const vote = [Cl.uint(2), Cl.buffer(keys.groupKey), Cl.list(keys.shareKeys.map((k) => Cl.buffer(k)))];
    for (const voter of [w1, w2]) expect(call("submit-epoch-key", vote, voter).result).toBeOk(Cl.bool(false));
  }

  it("cancels a forming epoch that has no key after dkg-timeout: its silent members are penalized once and left out of the next rotation, while the serving epoch signs throughout", () => {
    const { keys, sybils } = stalled();
    const formedAt = epochOf(2)["formed-at"];
    // w1, w2 and w4 deal; w1 and w2 vote; w3 (old and new), w5 (old) and the sybils stay silent.
    partlyHeard(keys);
    expect(call("request-unstake", [Cl.uint(STAKE + 1n)], sybils[0]).result).toEqual(errCode(ERR.STAKE_LOCKED));

    mineBurnNowTo(formedAt + BigInt(DKG_TIMEOUT));
    expect(call("cancel-epoch", [Cl.uint(2)], w8).result).toEqual(errCode(ERR.DEADLINE_NOT_REACHED));
    // The serving epoch keeps signing.
    const message = request("epoch 1 still serves");
    const signature = combine(signBy(message, [w1, w2, w3, w4, w5], keys.shares, [1, 2, 4]));
    expect(verifyBls(keys.groupKey, message, signature)).toBe(true);
    mineBurnBlocks(1);

    const stakes = [sybils[0], sybils[1], w3, w5].map((m) => signerInfo(m)!.stake as bigint);
    const treasuryBefore = treasury();
    const cancelled = call("cancel-epoch", [Cl.uint(2)], w8);
    expect(cancelled.result).toBeOk(Cl.list([sybils[0], sybils[1], w3, w5].map((m) => Cl.principal(m))));
    const event = printed(cancelled.events, "epoch-cancelled");
    const slashed = stakes.reduce((sum, stake) => sum + stake / 100n, 0n);
    expect(event).toMatchObject({ epoch: 2n, silent: [sybils[0], sybils[1], w3, w5], slashed });
    expect(rewardsOf(w8)).toBe(slashed / 10n);
    expect(treasury()).toBe(treasuryBefore + slashed - slashed / 10n);
    expect(epochOf(2).status).toBe("cancelled");
    for (const member of [sybils[0], sybils[1], w3, w5]) expect(signerInfo(member)!["excluded-from"]).toBe(3n);
    for (const member of [w1, w2, w4]) expect(signerInfo(member)!["slashing-history"]["total-slashes"]).toBe(0n);
    expect(call("cancel-epoch", [Cl.uint(2)], w8).result).toEqual(errCode(ERR.EPOCH_CLOSED));
    expect(call("cancel-epoch", [Cl.uint(9)], w8).result).toEqual(errCode(ERR.UNKNOWN_EPOCH));

    // The next rotation is due at once and leaves the silent out; the third sybil may join.
    const committee = proposal();
    for (const silent of [sybils[0], sybils[1], w3, w5]) expect(committee).not.toContain(silent);
    expect(call("rotate-signers", [committeeArg([sybils[0], ...committee.slice(1)])], w8).result).toEqual(errCode(ERR.INVALID_COMMITTEE));
    expect(rotate(w8).result).toBeOk(Cl.uint(3));
    expect(epochOf(3).committee).toEqual(committee);
    // A member of the cancelled epoch outside the serving one is free to leave.
    expect(call("request-unstake", [Cl.uint(signerInfo(sybils[1])!.stake)], sybils[1]).result).toBeOk(expect.anything());
  });

  it("a forming epoch cannot be replaced while it is pending: rotate-signers waits (ERR-ROTATION-NOT-DUE) for it to activate or be cancelled, so its silent members cannot be picked again unpunished", () => {
    const { keys, sybils } = stalled();
    const formedAt = epochOf(2)["formed-at"];
    // The sybils stay silent.
    partlyHeard(keys);
    // A rotation period (144) and the DKG timeout (144) both pass: still no new rotation.
    mineBurnNowTo(formedAt + BigInt(Math.max(ROTATION, DKG_TIMEOUT)) + 1n);
    const replaced = call("rotate-signers", [committeeArg(proposal())], sybils[0]);
    expect(replaced.result).toEqual(errCode(ERR.ROTATION_NOT_DUE));
    expect(replaced.events).toEqual([]);
    expect(epochOf(2).status).toBe("pending");
    // The way on is cancel-epoch: the silent sybils are penalized and left out.
    expect(call("cancel-epoch", [Cl.uint(2)], w8).result).toBeOk(expect.anything());
    for (const sybil of sybils.slice(0, 2)) {
      expect(signerInfo(sybil)!["slashing-history"]["total-slashes"]).toBe(1n);
      expect(signerInfo(sybil)!["excluded-from"]).toBe(3n);
    }
    expect(rotate(w8).result).toBeOk(Cl.uint(3));
    for (const sybil of sybils.slice(0, 2)) expect(epochOf(3).committee).not.toContain(sybil);
  });
});

// ---- finding 3: identity keys -------------------------------------------------------------------

describe("register-signer: the key's x must be a field element", () => {
  it.each([
    ["0x9f followed by 47 bytes of 0xff", Uint8Array.from([0x9f, ...new Array(47).fill(0xff)])],
    ["x = p exactly (compressed flag set)", Uint8Array.from(Buffer.from("9a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab", "hex"))],
  ])("refuses %s with ERR-INVALID-KEY", (_, key) => {
    initialize();
    expect(call("register-signer", [Cl.buffer(key)], w1).result).toEqual(errCode(ERR.INVALID_KEY));
    expect(signerInfo(w1)).toBeNull();
  });

  it("accepts x = p - 1 (the byte comparison admits every field element)", () => {
    initialize();
    const key = Uint8Array.from(Buffer.from("9a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaaa", "hex"));
    expect(call("register-signer", [Cl.buffer(key)], w1).result).toBeOk(Cl.bool(true));
  });
});

describe("a committee holding an identity key that is no G1 point", () => {
  it("the DKG through post-dkg-message completes without that member, names it absent, and t members sign under the key", () => {
    initialize();
    // x = 0 is a field element (the contract accepts it), but (0, 2) has order 3: not in G1.
    const bad = Uint8Array.from([0x80, ...new Array(47).fill(0)]);
    registerSigners([w1, w2]);
    expect(call("register-signer", [Cl.buffer(bad)], w3).result).toBeOk(Cl.bool(true));
    registerSigners([w4, w5]);
    expect(rotate(w1).result).toBeOk(Cl.uint(1));
    const committee = epochOf(1).committee;
    expect(committee).toEqual([w1, w2, w3, w4, w5]);
    const dkg = runLocalDkg({
      n: 5,
      t: 3,
      epoch: 1,
      identities: committee.map(identityOf),
      registeredKeys: new Map([[3, bad]]),
      intercept: throughContract(1, (m) => committee[m.from - 1]),
    });
    expect(dkg.absent.map((a) => [a.index, a.reason])).toEqual([[3, "bad-identity-key"]]);
    expect(dkg.qualified).toEqual([1, 2, 4, 5]);
    voteIn(1, [w1, w2, w4], dkg);
    const share = (index: number) => dkg.shares.find((s) => s.index === index)!.value;
    expect(dkg.shares.some((s) => s.index === 3)).toBe(false);
    const message = request("signed without member 3");
    const partials = [1, 4, 5].map((index) => {
      const signature = partialSign(share(index), message);
      expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(signature)], committee[index - 1]).result).toBeOk(expect.anything());
      return { index, signature };
    });
    expect(verifyBls(bytes(epochOf(1)["group-public-key"]!), message, combine(partials))).toBe(true);
  });
});

// ---- finding 4: seat renting ----------------------------------------------------------------------

describe("the stake that ranked a member stays bonded", () => {
  it("a whale ranked in with 1000 STX cannot unstake below it while its epoch forms or serves; once superseded it can", () => {
    const keys = thresholdKeys(3, 5, "whale");
    activeEpoch([w1, w2, w3, w4, w5], keys);
    const whale = freshAccount("whale", 20n * STAKE);
    registerSigners([whale]);
    expect(call("increase-stake", [Cl.uint(9n * STAKE)], whale).result).toBeOk(Cl.uint(10n * STAKE));
    mineBurnNowTo(nextRotation());
    expect(rotate(w1).result).toBeOk(Cl.uint(2));
    const epoch2 = epochOf(2).committee;
    expect(epoch2[0]).toBe(whale);
    expect(decode(read("get-seat-stake", [Cl.uint(2), Cl.principal(whale)]))).toBe(10n * STAKE);
    expect(call("request-unstake", [Cl.uint(9n * STAKE)], whale).result).toEqual(errCode(ERR.STAKE_LOCKED));
    expect(call("request-unstake", [Cl.uint(1)], whale).result).toEqual(errCode(ERR.STAKE_LOCKED));

    // Epoch 2 activates (the reshared key is the same) and serves: still locked.
    voteIn(2, epoch2.slice(0, 3), keys);
    expect(call("request-unstake", [Cl.uint(9n * STAKE)], whale).result).toEqual(errCode(ERR.STAKE_LOCKED));

    // The whale misses signatures until it is no longer eligible; epoch 3 supersedes epoch 2.
    let round = 0;
    while ((signerInfo(whale)!["reputation-score"] as bigint) >= 2000n) {
      const message = request(`the whale sleeps ${round++}`);
      signBy(message, epoch2, keys.shares, [2, 3, 4]);
      mineStacksBlocks(SIGNING_TIMEOUT + 1);
      mineToNextInterval(); // one liveness penalty per member per report interval
      expect(call("penalize-missed-signature", [Cl.buffer(message), Cl.principal(whale)], w8).result).toBeOk(expect.anything());
      expect(round).toBeLessThan(10);
    }
    mineBurnNowAtLeast(nextRotation());
    expect(rotate(w1).result).toBeOk(Cl.uint(3));
    expect(epochOf(3).committee).not.toContain(whale);
    voteIn(3, epochOf(3).committee.slice(0, 3), keys);
    const stake = signerInfo(whale)!.stake as bigint;
    expect(call("request-unstake", [Cl.uint(stake - STAKE)], whale).result).toBeOk(expect.anything());
  });
});

// ---- finding 5: a hash can die -------------------------------------------------------------------

describe("a refunded hash can be requested again", () => {
  it("after the refund and the close of its claim windows the hash is requested anew (attempt 2); its members sign and are paid again", () => {
    const keys = thresholdKeys(3, 5, "again");
    const committee = activeEpoch([w1, w2, w3, w4, w5], keys);
    const message = request("requested twice");
    signBy(message, committee, keys.shares, [1]);
    expect(call("request-signature", [Cl.buffer(message), Cl.uint(FEE)], w8).result).toEqual(errCode(ERR.REQUEST_EXISTS));
    mineStacksBlocks(SIGNING_TIMEOUT + 1);
    expect(call("penalize-missed-signature", [Cl.buffer(message), Cl.principal(w2)], w8).result).toBeOk(expect.anything());
    expect(call("reclaim-fee", [Cl.buffer(message)], requester).result).toBeOk(Cl.uint(FEE));
    // Its partial can still be contested: not yet.
    expect(call("request-signature", [Cl.buffer(message), Cl.uint(FEE)], w8).result).toEqual(errCode(ERR.REQUEST_EXISTS));
    mineBurnNowTo((requestOf(message)["contest-until"] as bigint) + 1n);

    const again = call("request-signature", [Cl.buffer(message), Cl.uint(FEE)], w8);
    expect(again.result).toBeOk(expect.anything());
    expect(printed(again.events, "signature-requested")).toMatchObject({ attempt: 2n, requester: w8 });
    expect(requestOf(message)).toMatchObject({ attempt: 2n, "partial-count": 0n, refunded: false, requester: w8 });
    const partials = signBy(message, committee, keys.shares, [1, 2, 3]);
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(combine(partials))], w8).result).toBeOk(expect.anything());
    settleFee(message);
    expect([w1, w2, w3].map(rewardsOf)).toEqual([FEE / 3n, FEE / 3n, FEE / 3n]);
    // Penalties are per attempt: w2 was penalized in attempt 1, and signed attempt 2.
    expect(decode(read("get-liveness-penalty", [Cl.buffer(message), Cl.principal(w2)]))).toBe(1n);
  });
});

describe("a hash front-run and left to expire", () => {
  it("is requested again once its deadline and claim windows pass, even if its requester never reclaims: the old fee goes to that requester's rewards", () => {
    const keys = thresholdKeys(3, 5, "front-run");
    const committee = activeEpoch([w1, w2, w3, w4, w5], keys);
    const message = messageHashOf("the victim's hash");
    const squatter = w7;
    expect(call("request-signature", [Cl.buffer(message), Cl.uint(1000)], squatter).result).toBeOk(expect.anything());
    signBy(message, committee, keys.shares, [1]); // one partial: under t, and contestable for a while
    mineStacksBlocks(SIGNING_TIMEOUT + 1);
    // Past the deadline, but member 1's partial can still be contested: not yet.
    expect(call("request-signature", [Cl.buffer(message), Cl.uint(FEE)], requester).result).toEqual(errCode(ERR.REQUEST_EXISTS));
    mineBurnNowTo((requestOf(message)["contest-until"] as bigint) + 1n);
    const before = { rewards: rewardsOf(squatter), books: expectBalancedBooks() };
    const again = call("request-signature", [Cl.buffer(message), Cl.uint(FEE)], requester);
    expect(again.result).toBeOk(expect.anything());
    expect(printed(again.events, "fee-refunded")).toEqual({
      topic: "fee-refunded", "message-hash": `0x${bytesToHex(message)}`, requester: squatter, fee: 1000n, "to-rewards": true,
    });
    expect(printed(again.events, "signature-requested")).toMatchObject({ attempt: 2n, requester });
    expect(rewardsOf(squatter)).toBe(before.rewards + 1000n);
    expect(expectBalancedBooks()).toMatchObject({ "pending-fees": before.books["pending-fees"] - 1000n + FEE });
    // The old requester can no longer reclaim the fee it was credited; the new request is signed.
    expect(call("reclaim-fee", [Cl.buffer(message)], squatter).result).toEqual(errCode(ERR.UNAUTHORIZED));
    const partials = signBy(message, committee, keys.shares, [1, 2, 3]);
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(combine(partials))], requester).result).toBeOk(expect.anything());
    expect(verifyBls(keys.groupKey, message, combine(partials))).toBe(true);
  });
});

// ---- finding 6 and wind-down -------------------------------------------------------------------

describe("wind-down", () => {
  it("a serving committee whose successor never activates may leave 4 rotation periods after its rotation was due", () => {
    const keys = thresholdKeys(3, 5, "wind-down");
    activeEpoch([w1, w2, w3, w4, w5], keys);
    const formedAt = epochOf(1)["formed-at"];
    expect(call("request-unstake", [Cl.uint(STAKE)], w5).result).toEqual(errCode(ERR.STAKE_LOCKED));
    mineBurnNowTo(formedAt + 5n * BigInt(ROTATION) - 1n);
    expect(call("request-unstake", [Cl.uint(STAKE)], w5).result).toEqual(errCode(ERR.STAKE_LOCKED));
    mineBurnBlocks(1);
    expect(call("request-unstake", [Cl.uint(STAKE)], w5).result).toBeOk(expect.anything());
    expect(signerInfo(w5)!.exiting).toBe(true);
  });
});

// ---- governance -------------------------------------------------------------------------------------

describe("governance", () => {
  const keys = thresholdKeys(3, 5, "governance");
  /** Five signers of 100 STX each: 500 STX bonded; 20% turnout is 100 STX. */
  function network() {
    return activeEpoch([w1, w2, w3, w4, w5], keys);
  }
  const propose = (parameter: string, value: number | bigint, sender = w1) =>
    call("propose-parameter-change", [Cl.stringAscii(parameter), Cl.uint(value)], sender);
  const vote = (id: number, support: boolean, sender: string) => call("vote-on-proposal", [Cl.uint(id), Cl.bool(support)], sender);
  const execute = (id: number, sender = w8) => call("execute-proposal", [Cl.uint(id)], sender);
  const proposalOf = (id: number) => decode(read("get-proposal", [Cl.uint(id)])) as Record<string, any> | null;
  const closeVoting = (id: number) => mineBurnBlocks(Number(proposalOf(id)!["ends-at"]) - simnet.burnBlockHeight);

  it("a passing parameter change takes effect after the voting period; votes are weighted by bonded stake", () => {
    network();
    expect(call("increase-stake", [Cl.uint(STAKE)], w2).result).toBeOk(Cl.uint(2n * STAKE));
    const proposed = propose("min-fee", 5000);
    expect(proposed.result).toBeOk(Cl.uint(1));
    expect(printed(proposed.events, "proposal-created")).toMatchObject({ "proposal-id": 1n, kind: "parameter", parameter: "min-fee", value: 5000n });
    expect(vote(1, true, w2).result).toBeOk(Cl.uint(2n * STAKE));
    expect(vote(1, false, w3).result).toBeOk(Cl.uint(STAKE));
    expect(vote(1, true, w2).result).toEqual(errCode(ERR.ALREADY_VOTED));
    expect(decode(read("get-proposal-vote", [Cl.uint(1), Cl.principal(w3)]))).toEqual({ support: false, weight: STAKE });
    expect(read("get-proposal-vote", [Cl.uint(1), Cl.principal(w4)])).toBeNone();
    expect(execute(1).result).toEqual(errCode(ERR.VOTING_OPEN));
    closeVoting(1);
    expect(vote(1, true, w4).result).toEqual(errCode(ERR.VOTING_CLOSED));
    const executed = execute(1);
    expect(executed.result).toBeOk(Cl.bool(true));
    expect(printed(executed.events, "proposal-executed")).toMatchObject({ "votes-for": 2n * STAKE, "votes-against": STAKE });
    expect(config()["min-fee"]).toBe(5000n);
    expect(proposalOf(1)).toMatchObject({ executed: true, "votes-for": 2n * STAKE, "votes-against": STAKE });
    expect(execute(1).result).toEqual(errCode(ERR.ALREADY_EXECUTED));
    expect(call("request-signature", [Cl.buffer(messageHashOf("cheap")), Cl.uint(4999)], requester).result).toEqual(errCode(131));
  });

  it("a failing proposal changes nothing: more against than for, or a turnout below quorum-bps of the bonded stake", () => {
    network();
    expect(propose("min-fee", 7000).result).toBeOk(Cl.uint(1));
    expect(vote(1, true, w1).result).toBeOk(Cl.uint(STAKE));
    expect(vote(1, false, w2).result).toBeOk(Cl.uint(STAKE));
    expect(propose("min-fee", 9000).result).toBeOk(Cl.uint(2));
    // 20% of 500 STX bonded is 100 STX: one signer's 100 STX is exactly enough, so raise the
    // bonded total first and let a single voter fall short.
    expect(call("increase-stake", [Cl.uint(STAKE)], w5).result).toBeOk(expect.anything());
    expect(vote(2, true, w1).result).toBeOk(Cl.uint(STAKE));
    closeVoting(2);
    expect(execute(1).result).toEqual(errCode(ERR.PROPOSAL_REJECTED));
    expect(execute(2).result).toEqual(errCode(ERR.PROPOSAL_REJECTED));
    expect(config()["min-fee"]).toBe(1000n);
    expect(proposalOf(1)!.executed).toBe(false);
  });

  it("counts turnout against the larger of the bonded stake when proposed and now, and closes execution one voting period after the vote (ERR-PROPOSAL-EXPIRED)", () => {
    network();
    // A backup with 1,100 STX bonded: 1,600 STX in all; 20% turnout is 320 STX.
    registerSigners([w6]);
    expect(call("increase-stake", [Cl.uint(10n * STAKE)], w6).result).toBeOk(Cl.uint(11n * STAKE));
    expect(propose("min-fee", 5000).result).toBeOk(Cl.uint(1));
    expect(proposalOf(1)).toMatchObject({ "total-stake": 16n * STAKE, executed: false });
    expect(vote(1, true, w1).result).toBeOk(Cl.uint(STAKE)); // 100 STX: 6%
    closeVoting(1);
    expect(execute(1).result).toEqual(errCode(ERR.PROPOSAL_REJECTED));
    // The backup unstakes everything: 500 STX bonded now, and 100 STX would be 20% of that.
    expect(call("request-unstake", [Cl.uint(11n * STAKE)], w6).result).toBeOk(expect.anything());
    expect((decode(read("get-accounting")) as Record<string, bigint>).stakes).toBe(5n * STAKE);
    const stillRejected = execute(1);
    expect(stillRejected.result).toEqual(errCode(ERR.PROPOSAL_REJECTED));
    expect(stillRejected.events).toEqual([]);
    // Execution closes one voting period after the vote closed.
    const expiresAt = proposalOf(1)!["expires-at"] as bigint;
    expect(expiresAt).toBe((proposalOf(1)!["ends-at"] as bigint) + BigInt(VOTING_PERIOD));
    mineBurnBlocks(Number(expiresAt) - simnet.burnBlockHeight);
    expect(execute(1).result).toEqual(errCode(ERR.PROPOSAL_EXPIRED));
    expect(config()["min-fee"]).toBe(1000n);
    expect(proposalOf(1)!.executed).toBe(false);
  });

  it("a treasury spend moves exactly its amount to the recipient and the books still balance", () => {
    const committee = network();
    const message = request("a slash for the treasury");
    signBy(message, committee, keys.shares, [1, 2, 3, 4]);
    mineStacksBlocks(SIGNING_TIMEOUT + 1);
    expect(call("penalize-missed-signature", [Cl.buffer(message), Cl.principal(committee[4])], w8).result).toBeOk(Cl.uint(STAKE / 100n));
    const funds = treasury();
    expect(funds).toBe(STAKE / 100n - STAKE / 1000n);
    const recipient = wallets[11];
    expect(call("propose-treasury-spend", [Cl.uint(funds + 1n), Cl.principal(recipient)], w1).result).toEqual(errCode(ERR.INSUFFICIENT_FUNDS));
    expect(call("propose-treasury-spend", [Cl.uint(0), Cl.principal(recipient)], w1).result).toEqual(errCode(ERR.INVALID_AMOUNT));
    expect(call("propose-treasury-spend", [Cl.uint(funds), Cl.principal(recipient)], w1).result).toBeOk(Cl.uint(1));
    for (const voter of [w1, w2, w3]) expect(vote(1, true, voter).result).toBeOk(expect.anything());
    closeVoting(1);
    const balance = stxBalance(recipient);
    const executed = execute(1);
    expect(executed.result).toBeOk(Cl.bool(true));
    expect(stxBalance(recipient)).toBe(balance + funds);
    expect(treasury()).toBe(0n);
  });

  it("a guardian change takes effect: the new guardian pauses, the old one no longer can", () => {
    network();
    const guardian = wallets[10];
    expect(call("propose-guardian", [Cl.principal(guardian)], w3).result).toBeOk(Cl.uint(1));
    for (const voter of [w1, w2, w3]) expect(vote(1, true, voter).result).toBeOk(expect.anything());
    closeVoting(1);
    expect(execute(1).result).toBeOk(Cl.bool(true));
    expect(config().guardian).toBe(guardian);
    expect(call("pause", [], deployer).result).toEqual(errCode(100));
    expect(call("pause", [], guardian).result).toBeOk(Cl.bool(true));
    // Governance is never paused: stakers can always replace a guardian.
    expect(call("propose-guardian", [Cl.principal(deployer)], w3).result).toBeOk(Cl.uint(2));
  });

  it("refuses unknown parameters, values out of bounds, and changes that break a relation (ERR-UNKNOWN-PARAMETER, ERR-INVALID-PARAMS)", () => {
    network();
    expect(propose("no-such-parameter", 1).result).toEqual(errCode(ERR.UNKNOWN_PARAMETER));
    expect(propose("slash-invalid-bps", 10001).result).toEqual(errCode(ERR.INVALID_PARAMS));
    expect(propose("signature-threshold", 2).result).toEqual(errCode(ERR.INVALID_PARAMS)); // not an honest majority of 5
    expect(propose("max-churn", 3).result).toEqual(errCode(ERR.INVALID_PARAMS)); // more than n - t
    expect(propose("voting-period", 2016).result).toEqual(errCode(ERR.INVALID_PARAMS)); // not below unbonding
    expect(propose("claim-window", 3000).result).toEqual(errCode(ERR.INVALID_PARAMS)); // not below unbonding
    expect(decode(read("get-proposal-count"))).toBe(0n);
  });

  it("checks again at execution: two changes valid alone that break a relation together", () => {
    network();
    expect(propose("voting-period", 2000).result).toBeOk(Cl.uint(1));
    expect(propose("unbonding-period", 1500).result).toBeOk(Cl.uint(2));
    for (const id of [1, 2]) for (const voter of [w1, w2, w3]) expect(vote(id, true, voter).result).toBeOk(expect.anything());
    closeVoting(2);
    expect(execute(1).result).toBeOk(Cl.bool(true));
    expect(execute(2).result).toEqual(errCode(ERR.INVALID_PARAMS));
    expect(config()["unbonding-period"]).toBe(2016n);
  });

  /** A parameter change proposed, voted by w1..w3 and executed. */
  function passed(parameter: string, value: number) {
    const id = Number(decode(read("get-proposal-count"))) + 1;
    expect(propose(parameter, value).result).toBeOk(Cl.uint(id));
    for (const voter of [w1, w2, w3]) expect(vote(id, true, voter).result).toBeOk(expect.anything());
    closeVoting(id);
    expect(execute(id).result).toBeOk(Cl.bool(true));
  }

  it("a claim-window shortened by governance never lets a fee settle while a partial can still be contested: settle-at waits for the request's contest-until", () => {
    const committee = network();
    passed("voting-period", 10);
    const message = request("signed under the long window");
    const partials = signBy(message, committee, keys.shares, [1, 2, 3]);
    passed("claim-window", 20);
    const contestUntil = requestOf(message)["contest-until"] as bigint;
    const aggregate = call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(combine(partials))], requester);
    expect(aggregate.result).toBeOk(Cl.uint(contestUntil));
    expect(contestUntil).toBeGreaterThan(BigInt(simnet.burnBlockHeight) + 20n);
    mineBurnNowTo(contestUntil);
    expect(call("settle-fee", [Cl.buffer(message)], requester).result).toEqual(errCode(ERR.DEADLINE_NOT_REACHED));
    mineBurnBlocks(1);
    expect(call("settle-fee", [Cl.buffer(message)], requester).result).toBeOk(Cl.uint(FEE));
  });

  it("a claim-window shortened by governance never shortens a signer's claim-until: it cannot leave while an older partial can be contested", () => {
    const committee = network();
    passed("voting-period", 10);
    passed("unbonding-period", 150);
    const towers = freshWatchtowers(3, "shrink");
    const cheat = committee[4];
    // The member unstakes what it may (its seat keeps min-stake) and signs an invalid partial.
    expect(call("increase-stake", [Cl.uint(STAKE)], cheat).result).toBeOk(expect.anything());
    const unstaked = call("request-unstake", [Cl.uint(STAKE)], cheat).result;
    expect(unstaked).toBeOk(expect.anything());
    const release = (decode(unstaked) as { ok: bigint }).ok;
    mineBurnBlocks(20); // the first partial's window then ends after the unbonding
    const first = request("contestable for 144 blocks");
    signBy(first, committee, keys.shares.map((_, i) => keys.shares[(i + 1) % 5]), [5]);
    const firstUntil = (decode(read("get-partial-signature", [Cl.buffer(first), Cl.principal(cheat)])) as any)["claim-until"] as bigint;
    passed("claim-window", 20);
    const second = request("contestable for 20 blocks");
    signBy(second, committee, keys.shares, [5]);
    expect(signerInfo(cheat)!["claim-until"]).toBe(firstUntil);
    // Past the unbonding and the second window, but inside the first: the stake stays.
    mineBurnBlocks(Number(release) - simnet.burnBlockHeight);
    expect(BigInt(simnet.burnBlockHeight)).toBeGreaterThanOrEqual(release);
    expect(BigInt(simnet.burnBlockHeight)).toBeLessThanOrEqual(firstUntil);
    expect(call("withdraw-stake", [], cheat).result).toEqual(errCode(ERR.STAKE_LOCKED));
    towers.forEach((tower, i) =>
      expect(call("report-invalid-signature", [Cl.buffer(first), Cl.principal(cheat)], tower).result).toBeOk(Cl.bool(i === 2)),
    );
    expect(signerInfo(cheat)!["slashing-history"]["total-slashes"]).toBe(1n);
  });

  it("only a signer with bonded stake proposes or votes; unknown proposals are ERR-UNKNOWN-PROPOSAL", () => {
    network();
    expect(propose("min-fee", 2000, w8).result).toEqual(errCode(ERR.NOT_REGISTERED));
    registerSigners([w8]);
    expect(call("request-unstake", [Cl.uint(STAKE)], w8).result).toBeOk(expect.anything());
    expect(propose("min-fee", 2000, w8).result).toEqual(errCode(ERR.INSUFFICIENT_STAKE));
    expect(propose("min-fee", 2000).result).toBeOk(Cl.uint(1));
    expect(vote(1, true, w8).result).toEqual(errCode(ERR.INSUFFICIENT_STAKE));
    expect(vote(7, true, w1).result).toEqual(errCode(ERR.UNKNOWN_PROPOSAL));
    expect(execute(7).result).toEqual(errCode(ERR.UNKNOWN_PROPOSAL));
    expect(read("get-proposal", [Cl.uint(7)])).toBeNone();
  });
});

// the figures these tests rely on
describe("defaults", () => {
  it("get-config carries dkg-timeout (144 Bitcoin blocks) and the rotation errors stay in order", () => {
    initialize();
    expect(config()["dkg-timeout"]).toBe(BigInt(DKG_TIMEOUT));
    expect(config()["voting-period"]).toBe(BigInt(VOTING_PERIOD));
    expect(call("rotate-signers", [committeeArg([])], w1).result).toEqual(errCode(ERR.INSUFFICIENT_SIGNERS));
    registerSigners([w1, w2, w3]);
    expect(rotate(w1).result).toBeOk(Cl.uint(1));
    expect(rotate(w1).result).toEqual(errCode(ERR.ROTATION_NOT_DUE));
  });
});
