// The adversarial review's eight attacks (issue 8), each run as an attacker would with real
// STX and real BLS, asserting that the honest party keeps its stake, its reputation, its
// seat and its fee. Plus the supermajority rule with five watchtowers, two of them colluding.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  DEFAULTS,
  activeEpoch,
  call,
  combine,
  config,
  decode,
  deployer,
  errCode,
  expectBalancedBooks,
  freshAccount,
  junkSignature,
  messageHashOf,
  partialSign,
  printed,
  read,
  registerSigners,
  rewardsOf,
  rotate,
  signerInfo,
  stxBalance,
  thresholdKeys,
  treasury,
  verifyBls,
  wallets,
  watchtower,
  mineToNextInterval,
} from "./helpers";

afterEach(() => expectBalancedBooks());

const STAKE = DEFAULTS.minStake;
const FEE = 3_000_000n;
const BOND = 100_000_000n;
const CLAIM_WINDOW = 144;
const SIGNING_TIMEOUT = 120;
const UNBONDING = 2016;
const FALSE_CLAIM_BPS = 1000n;

const ERR = {
  UNAUTHORIZED: 100,
  NOT_ACTIVE_SIGNER: 106,
  PAUSED: 113,
  STAKE_LOCKED: 118,
  REQUEST_EXPIRED: 122,
  THRESHOLD_NOT_MET: 124,
  DEADLINE_NOT_REACHED: 134,
  WATCHTOWER_LIMIT: 144,
  FEE_EARNED: 149,
};

const keys = thresholdKeys(3, 5, "security");
const requester = wallets[12];
let committee: string[] = [];

// ---- the honest network: a (3, 5) epoch with real threshold keys ---------------------------

function epochOne() {
  committee = activeEpoch(wallets.slice(0, 5), keys);
}

function request(text: string, fee = FEE): Uint8Array {
  const message = messageHashOf(text);
  expect(call("request-signature", [Cl.buffer(message), Cl.uint(fee)], requester).result).toBeOk(expect.anything());
  return message;
}

/** Member at 1-based share `index` submits its real partial (or one made with `share`). */
function sign(message: Uint8Array, index: number, share = keys.shares[index - 1]) {
  const signature = partialSign(share, message);
  expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(signature)], committee[index - 1]).result).toBeOk(
    expect.anything(),
  );
  return { index, signature };
}

function towers(who: string[]) {
  for (const tower of who) expect(call("register-watchtower", [], tower).result).toBeOk(Cl.bool(true));
}

const requestOf = (message: Uint8Array) => decode(read("get-request", [Cl.buffer(message)])) as Record<string, any>;
const claimOf = (message: Uint8Array, signer: string) =>
  decode(read("get-claim", [Cl.buffer(message), Cl.principal(signer)])) as Record<string, any> | null;
const supermajority = () => decode(read("get-watchtower-supermajority")) as bigint;
const currentInterval = () => decode(read("get-current-interval")) as bigint;

/** What an honest member keeps: stake, unbonding, reputation and metrics (without the
 *  height-dependent stake-duration), slashing history. */
function standing(who: string) {
  const info = signerInfo(who)!;
  const { "stake-duration": _, ...metrics } = info["performance-metrics"];
  return { stake: info.stake, unbonding: info.unbonding, reputation: info["reputation-score"], metrics, history: info["slashing-history"] };
}

/** Mines Bitcoin blocks (each with a Stacks block) so that burn-now moves past `target`. */
function passBurn(blocks: number) {
  simnet.mineEmptyBurnBlocks(blocks);
}

/** Aggregates `partials`, lets the claim window pass and settles: the fee goes out. */
function finalizeAndSettle(message: Uint8Array, partials: { index: number; signature: Uint8Array }[]) {
  const aggregate = combine(partials);
  expect(verifyBls(keys.groupKey, message, aggregate)).toBe(true);
  expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(aggregate)], requester).result).toBeOk(expect.anything());
  passBurn(CLAIM_WINDOW + 1);
  return call("settle-fee", [Cl.buffer(message)], requester);
}

// ---- 1. committee capture through metrics ------------------------------------------------

