// Reputation, end to end. The formula documented at `compute-reputation` in dts.clar:
//   base        = 40 * uptime + 40 * accuracy + 20 * speed-score   (uptime, accuracy in percent)
//   speed-score = 100 / max(signing-speed, 1)                       (integer division)
//   penalty     = 1500 * total-slashes
//               + 5000 while total-signatures = 0                   (no track record yet)
//   reputation  = base - min(base, penalty)                         (0..10000)
// A new signer registers at the neutral 5000 (its default metrics score 10000 - 5000); any
// fault before its first partial lowers it. Committees take only signers with reputation >=
// min-reputation (2000). Measured metrics come only from evidence: the signer's own partials,
// missed signatures, confirmed invalid partials, and watchtower reports a supermajority agreed
// on (update-metrics by three watchtowers here).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  activeEpoch,
  agreeMetrics,
  call,
  decode,
  expectBalancedBooks,
  initialize,
  freshWatchtowers,
  messageHashOf,
  nextCallAtStacks,
  partialSign,
  printed,
  read,
  registerSigners,
  signerInfo,
  thresholdKeys,
  wallets,
  rotate,
  mineToNextInterval,
  burnNow,
} from "./helpers";

afterEach(() => expectBalancedBooks());

const keys = thresholdKeys(3, 5, "reputation");
const requester = wallets[8];
const notifier = wallets[10];

const reputation = (who: string) => decode(read("get-reputation", [Cl.principal(who)]));

function request(text: string): { message: Uint8Array; deadline: bigint } {
  const message = messageHashOf(text);
  const { result } = call("request-signature", [Cl.buffer(message), Cl.uint(1000)], requester);
  return { message, deadline: (decode(result) as { ok: bigint }).ok };
}

function sign(committee: string[], message: Uint8Array, index: number) {
  const signature = partialSign(keys.shares[index - 1], message);
  return call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(signature)], committee[index - 1]);
}

/** Three active watchtowers (the supermajority of three), registered once per test. */
let towerList: string[] = [];
beforeEach(() => {
  towerList = [];
});
function towers(): string[] {
  if (towerList.length === 0) towerList = freshWatchtowers(3, "reputation-tower");
  return towerList;
}

/** A measurement the watchtower supermajority agrees on (three identical reports set it
 *  exactly); returns the recomputed reputation. */
function setMetrics(signer: string, speed: number, uptime: number, accuracy: number) {
  const { result } = agreeMetrics(towers(), signer, speed, uptime, accuracy);
  return (decode(result) as { ok: bigint }).ok;
}

describe("compute-reputation", () => {
  it("starts a new signer at the neutral 5000 (an unknown principal has none: ERR-NOT-REGISTERED)", () => {
    initialize();
    const { events } = call("register-signer", [Cl.buffer(keys.shareKeys[0])], wallets[0]);
    expect(printed(events, "signer-registered")).toMatchObject({ "reputation-score": 5000n });
    expect(reputation(wallets[0])).toEqual({ ok: 5000n });
    expect(signerInfo(wallets[0])).toMatchObject({
      "reputation-score": 5000n,
      "performance-metrics": { "signing-speed": 0n, uptime: 100n, accuracy: 100n, "total-signatures": 0n, "valid-signatures": 0n, "stake-duration": 0n },
    });
    // An unknown principal has no reputation.
    expect(reputation(wallets[1])).toEqual({ err: 114n });
  });

  it("follows the weighted formula for any measured metrics", () => {
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    const member = committee[0];
    // One partial first: a track record, so nothing is withheld.
    const warmup = request("warm-up");
    expect(sign(committee, warmup.message, 1).result).toBeOk(Cl.uint(1));
    expect(signerInfo(member)!["performance-metrics"]["total-signatures"]).toBe(1n);
    const table: [number, number, number, bigint][] = [
      // speed, uptime, accuracy -> reputation
      [0, 100, 100, 10_000n], // speed 0 counts as 1 block: speed-score 100
      [1, 100, 100, 10_000n],
      [4, 100, 100, 8_500n], // speed-score 25
      [3, 90, 100, 8_260n], // 3600 + 4000 + 20 * 33
      [101, 50, 50, 4_000n], // speed-score 100 / 101 = 0
      [2, 0, 0, 1_000n],
      [100_000, 0, 0, 0n],
    ];
    for (const [speed, uptime, accuracy, expected] of table) {
      expect(setMetrics(member, speed, uptime, accuracy), `speed ${speed}, uptime ${uptime}, accuracy ${accuracy}`).toBe(expected);
      expect(signerInfo(member)!["reputation-score"]).toBe(expected);
    }
  });

  it("after a first partial at speed 4 is 40 * 100 + 40 * 100 + 20 * 25 = 8500; speed is a moving average (3 * old + new) / 4", () => {
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    const member = committee[0];
    const first = request("first");
    nextCallAtStacks(BigInt(simnet.blockHeight) + 4n); // 4 blocks after the request
    const { events } = sign(committee, first.message, 1);
    expect(printed(events, "metrics-updated")).toMatchObject({ signer: member, "reputation-score": 8500n });
    expect(signerInfo(member)).toMatchObject({
      "reputation-score": 8500n,
      "performance-metrics": expect.objectContaining({ "signing-speed": 4n, uptime: 100n, accuracy: 100n, "total-signatures": 1n, "valid-signatures": 1n }),
    });

    const second = request("second");
    nextCallAtStacks(BigInt(simnet.blockHeight) + 8n); // 8 blocks after: (3 * 4 + 8) / 4 = 5
    sign(committee, second.message, 1);
    expect(signerInfo(member)!["performance-metrics"]["signing-speed"]).toBe(5n);
    // 4000 + 4000 + 20 * (100 / 5)
    expect(reputation(member)).toEqual({ ok: 8400n });
  });

  it("loses 1500 per slash on top of the metric changes, and floors at 0", () => {
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    const member = committee[4];
    const warmup = request("warm-up");
    sign(committee, warmup.message, 5); // speed 1: 10000
    expect(reputation(member)).toEqual({ ok: 10_000n });

    const missed = [request("missed-1"), request("missed-2")];
    nextCallAtStacks(missed[1].deadline + 1n);
    // first miss: uptime 90; 3600 + 4000 + 2000 - 1500
    expect(call("penalize-missed-signature", [Cl.buffer(missed[0].message), Cl.principal(member)], notifier).result).toBeOk(expect.anything());
    expect(reputation(member)).toEqual({ ok: 8100n });
    // second miss, in the next report interval: uptime 80; 3200 + 4000 + 2000 - 3000
    mineToNextInterval();
    expect(call("penalize-missed-signature", [Cl.buffer(missed[1].message), Cl.principal(member)], notifier).result).toBeOk(expect.anything());
    expect(reputation(member)).toEqual({ ok: 6200n });
    expect(signerInfo(member)!["slashing-history"]["total-slashes"]).toBe(2n);

    // The penalty stays with the signer: better metrics cannot erase it.
    expect(setMetrics(member, 1, 100, 100)).toBe(10_000n - 3000n);
    // base 40 * 30 + 40 * 30 + 0 = 2400 < penalty 3000: floored at 0, not an underflow.
    expect(setMetrics(member, 100_000, 30, 30)).toBe(0n);
    expect(signerInfo(member)!["reputation-score"]).toBe(0n);
  });
});

