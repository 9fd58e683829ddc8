// update-metrics and reputation: an active watchtower's measurement of a signer is its report
// for the current interval (report-interval Bitcoin blocks); it takes effect only once a
// supermajority of the active watchtowers has reported, and only as far as they agree (three
// identical reports set the value exactly). Nobody else, the deployer included, may call it.
// The reputation is recomputed from the documented formula on every change:
//   base        = 40 * uptime + 40 * accuracy + 20 * speed-score
//   speed-score = floor(100 / max(signing-speed, 1))
//   penalty     = 1500 * total-slashes + 5000 while total-signatures = 0 (no track record yet)
//   reputation  = base - min(base, penalty)
// The formula's worked values use a signer with one real partial (no 5000 withheld); the
// update-metrics rules use fresh signers, whose measured score is formula - 5000.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  activeEpoch,
  agreeMetrics,
  call,
  contractPrincipal,
  decode,
  deployer,
  expectBalancedBooks,
  freshWatchtowers,
  initialize,
  mineBurnBlocks,
  mineStacksBlocks,
  prints,
  registerWatchtowers,
  supermajority,
  messageHashOf,
  partialSign,
  printed,
  read,
  registerSigners,
  signerInfo,
  stxBalance,
  stxTransfers,
  thresholdKeys,
  wallets,
  mineToNextInterval,
} from "./helpers";

// The books add up to the contract's STX balance after every test.
afterEach(() => expectBalancedBooks());

const ERR_UNAUTHORIZED = 100;
const ERR_INVALID_METRICS = 108;
const ERR_NOT_INITIALIZED = 112;
const ERR_NOT_REGISTERED = 114;

const keys = thresholdKeys(3, 5, "metrics");


const update = (signer: string, speed: bigint, uptime: bigint, accuracy: bigint, sender = deployer) =>
  call("update-metrics", [Cl.principal(signer), Cl.uint(speed), Cl.uint(uptime), Cl.uint(accuracy)], sender);

/** Three active watchtowers (the supermajority of three), registered once per test. */
let towerList: string[] = [];
beforeEach(() => {
  towerList = [];
});
function towers(): string[] {
  if (towerList.length === 0) {
    towerList = freshWatchtowers(3, "metrics-tower");
    expect(supermajority()).toBe(3n);
  }
  return towerList;
}

const currentInterval = () => decode(read("get-current-interval")) as bigint;

/** The three watchtowers agree on a measurement of `signer` (agreeMetrics); returns the
 *  third call, which applies it. */
const agreed = (signer: string, speed: bigint, uptime: bigint, accuracy: bigint) => agreeMetrics(towers(), signer, speed, uptime, accuracy);

const reputation = (who: string) => decode(read("get-reputation", [Cl.principal(who)]));

/** Record without stake-duration, which grows with every block. */
function recordOf(who: string) {
  const info = signerInfo(who);
  if (info) delete info["performance-metrics"]["stake-duration"];
  return info;
}

/** A refused update: the error and no event (callers check the record). */
function expectRefused(result: ReturnType<typeof update>, code: number) {
  expect(result.result).toBeErr(Cl.uint(code));
  expect(result.events).toEqual([]);
}

/** An active epoch of wallet_1..wallet_5 in which the members at the 1-based `positions` each
 *  submit one real partial 1 block after the request (speed 1): they have a track record, so
 *  the raw formula applies to them. Returns the committee. */