describe("attack 1: committee capture through metrics", () => {
  it("one watchtower's update-metrics(honest, 100000, 0, 0) is only a report: no honest reputation moves and the attacker's fresh signers take no seat", () => {
    epochOne();
    const message = request("a track record");
    const partials = [1, 2, 3, 4, 5].map((i) => sign(message, i));
    expect(finalizeAndSettle(message, partials).result).toBeOk(Cl.uint(FEE));
    const before = committee.map(standing);
    // Track records: 10000 for the first to sign, less for the slower ones; all above 5000.
    expect(before.map((s) => s.reputation)).toEqual([10000n, 9000n, 8660n, 8500n, 8400n]);

    const attacker = wallets[5];
    towers([attacker]);
    for (const [i, member] of committee.entries()) {
      const { result, events } = call("update-metrics", [Cl.principal(member), Cl.uint(100000), Cl.uint(0), Cl.uint(0)], attacker);
      expect(result).toBeOk(Cl.uint(before[i].reputation));
      expect(printed(events, "watchtower-report")).toMatchObject({ reports: 1n, quorum: 3n, agreed: false });
    }
    expect(committee.map(standing)).toEqual(before);

    // Five fresh sybils at the neutral 5000 and the same stake: the next rotation keeps the
    // honest committee whole.
    const sybils = Array.from({ length: 5 }, (_, i) => freshAccount(`capture-sybil-${i}`, 10n * STAKE));
    registerSigners(sybils);
    passBurn(Number(DEFAULTS.rotationPeriod));
    const { result, events } = rotate(sybils[0]);
    expect(result).toBeOk(Cl.uint(2));
    expect(printed(events, "committee-rotated")).toMatchObject({ committee, joined: [], left: [] });
  });

  it("a lying report beside honest ones moves nothing; a metric changes only as far as a supermajority of reports agrees", () => {
    epochOne();
    const message = request("reports");
    const partials = [1, 2, 3, 4, 5].map((i) => sign(message, i));
    expect(finalizeAndSettle(message, partials).result).toBeOk(Cl.uint(FEE));
    const [honestA, honestB, liar] = [wallets[5], wallets[6], wallets[7]];
    towers([honestA, honestB, liar]);
    const target = committee[0];
    const before = standing(target);
    const report = (tower: string, uptime: number) =>
      call("submit-watchtower-report", [Cl.principal(target), Cl.uint(uptime), Cl.uint(1), Cl.uint(1)], tower);

    // One honest report, then the liar: two of three, no supermajority, nothing moves.
    expect(report(honestA, 100).result).toBeOk(Cl.uint(10000));
    expect(report(liar, 0).result).toBeOk(Cl.uint(10000));
    expect(standing(target)).toEqual(before);
    // The third report completes the supermajority; the liar's 0 is outvoted.
    const third = report(honestB, 100);
    expect(third.result).toBeOk(Cl.uint(10000));
    expect(printed(third.events, "watchtower-report")).toMatchObject({ reports: 3n, quorum: 3n, agreed: true });
    expect(standing(target)).toEqual(before);

    // Next interval: the honest watchtowers saw a real drop to 70; the liar says 0. The
    // uptime falls to what the supermajority agrees on (70), never to the liar's 0.
    passBurn(144);
    expect(report(liar, 0).result).toBeOk(expect.anything());
    expect(report(honestA, 70).result).toBeOk(expect.anything());
    expect(signerInfo(target)!["performance-metrics"].uptime).toBe(100n);
    expect(report(honestB, 70).result).toBeOk(Cl.uint(8800));
    expect(signerInfo(target)!["performance-metrics"].uptime).toBe(70n);
  });

  it("one watchtower slot cycled through many accounts adds up to nothing: a report counts only while its watchtower is active", () => {
    epochOne();
    const honest = wallets.slice(5, 9);
    towers(honest);
    const target = committee[0];
    const before = standing(target);
    // Each account takes the free slot, reports the member as down, and leaves (its bond unbonds).
    const cyclers = Array.from({ length: 6 }, (_, i) => freshAccount(`slot-cycler-${i}`, BOND + 1_000_000n));
    for (const cycler of cyclers) {
      expect(call("register-watchtower", [], cycler).result).toBeOk(Cl.bool(true));
      const lie = call("update-metrics", [Cl.principal(target), Cl.uint(100_000), Cl.uint(0), Cl.uint(0)], cycler);
      expect(lie.result).toBeOk(Cl.uint(before.reputation));
      // only its own report counts: the earlier cyclers' reports left with them
      expect(printed(lie.events, "watchtower-report")).toMatchObject({ reports: 1n, quorum: 4n, agreed: false });
      expect(call("leave-watchtower", [], cycler).result).toBeOk(expect.anything());
    }
    expect(standing(target)).toEqual(before);
    expect(decode(read("get-interval-reports", [Cl.principal(target), Cl.uint(currentInterval())]))).toMatchObject({
      reporters: [cyclers[5]],
      uptimes: [0n],
    });
    // The honest watchtowers' reports are what counts: four of them, the interval's quorum.
    for (const tower of honest) {
      expect(call("update-metrics", [Cl.principal(target), Cl.uint(1), Cl.uint(100), Cl.uint(100)], tower).result).toBeOk(expect.anything());
    }
    expect(decode(read("get-interval-reports", [Cl.principal(target), Cl.uint(currentInterval())]))).toMatchObject({
      reporters: honest,
      uptimes: [100n, 100n, 100n, 100n],
    });
    expect(standing(target)).toEqual({ ...before, metrics: { ...before.metrics, "signing-speed": 1n } });
    expect(signerInfo(target)!.stake).toBe(STAKE);
  });

  it("a signer that is also a watchtower cannot report on itself, and the deployer cannot set metrics at all (ERR-UNAUTHORIZED)", () => {
    epochOne();
    const member = committee[0];
    towers([member]);
    const before = standing(member);
    expect(call("update-metrics", [Cl.principal(member), Cl.uint(1), Cl.uint(100), Cl.uint(100)], member).result).toEqual(
      errCode(ERR.UNAUTHORIZED),
    );
    expect(call("submit-watchtower-report", [Cl.principal(member), Cl.uint(100), Cl.uint(1), Cl.uint(0)], member).result).toEqual(
      errCode(ERR.UNAUTHORIZED),
    );
    expect(call("update-metrics", [Cl.principal(committee[1]), Cl.uint(100000), Cl.uint(0), Cl.uint(0)], deployer).result).toEqual(
      errCode(ERR.UNAUTHORIZED),
    );
    expect(standing(member)).toEqual(before);
    expect(standing(committee[1]).reputation).toBe(5000n);
  });
});