describe("compute-reputation: no track record yet (total-signatures 0)", () => {
  it("registers a new signer at 5000, exactly its default metrics' score: 10000 - 5000 withheld", () => {
    initialize();
    registerSigners([wallets[0]]);
    expect(reputation(wallets[0])).toEqual({ ok: 5000n });
    // Re-measuring the registration defaults (speed 0, uptime 100, accuracy 100) changes nothing:
    // 40 * 100 + 40 * 100 + 20 * 100 = 10000, - 5000 = 5000.
    const { result, events } = agreeMetrics(towers(), wallets[0], 0, 100, 100);
    expect(result).toBeOk(Cl.uint(5000));
    expect(printed(events, "metrics-updated")).toMatchObject({ signer: wallets[0], "reputation-score": 5000n });
    expect(signerInfo(wallets[0])).toMatchObject({
      "reputation-score": 5000n,
      "performance-metrics": { "signing-speed": 0n, uptime: 100n, accuracy: 100n, "total-signatures": 0n },
    });
  });

  it("withholds 5000 from a fresh signer's measured metrics, floored at 0", () => {
    initialize();
    registerSigners([wallets[0]]);
    // 40 * 90 + 40 * 95 + 20 * (100 / 2) = 3600 + 3800 + 1000 = 8400, - 5000 = 3400
    expect(setMetrics(wallets[0], 2, 90, 95)).toBe(3400n);
    expect(reputation(wallets[0])).toEqual({ ok: 3400n });
    // 0 + 0 + 20 * 50 = 1000 < 5000: floored at 0
    expect(setMetrics(wallets[0], 2, 0, 0)).toBe(0n);
    expect(signerInfo(wallets[0])!["reputation-score"]).toBe(0n);
  });

  it("lowers a fresh committee member that misses a signature below the neutral 5000", () => {
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    const member = committee[4];
    expect(signerInfo(member)).toMatchObject({ "reputation-score": 5000n, "performance-metrics": { "total-signatures": 0n } });
    const missed = request("missed by a new member");
    nextCallAtStacks(missed.deadline + 1n);
    const { result, events } = call("penalize-missed-signature", [Cl.buffer(missed.message), Cl.principal(member)], notifier);
    expect(result).toBeOk(Cl.uint(1_000_000)); // 1% of 100 STX
    // uptime 100 - 10: 40 * 90 + 40 * 100 + 20 * 100 = 9600, - 1500 (one slash) - 5000 = 3100
    expect(printed(events, "metrics-updated")).toMatchObject({ signer: member, "reputation-score": 3100n });
    expect(signerInfo(member)).toMatchObject({
      "reputation-score": 3100n,
      "performance-metrics": { uptime: 90n, "total-signatures": 0n },
      "slashing-history": { "total-slashes": 1n },
    });
    expect(reputation(member)).toEqual({ ok: 3100n });
  });

  it("stops withholding the 5000 at the signer's first partial", () => {
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    const member = committee[0];
    // 40 * 90 + 40 * 100 + 20 * (100 / 2) = 3600 + 4000 + 1000 = 8600, - 5000 = 3600
    expect(setMetrics(member, 2, 90, 100)).toBe(3600n);
    const first = request("first partial");
    nextCallAtStacks(BigInt(simnet.blockHeight) + 2n); // 2 blocks after the request: speed 2 again
    const { result, events } = sign(committee, first.message, 1);
    expect(result).toBeOk(Cl.uint(1));
    // Same metrics (speed 2, uptime 90, accuracy 1 * 100 / 1), nothing withheld: 8600
    expect(printed(events, "metrics-updated")).toMatchObject({ signer: member, "reputation-score": 8600n });
    expect(signerInfo(member)).toMatchObject({
      "reputation-score": 8600n,
      "performance-metrics": { "signing-speed": 2n, uptime: 90n, accuracy: 100n, "total-signatures": 1n, "valid-signatures": 1n },
    });
  });
});