function withTrackRecord(positions: number[]): string[] {
  const committee = activeEpoch(wallets.slice(0, 5), keys);
  for (const position of positions) {
    const hash = messageHashOf(`track record ${position}`);
    expect(call("request-signature", [Cl.buffer(hash), Cl.uint(10_000)], wallets[12]).result).toBeOk(expect.anything());
    const signature = partialSign(keys.shares[position - 1], hash);
    expect(call("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(signature)], committee[position - 1]).result).toBeOk(expect.anything());
    expect(signerInfo(committee[position - 1])!["performance-metrics"]).toMatchObject({ "total-signatures": 1n, "signing-speed": 1n });
  }
  return committee;
}

/** Misses one signing request: `member` of the active epoch is penalized for liveness. */
function missOneRequest(member: string, text: string) {
  const hash = messageHashOf(text);
  const requested = call("request-signature", [Cl.buffer(hash), Cl.uint(10_000)], wallets[12]);
  expect(requested.result).toBeOk(Cl.uint(simnet.blockHeight + 120)); // deadline: signing-timeout 120
  mineStacksBlocks(120); // past the deadline (Stacks blocks)
  mineToNextInterval(); // one liveness penalty per member per report interval
  const stake = signerInfo(member)!.stake as bigint;
  const { result } = call("penalize-missed-signature", [Cl.buffer(hash), Cl.principal(member)], wallets[13]);
  expect(result).toBeOk(Cl.uint(stake / 100n)); // slash-liveness-bps 100 = 1%
}

describe("update-metrics", () => {
  it("is a watchtower's report: once the supermajority (3) reports the same measurement it is stored, the reputation recomputed and metrics-updated printed", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    const all = towers();
    const before = recordOf(signer)!;
    const registeredAt = before["registered-at"] as bigint;
    mineStacksBlocks(5);
    const contractBefore = stxBalance(contractPrincipal);
    const ownerBefore = stxBalance(deployer);

    for (const tower of all.slice(0, 2)) {
      const first = update(signer, 2n, 90n, 80n, tower);
      expect(first.result).toBeOk(Cl.uint(5000));
      expect(prints(first.events).map((e) => e.topic)).toEqual(["watchtower-report"]);
    }
    expect(recordOf(signer)).toEqual(before);
    const { result, events } = update(signer, 2n, 90n, 80n, all[2]);
    const height = BigInt(simnet.blockHeight);
    // 40 * 90 + 40 * 80 + 20 * (100 / 2) = 3600 + 3200 + 1000 = 7800, - 5000 (no partial yet)
    expect(result).toBeOk(Cl.uint(2800));
    const metrics = {
      "signing-speed": 2n,
      uptime: 90n,
      "stake-duration": height - registeredAt,
      accuracy: 80n,
      "total-signatures": 0n,
      "valid-signatures": 0n,
    };
    expect(printed(events, "watchtower-report")).toEqual({
      topic: "watchtower-report",
      watchtower: all[2],
      signer,
      interval: currentInterval(),
      uptime: 90n,
      "signing-speed": 2n,
      accuracy: 80n,
      reports: 3n,
      quorum: 3n,
      agreed: true,
    });
    expect(printed(events, "metrics-updated")).toEqual({
      topic: "metrics-updated",
      signer,
      "performance-metrics": metrics,
      "reputation-score": 2800n,
    });
    expect(stxTransfers(events)).toEqual([]);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore);
    expect(stxBalance(deployer)).toBe(ownerBefore);
    expect(signerInfo(signer)).toEqual({ ...before, "reputation-score": 2800n, "performance-metrics": metrics });
    expect(reputation(signer)).toEqual({ ok: 2800n });
    expect(decode(read("get-interval-reports", [Cl.principal(signer), Cl.uint(currentInterval())]))).toEqual({
      reporters: all,
      quorum: 3n,
      uptimes: [90n, 90n, 90n],
      speeds: [2n, 2n, 2n],
      accuracies: [80n, 80n, 80n],
    });
    expectBalancedBooks();
  });

  it("records one active watchtower's measurement as its report for the interval and changes nothing alone", () => {
    initialize();
    const [signer, tower] = wallets;
    registerSigners([signer]);
    registerWatchtowers([tower]);
    const before = recordOf(signer);
    const { result, events } = update(signer, 4n, 100n, 100n, tower);
    expect(result).toBeOk(Cl.uint(5000));
    expect(printed(events, "watchtower-report")).toMatchObject({ watchtower: tower, signer, reports: 1n, quorum: 3n, agreed: false });
    expect(prints(events).map((e) => e.topic)).toEqual(["watchtower-report"]);
    expect(decode(read("get-watchtower-report", [Cl.principal(tower), Cl.principal(signer), Cl.uint(currentInterval())]))).toEqual({
      uptime: 100n,
      "signing-speed": 4n,
      accuracy: 100n,
    });
    expect(recordOf(signer)).toEqual(before);
    // A second measurement in the same interval is ERR-ALREADY-REPORTED.
    expectRefused(update(signer, 1n, 100n, 100n, tower), 133);
  });

  it("refuses anyone else with ERR-UNAUTHORIZED: the deployer, another account, the signer itself, a watchtower about itself, a watchtower that left", () => {
    initialize();
    const [signer, stranger, tower, both] = wallets;
    registerSigners([signer, both]);
    registerWatchtowers([tower, both]);
    const left = call("leave-watchtower", [], tower);
    expect(left.result).toBeOk(Cl.uint(simnet.burnBlockHeight + 2016));
    const before = recordOf(signer);
    expectRefused(update(signer, 1n, 100n, 100n, deployer), ERR_UNAUTHORIZED);
    expectRefused(update(signer, 1n, 100n, 100n, stranger), ERR_UNAUTHORIZED);
    expectRefused(update(signer, 1n, 100n, 100n, signer), ERR_UNAUTHORIZED);
    expectRefused(update(signer, 1n, 100n, 100n, tower), ERR_UNAUTHORIZED);
    // An active watchtower that is also a signer may not measure itself.
    const selfBefore = recordOf(both);
    expectRefused(update(both, 1n, 100n, 100n, both), ERR_UNAUTHORIZED);
    expect(recordOf(both)).toEqual(selfBefore);
    expect(recordOf(signer)).toEqual(before);
    expect(reputation(signer)).toEqual({ ok: 5000n });
  });

  it("refuses uptime above 100 with ERR-INVALID-METRICS", () => {
    initialize();
    registerSigners([wallets[0]]);
    const before = recordOf(wallets[0]);
    expectRefused(update(wallets[0], 1n, 101n, 100n, towers()[0]), ERR_INVALID_METRICS);
    expect(recordOf(wallets[0])).toEqual(before);
  });

  it("refuses accuracy above 100 with ERR-INVALID-METRICS", () => {
    initialize();
    registerSigners([wallets[0]]);
    const before = recordOf(wallets[0]);
    expectRefused(update(wallets[0], 1n, 100n, 101n, towers()[0]), ERR_INVALID_METRICS);
    expect(recordOf(wallets[0])).toEqual(before);
  });

  it("refuses signing-speed above 100000 blocks with ERR-INVALID-METRICS", () => {
    initialize();
    registerSigners([wallets[0]]);
    const before = recordOf(wallets[0]);
    expectRefused(update(wallets[0], 100_001n, 100n, 100n, towers()[0]), ERR_INVALID_METRICS);
    expect(recordOf(wallets[0])).toEqual(before);
  });

  it("accepts the range limits exactly (signing-speed 100000, uptime 100, accuracy 100)", () => {
    initialize();
    registerSigners([wallets[0]]);
    // speed-score = 100 / 100000 = 0: 4000 + 4000 + 0 = 8000, - 5000 (no partial yet)
    expect(agreed(wallets[0], 100_000n, 100n, 100n).result).toBeOk(Cl.uint(3000));
    expect(signerInfo(wallets[0])!["performance-metrics"]).toMatchObject({ "signing-speed": 100_000n, uptime: 100n, accuracy: 100n });
  });

  it("refuses an unknown signer with ERR-NOT-REGISTERED", () => {
    initialize();
    expectRefused(update(wallets[0], 1n, 100n, 100n, towers()[0]), ERR_NOT_REGISTERED);
    expect(signerInfo(wallets[0])).toBeNull();
  });

  it("checks in order: caller, then ranges, then the signer", () => {
    initialize();
    const [tower] = towers();
    expect(update(wallets[0], 1n, 101n, 100n, wallets[1]).result).toBeErr(Cl.uint(ERR_UNAUTHORIZED));
    expect(update(wallets[0], 1n, 101n, 100n, tower).result).toBeErr(Cl.uint(ERR_INVALID_METRICS));
    expect(update(wallets[0], 1n, 100n, 100n, tower).result).toBeErr(Cl.uint(ERR_NOT_REGISTERED));
  });

  it("is ERR-NOT-INITIALIZED before initialize", () => {
    expectRefused(update(wallets[0], 1n, 100n, 100n), ERR_NOT_INITIALIZED);
  });

  it("keeps the signature counters, stake and slashing history", () => {
    const [member] = withTrackRecord([1]);
    missOneRequest(member, "a missed request");
    const before = recordOf(member)!;
    expect(before).toMatchObject({
      stake: 99_000_000n,
      "performance-metrics": { "total-signatures": 1n, "valid-signatures": 1n },
      "slashing-history": { "total-slashes": 1n, "slashed-amount": 1_000_000n },
    });
    expect(agreed(member, 3n, 10n, 20n).result).toBeOk(Cl.uint(360));
    expect(recordOf(member)).toEqual({
      ...before,
      "reputation-score": 400n + 800n + 660n - 1500n, // 40 * 10 + 40 * 20 + 20 * 33 - one slash
      "performance-metrics": { ...before["performance-metrics"], "signing-speed": 3n, uptime: 10n, accuracy: 20n },
    });
    expectBalancedBooks();
  });
});