// ---- 2. a pause slashes the honest -------------------------------------------------------------

describe("attack 2: a pause slashes the honest", () => {
  it("blocks spent paused do not count toward the deadline: after a long pause the members still sign, nobody is penalized, the fee is theirs", () => {
    epochOne();
    const message = request("paused request");
    const deadline = requestOf(message).deadline as bigint;
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    simnet.mineEmptyBlocks(SIGNING_TIMEOUT + 1); // 121 Stacks and Bitcoin blocks, all paused
    expect(call("unpause", [], deployer).result).toBeOk(Cl.bool(true));

    const clock = decode(read("get-clock")) as Record<string, any>;
    expect(clock.paused).toBe(false);
    expect(clock["paused-blocks"].stacks).toBeGreaterThanOrEqual(BigInt(SIGNING_TIMEOUT + 1));
    expect(clock["stacks-now"]).toBeLessThan(deadline);

    const before = committee.map(standing);
    const outsider = wallets[9];
    for (const member of committee) {
      expect(call("penalize-missed-signature", [Cl.buffer(message), Cl.principal(member)], outsider).result).toEqual(
        errCode(ERR.DEADLINE_NOT_REACHED),
      );
    }
    expect(call("reclaim-fee", [Cl.buffer(message)], requester).result).toEqual(errCode(ERR.DEADLINE_NOT_REACHED));
    const partials = [1, 2, 3, 4, 5].map((i) => sign(message, i));
    expect(finalizeAndSettle(message, partials).result).toBeOk(Cl.uint(FEE));
    committee.forEach((member, i) => {
      expect(standing(member).stake).toBe(before[i].stake);
      expect(standing(member).history["total-slashes"]).toBe(0n);
      expect(rewardsOf(member)).toBe(FEE / 5n);
    });
    expect(rewardsOf(outsider)).toBe(0n);
  });

  it("expire-claim is refused while paused, and a claim window does not run during a pause: the honest claimants still confirm afterwards", () => {
    epochOne();
    const [a, b, c] = [wallets[5], wallets[6], wallets[7]];
    towers([a, b, c]);
    const message = request("a bad partial across a pause");
    sign(message, 1, keys.shares[1]); // member 1 submits member 2's share: invalid for its own key
    const faulty = committee[0];
    expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(faulty)], a).result).toBeOk(Cl.bool(false));

    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    passBurn(CLAIM_WINDOW + 10);
    expect(call("expire-claim", [Cl.buffer(message), Cl.principal(faulty)], wallets[9]).result).toEqual(errCode(ERR.PAUSED));
    expect(call("unpause", [], deployer).result).toBeOk(Cl.bool(true));
    expect(call("expire-claim", [Cl.buffer(message), Cl.principal(faulty)], wallets[9]).result).toEqual(
      errCode(ERR.DEADLINE_NOT_REACHED),
    );
    expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(faulty)], b).result).toBeOk(Cl.bool(false));
    expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(faulty)], c).result).toBeOk(Cl.bool(true));
    for (const tower of [a, b, c]) expect(watchtower(tower)!.bond).toBe(BOND);
    expect(signerInfo(faulty)!["slashing-history"]["total-slashes"]).toBe(1n);
  });
});

// ---- 3 and the supermajority rule: colluding watchtowers -----------------------------------

