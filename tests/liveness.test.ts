// Liveness: anyone may penalize a committee member that did not sign a request before its
// deadline; the notifier earns part of the slash.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  activeEpoch,
  call,
  combine,
  contractPrincipal,
  decode,
  expectBalancedBooks,
  hex,
  junkSignature,
  messageHashOf,
  burnNow,
  nextCallAtStacks,
  registerWatchtowers,
  supermajority,
  partialSign,
  printed,
  read,
  rewardsOf,
  signerInfo,
  stxBalance,
  stxTransfers,
  thresholdKeys,
  wallets,
  mineToNextInterval,
} from "./helpers";

afterEach(() => expectBalancedBooks());

const STAKE = 100_000_000n; // min-stake
const SLASH_LIVENESS_BPS = 100n;
const NOTIFIER_REWARD_BPS = 1000n;
const FEE = 3_000_000n;
const CLAIM_WINDOW = 144n; // Bitcoin blocks: an aggregate's settle-at = burn-now + claim-window

const keys = thresholdKeys(3, 5, "liveness");
const backup = wallets[5]; // registered, ranked sixth: not in the committee of five
const requester = wallets[8];
const notifier = wallets[10];
let committee: string[] = [];

function setup() {
  committee = activeEpoch(wallets.slice(0, 6), keys);
  expect(committee).not.toContain(backup);
}

/** Requests a signature; returns the message hash and its deadline. */
function request(text: string): { message: Uint8Array; deadline: bigint } {
  const message = messageHashOf(text);
  const { result } = call("request-signature", [Cl.buffer(message), Cl.uint(FEE)], requester);
  const deadline = (decode(result) as { ok: bigint }).ok;
  return { message, deadline };
}

function sign(message: Uint8Array, index: number): Uint8Array {
  const signature = partialSign(keys.shares[index - 1], message);
  expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(signature)], committee[index - 1]).result).toBeOk(expect.anything());
  return signature;
}

function penalize(message: Uint8Array, signer: string, caller = notifier) {
  return call("penalize-missed-signature", [Cl.buffer(message), Cl.principal(signer)], caller);
}

const penaltyOf = (message: Uint8Array, signer: string) =>
  decode(read("get-liveness-penalty", [Cl.buffer(message), Cl.principal(signer)])) as bigint | null;

