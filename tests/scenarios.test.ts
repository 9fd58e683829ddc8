// Adversarial scenarios end to end with real cryptography (issue 10, part 3): a minority of
// signers submitting invalid partials, a minority of watchtowers filing false claims, and a
// committee member going silent through a rotation and a reshare.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { bytesToHex } from "@noble/hashes/utils.js";
import { robustCombine } from "../src/crypto/threshold.js";
import { type LocalDkgMessage, runLocalDkg, runLocalReshare } from "../src/crypto/local.js";
import { DkgPhase } from "../src/crypto/dkg-wire.js";
import {
  DEFAULTS,
  activeEpoch,
  blsKeyPair,
  bytes,
  call,
  combine,
  confirmInvalidPartial,
  decode,
  expectBalancedBooks,
  hex,
  initialize,
  junkSignature,
  messageHashOf,
  mineStacksBlocks,
  partialSign,
  printed,
  proposal,
  read,
  registerSigners,
  registerWatchtowers,
  rewardsOf,
  rotate,
  settleFee,
  signerInfo,
  supermajority,
  thresholdKeys,
  treasury,
  verifyBls,
  wallets,
  watchtower,
  mineToNextInterval,
  mineBurnNowAtLeast,
} from "./helpers";

afterEach(() => expectBalancedBooks());

const STAKE = DEFAULTS.minStake;
const FEE = 3_000_000n;
const BOND = 100_000_000n;
const SIGNING_TIMEOUT = 120;
const ROTATION = DEFAULTS.rotationPeriod;
const requester = wallets[12];

const epochOf = (epoch: number) =>
  decode(read("get-epoch", [Cl.uint(epoch)])) as { committee: string[]; "group-public-key": string; "share-public-keys": string[] };
const requestOf = (message: Uint8Array) => decode(read("get-request", [Cl.buffer(message)])) as Record<string, any>;
const partialOf = (message: Uint8Array, signer: string) =>
  decode(read("get-partial-signature", [Cl.buffer(message), Cl.principal(signer)])) as { signature: string; index: bigint } | null;
const stakeOf = (who: string) => signerInfo(who)!.stake as bigint;

function request(message: Uint8Array) {
  expect(call("request-signature", [Cl.buffer(message), Cl.uint(FEE)], requester).result).toBeOk(expect.anything());
}

function submitPartial(message: Uint8Array, member: string, signature: Uint8Array) {
  expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(signature)], member).result).toBeOk(expect.anything());
}

/** What a watchtower does: verify each stored partial of `committee` against the share keys
 *  stored for the epoch. Returns the members whose partial does not verify. */
function invalidPartials(message: Uint8Array, epoch: number, committee: string[]): string[] {
  const shareKeys = epochOf(epoch)["share-public-keys"].map(bytes);
  return committee.filter((member) => {
    const stored = partialOf(message, member);
    return stored !== null && !verifyBls(shareKeys[Number(stored.index) - 1], message, bytes(stored.signature));
  });
}

// ---- n - t signers submit invalid partials ----------------------------------------------------

