// Signing: a requester pays a fee for a signature on a 32-byte hash; members of the serving
// committee submit partials sigma_i = s_i * H(m); anyone submits the combination once t are
// in. The contract checks shapes, membership, timing and counts; BLS validity is checked
// here, off-chain, with real keys, exactly as signer nodes and watchtowers do.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  activeEpoch,
  badSignatures,
  bytes,
  call,
  combine,
  contractPrincipal,
  decode,
  deployer,
  expectBalancedBooks,
  hex,
  initialize,
  messageHashOf,
  partialSign,
  printed,
  prints,
  read,
  registerSigners,
  signerInfo,
  stxBalance,
  stxTransfers,
  thresholdKeys,
  type ThresholdKeys,
  verifyBls,
  wallets,
  burnNow,
  freshWatchtowers,
  mineStacksBlocks,
  nextCallAtStacks,
  reportMetrics,
  settleFee,
  rotate,
} from "./helpers";

// The books add up to the contract's STX balance after every test.
afterEach(() => expectBalancedBooks());

const ERR_INVALID_PARAMS = 101;
const ERR_INVALID_SIGNATURE = 103;
const ERR_NOT_ACTIVE_SIGNER = 106;
const ERR_INVALID_SIGNATURE_LENGTH = 109;
const ERR_REQUEST_EXISTS = 120;
const ERR_UNKNOWN_REQUEST = 121;
const ERR_REQUEST_EXPIRED = 122;
const ERR_ALREADY_SIGNED = 123;
const ERR_THRESHOLD_NOT_MET = 124;
const ERR_ALREADY_FINALIZED = 125;
const ERR_NO_ACTIVE_KEY = 126;
const ERR_FEE_TOO_LOW = 131;
const ERR_INSUFFICIENT_FUNDS = 148;

const STX = 1_000_000n;
const MIN_STAKE = 100n * STX;
const SIGNING_TIMEOUT = 120;
const MIN_FEE = 1000n;
const CLAIM_WINDOW = 144n; // Bitcoin blocks
const [w1, w2, w3, w4, w5, w6, , requester, outsider] = wallets;

interface Request {
  requester: string;
  fee: bigint;
  epoch: bigint;
  "created-at": bigint;
  deadline: bigint;
  "partial-count": bigint;
  signers: string[];
  "aggregate-signature": string | null;
  aggregator: string | null;
  "finalized-at": bigint;
  "settle-at": bigint;
  "closed-early": boolean;
  "fee-paid": boolean;
  refunded: boolean;
}

const requestOf = (hash: Uint8Array) => decode(read("get-request", [Cl.buffer(hash)])) as Request | null;
const partialOf = (hash: Uint8Array, who: string) =>
  decode(read("get-partial-signature", [Cl.buffer(hash), Cl.principal(who)])) as {
    signature: string;
    "message-hash": string;
    timestamp: bigint;
    index: bigint;
    "claim-until": bigint;
    invalid: boolean;
  } | null;
const epochOf = (epoch: number) =>
  decode(read("get-epoch", [Cl.uint(epoch)])) as { "group-public-key": string; "share-public-keys": string[]; committee: string[] };
const accounting = () => decode(read("get-accounting")) as Record<string, bigint>;

const requestSignature = (hash: Uint8Array, fee: bigint, sender = requester) =>
  call("request-signature", [Cl.buffer(hash), Cl.uint(fee)], sender);