describe("attack 3: colluding watchtowers", () => {
  it("five active watchtowers, two colluding with the requester: their claims against valid partials slash nobody, the fee stays earned, and once the claims expire their bonds are smaller by false-claim-bps", () => {
    epochOne();
    const honest = [wallets[5], wallets[6], wallets[7]];
    const colluders = [wallets[8], wallets[9]];
    towers([...honest, ...colluders]);
    expect(supermajority()).toBe(4n); // max(3, ceil(2/3 of 5))
    expect(config()["watchtower-quorum"]).toBe(3n);

    const message = request("collusion");
    const partials = [1, 2, 3, 4, 5].map((i) => sign(message, i));
    const before = committee.map(standing);
    for (const member of committee) {
      for (const tower of colluders) {
        expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(member)], tower).result).toBeOk(Cl.bool(false));
      }
    }
    expect(requestOf(message)["partial-count"]).toBe(5n);
    expect(committee.map(standing)).toEqual(before);

    // The requester combines the public partials off-chain and tries to take the fee back.
    simnet.mineEmptyStacksBlocks(SIGNING_TIMEOUT + 1);
    expect(call("reclaim-fee", [Cl.buffer(message)], requester).result).toEqual(errCode(ERR.FEE_EARNED));

    // They also claim the valid aggregate: no supermajority, no accuracy-score.
    const aggregate = combine(partials.slice(0, 3));
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(aggregate)], requester).result).toBeOk(expect.anything());
    for (const tower of colluders) expect(call("report-invalid-aggregate", [Cl.buffer(message)], tower).result).toBeOk(Cl.bool(false));
    expect(requestOf(message)["aggregate-signature"]).not.toBeNull();

    passBurn(CLAIM_WINDOW + 1);
    const treasuryBefore = treasury();
    for (const member of committee) {
      const { result, events } = call("expire-claim", [Cl.buffer(message), Cl.principal(member)], wallets[10]);
      expect(result).toBeOk(expect.anything());
      expect(printed(events, "claim-expired")).toMatchObject({ claimants: colluders });
    }
    expect(call("expire-aggregate-claim", [Cl.buffer(message), Cl.buffer(aggregate)], wallets[10]).result).toBeOk(expect.anything());
    // Six expired claims each: 0.9^6 of the bond is left, and six times -10 accuracy (40).
    let expected = BOND;
    let forfeited = 0n;
    for (let i = 0; i < 6; i++) {
      const forfeit = (expected * FALSE_CLAIM_BPS) / 10000n;
      forfeited += forfeit;
      expected -= forfeit;
    }
    for (const tower of colluders) {
      const record = watchtower(tower)!;
      expect(record.bond).toBe(expected);
      expect(record["accuracy-score"]).toBe(40n);
      expect(record["is-active"]).toBe(false); // below the accuracy floor: slot freed
    }
    for (const tower of honest) expect(watchtower(tower)!.bond).toBe(BOND);
    expect(treasury()).toBe(treasuryBefore + 2n * forfeited);

    expect(call("settle-fee", [Cl.buffer(message)], requester).result).toBeOk(Cl.uint(FEE));
    committee.forEach((member, i) => {
      expect(standing(member).stake).toBe(before[i].stake);
      expect(standing(member).history["total-slashes"]).toBe(0n);
      expect(rewardsOf(member)).toBe(FEE / 5n);
    });
  });

  it("a blocking minority cannot bleed the honest watchtowers: junk aggregates that three of five claim expire at no cost, and the minority never grows into a supermajority", () => {
    epochOne();
    const all = wallets.slice(5, 10);
    towers(all);
    const [colluders, honest] = [all.slice(0, 2), all.slice(2)];
    expect(supermajority()).toBe(4n);
    // Six rounds: the colluding requester posts a junk aggregate over real partials; the three
    // honest watchtowers claim it; the two colluders stay silent, so no claim reaches 4.
    for (let round = 1; round <= 6; round++) {
      const message = request(`junk round ${round}`);
      for (const index of [1, 2, 3]) sign(message, index);
      const junk = junkSignature(`junk round ${round}`);
      expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(junk)], requester).result).toBeOk(expect.anything());
      for (const tower of honest) expect(call("report-invalid-aggregate", [Cl.buffer(message)], tower).result).toBeOk(Cl.bool(false));
      passBurn(CLAIM_WINDOW + 1);
      const expired = call("expire-aggregate-claim", [Cl.buffer(message), Cl.buffer(junk)], colluders[0]);
      expect(expired.result).toBeOk(Cl.uint(0));
      expect(printed(expired.events, "claim-expired")).toMatchObject({ backing: 3n, "active-watchtowers": 5n, contested: true, forfeited: 0n });
    }
    for (const tower of honest) {
      expect(watchtower(tower)).toMatchObject({ bond: BOND, "accuracy-score": 100n, "is-active": true, "open-claims": 0n });
    }
    // A third colluder joins: six active, supermajority 4. Three cannot slash a valid partial.
    const third = wallets[10];
    towers([third]);
    expect(supermajority()).toBe(4n);
    const message = request("the colluders' target");
    sign(message, 1);
    const before = standing(committee[0]);
    for (const tower of [...colluders, third]) {
      expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(committee[0])], tower).result).toBeOk(Cl.bool(false));
    }
    expect(standing(committee[0])).toEqual(before);
    expect(claimOf(message, committee[0])).toMatchObject({ confirmed: false });
  });

  it("the supermajority of the active watchtowers does confirm a real invalid partial", () => {
    epochOne();
    const all = [wallets[5], wallets[6], wallets[7], wallets[8], wallets[9]];
    towers(all);
    const message = request("a real fault");
    sign(message, 2, keys.shares[0]);
    const faulty = committee[1];
    const results = all.slice(0, 4).map((tower) => call("report-invalid-signature", [Cl.buffer(message), Cl.principal(faulty)], tower).result);
    expect(results).toEqual([Cl.ok(Cl.bool(false)), Cl.ok(Cl.bool(false)), Cl.ok(Cl.bool(false)), Cl.ok(Cl.bool(true))]);
    expect(claimOf(message, faulty)!.confirmed).toBe(true);
    expect(signerInfo(faulty)!.stake).toBe(STAKE - STAKE / 10n);
  });
});

