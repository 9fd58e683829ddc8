// Watchtowers: bonds, leaving and withdrawing (slots count active watchtowers only), per-interval
// reports that move a signer's metrics only once a supermajority of the active watchtowers has
// reported, and only as far as that supermajority agrees; update-metrics is such a report.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  activeEpoch,
  call,
  contractPrincipal,
  decode,
  deployer,
  expectBalancedBooks,
  freshAccount,
  initialize,
  messageHashOf,
  mineBurnBlocks,
  mineStacksBlocks,
  nextCallAtBurn,
  registerWatchtowers,
  supermajority,
  partialSign,
  printed,
  prints,
  read,
  registerSigners,
  signerInfo,
  stxBalance,
  stxTransfers,
  thresholdKeys,
  wallets,
  watchtower,
} from "./helpers";

afterEach(() => expectBalancedBooks());

const BOND = 100_000_000n; // the default watchtower-bond, 100 STX
const UNBONDING = 2016n;
const REPORT_INTERVAL = 144n;

/** Active watchtowers: the slots in use and the base of the supermajority. */
function watchtowerCount(): bigint {
  return (decode(read("get-network-state")) as Record<string, any>)["active-watchtowers"];
}

function register(who: string) {
  const { result } = call("register-watchtower", [], who);
  expect(result).toBeOk(Cl.bool(true));
}

function report(tower: string, signer: string, uptime: number | bigint, speed: number | bigint, valid: number | bigint) {
  return call("submit-watchtower-report", [Cl.principal(signer), Cl.uint(uptime), Cl.uint(speed), Cl.uint(valid)], tower);
}

const currentInterval = () => decode(read("get-current-interval")) as bigint;

describe("register-watchtower", () => {
  it("locks exactly the bond, stores a fresh active record and prints the event", () => {
    initialize();
    const tower = wallets[0];
    const before = stxBalance(tower);
    const contractBefore = stxBalance(contractPrincipal);
    const { result, events } = call("register-watchtower", [], tower);
    expect(result).toBeOk(Cl.bool(true));
    expect(stxBalance(tower)).toBe(before - BOND);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore + BOND);
    expect(stxTransfers(events)).toEqual([{ sender: tower, recipient: contractPrincipal, amount: BOND }]);
    expect(watchtower(tower)).toEqual({
      "last-report": 0n,
      "reports-submitted": 0n,
      "accuracy-score": 100n,
      "is-active": true,
      bond: BOND,
      "registered-at": BigInt(simnet.burnBlockHeight), // a Bitcoin height
      "release-at": 0n,
      "open-claims": 0n,
    });
    expect(printed(events, "watchtower-registered")).toEqual({ topic: "watchtower-registered", watchtower: tower, bond: BOND });
    expect(watchtowerCount()).toBe(1n);
    expect(expectBalancedBooks().bonds).toBe(BOND);
  });

  it("refuses a second registration with ERR-WATCHTOWER-EXISTS", () => {
    initialize();
    register(wallets[0]);
    const before = stxBalance(wallets[0]);
    const { result, events } = call("register-watchtower", [], wallets[0]);
    expect(result).toBeErr(Cl.uint(105));
    expect(events).toHaveLength(0);
    expect(stxBalance(wallets[0])).toBe(before);
    expect(watchtowerCount()).toBe(1n);
  });

  it("refuses an address that cannot pay the bond with ERR-INSUFFICIENT-FUNDS", () => {
    initialize();
    const poor = freshAccount("poor", BOND - 1n);
    const { result, events } = call("register-watchtower", [], poor);
    expect(result).toBeErr(Cl.uint(148));
    expect(events).toHaveLength(0);
    expect(stxBalance(poor)).toBe(BOND - 1n);
    expect(watchtower(poor)).toBeNull();
    expect(watchtowerCount()).toBe(0n);
  });

  it("admits MAX-WATCHTOWERS = 32 active and refuses the 33rd with ERR-WATCHTOWER-LIMIT until one leaves, which frees its slot at once", () => {
    initialize();
    const towers = Array.from({ length: 32 }, (_, i) => freshAccount(`limit-${i}`, BOND + 1_000_000n));
    towers.forEach(register);
    expect(watchtowerCount()).toBe(32n);
    expect(expectBalancedBooks().bonds).toBe(32n * BOND);

    const late = freshAccount("limit-33", BOND + 1_000_000n);
    const refused = call("register-watchtower", [], late);
    expect(refused.result).toBeErr(Cl.uint(144));
    expect(refused.events).toHaveLength(0);
    expect(stxBalance(late)).toBe(BOND + 1_000_000n);
    expect(watchtower(late)).toBeNull();

    // One leaves: its slot opens at once, while its bond still unbonds.
    expect(call("leave-watchtower", [], towers[0]).result).toBeOk(Cl.uint(BigInt(simnet.burnBlockHeight) + UNBONDING));
    expect(watchtowerCount()).toBe(31n);
    register(late);
    expect(watchtowerCount()).toBe(32n);
    expect(expectBalancedBooks().bonds).toBe(33n * BOND);
    // Full again: the next one waits for another slot; the leaver's withdrawal frees none.
    const later = freshAccount("limit-34", BOND + 1_000_000n);
    expect(call("register-watchtower", [], later).result).toBeErr(Cl.uint(144));
    mineBurnBlocks(UNBONDING);
    expect(call("withdraw-watchtower-bond", [], towers[0]).result).toBeOk(Cl.uint(BOND));
    expect(watchtowerCount()).toBe(32n);
    expect(call("register-watchtower", [], later).result).toBeErr(Cl.uint(144));
  });
});