const submitPartial = (hash: Uint8Array, signature: Uint8Array, sender: string) =>
  call("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(signature)], sender);
const submitAggregate = (hash: Uint8Array, signature: Uint8Array, sender = outsider) =>
  call("submit-aggregate-signature", [Cl.buffer(hash), Cl.buffer(signature)], sender);


/** Epoch 1 active with committee w1..w5 (w6 a backup) holding `keys`. */
function network(keys: ThresholdKeys = thresholdKeys(3, 5, "signing")) {
  const committee = activeEpoch([w1, w2, w3, w4, w5, w6], keys);
  expect(committee).toEqual([w1, w2, w3, w4, w5]);
  /** Member at 1-based `index` signs `hash` with its real share and submits it. */
  const sign = (hash: Uint8Array, index: number) => {
    const signature = partialSign(keys.shares[index - 1], hash);
    return { signature, response: submitPartial(hash, signature, committee[index - 1]) };
  };
  return { keys, committee, sign };
}

/** The partials stored for `hash` by `members`, as a combiner reads them back. */
const storedPartials = (hash: Uint8Array, members: string[]) =>
  members.map((member) => {
    const stored = partialOf(hash, member)!;
    return { index: Number(stored.index), signature: bytes(stored.signature) };
  });

describe("request-signature", () => {
  it("refuses requests while no epoch is active with ERR-NO-ACTIVE-KEY", () => {
    initialize();
    registerSigners([w1, w2, w3, w4, w5]);
    const hash = messageHashOf("too early");
    expect(requestSignature(hash, MIN_FEE).result).toBeErr(Cl.uint(ERR_NO_ACTIVE_KEY));
    expect(rotate(w1).result).toBeOk(Cl.uint(1)); // formed, key not agreed
    const before = stxBalance(requester);
    const refused = requestSignature(hash, MIN_FEE);
    expect(refused.result).toBeErr(Cl.uint(ERR_NO_ACTIVE_KEY));
    expect(stxTransfers(refused.events)).toEqual([]);
    expect(stxBalance(requester)).toBe(before);
    expect(requestOf(hash)).toBeNull();
  });

  it("refuses a fee below min-fee with ERR-FEE-TOO-LOW", () => {
    network();
    const hash = messageHashOf("cheap");
    expect(requestSignature(hash, MIN_FEE - 1n).result).toBeErr(Cl.uint(ERR_FEE_TOO_LOW));
    expect(requestOf(hash)).toBeNull();
    expect(requestSignature(hash, MIN_FEE).result).toBeOk(Cl.uint(simnet.blockHeight + SIGNING_TIMEOUT));
  });

  it("refuses a message hash shorter than 32 bytes with ERR-INVALID-PARAMS", () => {
    network();
    const short = messageHashOf("short").slice(0, 31);
    expect(requestSignature(short, MIN_FEE).result).toBeErr(Cl.uint(ERR_INVALID_PARAMS));
    expect(requestSignature(new Uint8Array(0), MIN_FEE).result).toBeErr(Cl.uint(ERR_INVALID_PARAMS));
    expect(requestOf(short)).toBeNull();
  });

  it("refuses a second request for the same hash with ERR-REQUEST-EXISTS", () => {
    network();
    const hash = messageHashOf("once");
    expect(requestSignature(hash, 5000n).result).toBeOk(Cl.uint(simnet.blockHeight + SIGNING_TIMEOUT));
    const first = requestOf(hash);
    const before = stxBalance(outsider);
    const again = requestSignature(hash, 9000n, outsider);
    expect(again.result).toBeErr(Cl.uint(ERR_REQUEST_EXISTS));
    expect(stxBalance(outsider)).toBe(before);
    expect(requestOf(hash)).toEqual(first);
    expect(requestSignature(hash, 5000n).result).toBeErr(Cl.uint(ERR_REQUEST_EXISTS));
    expect(accounting()["pending-fees"]).toBe(5000n);
    expectBalancedBooks();
  });

  it("refuses a fee above the requester's balance with ERR-INSUFFICIENT-FUNDS", () => {
    network();
    const hash = messageHashOf("unfunded");
    const balance = stxBalance(requester);
    const refused = requestSignature(hash, balance + 1n);
    expect(refused.result).toBeErr(Cl.uint(ERR_INSUFFICIENT_FUNDS));
    expect(stxBalance(requester)).toBe(balance);
    expect(requestOf(hash)).toBeNull(); // the whole call is undone
    expect(accounting()["pending-fees"]).toBe(0n);
  });

  it("records the request with deadline = stacks-now + signing-timeout (Stacks blocks) and moves the fee into the contract", () => {
    const { keys } = network();
    const hash = messageHashOf("a bridge withdrawal");
    const fee = 12_345n;
    const requesterBefore = stxBalance(requester);
    const contractBefore = stxBalance(contractPrincipal);

    const requested = requestSignature(hash, fee);
    const height = BigInt(simnet.blockHeight);
    const deadline = height + BigInt(SIGNING_TIMEOUT);
    expect(requested.result).toBeOk(Cl.uint(deadline));
    expect(stxTransfers(requested.events)).toEqual([{ sender: requester, recipient: contractPrincipal, amount: fee }]);
    expect(stxBalance(requester)).toBe(requesterBefore - fee);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore + fee);
    expect(requestOf(hash)).toEqual({
      requester,
      fee,
      epoch: 1n,
      "created-at": height,
      deadline,
      "partial-count": 0n,
      signers: [],
      "aggregate-signature": null,
      aggregator: null,
      "finalized-at": 0n,
      "settle-at": 0n,
      "closed-early": false,
      "fee-paid": false,
      refunded: false,
      attempt: 1n,
      "contest-until": 0n,
    });
    expect(printed(requested.events, "signature-requested")).toEqual({
      topic: "signature-requested",
      "message-hash": hex(hash),
      requester,
      fee,
      epoch: 1n,
      deadline,
      attempt: 1n,
      "group-public-key": hex(keys.groupKey),
    });
    expect(accounting()["pending-fees"]).toBe(fee);
    expectBalancedBooks();
  });
});