describe("penalize-missed-signature", () => {
  it("slashes a member that did not sign by the deadline, pays the notifier, lowers uptime and reputation; twice is ERR-ALREADY-REPORTED", () => {
    setup();
    const absent = committee[4];
    // The member signed before (at speed 1), so its reputation is a measured 10000.
    const earlier = request("earlier");
    sign(earlier.message, 5);
    expect(signerInfo(absent)).toMatchObject({ "reputation-score": 10_000n, "performance-metrics": expect.objectContaining({ uptime: 100n }) });

    // Only two members sign: the request fails, member 5 never signed.
    const { message, deadline } = request("missed");
    sign(message, 1);
    sign(message, 2);
    nextCallAtStacks(deadline + 1n);
    const books = expectBalancedBooks();
    const contractBalance = stxBalance(contractPrincipal);
    const absentBalance = stxBalance(absent);

    const { result, events } = penalize(message, absent);
    const slashed = (STAKE * SLASH_LIVENESS_BPS) / 10_000n; // 1 STX
    const reward = (slashed * NOTIFIER_REWARD_BPS) / 10_000n; // 0.1 STX
    expect(result).toBeOk(Cl.uint(slashed));
    expect(printed(events, "liveness-penalty")).toEqual({
      topic: "liveness-penalty",
      "message-hash": hex(message),
      signer: absent,
      notifier,
      slashed,
      reward,
    });
    expect(printed(events, "signer-slashed")).toEqual({
      topic: "signer-slashed",
      signer: absent,
      reason: "missed-signature",
      "message-hash": hex(message),
      amount: slashed,
      stake: STAKE - slashed,
      unbonding: 0n,
    });
    // 40 * 90 (uptime) + 40 * 100 (accuracy) + 20 * 100 (speed 1) - 1500 * 1 slash
    expect(printed(events, "metrics-updated")).toMatchObject({ signer: absent, "reputation-score": 8100n });
    expect(stxTransfers(events)).toEqual([]);
    expect(stxBalance(contractPrincipal)).toBe(contractBalance);
    expect(stxBalance(absent)).toBe(absentBalance);

    const info = signerInfo(absent)!;
    expect(info.stake).toBe(STAKE - slashed);
    expect(info["performance-metrics"].uptime).toBe(90n);
    expect(info["reputation-score"]).toBe(8100n);
    expect(decode(read("get-reputation", [Cl.principal(absent)]))).toEqual({ ok: 8100n });
    expect(info["slashing-history"]).toEqual({ "total-slashes": 1n, "last-slash-height": BigInt(simnet.blockHeight), "slashed-amount": slashed });
    expect(penaltyOf(message, absent)).toBe(1n); // penalized for attempt 1 of the request
    expect(rewardsOf(notifier)).toBe(reward);
    const after = expectBalancedBooks();
    expect(after.stakes).toBe(books.stakes - slashed);
    expect(after.rewards).toBe(books.rewards + reward);
    expect(after.treasury).toBe(books.treasury + slashed - reward);
    expect(decode(read("get-treasury"))).toBe(books.treasury + slashed - reward);

    // The same penalty twice is refused.
    const again = penalize(message, absent, wallets[11]);
    expect(again.result).toBeErr(Cl.uint(133));
    expect(again.events).toHaveLength(0);
    expect(signerInfo(absent)!.stake).toBe(STAKE - slashed);
    expect(rewardsOf(wallets[11])).toBe(0n);

    // The notifier claims its reward.
    const notifierBalance = stxBalance(notifier);
    const claimed = call("claim-rewards", [], notifier);
    expect(claimed.result).toBeOk(Cl.uint(reward));
    expect(stxBalance(notifier)).toBe(notifierBalance + reward);
    expect(stxTransfers(claimed.events)).toEqual([{ sender: contractPrincipal, recipient: notifier, amount: reward }]);
    expect(rewardsOf(notifier)).toBe(0n);

    // Another missed request in the same report interval: refused, at most one per interval.
    const next = request("missed again");
    nextCallAtStacks(next.deadline + 1n);
    const sameInterval = penalize(next.message, absent);
    expect(sameInterval.result).toBeErr(Cl.uint(133));
    expect(sameInterval.events).toHaveLength(0);
    // In the next interval: the history keeps growing, uptime and reputation keep falling.
    mineToNextInterval();
    const second = (STAKE - slashed) * SLASH_LIVENESS_BPS / 10_000n;
    expect(penalize(next.message, absent).result).toBeOk(Cl.uint(second));
    const twice = signerInfo(absent)!;
    expect(twice.stake).toBe(STAKE - slashed - second);
    expect(twice["performance-metrics"].uptime).toBe(80n);
    // 40 * 80 + 40 * 100 + 20 * 100 - 1500 * 2
    expect(twice["reputation-score"]).toBe(6200n);
    expect(twice["slashing-history"]).toEqual({
      "total-slashes": 2n,
      "last-slash-height": BigInt(simnet.blockHeight),
      "slashed-amount": slashed + second,
    });
  });

  it("refuses before the deadline (and at it) with ERR-DEADLINE-NOT-REACHED", () => {
    setup();
    const { message, deadline } = request("too early");
    expect(penalize(message, committee[4]).result).toBeErr(Cl.uint(134));
    // At the deadline itself the member may still sign.
    nextCallAtStacks(deadline);
    const { result, events } = penalize(message, committee[4]);
    expect(result).toBeErr(Cl.uint(134));
    expect(events).toHaveLength(0);
    expect(penaltyOf(message, committee[4])).toBeNull();
    expect(signerInfo(committee[4])!.stake).toBe(STAKE);
    expect(penalize(message, committee[4]).result).toBeOk(Cl.uint(STAKE / 100n));
  });

  it("refuses a member that signed with ERR-NOT-PENALIZABLE", () => {
    setup();
    const { message, deadline } = request("signed");
    sign(message, 1);
    nextCallAtStacks(deadline + 1n);
    const { result, events } = penalize(message, committee[0]);
    expect(result).toBeErr(Cl.uint(135));
    expect(events).toHaveLength(0);
    expect(signerInfo(committee[0])).toMatchObject({ stake: STAKE, "slashing-history": { "total-slashes": 0n, "last-slash-height": 0n, "slashed-amount": 0n } });
  });

  it("refuses a registered signer outside the request's committee with ERR-NOT-PENALIZABLE", () => {
    setup();
    const { message, deadline } = request("non-member");
    nextCallAtStacks(deadline + 1n);
    expect(penalize(message, backup).result).toBeErr(Cl.uint(135));
    expect(signerInfo(backup)!.stake).toBe(STAKE);
    expect(rewardsOf(notifier)).toBe(0n);
  });

  it("refuses the members that did not sign a finalized request (it refused their partials) with ERR-NOT-PENALIZABLE", () => {
    setup();
    const { message, deadline } = request("finalized");
    const partials = [1, 2, 3].map((index) => ({ index, signature: sign(message, index) }));
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(combine(partials))], requester).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expect(decode(read("get-request", [Cl.buffer(message)]))).toMatchObject({ "closed-early": true });
    // Member 4 comes too late to sign.
    const late = call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(partialSign(keys.shares[3], message))], committee[3]);
    expect(late.result).toBeErr(Cl.uint(125));
    nextCallAtStacks(deadline + 1n);
    expect(penalize(message, committee[3]).result).toBeErr(Cl.uint(135));
    expect(penalize(message, committee[4]).result).toBeErr(Cl.uint(135));
    expect(signerInfo(committee[3])!.stake).toBe(STAKE);
  });

  it("refuses the members that did not sign while a later rejected aggregate stood before the deadline (closed-early, it refused their partials) with ERR-NOT-PENALIZABLE", () => {
    setup();
    const [towerA, towerB, towerC, griefer] = [wallets[6], wallets[7], wallets[11], wallets[9]];
    registerWatchtowers([towerA, towerB, towerC]);
    expect(supermajority()).toBe(3n);
    const { message, deadline } = request("griefed");
    [1, 2, 3].forEach((index) => sign(message, index));
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(junkSignature("liveness"))], griefer).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    // Member 4 is refused while the junk stands.
    const refused = call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(partialSign(keys.shares[3], message))], committee[3]);
    expect(refused.result).toBeErr(Cl.uint(125));
    // The watchtowers reject the junk only after the deadline (Stacks blocks), still before
    // its settle-at (Bitcoin blocks).
    nextCallAtStacks(deadline + 1n);
    expect(call("report-invalid-aggregate", [Cl.buffer(message)], towerA).result).toBeOk(Cl.bool(false));
    expect(call("report-invalid-aggregate", [Cl.buffer(message)], towerB).result).toBeOk(Cl.bool(false));
    expect(call("report-invalid-aggregate", [Cl.buffer(message)], towerC).result).toBeOk(Cl.bool(true));
    // The fee was never paid; the request stays closed-early.
    expect(decode(read("get-request", [Cl.buffer(message)]))).toMatchObject({ "aggregate-signature": null, "fee-paid": false, "closed-early": true, "settle-at": 0n });

    const books = expectBalancedBooks();
    for (const member of [committee[3], committee[4]]) {
      const { result, events } = penalize(message, member, griefer);
      expect(result).toBeErr(Cl.uint(135));
      expect(events).toHaveLength(0);
      expect(signerInfo(member)).toMatchObject({ stake: STAKE, "slashing-history": { "total-slashes": 0n, "last-slash-height": 0n, "slashed-amount": 0n } });
      expect(penaltyOf(message, member)).toBeNull();
    }
    expect(rewardsOf(griefer)).toBe(0n);
    expect(expectBalancedBooks()).toEqual(books);
  });

  it("still penalizes the members that did not sign when the aggregate came only after the deadline (closed-early false)", () => {
    setup();
    const { message, deadline } = request("aggregated late");
    const partials = [1, 2, 3].map((index) => ({ index, signature: sign(message, index) }));
    nextCallAtStacks(deadline + 1n);
    expect(call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(combine(partials))], requester).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expect(decode(read("get-request", [Cl.buffer(message)]))).toMatchObject({ "closed-early": false });
    const { result, events } = penalize(message, committee[4]);
    expect(result).toBeOk(Cl.uint(STAKE / 100n));
    expect(printed(events, "liveness-penalty")).toMatchObject({ signer: committee[4], slashed: STAKE / 100n, reward: STAKE / 1000n });
    expect(signerInfo(committee[4])!.stake).toBe(STAKE - STAKE / 100n);
    expect(penaltyOf(message, committee[4])).toBe(1n); // attempt 1
    expect(rewardsOf(notifier)).toBe(STAKE / 1000n);
  });

  it("refuses an unknown request with ERR-UNKNOWN-REQUEST", () => {
    setup();
    expect(penalize(messageHashOf("never requested"), committee[4]).result).toBeErr(Cl.uint(121));
  });

  it("refuses a principal that is not a registered signer with ERR-NOT-REGISTERED", () => {
    setup();
    const { message, deadline } = request("unknown signer");
    nextCallAtStacks(deadline + 1n);
    const { result, events } = penalize(message, wallets[12]);
    expect(result).toBeErr(Cl.uint(114));
    expect(events).toHaveLength(0);
    expect(penaltyOf(message, wallets[12])).toBeNull();
  });
});