describe("reports and claims after a watchtower leaves", () => {
  it("liars who report and leave take their reports with them, and the interval's quorum never falls below the supermajority of its first report", () => {
    epochOne();
    const all = wallets.slice(5, 12); // seven active watchtowers: supermajority 5
    towers(all);
    const [liars, honest] = [all.slice(0, 3), all.slice(3)];
    const target = committee[0];
    const before = standing(target);
    const report = (tower: string, uptime: number) =>
      call("submit-watchtower-report", [Cl.principal(target), Cl.uint(uptime), Cl.uint(1), Cl.uint(0)], tower);
    for (const liar of liars) expect(report(liar, 0).result).toBeOk(expect.anything());
    for (const liar of liars) expect(call("leave-watchtower", [], liar).result).toBeOk(expect.anything());
    expect(supermajority()).toBe(3n); // four active now
    // The liars' reports left with them: one report counts, against the interval's quorum of 5.
    const first = report(honest[0], 100);
    expect(printed(first.events, "watchtower-report")).toMatchObject({ reports: 1n, quorum: 5n, agreed: false });
    expect(decode(read("get-interval-reports", [Cl.principal(target), Cl.uint(currentInterval())]))).toMatchObject({
      reporters: [honest[0]],
      uptimes: [100n],
    });
    for (const tower of honest.slice(1, 3)) expect(report(tower, 100).result).toBeOk(expect.anything());
    // Three honest reports: a supermajority of the four active, but not the interval's 5.
    expect(standing(target)).toEqual(before);
    const last = report(honest[3], 100);
    expect(printed(last.events, "watchtower-report")).toMatchObject({ reports: 4n, quorum: 5n, agreed: false });
    expect(standing(target)).toEqual(before);
  });

  it("a watchtower whose whole bond was forfeited (false-claim-bps 100%) can still close its record and register again", () => {
    epochOne();
    const [a, b, c] = [wallets[5], wallets[6], wallets[7]];
    towers([a, b, c]);
    // Governance sets false-claim-bps to 100%.
    expect(call("propose-parameter-change", [Cl.stringAscii("false-claim-bps"), Cl.uint(10000)], committee[0]).result).toBeOk(Cl.uint(1));
    for (const voter of committee.slice(0, 3)) expect(call("vote-on-proposal", [Cl.uint(1), Cl.bool(true)], voter).result).toBeOk(expect.anything());
    passBurn(1008);
    expect(call("execute-proposal", [Cl.uint(1)], committee[0]).result).toBeOk(Cl.bool(true));
    const message = request("a false claim at 100%");
    sign(message, 1);
    expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(committee[0])], a).result).toBeOk(Cl.bool(false));
    passBurn(CLAIM_WINDOW + 1);
    expect(call("expire-claim", [Cl.buffer(message), Cl.principal(committee[0])], b).result).toBeOk(Cl.uint(BOND));
    expect(watchtower(a)).toMatchObject({ bond: 0n, "is-active": false });
    passBurn(UNBONDING);
    expect(call("withdraw-watchtower-bond", [], a).result).toBeOk(Cl.uint(0));
    expect(watchtower(a)).toBeNull();
    expect(call("register-watchtower", [], a).result).toBeOk(Cl.bool(true));
  });

  it("a watchtower cannot take its bond out while a claim it made is open: the claim must be decided or expire (and cost it) first", () => {
    epochOne();
    const [a, b, c] = [wallets[5], wallets[6], wallets[7]];
    towers([a, b, c]);
    const message = request("claim then leave");
    sign(message, 1);
    expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(committee[0])], a).result).toBeOk(Cl.bool(false));
    expect(watchtower(a)!["open-claims"]).toBe(1n);
    expect(call("leave-watchtower", [], a).result).toBeOk(expect.anything());
    passBurn(UNBONDING);
    expect(call("withdraw-watchtower-bond", [], a).result).toEqual(errCode(ERR.STAKE_LOCKED));
    expect(call("expire-claim", [Cl.buffer(message), Cl.principal(committee[0])], b).result).toBeOk(Cl.uint(BOND / 10n));
    expect(watchtower(a)).toMatchObject({ "open-claims": 0n, bond: BOND - BOND / 10n });
    const balance = stxBalance(a);
    expect(call("withdraw-watchtower-bond", [], a).result).toBeOk(Cl.uint(BOND - BOND / 10n));
    expect(stxBalance(a)).toBe(balance + BOND - BOND / 10n);
  });
});

// ---- 4. a member escapes its slashes -----------------------------------------------------------