describe("leave-watchtower", () => {
  it("refuses a caller that is not a watchtower with ERR-NOT-WATCHTOWER", () => {
    initialize();
    const { result, events } = call("leave-watchtower", [], wallets[0]);
    expect(result).toBeErr(Cl.uint(132));
    expect(events).toHaveLength(0);
  });

  it("deactivates the watchtower, frees its slot and sets its bond's release unbonding-period Bitcoin blocks ahead", () => {
    initialize();
    register(wallets[0]);
    expect(watchtowerCount()).toBe(1n);
    const before = stxBalance(wallets[0]);
    const { result, events } = call("leave-watchtower", [], wallets[0]);
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    expect(watchtowerCount()).toBe(0n);
    expect(result).toBeOk(Cl.uint(release));
    expect(watchtower(wallets[0])).toMatchObject({ "is-active": false, "release-at": release, bond: BOND });
    expect(printed(events, "watchtower-leaving")).toEqual({
      topic: "watchtower-leaving",
      watchtower: wallets[0],
      "release-height": release,
    });
    // Leaving moves no STX: the bond stays locked until release.
    expect(stxTransfers(events)).toEqual([]);
    expect(stxBalance(wallets[0])).toBe(before);
    expect(expectBalancedBooks().bonds).toBe(BOND);
  });

  it("refuses a watchtower that already left with ERR-NOT-WATCHTOWER", () => {
    initialize();
    register(wallets[0]);
    call("leave-watchtower", [], wallets[0]);
    const release = watchtower(wallets[0])!["release-at"];
    expect(call("leave-watchtower", [], wallets[0]).result).toBeErr(Cl.uint(132));
    expect(watchtower(wallets[0])!["release-at"]).toBe(release);
  });
});