describe("n - t signers submit invalid partials", () => {
  it.each([
    [3, 5],
    [4, 7],
  ])("(%i,%i): the round finalizes with a valid signature, a watchtower supermajority slashes every invalid partial, only the honest are paid, the books balance", (t, n) => {
    const keys = thresholdKeys(t, n, `invalid-minority-${t}-${n}`);
    const committee = activeEpoch(wallets.slice(0, n), keys);
    const towers = registerWatchtowers(wallets.slice(7, 11));
    expect(supermajority()).toBe(3n);
    const message = messageHashOf(`invalid minority ${t}-of-${n}`);
    request(message);

    // Members 1 .. n - t send junk that carries valid point flags (the contract accepts the
    // shape); members n - t + 1 .. n sign honestly.
    const cheaters = committee.slice(0, n - t);
    const honest = committee.slice(n - t);
    const partials = committee.map((member, i) => {
      const signature = cheaters.includes(member) ? junkSignature(`${t}-${n}-${i}`) : partialSign(keys.shares[i], message);
      submitPartial(message, member, signature);
      return { index: i + 1, signature };
    });
    expect(requestOf(message)["partial-count"]).toBe(BigInt(n));

    // Robust combination over everything submitted: the aggregator drops the invalid ones.
    const groupKey = bytes(epochOf(1)["group-public-key"]);
    const shareKeys = epochOf(1)["share-public-keys"].map(bytes);
    const robust = robustCombine({ messageHash: message, partials, threshold: t, groupKey, shareKeys });
    expect(robust.invalid).toEqual(cheaters.map((_, i) => i + 1));
    expect(robust.signers).toEqual(honest.map((_, i) => n - t + i + 1));
    expect(verifyBls(groupKey, message, robust.signature)).toBe(true);
    // The same signature from combining only the partials that verify.
    expect(hex(combine(partials.slice(n - t)))).toBe(hex(robust.signature));

    // The watchtowers verify every stored partial; three of four (the supermajority) confirm
    // each invalid one, the fourth stays out.
    expect(invalidPartials(message, 1, committee)).toEqual(cheaters);
    const stakes = new Map(committee.map((m) => [m, stakeOf(m)]));
    const treasuryBefore = treasury();
    for (const cheater of cheaters) {
      const { events } = confirmInvalidPartial(towers.slice(0, 3), message, cheater);
      expect(printed(events, "signer-slashed")).toMatchObject({ signer: cheater, reason: "invalid-partial", amount: STAKE / 10n });
    }
    expect(requestOf(message)["partial-count"]).toBe(BigInt(t));
    for (const cheater of cheaters) expect(stakeOf(cheater)).toBe(stakes.get(cheater)! - STAKE / 10n);
    for (const member of honest) expect(stakeOf(member)).toBe(stakes.get(member)!);

    // The aggregate stands on the t valid partials, verifies, and the fee goes to the honest.
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(robust.signature)], requester).result).toBeOk(expect.anything());
    expect(verifyBls(groupKey, message, bytes(requestOf(message)["aggregate-signature"]))).toBe(true);
    const { events } = settleFee(message);
    const share = FEE / BigInt(t);
    expect(printed(events, "fee-settled")).toMatchObject({ "fee-share": share, "fees-paid": share * BigInt(t) });
    for (const member of honest) expect(rewardsOf(member)).toBe(share);
    for (const cheater of cheaters) expect(rewardsOf(cheater)).toBe(0n);
    // The three confirming watchtowers share notifier-reward-bps of each slash; the fourth gets nothing.
    const pool = STAKE / 10n / 10n;
    for (const tower of towers.slice(0, 3)) expect(rewardsOf(tower)).toBe(BigInt(n - t) * (pool / 3n));
    expect(rewardsOf(towers[3])).toBe(0n);
    expect(treasury() - treasuryBefore).toBe(BigInt(n - t) * (STAKE / 10n - 3n * (pool / 3n)) + (FEE - share * BigInt(t)));
    for (const member of honest) expect(call("claim-rewards", [], member).result).toBeOk(Cl.uint(share));
    expectBalancedBooks();
  });
});

// ---- a minority of watchtowers files false claims ------------------------------------------------

