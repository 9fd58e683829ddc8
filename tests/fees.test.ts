// Fees: a request's fee waits in the contract; an aggregate records settle-at (burn-now +
// claim-window) and pays nothing; after settle-at anyone settles the fee (settle-fee), split
// equally among the partials never confirmed invalid (the remainder goes to the treasury),
// whose signers claim it with claim-rewards; a
// request that expires without t counted partials gives the fee back with reclaim-fee (with t
// partials in, the committee delivered: the fee is theirs). After every test the contract's
// books add up to its STX balance.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  activeEpoch,
  call,
  combine,
  contractPrincipal,
  decode,
  deployer,
  burnNow,
  confirmInvalidPartial,
  expectBalancedBooks,
  freshWatchtowers,
  hex,
  messageHashOf,
  mineBurnBlocks,
  nextCallAtBurn,
  nextCallAtStacks,
  partialSign,
  settleFee,
  printed,
  prints,
  read,
  rewardsOf,
  stxBalance,
  stxTransfers,
  thresholdKeys,
  treasury,
  wallets,
} from "./helpers";

const ERR_UNAUTHORIZED = 100;
const ERR_NOTHING_TO_WITHDRAW = 119;
const ERR_UNKNOWN_REQUEST = 121;
const ERR_ALREADY_FINALIZED = 125;
const ERR_DEADLINE_NOT_REACHED = 134;
const ERR_FEE_EARNED = 149;
const ERR_NOT_FINALIZED = 150;
const ERR_FEE_SETTLED = 151;
const CLAIM_WINDOW = 144n; // Bitcoin blocks

const [w1, w2, w3, w4, w5, w6, , requester, outsider] = wallets;

afterEach(() => {
  expectBalancedBooks();
});

const requestOf = (hash: Uint8Array) => decode(read("get-request", [Cl.buffer(hash)])) as Record<string, any> | null;
const accounting = () => decode(read("get-accounting")) as Record<string, bigint>;

/** Mines Stacks blocks so that the next call runs just past the request's deadline. */
const pastDeadline = (hash: Uint8Array) => nextCallAtStacks(requestOf(hash)!.deadline + 1n);
const settle = (hash: Uint8Array, caller = outsider) => call("settle-fee", [Cl.buffer(hash)], caller);

/** Epoch 1 active (t = 3, committee w1..w5); `round` requests `hash` with `fee`, has the
 *  members at `indexes` submit real partials, and returns their combination. */