describe("withdraw-watchtower-bond", () => {
  it("refuses a caller that is not a watchtower with ERR-NOT-WATCHTOWER", () => {
    initialize();
    expect(call("withdraw-watchtower-bond", [], wallets[0]).result).toBeErr(Cl.uint(132));
  });

  it("refuses an active watchtower with ERR-STAKE-LOCKED", () => {
    initialize();
    register(wallets[0]);
    const before = stxBalance(wallets[0]);
    const { result, events } = call("withdraw-watchtower-bond", [], wallets[0]);
    expect(result).toBeErr(Cl.uint(118));
    expect(events).toHaveLength(0);
    expect(stxBalance(wallets[0])).toBe(before);
    expect(watchtower(wallets[0])!["is-active"]).toBe(true);
  });

  it("refuses a leaving watchtower before its release (Bitcoin) height with ERR-STAKE-LOCKED", () => {
    initialize();
    register(wallets[0]);
    call("leave-watchtower", [], wallets[0]);
    const release = watchtower(wallets[0])!["release-at"] as bigint;
    // Stacks blocks do not count.
    mineStacksBlocks(UNBONDING + 1n);
    expect(call("withdraw-watchtower-bond", [], wallets[0]).result).toBeErr(Cl.uint(118));
    nextCallAtBurn(release - 1n);
    expect(call("withdraw-watchtower-bond", [], wallets[0]).result).toBeErr(Cl.uint(118));
    expect(watchtower(wallets[0])).not.toBeNull();
    expect(expectBalancedBooks().bonds).toBe(BOND);
  });

  it("returns exactly the bond at the release height, deletes the record and allows registering again", () => {
    initialize();
    register(wallets[0]);
    register(wallets[1]);
    call("leave-watchtower", [], wallets[0]);
    const release = watchtower(wallets[0])!["release-at"] as bigint;
    nextCallAtBurn(release);
    const before = stxBalance(wallets[0]);
    const contractBefore = stxBalance(contractPrincipal);
    const { result, events } = call("withdraw-watchtower-bond", [], wallets[0]);
    expect(result).toBeOk(Cl.uint(BOND));
    expect(stxBalance(wallets[0])).toBe(before + BOND);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore - BOND);
    expect(stxTransfers(events)).toEqual([{ sender: contractPrincipal, recipient: wallets[0], amount: BOND }]);
    expect(printed(events, "watchtower-withdrawn")).toEqual({ topic: "watchtower-withdrawn", watchtower: wallets[0], bond: BOND });
    expect(watchtower(wallets[0])).toBeNull();
    expect(watchtowerCount()).toBe(1n);
    expect(expectBalancedBooks().bonds).toBe(BOND);

    register(wallets[0]);
    expect(watchtower(wallets[0])).toMatchObject({ "is-active": true, "accuracy-score": 100n, "release-at": 0n });
    expect(watchtowerCount()).toBe(2n);
  });

  it("is not blocked by pause", () => {
    initialize();
    register(wallets[0]);
    call("leave-watchtower", [], wallets[0]);
    mineBurnBlocks(UNBONDING);
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    const before = stxBalance(wallets[0]);
    expect(call("withdraw-watchtower-bond", [], wallets[0]).result).toBeOk(Cl.uint(BOND));
    expect(stxBalance(wallets[0])).toBe(before + BOND);
  });
});