describe("compute-reputation, through update-metrics agreed by the watchtower supermajority", () => {
  // [signing-speed, uptime, accuracy, expected reputation], worked by hand from the formula, for
  // a signer with one partial (nothing withheld) and no slash.
  const worked: [bigint, bigint, bigint, bigint][] = [
    [1n, 100n, 100n, 10000n], // speed-score 100: the maximum
    [2n, 100n, 100n, 9000n], //  speed-score 50
    [4n, 100n, 100n, 8500n], //  speed-score 25
    [0n, 100n, 100n, 10000n], // 0 blocks counts as 1 block
    [3n, 100n, 100n, 8660n], //  speed-score 33 (rounds down)
    [5n, 50n, 80n, 5600n], //    2000 + 3200 + 400
    [101n, 0n, 0n, 0n], //       speed-score 0
    [1n, 0n, 0n, 2000n], //      speed alone
  ];

  for (const [speed, uptime, accuracy, expected] of worked) {
    it(`speed ${speed}, uptime ${uptime}, accuracy ${accuracy} gives ${expected}`, () => {
      const [member] = withTrackRecord([1]);
      expect(agreed(member, speed, uptime, accuracy).result).toBeOk(Cl.uint(expected));
      expect(reputation(member)).toEqual({ ok: expected });
      expect(signerInfo(member)!["reputation-score"]).toBe(expected);
    });
  }

  it("starts new signers at the neutral 5000 until the first change", () => {
    initialize();
    registerSigners([wallets[0]]);
    mineBurnBlocks(20);
    expect(reputation(wallets[0])).toEqual({ ok: 5000n });
  });

  it("takes 1500 per slash, recomputed on the next update, floored at 0", () => {
    const committee = withTrackRecord([1, 2]);
    const member = committee[0];
    missOneRequest(member, "first missed request");
    let info = signerInfo(member)!;
    expect(info["slashing-history"]["total-slashes"]).toBe(1n);
    // The penalty itself recomputes: uptime 100 - 10, speed 1, accuracy 100: 3600 + 4000 + 2000 - 1500.
    expect(info["performance-metrics"]).toMatchObject({ uptime: 90n, accuracy: 100n, "signing-speed": 1n });
    expect(reputation(member)).toEqual({ ok: 8100n });
    expect(agreed(member, 1n, 100n, 100n).result).toBeOk(Cl.uint(10000 - 1500));

    missOneRequest(member, "second missed request");
    info = signerInfo(member)!;
    expect(info["slashing-history"]["total-slashes"]).toBe(2n);
    // uptime 100 - 10, speed 1, accuracy 100: 3600 + 4000 + 2000 - 3000.
    expect(reputation(member)).toEqual({ ok: 6600n });
    expect(agreed(member, 2n, 100n, 100n).result).toBeOk(Cl.uint(9000 - 3000));
    // base 40 * 10 + 0 + 0 = 400 < 3000: floored at 0.
    const { result, events } = agreed(member, 200n, 10n, 0n);
    expect(result).toBeOk(Cl.uint(0));
    expect(printed(events, "metrics-updated")).toMatchObject({ signer: member, "reputation-score": 0n });
    expect(reputation(member)).toEqual({ ok: 0n });
    // A signer with a partial, without slashes and with the same metrics keeps its base.
    expect(agreed(committee[1], 200n, 10n, 0n).result).toBeOk(Cl.uint(400));
    expectBalancedBooks();
  });
});