describe("attack 4: a member escapes its slashes", () => {
  it("a slash takes unbonding stake first: a member with min-stake bonded and 100x unbonding keeps its bond and its record", () => {
    epochOne();
    const member = committee[0];
    expect(call("increase-stake", [Cl.uint(100n * STAKE)], member).result).toBeOk(Cl.uint(101n * STAKE));
    expect(call("request-unstake", [Cl.uint(100n * STAKE)], member).result).toBeOk(expect.anything());
    const message = request("the member stays silent");
    [2, 3, 4, 5].forEach((i) => sign(message, i));
    simnet.mineEmptyStacksBlocks(SIGNING_TIMEOUT + 1);
    const { result } = call("penalize-missed-signature", [Cl.buffer(message), Cl.principal(member)], wallets[9]);
    const slash = (101n * STAKE) / 100n;
    expect(result).toBeOk(Cl.uint(slash));
    expect(signerInfo(member)!.stake).toBe(STAKE);
    expect(signerInfo(member)!.unbonding).toBe(100n * STAKE - slash);

    // It cannot leave the registry while it serves: unstaking the bond is locked, and after
    // the unbonding period only the unbonding part leaves.
    expect(call("request-unstake", [Cl.uint(STAKE)], member).result).toEqual(errCode(ERR.STAKE_LOCKED));
    passBurn(UNBONDING);
    expect(call("withdraw-stake", [], member).result).toBeOk(Cl.uint(100n * STAKE - slash));
    expect(signerInfo(member)).not.toBeNull();
    expect(decode(read("get-member-index", [Cl.uint(1), Cl.principal(member)]))).toBe(1n);

    // Its later invalid partial is still slashable.
    towers([wallets[5], wallets[6], wallets[7]]);
    const next = request("and then cheats");
    sign(next, 1, keys.shares[4]);
    for (const tower of [wallets[5], wallets[6]]) {
      expect(call("report-invalid-signature", [Cl.buffer(next), Cl.principal(member)], tower).result).toBeOk(Cl.bool(false));
    }
    expect(call("report-invalid-signature", [Cl.buffer(next), Cl.principal(member)], wallets[7]).result).toBeOk(Cl.bool(true));
    expect(signerInfo(member)!.stake).toBe(STAKE - STAKE / 10n);
  });

  it("withdraw-stake waits while a partial can still be contested, even after the unbonding period", () => {
    epochOne();
    const member = committee[0];
    expect(call("increase-stake", [Cl.uint(STAKE)], member).result).toBeOk(Cl.uint(2n * STAKE));
    expect(call("request-unstake", [Cl.uint(STAKE)], member).result).toBeOk(expect.anything());
    passBurn(UNBONDING - 10);
    const message = request("late partial");
    sign(message, 1);
    const claimUntil = (decode(read("get-partial-signature", [Cl.buffer(message), Cl.principal(member)])) as any)["claim-until"] as bigint;
    passBurn(10);
    expect(call("withdraw-stake", [], member).result).toEqual(errCode(ERR.STAKE_LOCKED));
    passBurn(Number(claimUntil) - simnet.burnBlockHeight + 1);
    const balance = stxBalance(member);
    expect(call("withdraw-stake", [], member).result).toBeOk(Cl.uint(STAKE));
    expect(stxBalance(member)).toBe(balance + STAKE);
  });
});

// ---- 5. fees go only to valid work ---------------------------------------------------------------

describe("attack 5: an invalid partial keeps its fee; an aggregate stands on t-1", () => {
  it("a confirmed invalid partial always leaves the count, drops a junk aggregate left under t, earns nothing; the member who completes the request is paid", () => {
    epochOne();
    const [a, b, c] = [wallets[5], wallets[6], wallets[7]];
    towers([a, b, c]);
    const message = request("junk and a bad partial");
    const good = [sign(message, 1), sign(message, 2)];
    sign(message, 3, keys.shares[0]); // member 3 cheats
    const cheat = committee[2];
    const junk = junkSignature("stands on t-1");
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(junk)], wallets[10]).result).toBeOk(expect.anything());

    for (const tower of [a, b]) {
      expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(cheat)], tower).result).toBeOk(Cl.bool(false));
    }
    const confirm = call("report-invalid-signature", [Cl.buffer(message), Cl.principal(cheat)], c);
    expect(confirm.result).toBeOk(Cl.bool(true));
    expect(printed(confirm.events, "aggregate-dropped")).toMatchObject({ "partial-count": 2n });
    expect(requestOf(message)).toMatchObject({ "partial-count": 2n, "aggregate-signature": null });
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(junk)], wallets[10]).result).toEqual(
      errCode(ERR.THRESHOLD_NOT_MET),
    );

    // Member 4 completes the request; the three valid signers share the fee, the cheat gets nothing.
    const rescue = sign(message, 4);
    expect(finalizeAndSettle(message, [...good, rescue]).result).toBeOk(Cl.uint(FEE));
    expect([committee[0], committee[1], committee[3]].map(rewardsOf)).toEqual([FEE / 3n, FEE / 3n, FEE / 3n]);
    expect(rewardsOf(cheat)).toBe(0n);
  });

  it("the fee is not paid at the aggregate but after its claim window, so a junk aggregate pays nobody and the real one pays the signers", () => {
    epochOne();
    const [a, b, c] = [wallets[5], wallets[6], wallets[7]];
    towers([a, b, c]);
    const message = request("fee after the window");
    const partials = [1, 2, 3].map((i) => sign(message, i));
    const junk = junkSignature("first");
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(junk)], wallets[10]).result).toBeOk(expect.anything());
    expect(committee.map(rewardsOf)).toEqual([0n, 0n, 0n, 0n, 0n]);
    for (const tower of [a, b]) expect(call("report-invalid-aggregate", [Cl.buffer(message)], tower).result).toBeOk(Cl.bool(false));
    expect(call("report-invalid-aggregate", [Cl.buffer(message)], c).result).toBeOk(Cl.bool(true));
    for (const tower of [a, b, c]) expect(watchtower(tower)!["accuracy-score"]).toBe(100n);
    expect(finalizeAndSettle(message, partials).result).toBeOk(Cl.uint(FEE));
    expect(committee.map(rewardsOf)).toEqual([FEE / 3n, FEE / 3n, FEE / 3n, 0n, 0n]);
  });
});