describe("a minority of watchtowers files false claims", () => {
  it("against a valid partial and a valid aggregate: nobody honest is slashed, the fee goes to the signers, and once the claims expire each claimant loses false-claim-bps of its bond per claim and accuracy-score", () => {
    const keys = thresholdKeys(3, 5, "false-claims");
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    // five watchtowers: two liars are a minority (a claim half of them back is not charged)
    const towers = registerWatchtowers(wallets.slice(7, 12));
    const [liarA, liarB] = towers;
    expect(supermajority()).toBe(4n);
    const message = messageHashOf("false claims");
    request(message);
    const partials = [1, 2, 3].map((index) => {
      const signature = partialSign(keys.shares[index - 1], message);
      submitPartial(message, committee[index - 1], signature);
      return { index, signature };
    });
    const aggregate = combine(partials);
    expect(verifyBls(keys.groupKey, message, aggregate)).toBe(true);
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(aggregate)], requester).result).toBeOk(expect.anything());
    // The honest watchtowers find nothing wrong.
    expect(invalidPartials(message, 1, committee)).toEqual([]);

    // Two liars (fewer than the supermajority of 4) claim member 1's partial and the aggregate invalid.
    const stakes = committee.map(stakeOf);
    for (const liar of [liarA, liarB]) {
      expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(committee[0])], liar).result).toBeOk(Cl.bool(false));
      expect(call("report-invalid-aggregate", [Cl.buffer(message)], liar).result).toBeOk(Cl.bool(false));
    }
    expect(requestOf(message)["partial-count"]).toBe(3n);
    expect(requestOf(message)["aggregate-signature"]).toBe(hex(aggregate));

    // The fee settles to the three signers; nobody is slashed.
    const { events } = settleFee(message);
    expect(printed(events, "fee-settled")).toMatchObject({ "fees-paid": FEE });
    for (const member of committee.slice(0, 3)) expect(rewardsOf(member)).toBe(FEE / 3n);
    expect(committee.map(stakeOf)).toEqual(stakes);
    for (const member of committee) expect(signerInfo(member)!["slashing-history"]["total-slashes"]).toBe(0n);

    // The claims expire: each claimant forfeits 10% of its bond per claim, and 10 accuracy-score.
    const treasuryBefore = treasury();
    const first = call("expire-claim", [Cl.buffer(message), Cl.principal(committee[0])], wallets[13]);
    expect(first.result).toBeOk(Cl.uint(2n * (BOND / 10n)));
    const second = call("expire-aggregate-claim", [Cl.buffer(message), Cl.buffer(aggregate)], wallets[13]);
    const bondAfterFirst = BOND - BOND / 10n;
    expect(second.result).toBeOk(Cl.uint(2n * (bondAfterFirst / 10n)));
    for (const liar of [liarA, liarB]) {
      expect(watchtower(liar)).toMatchObject({ bond: bondAfterFirst - bondAfterFirst / 10n, "accuracy-score": 80n, "is-active": true, "open-claims": 0n });
    }
    for (const honestTower of towers.slice(2)) expect(watchtower(honestTower)).toMatchObject({ bond: BOND, "accuracy-score": 100n });
    expect(treasury() - treasuryBefore).toBe(2n * (BOND / 10n) + 2n * (bondAfterFirst / 10n));
    expect(committee.map(stakeOf)).toEqual(stakes);
    expectBalancedBooks();
  });
});

// ---- a member goes silent through a rotation and a reshare -----------------------------------------

const identityOf = (member: string) => {
  const { secret, publicKey } = blsKeyPair(member);
  return { secretKey: BigInt(`0x${bytesToHex(secret)}`), publicKey };
};

/** Routes the DKG messages of src/crypto/local.ts through post-dkg-message. */
function throughContract(epoch: number, sender: (message: LocalDkgMessage) => string) {
  return (message: LocalDkgMessage) =>
    message.frames.map((frame) => {
      const posted = call("post-dkg-message", [Cl.uint(epoch), Cl.uint(message.phase), Cl.buffer(frame)], sender(message));
      expect(posted.result).toBeOk(Cl.bool(true));
      return bytes((printed(posted.events, "dkg-message") as { payload: string }).payload);
    });
}

function voteIn(epoch: number, voters: string[], result: { groupKey: Uint8Array; shareKeys: Uint8Array[] }) {
  const args = [Cl.uint(epoch), Cl.buffer(result.groupKey), Cl.list(result.shareKeys.map((k) => Cl.buffer(k)))];
  voters.forEach((member, i) => expect(call("submit-epoch-key", args, member).result).toBeOk(Cl.bool(i === voters.length - 1)));
  expect(read("get-current-epoch")).toBeUint(epoch);
}