function network() {
  const keys = thresholdKeys(3, 5, "fees");
  const committee = activeEpoch([w1, w2, w3, w4, w5, w6], keys);
  const round = (hash: Uint8Array, fee: bigint, indexes: number[]) => {
    expect(call("request-signature", [Cl.buffer(hash), Cl.uint(fee)], requester).result).toBeOk(expect.anything());
    const partials = indexes.map((index) => {
      const signature = partialSign(keys.shares[index - 1], hash);
      expect(call("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(signature)], committee[index - 1]).result).toBeOk(expect.anything());
      return { index, signature };
    });
    return combine(partials.slice(0, keys.t));
  };
  const aggregate = (hash: Uint8Array, signature: Uint8Array) =>
    call("submit-aggregate-signature", [Cl.buffer(hash), Cl.buffer(signature)], outsider);
  return { committee, round, aggregate };
}

describe("submit-aggregate-signature and settle-fee: fee split", () => {
  it("records the aggregate and settle-at without paying; after settle-at anyone settles: each of the t signers gets fee / t, the remainder goes to the treasury", () => {
    const { round, aggregate } = network();
    const first = messageHashOf("fee 1000");
    const signature = round(first, 1000n, [1, 2, 3]);
    const settleAt = burnNow() + CLAIM_WINDOW;
    const finalized = aggregate(first, signature);
    expect(finalized.result).toBeOk(Cl.uint(settleAt));
    const event = printed(finalized.events, "signature-finalized");
    expect(event).toMatchObject({ fee: 1000n, "settle-at": settleAt, "partial-count": 3n, aggregator: outsider, signers: [w1, w2, w3] });
    expect(event).not.toHaveProperty("fee-share");
    expect(event).not.toHaveProperty("fees-paid");
    expect(stxTransfers(finalized.events)).toEqual([]);
    expect(requestOf(first)).toMatchObject({
      "aggregate-signature": hex(signature),
      "finalized-at": BigInt(simnet.blockHeight),
      "settle-at": settleAt,
      "closed-early": true,
      "fee-paid": false,
    });
    for (const member of [w1, w2, w3]) expect(rewardsOf(member)).toBe(0n);
    expect(accounting()).toMatchObject({ "pending-fees": 1000n, rewards: 0n, treasury: 0n });

    // Not before settle-at has passed (burn-now > settle-at).
    const early = settle(first);
    expect(early.result).toBeErr(Cl.uint(ERR_DEADLINE_NOT_REACHED));
    expect(early.events).toEqual([]);
    nextCallAtBurn(settleAt);
    expect(settle(first).result).toBeErr(Cl.uint(ERR_DEADLINE_NOT_REACHED));
    mineBurnBlocks(1);
    const settled = settle(first);
    expect(settled.result).toBeOk(Cl.uint(999));
    expect(printed(settled.events, "fee-settled")).toEqual({
      topic: "fee-settled",
      "message-hash": hex(first),
      fee: 1000n,
      "fee-share": 333n,
      "fees-paid": 999n,
      "to-treasury": 1n,
      signers: [w1, w2, w3],
    });
    expect(stxTransfers(settled.events)).toEqual([]); // credited, not sent
    for (const member of [w1, w2, w3]) expect(rewardsOf(member)).toBe(333n);
    expect(rewardsOf(w4)).toBe(0n);
    expect(treasury()).toBe(1n);
    expect(requestOf(first)).toMatchObject({ "fee-paid": true, "aggregate-signature": hex(signature) });

    // Shares and remainders accumulate: 2002 / 3 = 667, remainder 1.
    const second = messageHashOf("fee 2002");
    expect(aggregate(second, round(second, 2002n, [2, 3, 4])).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expect(settleFee(second).result).toBeOk(Cl.uint(2001));
    expect([w1, w2, w3, w4].map(rewardsOf)).toEqual([333n, 1000n, 1000n, 667n]);
    expect(treasury()).toBe(2n);
    expect(accounting()).toMatchObject({ "pending-fees": 0n, rewards: 3000n, treasury: 2n });
  });

  it("splits the fee among every partial signer when more than t partials arrived", () => {
    const { round, aggregate } = network();
    const hash = messageHashOf("five partials");
    const signature = round(hash, 1003n, [4, 2, 5, 1, 3]); // combined from the first three only
    const finalized = aggregate(hash, signature);
    expect(finalized.result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expect(printed(finalized.events, "signature-finalized")).toMatchObject({ "partial-count": 5n, signers: [w4, w2, w5, w1, w3] });
    const settled = settleFee(hash);
    expect(settled.result).toBeOk(Cl.uint(1000));
    expect(printed(settled.events, "fee-settled")).toMatchObject({
      "fee-share": 200n,
      "fees-paid": 1000n,
      "to-treasury": 3n,
      signers: [w4, w2, w5, w1, w3],
    });
    for (const member of [w1, w2, w3, w4, w5]) expect(rewardsOf(member)).toBe(200n);
    expect(treasury()).toBe(3n);
  });

  it("sends nothing to the treasury when the fee divides evenly", () => {
    const { round, aggregate } = network();
    const hash = messageHashOf("even fee");
    expect(aggregate(hash, round(hash, 3000n, [1, 3, 5])).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expect(settleFee(hash).result).toBeOk(Cl.uint(3000));
    expect(treasury()).toBe(0n);
    expect(rewardsOf(w3)).toBe(1000n);
  });

  it("pays only the partials never confirmed invalid: a confirmed invalid partial earns nothing", () => {
    const { committee, round, aggregate } = network();
    const towers = freshWatchtowers(3, "fees-invalid");
    const hash = messageHashOf("one of four invalid");
    const signature = round(hash, 6001n, [1, 2, 3]);
    // Member 4 submits a well-formed point made with a wrong share.
    expect(call("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(partialSign(7n, hash))], committee[3]).result).toBeOk(Cl.uint(4));
    expect(aggregate(hash, signature).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    confirmInvalidPartial(towers, hash, committee[3]);
    // Three counted partials remain: the aggregate stands.
    expect(requestOf(hash)).toMatchObject({ "partial-count": 3n, "aggregate-signature": hex(signature) });
    const settled = settleFee(hash);
    // 6001 / 3 = 2000 to each valid partial, 1 to the treasury.
    expect(settled.result).toBeOk(Cl.uint(6000));
    expect(printed(settled.events, "fee-settled")).toMatchObject({ "fee-share": 2000n, "fees-paid": 6000n, "to-treasury": 1n, signers: [w1, w2, w3, w4] });
    for (const member of [w1, w2, w3]) expect(rewardsOf(member)).toBe(2000n);
    expect(committee[3]).toBe(w4);
    expect(rewardsOf(w4)).toBe(0n); // the invalid partial earns nothing
  });

  it("refuses an unknown hash with ERR-UNKNOWN-REQUEST, a request without a standing aggregate with ERR-NOT-FINALIZED, a second settlement with ERR-FEE-SETTLED", () => {
    const { round, aggregate } = network();
    expect(settle(messageHashOf("never requested")).result).toBeErr(Cl.uint(ERR_UNKNOWN_REQUEST));
    const hash = messageHashOf("settle once");
    const signature = round(hash, 3000n, [1, 2, 3]);
    // t partials, no aggregate yet: nothing to settle, even long after.
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    const unfinalized = settle(hash);
    expect(unfinalized.result).toBeErr(Cl.uint(ERR_NOT_FINALIZED));
    expect(unfinalized.events).toEqual([]);
    expect(aggregate(hash, signature).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expect(settleFee(hash).result).toBeOk(Cl.uint(3000));
    const books = accounting();
    const again = settle(hash);
    expect(again.result).toBeErr(Cl.uint(ERR_FEE_SETTLED));
    expect(again.events).toEqual([]);
    expect(accounting()).toEqual(books);
    expect(rewardsOf(w1)).toBe(1000n);
  });
});

describe("claim-rewards", () => {
  it("refuses a caller with nothing earned with ERR-NOTHING-TO-WITHDRAW", () => {
    const { round, aggregate } = network();
    const hash = messageHashOf("w4 did not sign");
    aggregate(hash, round(hash, 3000n, [1, 2, 3]));
    // Before settlement nobody has anything to claim, signers included.
    expect(call("claim-rewards", [], w1).result).toBeErr(Cl.uint(ERR_NOTHING_TO_WITHDRAW));
    expect(settleFee(hash).result).toBeOk(Cl.uint(3000));
    const refused = call("claim-rewards", [], w4); // a member who did not sign
    expect(refused.result).toBeErr(Cl.uint(ERR_NOTHING_TO_WITHDRAW));
    expect(stxTransfers(refused.events)).toEqual([]);
    expect(call("claim-rewards", [], outsider).result).toBeErr(Cl.uint(ERR_NOTHING_TO_WITHDRAW));
  });

  it("transfers exactly the earned rewards, prints rewards-claimed, and leaves nothing to claim twice", () => {
    const { round, aggregate } = network();
    const first = messageHashOf("claim 1");
    const second = messageHashOf("claim 2");
    aggregate(first, round(first, 1000n, [1, 2, 3]));
    aggregate(second, round(second, 5000n, [1, 4, 5]));
    settleFee(first);
    settleFee(second);
    expect(rewardsOf(w1)).toBe(333n + 1666n);

    const before = stxBalance(w1);
    const contractBefore = stxBalance(contractPrincipal);
    const claimed = call("claim-rewards", [], w1);
    expect(claimed.result).toBeOk(Cl.uint(1999));
    expect(stxTransfers(claimed.events)).toEqual([{ sender: contractPrincipal, recipient: w1, amount: 1999n }]);
    expect(stxBalance(w1)).toBe(before + 1999n);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore - 1999n);
    expect(printed(claimed.events, "rewards-claimed")).toEqual({ topic: "rewards-claimed", recipient: w1, amount: 1999n });
    expect(rewardsOf(w1)).toBe(0n);
    expect(accounting().rewards).toBe(2n * 333n + 2n * 1666n); // the others' rewards stay

    expect(call("claim-rewards", [], w1).result).toBeErr(Cl.uint(ERR_NOTHING_TO_WITHDRAW));
  });

  it("is not blocked by pause", () => {
    const { round, aggregate } = network();
    const hash = messageHashOf("claim while paused");
    aggregate(hash, round(hash, 3000n, [1, 2, 3]));
    settleFee(hash);
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    const before = stxBalance(w2);
    expect(call("claim-rewards", [], w2).result).toBeOk(Cl.uint(1000));
    expect(stxBalance(w2)).toBe(before + 1000n);
  });
});

describe("reclaim-fee", () => {
  it("refuses a hash nobody requested with ERR-UNKNOWN-REQUEST", () => {
    network();
    expect(call("reclaim-fee", [Cl.buffer(messageHashOf("never requested"))], requester).result).toBeErr(Cl.uint(ERR_UNKNOWN_REQUEST));
  });

  it("refuses anyone but the requester with ERR-UNAUTHORIZED", () => {
    const { round } = network();
    const hash = messageHashOf("not yours");
    round(hash, 5000n, []);
    pastDeadline(hash);
    for (const other of [outsider, w1, deployer]) {
      const refused = call("reclaim-fee", [Cl.buffer(hash)], other);
      expect(refused.result).toBeErr(Cl.uint(ERR_UNAUTHORIZED));
      expect(stxTransfers(refused.events)).toEqual([]);
    }
    expect(requestOf(hash)!.refunded).toBe(false);
    expect(accounting()["pending-fees"]).toBe(5000n);
  });

  it("refuses before the deadline (Stacks blocks) has passed with ERR-DEADLINE-NOT-REACHED", () => {
    const { round } = network();
    const hash = messageHashOf("too soon");
    round(hash, 5000n, [1]);
    expect(call("reclaim-fee", [Cl.buffer(hash)], requester).result).toBeErr(Cl.uint(ERR_DEADLINE_NOT_REACHED));
    const deadline = requestOf(hash)!.deadline as bigint;
    nextCallAtStacks(deadline);
    const atDeadline = call("reclaim-fee", [Cl.buffer(hash)], requester);
    expect(atDeadline.result).toBeErr(Cl.uint(ERR_DEADLINE_NOT_REACHED));
    expect(prints(atDeadline.events)).toEqual([]);
    expect(call("reclaim-fee", [Cl.buffer(hash)], requester).result).toBeOk(Cl.uint(5000));
  });

  it("returns exactly the fee after the deadline, marks the request refunded and prints fee-refunded", () => {
    const { round } = network();
    const hash = messageHashOf("expired with one partial");
    const before = stxBalance(requester);
    round(hash, 7777n, [2]); // one partial: not enough, and it earns nothing
    expect(stxBalance(requester)).toBe(before - 7777n);
    pastDeadline(hash);

    const contractBefore = stxBalance(contractPrincipal);
    const refunded = call("reclaim-fee", [Cl.buffer(hash)], requester);
    expect(refunded.result).toBeOk(Cl.uint(7777));
    expect(stxTransfers(refunded.events)).toEqual([{ sender: contractPrincipal, recipient: requester, amount: 7777n }]);
    expect(stxBalance(requester)).toBe(before);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore - 7777n);
    expect(printed(refunded.events, "fee-refunded")).toEqual({
      topic: "fee-refunded",
      "message-hash": hex(hash),
      requester,
      fee: 7777n,
    });
    expect(requestOf(hash)).toMatchObject({ refunded: true, "aggregate-signature": null, fee: 7777n });
    expect(rewardsOf(w2)).toBe(0n);
    expect(accounting()).toMatchObject({ "pending-fees": 0n, rewards: 0n, treasury: 0n });
  });

  it("refuses a second refund with ERR-ALREADY-FINALIZED", () => {
    const { round } = network();
    const hash = messageHashOf("refund once");
    round(hash, 5000n, []);
    pastDeadline(hash);
    expect(call("reclaim-fee", [Cl.buffer(hash)], requester).result).toBeOk(Cl.uint(5000));
    const before = stxBalance(requester);
    const again = call("reclaim-fee", [Cl.buffer(hash)], requester);
    expect(again.result).toBeErr(Cl.uint(ERR_ALREADY_FINALIZED));
    expect(stxTransfers(again.events)).toEqual([]);
    expect(stxBalance(requester)).toBe(before);
  });

  it("refuses a refund after the aggregate with ERR-ALREADY-FINALIZED, before and after settlement", () => {
    const { round, aggregate } = network();
    const hash = messageHashOf("signed and paid");
    expect(aggregate(hash, round(hash, 6000n, [1, 2, 3])).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    pastDeadline(hash);
    const before = stxBalance(requester);
    expect(call("reclaim-fee", [Cl.buffer(hash)], requester).result).toBeErr(Cl.uint(ERR_ALREADY_FINALIZED));
    expect(settleFee(hash).result).toBeOk(Cl.uint(6000));
    expect(call("reclaim-fee", [Cl.buffer(hash)], requester).result).toBeErr(Cl.uint(ERR_ALREADY_FINALIZED));
    expect(stxBalance(requester)).toBe(before);
    expect(rewardsOf(w1)).toBe(2000n); // the signers keep their shares
  });

  it("refuses a refund once t partials are in with ERR-FEE-EARNED; the fee goes to the signers when someone aggregates and it is settled", () => {
    const { round, aggregate } = network();
    const hash = messageHashOf("delivered, not yet aggregated");
    const signature = round(hash, 6000n, [1, 2, 3]); // t partials, but nobody aggregated in time
    pastDeadline(hash);
    const requesterBefore = stxBalance(requester);
    const contractBefore = stxBalance(contractPrincipal);
    const books = accounting();
    expect(books["pending-fees"]).toBe(6000n);

    const refused = call("reclaim-fee", [Cl.buffer(hash)], requester);
    expect(refused.result).toBeErr(Cl.uint(ERR_FEE_EARNED));
    expect(refused.events).toEqual([]);
    expect(stxBalance(requester)).toBe(requesterBefore);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore);
    expect(accounting()).toEqual(books);
    expect(requestOf(hash)).toMatchObject({ "partial-count": 3n, "aggregate-signature": null, "fee-paid": false, refunded: false });

    // Anyone combines the stored partials, even after the deadline (not closed early); once
    // settled the signers are paid.
    const finalized = aggregate(hash, signature);
    expect(finalized.result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expect(printed(finalized.events, "signature-finalized")).toMatchObject({ fee: 6000n, "partial-count": 3n });
    expect(requestOf(hash)).toMatchObject({ "closed-early": false, "fee-paid": false });
    const settled = settleFee(hash);
    expect(settled.result).toBeOk(Cl.uint(6000));
    expect(printed(settled.events, "fee-settled")).toMatchObject({ fee: 6000n, "fee-share": 2000n, "fees-paid": 6000n });
    for (const member of [w1, w2, w3]) expect(rewardsOf(member)).toBe(2000n);
    expect(requestOf(hash)).toMatchObject({ "aggregate-signature": hex(signature), "fee-paid": true, refunded: false });
    expect(accounting()).toMatchObject({ "pending-fees": 0n, rewards: 6000n, treasury: 0n });
    expect(stxBalance(requester)).toBe(requesterBefore);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore);
  });

  it("refunds after the deadline once a partial confirmed invalid by the watchtower supermajority (3) drops the count below t", () => {
    const { committee, round } = network();
    const [towerA, towerB, towerC] = [wallets[10], wallets[11], wallets[12]];
    for (const tower of [towerA, towerB, towerC]) expect(call("register-watchtower", [], tower).result).toBeOk(Cl.bool(true));
    const hash = messageHashOf("one partial was invalid");
    const before = stxBalance(requester);
    round(hash, 6000n, [1, 2]);
    // Member 3 submits a well-formed point made with a wrong share: t partials, one invalid.
    const wrong = partialSign(7n, hash);
    expect(call("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(wrong)], committee[2]).result).toBeOk(Cl.uint(3));
    pastDeadline(hash);
    expect(call("reclaim-fee", [Cl.buffer(hash)], requester).result).toBeErr(Cl.uint(ERR_FEE_EARNED));

    // The watchtowers confirm member 3's partial invalid (still within its claim-until, counted
    // in Bitcoin blocks, after the request's Stacks-block deadline): 2 count.
    const report = (tower: string) => call("report-invalid-signature", [Cl.buffer(hash), Cl.principal(committee[2])], tower);
    expect(report(towerA).result).toBeOk(Cl.bool(false));
    expect(report(towerB).result).toBeOk(Cl.bool(false));
    expect(report(towerC).result).toBeOk(Cl.bool(true));
    expect(requestOf(hash)).toMatchObject({ "partial-count": 2n, signers: [w1, w2, w3] });

    const contractBefore = stxBalance(contractPrincipal);
    const pendingBefore = accounting()["pending-fees"];
    const refunded = call("reclaim-fee", [Cl.buffer(hash)], requester);
    expect(refunded.result).toBeOk(Cl.uint(6000));
    expect(stxTransfers(refunded.events)).toEqual([{ sender: contractPrincipal, recipient: requester, amount: 6000n }]);
    expect(printed(refunded.events, "fee-refunded")).toMatchObject({ requester, fee: 6000n });
    expect(stxBalance(requester)).toBe(before);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore - 6000n);
    expect(accounting()["pending-fees"]).toBe(pendingBefore - 6000n);
    expect(requestOf(hash)).toMatchObject({ refunded: true, "fee-paid": false, "aggregate-signature": null });
    for (const member of [w1, w2, w3]) expect(rewardsOf(member)).toBe(0n);
  });

  it("closes the request: an aggregate after the refund is refused with ERR-ALREADY-FINALIZED", () => {
    const { round, aggregate } = network();
    const hash = messageHashOf("refunded, then aggregated");
    const signature = round(hash, 6000n, [1, 2]); // below t: refundable after the deadline
    pastDeadline(hash);
    expect(call("reclaim-fee", [Cl.buffer(hash)], requester).result).toBeOk(Cl.uint(6000));
    // Not ERR-THRESHOLD-NOT-MET: the refund closed the request before any count is looked at.
    const refused = aggregate(hash, signature);
    expect(refused.result).toBeErr(Cl.uint(ERR_ALREADY_FINALIZED));
    expect(refused.events).toEqual([]);
    expect(rewardsOf(w1)).toBe(0n);
    expect(requestOf(hash)).toMatchObject({ "aggregate-signature": null, "fee-paid": false, refunded: true });
  });

  it("is not blocked by pause", () => {
    const { round } = network();
    const hash = messageHashOf("refund while paused");
    round(hash, 5000n, []);
    pastDeadline(hash);
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    expect(call("reclaim-fee", [Cl.buffer(hash)], requester).result).toBeOk(Cl.uint(5000));
  });
});
