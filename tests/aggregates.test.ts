// Rejecting an invalid aggregate. The contract cannot check BLS, so once t partials are in
// anyone can store 96 well-shaped junk bytes as a request's aggregate (and the fee is paid at
// that first aggregate). A quorum of watchtowers removes it with report-invalid-aggregate;
// then anyone submits the real combination, and the fee is not paid a second time.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  activeEpoch,
  bytes,
  call,
  combine,
  contractPrincipal,
  decode,
  deployer,
  expectBalancedBooks,
  hex,
  junkSignature,
  messageHashOf,
  nextCallAt,
  partialSign,
  printed,
  prints,
  read,
  rewardsOf,
  stxBalance,
  stxTransfers,
  thresholdKeys,
  verifyBls,
  wallets,
  watchtower,
} from "./helpers";

afterEach(() => expectBalancedBooks());

const ERR_PAUSED = 113;
const ERR_UNKNOWN_REQUEST = 121;
const ERR_ALREADY_FINALIZED = 125;
const ERR_NOT_WATCHTOWER = 132;
const ERR_ALREADY_REPORTED = 133;
const ERR_NOT_PENALIZABLE = 135;

const CLAIM_WINDOW = 144n;
const FEE = 3_000_000n; // t = 3: 1 STX per counted partial

const keys = thresholdKeys(3, 5, "aggregates");
const [towerA, towerB, towerC] = [wallets[5], wallets[6], wallets[7]];
const requester = wallets[8];
const griefer = wallets[9];
const combiner = wallets[10];
let committee: string[] = [];

function setup() {
  committee = activeEpoch(wallets.slice(0, 5), keys);
  for (const tower of [towerA, towerB, towerC]) expect(call("register-watchtower", [], tower).result).toBeOk(Cl.bool(true));
}

function request(text: string): Uint8Array {
  const message = messageHashOf(text);
  expect(call("request-signature", [Cl.buffer(message), Cl.uint(FEE)], requester).result).toBeOk(expect.anything());
  return message;
}

/** The member at share `index` (1-based) submits its real partial. */
function sign(message: Uint8Array, index: number): { index: number; signature: Uint8Array } {
  const signature = partialSign(keys.shares[index - 1], message);
  expect(call("submit-partial-signature", [Cl.buffer(message), Cl.buffer(signature)], committee[index - 1]).result).toBeOk(expect.anything());
  return { index, signature };
}

const aggregate = (message: Uint8Array, signature: Uint8Array, sender: string) =>
  call("submit-aggregate-signature", [Cl.buffer(message), Cl.buffer(signature)], sender);

const claim = (tower: string, message: Uint8Array) => call("report-invalid-aggregate", [Cl.buffer(message)], tower);

/** A request with members 1..3's real partials, and the griefer's junk stored as its aggregate. */
function griefed(text: string) {
  const message = request(text);
  const partials = [1, 2, 3].map((index) => sign(message, index));
  const junk = junkSignature(text);
  expect(aggregate(message, junk, griefer).result).toBeOk(Cl.uint(FEE)); // the first aggregate pays the fee
  return { message, partials, junk };
}

/** Watchtowers A and B reject the stored aggregate. */
function reject(message: Uint8Array) {
  expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
  expect(claim(towerB, message).result).toBeOk(Cl.bool(true));
}

const getRequest = (message: Uint8Array) => decode(read("get-request", [Cl.buffer(message)])) as Record<string, any>;
const getAggregateClaim = (message: Uint8Array, stored: Uint8Array) =>
  decode(read("get-aggregate-claim", [Cl.buffer(message), Cl.buffer(stored)])) as Record<string, any> | null;
const storedGroupKey = () => bytes((decode(read("get-epoch", [Cl.uint(1)])) as Record<string, any>)["group-public-key"]);