describe("submit-partial-signature", () => {
  it("refuses a hash nobody requested with ERR-UNKNOWN-REQUEST", () => {
    const { keys } = network();
    const hash = messageHashOf("never requested");
    expect(submitPartial(hash, partialSign(keys.shares[0], hash), w1).result).toBeErr(Cl.uint(ERR_UNKNOWN_REQUEST));
    expect(partialOf(hash, w1)).toBeNull();
  });

  it("refuses callers outside the request's committee with ERR-NOT-ACTIVE-SIGNER", () => {
    const { keys } = network();
    const hash = messageHashOf("members only");
    requestSignature(hash, MIN_FEE);
    const signature = partialSign(keys.shares[0], hash);
    expect(submitPartial(hash, signature, w6).result).toBeErr(Cl.uint(ERR_NOT_ACTIVE_SIGNER)); // backup signer
    expect(submitPartial(hash, signature, deployer).result).toBeErr(Cl.uint(ERR_NOT_ACTIVE_SIGNER)); // not a signer
    expect(requestOf(hash)).toMatchObject({ "partial-count": 0n, signers: [] });
  });

  it("refuses a 95-byte signature with ERR-INVALID-SIGNATURE-LENGTH", () => {
    network();
    const hash = messageHashOf("short signature");
    requestSignature(hash, MIN_FEE);
    expect(submitPartial(hash, badSignatures.short(), w1).result).toBeErr(Cl.uint(ERR_INVALID_SIGNATURE_LENGTH));
    expect(partialOf(hash, w1)).toBeNull();
  });

  it("refuses the point at infinity and a missing compression flag with ERR-INVALID-SIGNATURE", () => {
    const { keys } = network();
    const hash = messageHashOf("bad encodings");
    requestSignature(hash, MIN_FEE);
    expect(submitPartial(hash, badSignatures.infinity(), w1).result).toBeErr(Cl.uint(ERR_INVALID_SIGNATURE));
    expect(submitPartial(hash, badSignatures.uncompressedFlag(), w1).result).toBeErr(Cl.uint(ERR_INVALID_SIGNATURE));
    const real = partialSign(keys.shares[0], hash);
    real[0] &= 0x7f; // a real partial with its compression flag cleared
    expect(submitPartial(hash, real, w1).result).toBeErr(Cl.uint(ERR_INVALID_SIGNATURE));
    expect(partialOf(hash, w1)).toBeNull();
  });

  it("accepts partials up to the deadline and refuses them after it with ERR-REQUEST-EXPIRED", () => {
    const { sign } = network();
    const hash = messageHashOf("late");
    requestSignature(hash, MIN_FEE);
    const deadline = requestOf(hash)!.deadline;
    nextCallAtStacks(deadline);
    expect(sign(hash, 1).response.result).toBeOk(Cl.uint(1));
    const late = sign(hash, 2).response;
    expect(BigInt(simnet.blockHeight)).toBe(deadline + 1n);
    expect(late.result).toBeErr(Cl.uint(ERR_REQUEST_EXPIRED));
    expect(partialOf(hash, w2)).toBeNull();
    expect(requestOf(hash)!["partial-count"]).toBe(1n);
  });

  it("refuses a second partial from the same member with ERR-ALREADY-SIGNED", () => {
    const { keys, sign } = network();
    const hash = messageHashOf("twice");
    requestSignature(hash, MIN_FEE);
    const { signature } = sign(hash, 1);
    expect(submitPartial(hash, signature, w1).result).toBeErr(Cl.uint(ERR_ALREADY_SIGNED));
    expect(submitPartial(hash, partialSign(keys.shares[1], hash), w1).result).toBeErr(Cl.uint(ERR_ALREADY_SIGNED));
    expect(partialOf(hash, w1)!.signature).toBe(hex(signature));
    expect(requestOf(hash)).toMatchObject({ "partial-count": 1n, signers: [w1] });
    expect(signerInfo(w1)!["performance-metrics"]["total-signatures"]).toBe(1n);
  });

  it("refuses partials once the aggregate is in with ERR-ALREADY-FINALIZED", () => {
    const { sign } = network();
    const hash = messageHashOf("finalized");
    requestSignature(hash, MIN_FEE);
    const partials = [1, 2, 3].map((index) => ({ index, signature: sign(hash, index).signature }));
    expect(submitAggregate(hash, combine(partials)).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    const late = sign(hash, 4).response;
    expect(late.result).toBeErr(Cl.uint(ERR_ALREADY_FINALIZED));
    expect(partialOf(hash, w4)).toBeNull();
    expect(requestOf(hash)!.signers).toEqual([w1, w2, w3]);
  });

  it("stores the partial with its index, timestamp (stacks-now) and claim-until (burn-now + claim-window), and it verifies against the share key stored in the epoch", () => {
    const { keys } = network();
    const hash = messageHashOf("stored partial");
    requestSignature(hash, MIN_FEE);
    const shareKeys = epochOf(1)["share-public-keys"].map(bytes);
    const signature = partialSign(keys.shares[3], hash); // member 4

    const submitted = submitPartial(hash, signature, w4);
    expect(submitted.result).toBeOk(Cl.uint(1));
    const height = BigInt(simnet.blockHeight);
    expect(partialOf(hash, w4)).toEqual({
      signature: hex(signature),
      "message-hash": hex(hash),
      timestamp: height,
      index: 4n,
      "claim-until": burnNow() + CLAIM_WINDOW,
      invalid: false,
      attempt: 1n,
    });
    expect(signerInfo(w4)!["claim-until"]).toBe(burnNow() + CLAIM_WINDOW);
    expect(printed(submitted.events, "partial-signature")).toEqual({
      topic: "partial-signature",
      "message-hash": hex(hash),
      signer: w4,
      index: 4n,
      signature: hex(signature),
      epoch: 1n,
      "partial-count": 1n,
    });
    expect(requestOf(hash)).toMatchObject({ "partial-count": 1n, signers: [w4] });
    // What a watchtower checks: the stored partial against the stored share key of its index.
    const stored = bytes(partialOf(hash, w4)!.signature);
    expect(verifyBls(shareKeys[3], hash, stored)).toBe(true);
    expect(verifyBls(shareKeys[2], hash, stored)).toBe(false);
    expect(stxTransfers(submitted.events)).toEqual([]);
  });

  it("updates the signer's metrics: last-active, signature counts, signing-speed moving average, accuracy, reputation", () => {
    const { sign } = network();
    expect(signerInfo(w2)).toMatchObject({
      "reputation-score": 5000n,
      "performance-metrics": { "signing-speed": 0n, uptime: 100n, accuracy: 100n, "total-signatures": 0n, "valid-signatures": 0n },
    });

    const first = messageHashOf("metrics 1");
    requestSignature(first, MIN_FEE);
    mineStacksBlocks(3);
    const one = sign(first, 2).response; // 4 Stacks blocks after the request
    expect(one.result).toBeOk(Cl.uint(1));
    // speed 4 -> speed-score 100/4 = 25; reputation = 40*100 + 40*100 + 20*25
    expect(printed(one.events, "metrics-updated")).toMatchObject({ signer: w2, "reputation-score": 8500n });
    expect(signerInfo(w2)).toMatchObject({
      "last-active": BigInt(simnet.blockHeight),
      "reputation-score": 8500n,
      "performance-metrics": { "signing-speed": 4n, uptime: 100n, accuracy: 100n, "total-signatures": 1n, "valid-signatures": 1n },
    });

    const second = messageHashOf("metrics 2");
    requestSignature(second, MIN_FEE);
    expect(sign(second, 2).response.result).toBeOk(Cl.uint(1)); // 1 block after the request
    // moving average (3*4 + 1) / 4 = 3 -> speed-score 33; reputation = 4000 + 4000 + 660
    expect(signerInfo(w2)).toMatchObject({
      "last-active": BigInt(simnet.blockHeight),
      "reputation-score": 8660n,
      "performance-metrics": { "signing-speed": 3n, uptime: 100n, accuracy: 100n, "total-signatures": 2n, "valid-signatures": 2n },
    });
    expect(read("get-reputation", [Cl.principal(w2)])).toBeOk(Cl.uint(8660));
    // Members who did not sign are untouched.
    expect(signerInfo(w3)).toMatchObject({ "reputation-score": 5000n, "performance-metrics": { "total-signatures": 0n } });
  });

  it("recomputes accuracy as valid-signatures * 100 / total-signatures", () => {
    const { sign } = network();
    // A measured accuracy of 50% (agreed by the watchtower supermajority) with no partials yet
    // is replaced by the counted one.
    // 40 * 100 + 40 * 50 + 20 * (100 / 10) = 6200, - 5000 withheld until the first partial
    const towers = freshWatchtowers(3, "signing-accuracy");
    expect(reportMetrics(towers, w1, 10, 100, 50).at(-1)!.result).toBeOk(Cl.uint(1200));
    expect(signerInfo(w1)!["performance-metrics"]).toMatchObject({ accuracy: 50n, "signing-speed": 10n });
    const hash = messageHashOf("accuracy");
    requestSignature(hash, MIN_FEE);
    expect(sign(hash, 1).response.result).toBeOk(Cl.uint(1));
    // first partial: speed = elapsed (1), accuracy = 1 * 100 / 1
    expect(signerInfo(w1)).toMatchObject({
      "reputation-score": 10000n,
      "performance-metrics": { "signing-speed": 1n, accuracy: 100n, "total-signatures": 1n, "valid-signatures": 1n },
    });
  });
});

describe("submit-aggregate-signature", () => {
  it("refuses a hash nobody requested with ERR-UNKNOWN-REQUEST", () => {
    const { keys } = network();
    const hash = messageHashOf("nothing to aggregate");
    expect(submitAggregate(hash, partialSign(keys.shares[0], hash)).result).toBeErr(Cl.uint(ERR_UNKNOWN_REQUEST));
  });

  it("refuses an aggregate before t partials are in with ERR-THRESHOLD-NOT-MET", () => {
    const { keys, sign } = network();
    const hash = messageHashOf("two of three");
    requestSignature(hash, 3000n);
    const partials = [1, 2].map((index) => ({ index, signature: sign(hash, index).signature }));
    const tooFew = combine(partials);
    expect(verifyBls(keys.groupKey, hash, tooFew)).toBe(false);

    const refused = submitAggregate(hash, tooFew);
    expect(refused.result).toBeErr(Cl.uint(ERR_THRESHOLD_NOT_MET));
    expect(prints(refused.events)).toEqual([]);
    expect(requestOf(hash)).toMatchObject({ "aggregate-signature": null, aggregator: null, "partial-count": 2n, "fee-paid": false });
    expect(read("get-rewards", [Cl.principal(w1)])).toBeUint(0);
    expect(accounting()["pending-fees"]).toBe(3000n);
    expectBalancedBooks();
  });

  it("refuses a second aggregate with ERR-ALREADY-FINALIZED", () => {
    const { sign } = network();
    const hash = messageHashOf("final once");
    requestSignature(hash, 3000n);
    const partials = [1, 2, 3, 4].map((index) => ({ index, signature: sign(hash, index).signature }));
    const first = combine(partials.slice(0, 3));
    const settleAt = burnNow() + CLAIM_WINDOW;
    expect(submitAggregate(hash, first).result).toBeOk(Cl.uint(settleAt));
    const second = submitAggregate(hash, combine(partials.slice(1)), w6);
    expect(second.result).toBeErr(Cl.uint(ERR_ALREADY_FINALIZED));
    expect(requestOf(hash)).toMatchObject({ "aggregate-signature": hex(first), aggregator: outsider, "settle-at": settleAt });
    expect(settleFee(hash).result).toBeOk(Cl.uint(3000));
    // Still refused after settlement; the fee was paid once.
    expect(submitAggregate(hash, combine(partials.slice(1)), w6).result).toBeErr(Cl.uint(ERR_ALREADY_FINALIZED));
    expect(read("get-rewards", [Cl.principal(w1)])).toBeUint(750);
    expectBalancedBooks();
  });

  it("refuses a 95-byte aggregate with ERR-INVALID-SIGNATURE-LENGTH and a malformed point with ERR-INVALID-SIGNATURE", () => {
    const { sign } = network();
    const hash = messageHashOf("malformed aggregate");
    requestSignature(hash, 3000n);
    [1, 2, 3].forEach((index) => sign(hash, index));
    expect(submitAggregate(hash, badSignatures.short()).result).toBeErr(Cl.uint(ERR_INVALID_SIGNATURE_LENGTH));
    expect(submitAggregate(hash, badSignatures.infinity()).result).toBeErr(Cl.uint(ERR_INVALID_SIGNATURE));
    expect(submitAggregate(hash, badSignatures.uncompressedFlag()).result).toBeErr(Cl.uint(ERR_INVALID_SIGNATURE));
    expect(requestOf(hash)!["aggregate-signature"]).toBeNull();
    // Argument shapes are checked before state: a malformed aggregate for no request at all.
    const unknown = messageHashOf("no such request");
    expect(submitAggregate(unknown, badSignatures.short()).result).toBeErr(Cl.uint(ERR_INVALID_SIGNATURE_LENGTH));
    expect(submitAggregate(unknown, badSignatures.infinity()).result).toBeErr(Cl.uint(ERR_INVALID_SIGNATURE));
  });

  it("accepts the aggregate from anyone, not only committee members", () => {
    const { keys, sign } = network();
    const hash = messageHashOf("open aggregation");
    requestSignature(hash, 3000n);
    const partials = [5, 3, 1].map((index) => ({ index, signature: sign(hash, index).signature }));
    const aggregate = combine(partials);
    expect(verifyBls(keys.groupKey, hash, aggregate)).toBe(true);

    const settleAt = burnNow() + CLAIM_WINDOW;
    const accepted = submitAggregate(hash, aggregate, deployer); // not a signer at all
    expect(accepted.result).toBeOk(Cl.uint(settleAt));
    expect(requestOf(hash)).toMatchObject({
      "aggregate-signature": hex(aggregate),
      aggregator: deployer,
      "finalized-at": BigInt(simnet.blockHeight),
      "settle-at": settleAt,
      "closed-early": true, // before the deadline
      "fee-paid": false, // paid by settle-fee after settle-at
    });
    expect(printed(accepted.events, "signature-finalized")).toEqual({
      topic: "signature-finalized",
      "message-hash": hex(hash),
      signature: hex(aggregate),
      epoch: 1n,
      "group-public-key": hex(keys.groupKey),
      aggregator: deployer,
      fee: 3000n,
      "settle-at": settleAt,
      "partial-count": 3n,
      signers: [w5, w3, w1],
    });
    expect(stxTransfers(accepted.events)).toEqual([]);
    expect(read("get-rewards", [Cl.principal(deployer)])).toBeUint(0); // aggregating earns nothing
    expectBalancedBooks();
  });
});

/**
 * The whole round for (t, n): form the committee, agree on a key, request with a fee, t
 * partials, aggregate; then check the signature against the keys the contract stores and
 * follow every micro-STX of the fee.
 */
function fullRound(t: number, n: number, signers: string[], requesterAddress: string, aggregator: string, fee: bigint) {
  const keys = thresholdKeys(t, n, `full-round-${t}-of-${n}`);
  const committee = activeEpoch(signers, keys);
  expect(committee).toEqual(signers.slice(0, n));
  const epoch = epochOf(1);
  const groupKey = bytes(epoch["group-public-key"]);
  const shareKeys = epoch["share-public-keys"].map(bytes);
  expect(hex(groupKey)).toBe(hex(keys.groupKey));

  const hash = messageHashOf(`the ${t}-of-${n} acceptance round`);
  const requesterBefore = stxBalance(requesterAddress);
  expect(requestSignature(hash, fee, requesterAddress).result).toBeOk(Cl.uint(simnet.blockHeight + SIGNING_TIMEOUT));
  expect(stxBalance(requesterAddress)).toBe(requesterBefore - fee);

  // Members t, t-1, ..., 1 sign (any t will do); each partial verifies against its share key.
  const signing = committee.slice(0, t).reverse();
  signing.forEach((member, k) => {
    const index = committee.indexOf(member) + 1;
    const signature = partialSign(keys.shares[index - 1], hash);
    expect(verifyBls(shareKeys[index - 1], hash, signature)).toBe(true);
    if (k === t - 1) {
      // t-1 partials are in: they do not make a signature, and the contract agrees.
      const fewer = combine(storedPartials(hash, signing.slice(0, t - 1)));
      expect(verifyBls(groupKey, hash, fewer)).toBe(false);
      expect(submitAggregate(hash, fewer, aggregator).result).toBeErr(Cl.uint(ERR_THRESHOLD_NOT_MET));
    }
    expect(submitPartial(hash, signature, member).result).toBeOk(Cl.uint(k + 1));
  });

  const aggregate = combine(storedPartials(hash, signing));
  const settleAt = burnNow() + CLAIM_WINDOW;
  const finalized = submitAggregate(hash, aggregate, aggregator);
  const share = fee / BigInt(t);
  const remainder = fee - share * BigInt(t);
  expect(finalized.result).toBeOk(Cl.uint(settleAt));
  expect(printed(finalized.events, "signature-finalized")).toMatchObject({ "settle-at": settleAt, "partial-count": BigInt(t), signers: signing });
  // Once the aggregate can no longer be rejected, anyone settles the fee.
  const settled = settleFee(hash, aggregator);
  expect(settled.result).toBeOk(Cl.uint(share * BigInt(t)));
  expect(printed(settled.events, "fee-settled")).toMatchObject({ "fee-share": share, "fees-paid": share * BigInt(t), "to-treasury": remainder, signers: signing });

  // Read both back from the contract: any standard BLS verifier accepts the stored signature.
  const stored = bytes(requestOf(hash)!["aggregate-signature"]!);
  expect(verifyBls(bytes(epochOf(1)["group-public-key"]), hash, stored)).toBe(true);
  expect(verifyBls(groupKey, messageHashOf("another message"), stored)).toBe(false);

  // Each signer earned its share, the remainder went to the treasury, non-signers got nothing.
  expect(read("get-treasury")).toBeUint(remainder);
  for (const member of committee.slice(t)) expect(read("get-rewards", [Cl.principal(member)])).toBeUint(0);
  for (const member of signing) {
    expect(read("get-rewards", [Cl.principal(member)])).toBeUint(share);
    const before = stxBalance(member);
    const claimed = call("claim-rewards", [], member);
    expect(claimed.result).toBeOk(Cl.uint(share));
    expect(stxTransfers(claimed.events)).toEqual([{ sender: contractPrincipal, recipient: member, amount: share }]);
    expect(stxBalance(member)).toBe(before + share);
  }

  // Nothing pending: the contract holds the stakes and the treasury, exactly.
  const books = expectBalancedBooks();
  expect(books).toMatchObject({ "pending-fees": 0n, rewards: 0n, unbonding: 0n, bonds: 0n, treasury: remainder });
  expect(books.stakes).toBe(BigInt(signers.length) * MIN_STAKE);
  expect(stxBalance(contractPrincipal)).toBe(books.stakes + remainder);
}

describe("a full signing round", () => {
  it("(3, 5): the stored aggregate verifies against the stored group key and the fee, settled after settle-at, is paid out exactly", () => {
    fullRound(3, 5, [w1, w2, w3, w4, w5, w6], requester, outsider, 10_000_001n);
  });

  it("(11, 15): the same with the largest committee the accounts allow", () => {
    const signers = [deployer, ...wallets]; // 15 signers
    fullRound(11, 15, signers, wallets[13], wallets[12], 1_000_000n + 7n);
  });
});