// ---- 6. watchtower slots squatted ---------------------------------------------------------------

describe("attack 6: watchtower slots squatted", () => {
  it("a watchtower that leaves frees its slot at once, and squatters that file false claims lose bond and their slots", () => {
    epochOne();
    const squatters = Array.from({ length: 32 }, (_, i) => freshAccount(`squatter-${i}`, 2n * BOND));
    towers(squatters);
    const honest = wallets[5];
    expect(call("register-watchtower", [], honest).result).toEqual(errCode(ERR.WATCHTOWER_LIMIT));
    expect(call("leave-watchtower", [], squatters[0]).result).toBeOk(expect.anything());
    expect(watchtower(squatters[0])!.bond).toBe(BOND); // still unbonding
    expect(call("register-watchtower", [], honest).result).toBeOk(Cl.bool(true));
    expect((decode(read("get-network-state")) as any)["active-watchtowers"]).toBe(32n);
    expect(supermajority()).toBe(22n); // ceil(2/3 of 32)

    // Twenty-one squatters (one short of the supermajority) claim a valid partial: it stands.
    const message = request("squatters claim");
    sign(message, 1);
    const member = committee[0];
    for (const squatter of squatters.slice(1, 22)) {
      expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(member)], squatter).result).toBeOk(Cl.bool(false));
    }
    expect(signerInfo(member)!.stake).toBe(STAKE);
    // Fifteen of them (under half of the 32 active) claim another valid partial: when that
    // claim expires each loses 10% of its bond.
    const second = request("squatters claim again");
    sign(second, 2);
    for (const squatter of squatters.slice(1, 16)) {
      expect(call("report-invalid-signature", [Cl.buffer(second), Cl.principal(committee[1])], squatter).result).toBeOk(Cl.bool(false));
    }
    passBurn(CLAIM_WINDOW + 1);
    expect(call("expire-claim", [Cl.buffer(second), Cl.principal(committee[1])], honest).result).toBeOk(Cl.uint(15n * (BOND / 10n)));
    for (const squatter of squatters.slice(1, 16)) expect(watchtower(squatter)!.bond).toBe(BOND - BOND / 10n);
    expect([member, committee[1]].map((who) => signerInfo(who)!.stake)).toEqual([STAKE, STAKE]);
  });
});

// ---- 7. authorization by tx-sender ---------------------------------------------------------------

describe("attack 7: a contract acting in a privileged principal's name", () => {
  const airdrop = `
    (define-public (claim-airdrop) (contract-call? '${deployer}.dts pause))
    (define-public (claim-bonus) (contract-call? '${deployer}.dts initialize u1 u1 u1 u1 u1))`;

  it("a 'free airdrop' the guardian calls cannot pause (ERR-UNAUTHORIZED); one the deployer calls cannot initialize", () => {
    simnet.deployContract("airdrop", airdrop, { clarityVersion: 4 }, wallets[13]);
    expect(simnet.callPublicFn(`${wallets[13]}.airdrop`, "claim-bonus", [], deployer).result).toEqual(errCode(ERR.UNAUTHORIZED));
    expect(config().initialized).toBe(false);
    epochOne();
    expect(simnet.callPublicFn(`${wallets[13]}.airdrop`, "claim-airdrop", [], deployer).result).toEqual(errCode(ERR.UNAUTHORIZED));
    expect(config().paused).toBe(false);
    // The guardian itself still can.
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
  });
});

// ---- 8. the wrong clock -----------------------------------------------------------------------