describe("rotate-signers", () => {
  it("excludes a signer below min-reputation (2000) and admits one exactly at it", () => {
    initialize();
    const signers = wallets.slice(0, 6);
    registerSigners(signers);
    // No partials yet, so 5000 is withheld from each measured score.
    // 40 * 79 + 40 * 79 + 20 * (100 / 3) = 3160 + 3160 + 660 = 6980, - 5000 = 1980: below the
    // floor, though registered first
    expect(setMetrics(signers[0], 3, 79, 79)).toBe(1980n);
    // 40 * 100 + 40 * 25 + 20 * 100 = 4000 + 1000 + 2000 = 7000, - 5000 = 2000: exactly the floor
    expect(setMetrics(signers[1], 1, 100, 25)).toBe(2000n);

    const { result, events } = rotate(wallets[9]);
    expect(result).toBeOk(Cl.uint(1));
    // Ranked by stake x reputation (ties by registration): the neutral 5000s first.
    const committee = [signers[2], signers[3], signers[4], signers[5], signers[1]];
    expect(printed(events, "committee-rotated")).toMatchObject({ epoch: 1n, committee, joined: committee, left: [] });
    expect((decode(read("get-epoch", [Cl.uint(1)])) as Record<string, any>).committee).toEqual(committee);
    expect(decode(read("get-member-index", [Cl.uint(1), Cl.principal(signers[0])]))).toBeNull();
    expect(decode(read("get-member-index", [Cl.uint(1), Cl.principal(signers[1])]))).toBe(5n);
  });

  it("drops a committee member whose reputation fell below min-reputation through liveness slashes", () => {
    const signers = wallets.slice(0, 6);
    const committee = activeEpoch(signers, keys);
    const [target, backup] = [committee[0], signers[5]];
    expect(committee).toEqual(signers.slice(0, 5));
    // Extra stake keeps the target above min-stake through the slashes: only reputation counts.
    expect(call("increase-stake", [Cl.uint(10_000_000)], target).result).toBeOk(Cl.uint(110_000_000));
    const warmup = request("warm-up");
    expect(sign(committee, warmup.message, 1).result).toBeOk(expect.anything());
    expect(reputation(target)).toEqual({ ok: 10_000n });

    const missed = [1, 2, 3, 4, 5].map((i) => request(`missed-${i}`));
    nextCallAtStacks(missed[4].deadline + 1n);
    const expected = [8100n, 6200n, 4300n, 2400n, 500n]; // 10000 - 1900 per miss (400 uptime + 1500 slash)
    missed.forEach(({ message }, i) => {
      if (i > 0) mineToNextInterval(); // one liveness penalty per member per report interval
      expect(call("penalize-missed-signature", [Cl.buffer(message), Cl.principal(target)], notifier).result).toBeOk(expect.anything());
      expect(reputation(target)).toEqual({ ok: expected[i] });
    });
    const info = signerInfo(target)!;
    expect(info.stake).toBeGreaterThanOrEqual(100_000_000n);
    expect(info.exiting).toBe(false);

    // Four report intervals later the rotation (rotation-period 144 Bitcoin blocks) is due.
    const lastRotation = (decode(read("get-network-state")) as Record<string, any>)["last-rotation"] as bigint;
    expect(burnNow()).toBeGreaterThanOrEqual(lastRotation + 144n);
    const { result, events } = rotate(notifier);
    expect(result).toBeOk(Cl.uint(2));
    const next = (decode(read("get-epoch", [Cl.uint(2)])) as Record<string, any>).committee as string[];
    expect(next).not.toContain(target);
    expect(next).toContain(backup);
    expect(printed(events, "committee-rotated")).toMatchObject({ epoch: 2n, previous: 1n, joined: [backup], left: [target] });
  });
});