describe("report-invalid-aggregate", () => {
  it("removes a stored aggregate that does not verify once two watchtowers claim it: aggregate and aggregator back to none, aggregate-rejected printed, no STX moves", () => {
    setup();
    const { message, junk } = griefed("griefed");
    const record = getRequest(message);
    expect(record).toMatchObject({ "aggregate-signature": hex(junk), aggregator: griefer, "partial-count": 3n, "fee-paid": true });
    // What every verifier sees: the stored bytes are no signature under the stored group key.
    expect(verifyBls(storedGroupKey(), message, bytes(record["aggregate-signature"]))).toBe(false);
    for (const member of committee.slice(0, 3)) expect(rewardsOf(member)).toBe(FEE / 3n);
    const books = expectBalancedBooks();
    const balances = [towerA, towerB, griefer, requester, contractPrincipal].map(stxBalance);

    expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
    const { result, events } = claim(towerB, message);
    expect(result).toBeOk(Cl.bool(true));
    expect(printed(events, "invalid-aggregate-claim")).toEqual({
      topic: "invalid-aggregate-claim",
      "message-hash": hex(message),
      aggregate: hex(junk),
      watchtower: towerB,
      claims: 2n,
      confirmed: true,
    });
    expect(printed(events, "aggregate-rejected")).toEqual({
      topic: "aggregate-rejected",
      "message-hash": hex(message),
      aggregate: hex(junk),
      aggregator: griefer,
      claimants: [towerA, towerB],
    });
    expect(stxTransfers(events)).toEqual([]);

    // The request is open again (no aggregate, aggregator or finalized-at); the fee stays paid,
    // the partials still count.
    expect(getRequest(message)).toEqual({ ...record, "aggregate-signature": null, aggregator: null, "finalized-at": 0n });
    expect(getAggregateClaim(message, junk)).toBeNull();
    expect([towerA, towerB, griefer, requester, contractPrincipal].map(stxBalance)).toEqual(balances);
    expect(expectBalancedBooks()).toEqual(books);
    for (const member of committee.slice(0, 3)) expect(rewardsOf(member)).toBe(FEE / 3n);
    expect([towerA, towerB].map(rewardsOf)).toEqual([0n, 0n]); // aggregators are not bonded: nothing to share
  });

  it("accepts the real combination from anyone after a rejection; it verifies against the stored group key and the fee is not paid a second time", () => {
    setup();
    const { message, partials } = griefed("replaced");
    reject(message);
    const real = combine(partials);
    expect(verifyBls(keys.groupKey, message, real)).toBe(true);
    const books = expectBalancedBooks();
    expect(books).toMatchObject({ "pending-fees": 0n, rewards: FEE });
    const everyone = [...committee, requester, griefer, combiner, contractPrincipal];
    const balances = everyone.map(stxBalance);
    const rewards = everyone.map(rewardsOf);

    const { result, events } = aggregate(message, real, combiner);
    expect(result).toBeOk(Cl.uint(0));
    expect(printed(events, "signature-finalized")).toEqual({
      topic: "signature-finalized",
      "message-hash": hex(message),
      signature: hex(real),
      epoch: 1n,
      "group-public-key": hex(keys.groupKey),
      aggregator: combiner,
      fee: FEE,
      "fee-share": 0n,
      "fees-paid": 0n,
      signers: committee.slice(0, 3),
    });
    expect(stxTransfers(events)).toEqual([]);
    expect(everyone.map(stxBalance)).toEqual(balances);
    expect(everyone.map(rewardsOf)).toEqual(rewards);
    expect(expectBalancedBooks()).toEqual(books);
    // Paid exactly once, at the first aggregate: FEE / 3 to each of the three signers.
    for (const member of committee.slice(0, 3)) expect(rewardsOf(member)).toBe(FEE / 3n);

    expect(getRequest(message)).toMatchObject({
      "aggregate-signature": hex(real),
      aggregator: combiner,
      "finalized-at": BigInt(simnet.blockHeight),
      "fee-paid": true,
      refunded: false,
    });
    const stored = bytes(getRequest(message)["aggregate-signature"]);
    expect(verifyBls(storedGroupKey(), message, stored)).toBe(true);
  });

  it("leaves the fee paid after a rejection: reclaim-fee is ERR-ALREADY-FINALIZED", () => {
    setup();
    const { message } = griefed("no refund");
    reject(message);
    nextCallAt(BigInt(getRequest(message).deadline) + 1n);
    const before = stxBalance(requester);
    const books = expectBalancedBooks();
    const refused = call("reclaim-fee", [Cl.buffer(message)], requester);
    expect(refused.result).toBeErr(Cl.uint(ERR_ALREADY_FINALIZED));
    expect(refused.events).toEqual([]);
    expect(stxBalance(requester)).toBe(before);
    expect(expectBalancedBooks()).toEqual(books);
    expect(getRequest(message)).toMatchObject({ "aggregate-signature": null, "fee-paid": true, refunded: false });
  });

  it("raises each confirming watchtower's accuracy-score by 5, capped at 100", () => {
    setup();
    // Lower tower A to 90 first with a claim against a partial that expires.
    const warmup = request("warm-up");
    sign(warmup, 1);
    expect(call("report-invalid-signature", [Cl.buffer(warmup), Cl.principal(committee[0])], towerA).result).toBeOk(Cl.bool(false));
    simnet.mineEmptyBlocks(Number(CLAIM_WINDOW) + 1);
    expect(call("expire-claim", [Cl.buffer(warmup), Cl.principal(committee[0])], griefer).result).toBeOk(Cl.bool(true));
    expect(watchtower(towerA)!["accuracy-score"]).toBe(90n);

    const { message } = griefed("accuracy");
    expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
    const { result, events } = claim(towerB, message);
    expect(result).toBeOk(Cl.bool(true));
    expect(prints(events).filter((e) => e.topic === "watchtower-accuracy")).toEqual([
      { topic: "watchtower-accuracy", watchtower: towerA, "accuracy-score": 95n, "is-active": true },
      { topic: "watchtower-accuracy", watchtower: towerB, "accuracy-score": 100n, "is-active": true },
    ]);
    expect(watchtower(towerA)).toMatchObject({ "accuracy-score": 95n, "is-active": true });
    expect(watchtower(towerB)).toMatchObject({ "accuracy-score": 100n, "is-active": true });
    expect(watchtower(towerC)!["accuracy-score"]).toBe(100n);
  });

  it("records one watchtower's claim alone and changes nothing else", () => {
    setup();
    const { message, junk } = griefed("one claim");
    const record = getRequest(message);
    const books = expectBalancedBooks();
    const { result, events } = claim(towerA, message);
    expect(result).toBeOk(Cl.bool(false));
    expect(prints(events)).toEqual([
      { topic: "invalid-aggregate-claim", "message-hash": hex(message), aggregate: hex(junk), watchtower: towerA, claims: 1n, confirmed: false },
    ]);
    expect(getAggregateClaim(message, junk)).toEqual({ claimants: [towerA], "opened-at": BigInt(simnet.blockHeight) });
    expect(getRequest(message)).toEqual(record);
    expect(watchtower(towerA)!["accuracy-score"]).toBe(100n);
    expect(expectBalancedBooks()).toEqual(books);
  });

  it("keys a claim by the aggregate: after a rejection a new aggregate starts a fresh claim", () => {
    setup();
    const { message, junk } = griefed("again");
    reject(message);
    // The griefer stores its junk once more: nothing is paid, and tower A may claim afresh.
    expect(aggregate(message, junk, griefer).result).toBeOk(Cl.uint(0));
    const { result, events } = claim(towerA, message);
    expect(result).toBeOk(Cl.bool(false));
    expect(printed(events, "invalid-aggregate-claim")).toMatchObject({ watchtower: towerA, claims: 1n, confirmed: false });
    expect(getAggregateClaim(message, junk)).toMatchObject({ claimants: [towerA] });
    expect(getRequest(message)).toMatchObject({ "aggregate-signature": hex(junk), aggregator: griefer });
  });

  it("is ERR-PAUSED while paused and changes nothing; after unpause the claim is recorded", () => {
    setup();
    const { message, junk } = griefed("paused");
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    const state = () => ({ request: getRequest(message), claim: getAggregateClaim(message, junk), tower: watchtower(towerA), books: expectBalancedBooks() });
    const before = state();
    const refused = claim(towerA, message);
    expect(refused.result).toBeErr(Cl.uint(ERR_PAUSED));
    expect(refused.events).toEqual([]);
    expect(state()).toEqual(before);
    expect(before.claim).toBeNull();

    expect(call("unpause", [], deployer).result).toBeOk(Cl.bool(true));
    expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
    expect(getAggregateClaim(message, junk)).toMatchObject({ claimants: [towerA] });
  });

  it("refuses a caller that is not a watchtower, or no longer an active one, with ERR-NOT-WATCHTOWER", () => {
    setup();
    const { message, junk } = griefed("not a watchtower");
    const refused = claim(griefer, message);
    expect(refused.result).toBeErr(Cl.uint(ERR_NOT_WATCHTOWER));
    expect(refused.events).toEqual([]);
    expect(call("leave-watchtower", [], towerC).result).toBeOk(expect.anything());
    const inactive = claim(towerC, message);
    expect(inactive.result).toBeErr(Cl.uint(ERR_NOT_WATCHTOWER));
    expect(inactive.events).toEqual([]);
    expect(getAggregateClaim(message, junk)).toBeNull();
    expect(getRequest(message)["aggregate-signature"]).toBe(hex(junk));
    // The caller's role is checked before the request's state.
    expect(claim(towerC, messageHashOf("never requested")).result).toBeErr(Cl.uint(ERR_NOT_WATCHTOWER));
  });

  it("refuses an unknown request with ERR-UNKNOWN-REQUEST", () => {
    setup();
    const { result, events } = claim(towerA, messageHashOf("never requested"));
    expect(result).toBeErr(Cl.uint(ERR_UNKNOWN_REQUEST));
    expect(events).toEqual([]);
  });

  it("refuses a request with no stored aggregate (none yet, or rejected) with ERR-NOT-PENALIZABLE", () => {
    setup();
    const pending = request("no aggregate yet");
    [1, 2, 3].forEach((index) => sign(pending, index));
    const early = claim(towerA, pending);
    expect(early.result).toBeErr(Cl.uint(ERR_NOT_PENALIZABLE));
    expect(early.events).toEqual([]);

    const { message } = griefed("already rejected");
    reject(message);
    const late = claim(towerC, message);
    expect(late.result).toBeErr(Cl.uint(ERR_NOT_PENALIZABLE));
    expect(late.events).toEqual([]);
    expect(watchtower(towerC)!["accuracy-score"]).toBe(100n);
  });

  it("refuses the same watchtower twice with ERR-ALREADY-REPORTED", () => {
    setup();
    const { message, junk } = griefed("twice");
    expect(claim(towerA, message).result).toBeOk(Cl.bool(false));
    const { result, events } = claim(towerA, message);
    expect(result).toBeErr(Cl.uint(ERR_ALREADY_REPORTED));
    expect(events).toEqual([]);
    expect(getAggregateClaim(message, junk)).toMatchObject({ claimants: [towerA] });
    expect(getRequest(message)["aggregate-signature"]).toBe(hex(junk));
  });

  it("accepts agreement up to claim-window blocks after the first claim; after that a claim opens a fresh window", () => {
    setup();
    const first = griefed("window 1");
    const second = griefed("window 2");
    expect(claim(towerA, first.message).result).toBeOk(Cl.bool(false));
    const opened1 = BigInt(simnet.blockHeight);
    expect(claim(towerA, second.message).result).toBeOk(Cl.bool(false));
    const opened2 = BigInt(simnet.blockHeight);
    // The last block of the first window still confirms.
    nextCallAt(opened1 + CLAIM_WINDOW);
    expect(claim(towerB, first.message).result).toBeOk(Cl.bool(true));
    expect(getRequest(first.message)["aggregate-signature"]).toBeNull();
    // The first block after the second window: tower A's stale claim is dropped and tower B's
    // claim opens a fresh window, so the junk can still be rejected (it is never stuck).
    nextCallAt(opened2 + CLAIM_WINDOW + 1n);
    const { result, events } = claim(towerB, second.message);
    expect(result).toBeOk(Cl.bool(false));
    const reopened = BigInt(simnet.blockHeight);
    expect(printed(events, "invalid-aggregate-claim")).toMatchObject({ watchtower: towerB, claims: 1n, confirmed: false });
    expect(getAggregateClaim(second.message, second.junk)).toEqual({ claimants: [towerB], "opened-at": reopened });
    expect(getRequest(second.message)).toMatchObject({ "aggregate-signature": hex(second.junk), aggregator: griefer });
    expect(claim(towerA, second.message).result).toBeOk(Cl.bool(true));
    expect(getRequest(second.message)).toMatchObject({ "aggregate-signature": null, aggregator: null, "finalized-at": 0n });
  });

});