describe("attack 8: the wrong clock", () => {
  it("unbonding counts Bitcoin blocks: 2016 Stacks blocks (hours since Nakamoto) release nothing", () => {
    epochOne();
    const backup = wallets[5];
    registerSigners([backup]);
    expect(call("request-unstake", [Cl.uint(STAKE)], backup).result).toBeOk(Cl.uint(BigInt(simnet.burnBlockHeight + UNBONDING)));
    simnet.mineEmptyStacksBlocks(UNBONDING + 10);
    expect(call("withdraw-stake", [], backup).result).toEqual(errCode(ERR.STAKE_LOCKED));
    passBurn(UNBONDING);
    expect(call("withdraw-stake", [], backup).result).toBeOk(Cl.uint(STAKE));
  });

  it("the signing timeout counts Stacks blocks, and claim windows count Bitcoin blocks", () => {
    epochOne();
    towers([wallets[5], wallets[6], wallets[7]]);
    const message = request("clocks");
    sign(message, 1, keys.shares[3]);
    const faulty = committee[0];
    expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(faulty)], wallets[5]).result).toBeOk(Cl.bool(false));
    simnet.mineEmptyStacksBlocks(SIGNING_TIMEOUT + 1);
    const late = partialSign(keys.shares[1], message);
    expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(late)], committee[1]).result).toEqual(
      errCode(ERR.REQUEST_EXPIRED),
    );
    // 121 Stacks blocks later the claim window (144 Bitcoin blocks) is still open.
    expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(faulty)], wallets[6]).result).toBeOk(Cl.bool(false));
    expect(call("report-invalid-signature", [Cl.buffer(message), Cl.principal(faulty)], wallets[7]).result).toBeOk(Cl.bool(true));
    expect(config()["unbonding-period"]).toBe(BigInt(UNBONDING));
  });
});

// ---- a rotation never hands over the key -------------------------------------------------------

describe("a rotation never hands over the key", () => {
  it("whales with 10x the stake take at most n - t seats per rotation; t members of the serving committee stay", () => {
    epochOne();
    expect(config()["max-churn"]).toBe(2n);
    const whales = Array.from({ length: 5 }, (_, i) => freshAccount(`whale-${i}`, 20n * STAKE));
    registerSigners(whales);
    for (const whale of whales) expect(call("increase-stake", [Cl.uint(9n * STAKE)], whale).result).toBeOk(Cl.uint(10n * STAKE));
    passBurn(Number(DEFAULTS.rotationPeriod));
    const first = rotate(whales[0]);
    expect(first.result).toBeOk(Cl.uint(2));
    const rotated = printed(first.events, "committee-rotated");
    expect(rotated["churn-limit"]).toBe(2n);
    expect(rotated.joined).toEqual(whales.slice(0, 2));
    expect(rotated.left).toHaveLength(2);
    expect((rotated.committee as string[]).filter((m) => committee.includes(m))).toHaveLength(3);

    // The old committee reshares and the three members who stay activate epoch 2 (the whales
    // need not take part). The next rotation again changes at most n - t seats: the whales'
    // stake takes the committee over only one rotation at a time, never the key at once.
    const epoch2 = rotated.committee as string[];
    for (const member of committee) {
      expect(call("post-dkg-message", [Cl.uint(2), Cl.uint(1), Cl.buffer(Uint8Array.of(1))], member).result).toBeOk(Cl.bool(true));
    }
    const vote = [Cl.uint(2), Cl.buffer(keys.groupKey), Cl.list(keys.shareKeys.map((k) => Cl.buffer(k)))];
    epoch2.filter((m) => committee.includes(m)).forEach((member, i) =>
      expect(call("submit-epoch-key", vote, member).result).toBeOk(Cl.bool(i === 2)),
    );
    passBurn(Number(DEFAULTS.rotationPeriod));
    const second = printed(rotate(whales[0]).events, "committee-rotated");
    expect(second.previous).toBe(2n);
    expect(second["churn-limit"]).toBe(2n);
    expect((second.committee as string[]).filter((m) => epoch2.includes(m))).toHaveLength(3);
  });

  it("lifts the limit only when fewer than t serving members are still eligible", () => {
    epochOne();
    const backups = [wallets[5], wallets[6], wallets[7]];
    registerSigners(backups);
    // A member cannot exit while it serves; three become ineligible through evidence: each
    // misses signatures until its reputation falls under min-reputation.
    expect(call("request-unstake", [Cl.uint(1)], committee[0]).result).toEqual(errCode(ERR.STAKE_LOCKED));
    let round = 0;
    while ((signerInfo(committee[0])!["reputation-score"] as bigint) >= 2000n) {
      const message = request(`silent ${round++}`);
      [4, 5].forEach((i) => sign(message, i));
      simnet.mineEmptyStacksBlocks(SIGNING_TIMEOUT + 1);
      if (round > 1) mineToNextInterval(); // one liveness penalty per member per report interval
      for (const member of committee.slice(0, 3)) {
        expect(call("penalize-missed-signature", [Cl.buffer(message), Cl.principal(member)], wallets[9]).result).toBeOk(expect.anything());
      }
      expect(round).toBeLessThan(20);
    }
    passBurn(Number(DEFAULTS.rotationPeriod));
    const rotated = printed(rotate(wallets[9]).events, "committee-rotated");
    expect(rotated["churn-limit"]).toBe(5n);
    expect(rotated.joined).toEqual(backups);
    expect(rotated.left).toEqual(committee.slice(0, 3));
  });
});