describe("submit-watchtower-report", () => {
  const signer = wallets[5];
  const towers = [wallets[0], wallets[1], wallets[2]];

  function setup() {
    initialize();
    registerSigners([signer]);
    towers.forEach(register);
  }

  it("refuses a caller that is not a watchtower with ERR-NOT-WATCHTOWER", () => {
    setup();
    const { result, events } = report(wallets[9], signer, 90, 2, 0);
    expect(result).toBeErr(Cl.uint(132));
    expect(events).toHaveLength(0);
  });

  it("refuses an inactive (leaving) watchtower with ERR-NOT-WATCHTOWER", () => {
    setup();
    call("leave-watchtower", [], towers[0]);
    expect(report(towers[0], signer, 90, 2, 0).result).toBeErr(Cl.uint(132));
    // The caller's role is checked before the signer's state.
    expect(report(towers[0], wallets[9], 90, 2, 0).result).toBeErr(Cl.uint(132));
    expect(watchtower(towers[0])!["reports-submitted"]).toBe(0n);
    expect(signerInfo(signer)!["performance-metrics"].uptime).toBe(100n);
  });

  it("refuses a report about an unknown signer with ERR-NOT-REGISTERED", () => {
    setup();
    expect(report(towers[0], wallets[9], 90, 2, 0).result).toBeErr(Cl.uint(114));
  });

  it("refuses out-of-range metrics with ERR-INVALID-METRICS", () => {
    setup();
    // uptime is a percentage
    expect(report(towers[0], signer, 101, 2, 0).result).toBeErr(Cl.uint(108));
    // signing-speed is bounded by MAX-SIGNING-SPEED
    expect(report(towers[0], signer, 90, 100_001, 0).result).toBeErr(Cl.uint(108));
    // a new signer has no signatures, so none can be valid
    expect(report(towers[0], signer, 90, 2, 1).result).toBeErr(Cl.uint(108));
    expect(decode(read("get-watchtower-report", [Cl.principal(towers[0]), Cl.principal(signer), Cl.uint(currentInterval())]))).toBeNull();
    // the limits themselves are accepted and recorded (0 of 0 signatures reads as accuracy
    // 100); one report of the three needed changes nothing: the neutral 5000 stays
    expect(report(towers[0], signer, 100, 100_000, 0).result).toBeOk(Cl.uint(5000));
    expect(decode(read("get-watchtower-report", [Cl.principal(towers[0]), Cl.principal(signer), Cl.uint(currentInterval())]))).toEqual({
      uptime: 100n,
      "signing-speed": 100_000n,
      accuracy: 100n,
    });
  });

  it("refuses a report about oneself (a watchtower that is also a signer) with ERR-UNAUTHORIZED", () => {
    setup();
    registerSigners([towers[0]]);
    const { result, events } = report(towers[0], towers[0], 100, 1, 0);
    expect(result).toBeErr(Cl.uint(100));
    expect(events).toHaveLength(0);
    expect(decode(read("get-watchtower-report", [Cl.principal(towers[0]), Cl.principal(towers[0]), Cl.uint(currentInterval())]))).toBeNull();
    expect(watchtower(towers[0])!["reports-submitted"]).toBe(0n);
  });

  it("refuses valid-signatures above the signer's total-signatures with ERR-INVALID-METRICS", () => {
    const keys = thresholdKeys(3, 5, "wt-valid");
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    register(wallets[10]);
    const message = messageHashOf("wt-valid");
    expect(call("request-signature", [Cl.buffer(message), Cl.uint(1000)], wallets[12]).result).toBeOk(expect.anything());
    expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(partialSign(keys.shares[0], message))], committee[0]).result).toBeOk(Cl.uint(1));
    expect(signerInfo(committee[0])!["performance-metrics"]["total-signatures"]).toBe(1n);
    expect(report(wallets[10], committee[0], 100, 1, 2).result).toBeErr(Cl.uint(108));
    expect(report(wallets[10], committee[0], 100, 1, 1).result).toBeOk(expect.anything());
  });

  it("refuses a second report in the same interval (report-interval Bitcoin blocks) with ERR-ALREADY-REPORTED and accepts one in the next interval", () => {
    setup();
    const interval = currentInterval();
    expect(interval).toBe(BigInt(simnet.burnBlockHeight) / REPORT_INTERVAL);
    const first = report(towers[0], signer, 90, 2, 0);
    // One report of the three the supermajority needs: recorded, the metrics stay.
    expect(first.result).toBeOk(Cl.uint(5000));
    expect(printed(first.events, "watchtower-report")).toMatchObject({ reports: 1n, quorum: 3n, agreed: false });
    const second = report(towers[0], signer, 50, 2, 0);
    expect(second.result).toBeErr(Cl.uint(133));
    expect(second.events).toHaveLength(0);
    expect(signerInfo(signer)!["performance-metrics"].uptime).toBe(100n);
    expect(decode(read("get-watchtower-report", [Cl.principal(towers[0]), Cl.principal(signer), Cl.uint(interval)]))).toEqual({
      uptime: 90n,
      "signing-speed": 2n,
      accuracy: 100n,
    });

    // Stacks blocks do not move the interval; the last Bitcoin block of the interval still belongs to it.
    mineStacksBlocks(REPORT_INTERVAL * 2n);
    expect(report(towers[0], signer, 50, 2, 0).result).toBeErr(Cl.uint(133));
    nextCallAtBurn((interval + 1n) * REPORT_INTERVAL - 1n);
    expect(report(towers[0], signer, 50, 2, 0).result).toBeErr(Cl.uint(133));

    // The next interval starts a fresh set of reports.
    mineBurnBlocks(1);
    const { result, events } = report(towers[0], signer, 50, 2, 0);
    expect(result).toBeOk(Cl.uint(5000));
    expect(currentInterval()).toBe(interval + 1n);
    expect(printed(events, "watchtower-report")).toMatchObject({ interval: interval + 1n, uptime: 50n, reports: 1n, agreed: false });
    expect(signerInfo(signer)!["performance-metrics"].uptime).toBe(100n);
    expect(decode(read("get-interval-reports", [Cl.principal(signer), Cl.uint(interval + 1n)]))).toEqual({
      reporters: [towers[0]],
      quorum: 3n,
      uptimes: [50n],
      speeds: [2n],
      accuracies: [100n],
    });
    expect(decode(read("get-interval-reports", [Cl.principal(signer), Cl.uint(interval)]))).toEqual({
      reporters: [towers[0]],
      quorum: 3n,
      uptimes: [90n],
      speeds: [2n],
      accuracies: [100n],
    });
    expect(watchtower(towers[0])!["reports-submitted"]).toBe(2n);
  });

  it("moves a metric only once the supermajority has reported, and only as far as it agrees: a liar cannot move it past every honest report", () => {
    // The signer has one real partial (a track record, speed 1), so the raw formula applies.
    const keys = thresholdKeys(3, 5, "wt-median");
    const committee = activeEpoch(wallets.slice(5, 10), keys);
    const signer = committee[0];
    const all = [...towers, wallets[3]];
    registerWatchtowers(all);
    // 4 active: max(watchtower-quorum 3, ceil(2/3 * 4) = 3) = 3
    expect(supermajority()).toBe(3n);
    const message = messageHashOf("wt-median");
    expect(call("request-signature", [Cl.buffer(message), Cl.uint(1000)], wallets[12]).result).toBeOk(expect.anything());
    expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(partialSign(keys.shares[0], message))], signer).result).toBeOk(Cl.uint(1));
    expect(signerInfo(signer)!["performance-metrics"]).toMatchObject({ "total-signatures": 1n, "valid-signatures": 1n, "signing-speed": 1n, uptime: 100n });
    const interval = currentInterval();
    // honest: 95 / 3 blocks / 1 valid; honest: 90 / 2 blocks / 1 valid. Two reports: nothing moves.
    expect(report(towers[0], signer, 95, 3, 1).result).toBeOk(Cl.uint(10_000n));
    expect(report(towers[1], signer, 90, 2, 1).result).toBeOk(Cl.uint(10_000n));
    expect(signerInfo(signer)!["performance-metrics"]).toMatchObject({ uptime: 100n, "signing-speed": 1n, accuracy: 100n });
    // the liar: 0 / 100000 blocks / 0 valid. Three reports: uptimes [0, 90, 95], all three at or
    // below 95, so uptime falls to 95 (not to the liar's 0); speeds [2, 3, 100000], all at or
    // above 2, so speed rises to 2; accuracies [0, 100, 100]: no three agree on less, it stays.
    const { result, events } = report(towers[2], signer, 0, 100_000, 0);
    // reputation = 40 * 95 + 40 * 100 + 20 * (100 / 2) = 3800 + 4000 + 1000
    expect(result).toBeOk(Cl.uint(8800));
    expect(signerInfo(signer)!["performance-metrics"]).toMatchObject({ uptime: 95n, "signing-speed": 2n, accuracy: 100n });
    expect(decode(read("get-interval-reports", [Cl.principal(signer), Cl.uint(interval)]))).toEqual({
      reporters: [towers[0], towers[1], towers[2]],
      quorum: 3n,
      uptimes: [0n, 90n, 95n],
      speeds: [2n, 3n, 100_000n],
      accuracies: [0n, 100n, 100n],
    });
    expect(printed(events, "watchtower-report")).toEqual({
      topic: "watchtower-report",
      watchtower: towers[2],
      signer,
      interval,
      uptime: 0n,
      "signing-speed": 100_000n,
      accuracy: 0n,
      reports: 3n,
      quorum: 3n,
      agreed: true,
    });
    expect(printed(events, "metrics-updated")).toMatchObject({ signer, "reputation-score": 8800n });
    expect(watchtower(towers[2])).toMatchObject({ "last-report": BigInt(simnet.burnBlockHeight), "reports-submitted": 1n });
    expect(stxTransfers(events)).toEqual([]);

    // A fourth honest report (92 / 3): uptimes [0, 90, 92, 95]: three at or below 92, so 92;
    // speeds [2, 3, 3, 100000]: three at or above 3, so 3. The liar still moved nothing alone.
    const fourth = report(wallets[3], signer, 92, 3, 1);
    // 40 * 92 + 40 * 100 + 20 * (100 / 3) = 3680 + 4000 + 660
    expect(fourth.result).toBeOk(Cl.uint(8340));
    expect(signerInfo(signer)!["performance-metrics"]).toMatchObject({ uptime: 92n, "signing-speed": 3n, accuracy: 100n });
    expect(decode(read("get-reputation", [Cl.principal(signer)]))).toEqual({ ok: 8340n });
  });

  it("sets accuracy from valid-signatures over the signer's total-signatures, as far as the supermajority agrees", () => {
    const keys = thresholdKeys(3, 5, "wt-accuracy");
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    [wallets[10], wallets[11], wallets[12]].forEach(register);
    const member = committee[0];
    for (const text of ["acc-1", "acc-2"]) {
      const message = messageHashOf(text);
      call("request-signature", [Cl.buffer(message), Cl.uint(1000)], wallets[13]);
      expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(partialSign(keys.shares[0], message))], member).result).toBeOk(expect.anything());
    }
    expect(signerInfo(member)!["performance-metrics"]).toMatchObject({ "total-signatures": 2n, "valid-signatures": 2n });
    report(wallets[10], member, 100, 1, 1);
    report(wallets[11], member, 100, 1, 0);
    report(wallets[12], member, 100, 1, 1);
    // accuracies [0, 50, 50]: all three at or below 50 of 100
    expect(decode(read("get-interval-reports", [Cl.principal(member), Cl.uint(currentInterval())]))).toMatchObject({ accuracies: [0n, 50n, 50n] });
    expect(signerInfo(member)!["performance-metrics"].accuracy).toBe(50n);
    expect(signerInfo(member)!["reputation-score"]).toBe(4000n + 2000n + 2000n);
  });
});