describe("get-reputation", () => {
  it("returns the stored score as ok", () => {
    initialize();
    registerSigners([wallets[0], wallets[1]]);
    // 4000 + 4000 + 20 * 50 = 9000, - 5000 (no partial yet)
    expect(agreed(wallets[1], 2n, 100n, 100n).result).toBeOk(Cl.uint(4000));
    expect(read("get-reputation", [Cl.principal(wallets[0])])).toBeOk(Cl.uint(5000));
    expect(read("get-reputation", [Cl.principal(wallets[1])])).toBeOk(Cl.uint(4000));
  });

  it("is ERR-NOT-REGISTERED for an unknown signer", () => {
    initialize();
    expect(read("get-reputation", [Cl.principal(wallets[0])])).toBeErr(Cl.uint(ERR_NOT_REGISTERED));
  });
});

describe("get-signer-info stake-duration", () => {
  it("grows with every block since the stake was first locked", () => {
    initialize();
    registerSigners([wallets[0]]);
    const registeredAt = signerInfo(wallets[0])!["registered-at"] as bigint;
    expect(registeredAt).toBe(BigInt(simnet.blockHeight));
    expect(signerInfo(wallets[0])!["performance-metrics"]["stake-duration"]).toBe(0n);
    mineStacksBlocks(10); // stake-duration counts Stacks blocks
    expect(signerInfo(wallets[0])!["performance-metrics"]["stake-duration"]).toBe(10n);
    mineStacksBlocks(90);
    expect(signerInfo(wallets[0])!["performance-metrics"]["stake-duration"]).toBe(100n);
    // Adding stake does not restart it.
    expect(call("increase-stake", [Cl.uint(1_000_000)], wallets[0]).result).toBeOk(Cl.uint(101_000_000));
    expect(signerInfo(wallets[0])!["performance-metrics"]["stake-duration"]).toBe(101n);
  });
});