describe("a committee member goes silent through a rotation and a reshare", () => {
  it("the silent member never deals, misses requests and is liveness-penalized; the rotation replaces at most n - t members; the reshare completes with the old members that deal; the group key stays; the new committee signs", () => {
    const [w1, w2, w3, w4, w5, w6, w7] = wallets;
    expect(initialize().result).toBeOk(Cl.bool(true));
    registerSigners([w1, w2, w3, w4, w5, w6, w7]);
    expect(rotate(w1).result).toBeOk(Cl.uint(1));
    const old = epochOf(1).committee;
    expect(old).toEqual([w1, w2, w3, w4, w5]);

    // Epoch 1's DKG through post-dkg-message; member 5 never deals (it still receives its share).
    const dkg = runLocalDkg({ n: 5, t: 3, epoch: 1, identities: old.map(identityOf), silent: [5], intercept: throughContract(1, (m) => old[m.from - 1]) });
    expect(dkg.qualified).toEqual([1, 2, 3, 4]);
    voteIn(1, old.slice(0, 3), dkg);
    const groupKey = bytes(epochOf(1)["group-public-key"]);
    const share = (index: number) => dkg.shares.find((s) => s.index === index)!.value;

    // Two requests: members 1-4 sign, member 5 stays silent and is penalized after each deadline.
    const slashes: bigint[] = [];
    for (const round of [1, 2]) {
      const message = messageHashOf(`member 5 is silent ${round}`);
      request(message);
      const partials = [1, 2, 3, 4].map((index) => {
        const signature = partialSign(share(index), message);
        submitPartial(message, old[index - 1], signature);
        return { index, signature };
      });
      expect(verifyBls(groupKey, message, combine(partials.slice(0, 3)))).toBe(true);
      mineStacksBlocks(SIGNING_TIMEOUT + 1);
      if (round > 1) mineToNextInterval(); // one liveness penalty per member per report interval
      const stake = stakeOf(w5);
      const penalized = call("penalize-missed-signature", [Cl.buffer(message), Cl.principal(w5)], w7);
      expect(penalized.result).toBeOk(Cl.uint(stake / 100n));
      slashes.push(stake / 100n);
      expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(combine(partials.slice(0, 3)))], requester).result).toBeOk(expect.anything());
    }
    const silent = signerInfo(w5)!;
    expect(silent["performance-metrics"].uptime).toBe(80n);
    expect(silent["slashing-history"]["total-slashes"]).toBe(2n);
    expect(silent.stake).toBe(STAKE - slashes[0] - slashes[1]);
    expect(silent["reputation-score"]).toBeLessThan(2000n);

    // The rotation: member 5 is no longer eligible and is replaced; at most n - t seats change.
    mineBurnNowAtLeast((decode(read("get-network-state")) as Record<string, bigint>)["last-rotation"] + ROTATION);
    const committee = proposal();
    const rotated = call("rotate-signers", [Cl.list(committee.map((m) => Cl.principal(m)))], w7);
    expect(rotated.result).toBeOk(Cl.uint(2));
    const next = epochOf(2).committee;
    const event = printed(rotated.events, "committee-rotated");
    expect(event.left).toEqual([w5]);
    expect((event.joined as string[]).length).toBeLessThanOrEqual(2);
    expect(next).not.toContain(w5);
    expect(next.filter((m) => old.includes(m)).length).toBeGreaterThanOrEqual(3);

    // The reshare: the old members that deal are 1-4 (member 5 stays silent).
    const reshared = runLocalReshare({
      previous: { epoch: 1, threshold: 3, groupKey: dkg.groupKey, shareKeys: dkg.shareKeys, shares: dkg.shares },
      n: 5,
      t: 3,
      epoch: 2,
      identities: next.map(identityOf),
      silent: [5],
      intercept: throughContract(2, (m) => (m.phase === DkgPhase.Complaint ? next : old)[m.from - 1]),
    });
    expect(hex(reshared.groupKey)).toBe(hex(groupKey));
    voteIn(2, next.slice(0, 3), reshared);
    expect(epochOf(2)["group-public-key"]).toBe(hex(groupKey));

    // The new committee signs (including the newcomer); the signature verifies under the old key.
    const newcomer = next.findIndex((m) => !old.includes(m)) + 1;
    const signers = [newcomer, ...[1, 2, 3, 4, 5].filter((i) => i !== newcomer).slice(0, 2)];
    const message = messageHashOf("signed by epoch 2");
    request(message);
    expect(requestOf(message).epoch).toBe(2n);
    const partials = signers.map((index) => {
      const signature = partialSign(reshared.shares.find((s) => s.index === index)!.value, message);
      submitPartial(message, next[index - 1], signature);
      return { index, signature };
    });
    const sigma = combine(partials);
    expect(verifyBls(groupKey, message, sigma)).toBe(true);
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(sigma)], requester).result).toBeOk(expect.anything());
    settleFee(message);
    for (const index of signers) expect(rewardsOf(next[index - 1])).toBeGreaterThanOrEqual(FEE / 3n);
  });
});