describe("update-metrics", () => {
  it("is an active watchtower's report: a signer's metrics and reputation change once the supermajority (3) agrees", () => {
    initialize();
    registerSigners([wallets[5]]);
    const all = [wallets[0], wallets[1], wallets[2]];
    registerWatchtowers(all);
    const update = (tower: string) => call("update-metrics", [Cl.principal(wallets[5]), Cl.uint(4), Cl.uint(80), Cl.uint(70)], tower);
    for (const tower of all.slice(0, 2)) {
      const { result, events } = update(tower);
      expect(result).toBeOk(Cl.uint(5000));
      expect(prints(events).map((e) => e.topic)).toEqual(["watchtower-report"]);
    }
    expect(signerInfo(wallets[5])!["reputation-score"]).toBe(5000n);
    const { result, events } = update(all[2]);
    // 40 * 80 + 40 * 70 + 20 * (100 / 4) = 6500, - 5000 withheld (no partial yet)
    expect(result).toBeOk(Cl.uint(3200 + 2800 + 500 - 5000));
    const info = signerInfo(wallets[5])!;
    expect(info["performance-metrics"]).toMatchObject({ "signing-speed": 4n, uptime: 80n, accuracy: 70n });
    expect(info["reputation-score"]).toBe(1500n);
    expect(printed(events, "watchtower-report")).toMatchObject({ uptime: 80n, "signing-speed": 4n, accuracy: 70n, reports: 3n, quorum: 3n, agreed: true });
    expect(printed(events, "metrics-updated")).toMatchObject({
      topic: "metrics-updated",
      signer: wallets[5],
      "reputation-score": 1500n,
      "performance-metrics": expect.objectContaining({ "signing-speed": 4n, uptime: 80n, accuracy: 70n }),
    });
    expect(decode(read("get-watchtower-report", [Cl.principal(all[2]), Cl.principal(wallets[5]), Cl.uint(currentInterval())]))).toEqual({
      uptime: 80n,
      "signing-speed": 4n,
      accuracy: 70n,
    });
  });

  it("refuses a watchtower that left with ERR-UNAUTHORIZED", () => {
    initialize();
    registerSigners([wallets[5]]);
    register(wallets[0]);
    call("leave-watchtower", [], wallets[0]);
    expect(call("update-metrics", [Cl.principal(wallets[5]), Cl.uint(4), Cl.uint(80), Cl.uint(70)], wallets[0]).result).toBeErr(Cl.uint(100));
    expect(signerInfo(wallets[5])!["reputation-score"]).toBe(5000n);
  });

  it("refuses out-of-range metrics with ERR-INVALID-METRICS", () => {
    initialize();
    registerSigners([wallets[5]]);
    register(wallets[0]);
    expect(call("update-metrics", [Cl.principal(wallets[5]), Cl.uint(4), Cl.uint(80), Cl.uint(101)], wallets[0]).result).toBeErr(Cl.uint(108));
    expect(call("update-metrics", [Cl.principal(wallets[5]), Cl.uint(4), Cl.uint(101), Cl.uint(70)], wallets[0]).result).toBeErr(Cl.uint(108));
    expect(call("update-metrics", [Cl.principal(wallets[5]), Cl.uint(100_001), Cl.uint(80), Cl.uint(70)], wallets[0]).result).toBeErr(Cl.uint(108));
    expect(signerInfo(wallets[5])!["performance-metrics"]).toMatchObject({ "signing-speed": 0n, uptime: 100n, accuracy: 100n });
  });
});
