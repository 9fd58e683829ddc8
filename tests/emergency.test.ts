// pause / unpause: the guardian stops registrations, stake increases, metric updates, DKG,
// requests, partials, aggregates, fee settlement, rotation, reports, claims, claim expiries
// and slashing; leaving (unstake, withdraw) and collecting money (rewards, fee refunds)
// always work. Paused blocks never count: stacks-now and burn-now stand still while paused.
import { afterEach, describe, expect, it } from "vitest";
import { Cl, type ClarityValue } from "@stacks/transactions";
import {
  DEFAULTS,
  activeEpoch,
  blsKey,
  burnNow,
  call,
  clock,
  combine,
  config,
  contractPrincipal,
  decode,
  deployer,
  expectBalancedBooks,
  initialize,
  junkSignature,
  messageHashOf,
  mineBurnBlocks,
  mineStacksBlocks,
  registerWatchtowers,
  settleFee,
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
  type ThresholdKeys,
  rotate,
  committeeArg,
} from "./helpers";

// The books add up to the contract's STX balance after every test.
afterEach(() => expectBalancedBooks());

const ERR_UNAUTHORIZED = 100;
const ERR_PAUSED = 113;
const ERR_NOT_PAUSED = 152;
const CLAIM_WINDOW = 144n;

const FEE = 30_000n;
const pause = (who = deployer) => call("pause", [], who);
const unpause = (who = deployer) => call("unpause", [], who);
const isPaused = () => config().paused as boolean;

/** Everything a refused call must leave as it was, plus whatever `watched` reads. */
function world(who: string, watched: () => unknown) {
  return {
    caller: stxBalance(who),
    contract: stxBalance(contractPrincipal),
    books: decode(read("get-accounting")),
    state: { ...(decode(read("get-network-state")) as Record<string, unknown>), "block-height": null },
    watched: watched(),
  };
}

/** While paused `fn` is ERR-PAUSED with no event and nothing moved; after unpause the same
 *  call goes through (so the pause, not some other rule, refused it). Returns that result. */
function expectPausedThenWorks(fn: string, args: ClarityValue[], who: string, watched: () => unknown = () => null) {
  expect(pause().result).toBeOk(Cl.bool(true));
  const before = world(who, watched);
  const refused = call(fn, args, who);
  expect(refused.result).toBeErr(Cl.uint(ERR_PAUSED));
  expect(refused.events).toEqual([]);
  expect(world(who, watched)).toEqual(before);
  expect(unpause().result).toBeOk(Cl.bool(true));
  const done = call(fn, args, who);
  expect(done.result.type, `${fn} after unpause: ${JSON.stringify(decode(done.result), (_, v) => (typeof v === "bigint" ? `${v}` : v))}`).toBe(
    Cl.ok(Cl.bool(true)).type,
  );
  expectBalancedBooks();
  return done;
}

/** An active epoch 1 of wallet_1..wallet_5 with real threshold keys (t = 3, n = 5). */
function signingNetwork() {
  const keys = thresholdKeys(3, 5, "emergency");
  const committee = activeEpoch(wallets.slice(0, 5), keys);
  return { keys, committee };
}

/** Opens a request for `text` and has the first `count` members submit real partials. */
function openRequest(text: string, count: number, keys: ThresholdKeys, committee: string[]) {
  const hash = messageHashOf(text);
  const requested = call("request-signature", [Cl.buffer(hash), Cl.uint(FEE)], wallets[10]);
  expect(requested.result).toBeOk(Cl.uint(simnet.blockHeight + 120)); // deadline: signing-timeout 120
  const partials = committee.slice(0, count).map((member, i) => {
    const signature = partialSign(keys.shares[i], hash);
    expect(call("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(signature)], member).result).toBeOk(Cl.uint(i + 1));
    return { index: i + 1, signature };
  });
  return { hash, partials };
}

describe("pause", () => {
  it("lets the guardian pause and prints paused with the clocks it freezes", () => {
    initialize();
    expect(isPaused()).toBe(false);
    const { result, events } = pause();
    expect(result).toBeOk(Cl.bool(true));
    // The pause began in this block: the clocks stop at its heights (nothing paused before).
    const stacks = BigInt(simnet.blockHeight);
    const burn = BigInt(simnet.burnBlockHeight);
    expect(prints(events)).toEqual([{ topic: "paused", guardian: deployer, "stacks-now": stacks, "burn-now": burn }]);
    expect(clock()).toEqual({ "stacks-now": stacks, "burn-now": burn, paused: true, "paused-blocks": { stacks: 0n, burn: 0n } });
    expect(stxTransfers(events)).toEqual([]);
    expect(isPaused()).toBe(true);
    expect(decode(read("get-network-state"))).toMatchObject({ paused: true });
  });

  it("refuses a pause while paused with ERR-PAUSED; the clocks stay frozen where the first pause stopped them", () => {
    initialize();
    expect(pause().result).toBeOk(Cl.bool(true));
    const frozen = clock();
    mineBurnBlocks(3);
    const again = pause();
    expect(again.result).toBeErr(Cl.uint(ERR_PAUSED));
    expect(again.events).toEqual([]);
    expect(clock()).toEqual(frozen);
    expect(isPaused()).toBe(true);
  });

  it("refuses anyone but the guardian with ERR-UNAUTHORIZED", () => {
    initialize();
    registerSigners([wallets[0]]);
    for (const who of [wallets[0], wallets[1]]) {
      const { result, events } = pause(who);
      expect(result).toBeErr(Cl.uint(ERR_UNAUTHORIZED));
      expect(events).toEqual([]);
    }
    expect(isPaused()).toBe(false);
  });

  it("comes before every other check: before initialize a gated call is ERR-PAUSED", () => {
    expect(pause().result).toBeOk(Cl.bool(true));
    expect(call("register-signer", [Cl.buffer(blsKey("early"))], wallets[0]).result).toBeErr(Cl.uint(ERR_PAUSED));
    expect(rotate(wallets[0]).result).toBeErr(Cl.uint(ERR_PAUSED));
    // update-metrics too: unpaused before initialize it is ERR-NOT-INITIALIZED (metrics.test.ts).
    const metrics = [Cl.principal(wallets[0]), Cl.uint(1), Cl.uint(100), Cl.uint(100)];
    expect(call("update-metrics", metrics, deployer).result).toBeErr(Cl.uint(ERR_PAUSED));
  });
});

describe("unpause", () => {
  it("lets the guardian unpause and prints unpaused with how long the pause lasted; the clocks go on from where they stopped", () => {
    initialize();
    pause();
    const stopped = clock();
    mineStacksBlocks(4);
    mineBurnBlocks(2); // two more Stacks blocks with them
    const { result, events } = unpause();
    expect(result).toBeOk(Cl.bool(true));
    // Paused from the pause's block to this one: 4 + 2 + 1 (this call) Stacks blocks, 2 Bitcoin blocks.
    const pausedFor = { stacks: 7n, burn: 2n };
    expect(prints(events)).toEqual([
      { topic: "unpaused", guardian: deployer, "paused-for": pausedFor, "stacks-now": stopped["stacks-now"], "burn-now": stopped["burn-now"] },
    ]);
    expect(isPaused()).toBe(false);
    expect(clock()).toEqual({ ...stopped, paused: false, "paused-blocks": pausedFor });
    expect(decode(read("get-network-state"))).toMatchObject({
      paused: false,
      "block-height": BigInt(simnet.blockHeight),
      "burn-block-height": BigInt(simnet.burnBlockHeight),
      "stacks-now": BigInt(simnet.blockHeight) - 7n,
      "burn-now": BigInt(simnet.burnBlockHeight) - 2n,
    });
    // A second pause adds to the blocks spent paused.
    pause();
    mineBurnBlocks(1);
    expect(unpause().result).toBeOk(Cl.bool(true));
    expect(clock()["paused-blocks"]).toEqual({ stacks: 7n + 2n, burn: 3n });
    expect(burnNow()).toBe(BigInt(simnet.burnBlockHeight) - 3n);
  });

  it("refuses an unpause while not paused with ERR-NOT-PAUSED", () => {
    initialize();
    const refused = unpause();
    expect(refused.result).toBeErr(Cl.uint(ERR_NOT_PAUSED));
    expect(refused.events).toEqual([]);
    pause();
    expect(unpause().result).toBeOk(Cl.bool(true));
    expect(unpause().result).toBeErr(Cl.uint(ERR_NOT_PAUSED));
    expect(clock()["paused-blocks"]).toEqual({ stacks: 1n, burn: 0n });
  });

  it("refuses anyone but the guardian with ERR-UNAUTHORIZED, and the pause holds", () => {
    initialize();
    pause();
    const { result, events } = unpause(wallets[0]);
    expect(result).toBeErr(Cl.uint(ERR_UNAUTHORIZED));
    expect(events).toEqual([]);
    expect(isPaused()).toBe(true);
    expect(call("register-signer", [Cl.buffer(blsKey("still"))], wallets[0]).result).toBeErr(Cl.uint(ERR_PAUSED));
  });
});

describe("while paused", () => {
  it("register-signer is ERR-PAUSED; after unpause it registers", () => {
    initialize();
    const done = expectPausedThenWorks("register-signer", [Cl.buffer(blsKey("paused-signer"))], wallets[0]);
    expect(printed(done.events, "signer-registered")).toMatchObject({ signer: wallets[0], seq: 1n });
    expect(signerInfo(wallets[0])!.stake).toBe(DEFAULTS.minStake);
  });

  it("increase-stake is ERR-PAUSED; after unpause it adds stake", () => {
    initialize();
    registerSigners([wallets[0]]);
    const done = expectPausedThenWorks("increase-stake", [Cl.uint(5_000_000)], wallets[0]);
    expect(done.result).toBeOk(Cl.uint(DEFAULTS.minStake + 5_000_000n));
  });

  it("update-metrics is ERR-PAUSED; after unpause the watchtower's report completes the supermajority and the measurement is stored", () => {
    initialize();
    registerSigners([wallets[0]]);
    const towers = registerWatchtowers([wallets[7], wallets[8], wallets[9]]);
    const record = () => {
      const info = signerInfo(wallets[0])!;
      delete info["performance-metrics"]["stake-duration"]; // grows with every block
      return info;
    };
    expect(record()["reputation-score"]).toBe(5000n);
    const args = [Cl.principal(wallets[0]), Cl.uint(2), Cl.uint(90), Cl.uint(95)];
    for (const tower of towers.slice(0, 2)) expect(call("update-metrics", args, tower).result).toBeOk(Cl.uint(5000));
    const done = expectPausedThenWorks("update-metrics", args, towers[2], record);
    // 40 * 90 + 40 * 95 + 20 * (100 / 2) = 8400, - 5000 withheld (no partial yet) = 3400
    expect(done.result).toBeOk(Cl.uint(3400));
    expect(printed(done.events, "metrics-updated")).toMatchObject({ signer: wallets[0], "reputation-score": 3400n });
    expect(record()).toMatchObject({ "reputation-score": 3400n, "performance-metrics": { "signing-speed": 2n, uptime: 90n, accuracy: 95n } });
  });

  it("rotate-signers is ERR-PAUSED; after unpause it forms the committee", () => {
    initialize();
    registerSigners(wallets.slice(0, 3));
    const done = expectPausedThenWorks("rotate-signers", [committeeArg(wallets.slice(0, 3))], wallets[5]);
    expect(done.result).toBeOk(Cl.uint(1));
    expect(read("get-member-index", [Cl.uint(1), Cl.principal(wallets[0])])).toBeSome(Cl.uint(1));
  });

  it("post-dkg-message is ERR-PAUSED; after unpause it is broadcast", () => {
    initialize();
    registerSigners(wallets.slice(0, 3));
    expect(rotate(wallets[0]).result).toBeOk(Cl.uint(1));
    const done = expectPausedThenWorks("post-dkg-message", [Cl.uint(1), Cl.uint(1), Cl.bufferFromHex("c0ffee")], wallets[1]);
    expect(printed(done.events, "dkg-message")).toMatchObject({ epoch: 1n, sender: wallets[1], payload: "0xc0ffee" });
  });

  it("submit-epoch-key is ERR-PAUSED; after unpause the vote counts", () => {
    initialize();
    registerSigners(wallets.slice(0, 5));
    expect(rotate(wallets[0]).result).toBeOk(Cl.uint(1));
    const keys = thresholdKeys(3, 5, "emergency");
    const vote = [Cl.uint(1), Cl.buffer(keys.groupKey), Cl.list(keys.shareKeys.map((k) => Cl.buffer(k)))];
    const done = expectPausedThenWorks("submit-epoch-key", vote, wallets[0]);
    expect(done.result).toBeOk(Cl.bool(false));
    expect(printed(done.events, "epoch-key-vote")).toMatchObject({ epoch: 1n, voter: wallets[0], votes: 1n });
  });

  it("request-signature is ERR-PAUSED; after unpause the fee moves in", () => {
    signingNetwork();
    const hash = messageHashOf("paused request");
    const done = expectPausedThenWorks("request-signature", [Cl.buffer(hash), Cl.uint(FEE)], wallets[10]);
    expect(stxTransfers(done.events)).toEqual([{ sender: wallets[10], recipient: contractPrincipal, amount: FEE }]);
    expect(read("get-request", [Cl.buffer(hash)])).toBeSome(expect.anything());
  });

  it("submit-partial-signature is ERR-PAUSED; after unpause the partial is stored", () => {
    const { keys, committee } = signingNetwork();
    const { hash } = openRequest("paused partial", 0, keys, committee);
    const signature = partialSign(keys.shares[0], hash);
    const done = expectPausedThenWorks("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(signature)], committee[0]);
    expect(done.result).toBeOk(Cl.uint(1));
    expect(read("get-partial-signature", [Cl.buffer(hash), Cl.principal(committee[0])])).toBeSome(expect.anything());
  });

  it("submit-aggregate-signature is ERR-PAUSED; after unpause it finalizes (settle-at on burn-now, nothing paid yet)", () => {
    const { keys, committee } = signingNetwork();
    const { hash, partials } = openRequest("paused aggregate", 3, keys, committee);
    const aggregate = combine(partials);
    const done = expectPausedThenWorks("submit-aggregate-signature", [Cl.buffer(hash), Cl.buffer(aggregate)], wallets[11]);
    expect(done.result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    expect(stxTransfers(done.events)).toEqual([]);
    expect(read("get-rewards", [Cl.principal(committee[0])])).toBeUint(0);
  });

  it("settle-fee is ERR-PAUSED; after unpause it pays the signers", () => {
    const { keys, committee } = signingNetwork();
    const { hash, partials } = openRequest("paused settlement", 3, keys, committee);
    expect(call("submit-aggregate-signature", [Cl.buffer(hash), Cl.buffer(combine(partials))], wallets[11]).result).toBeOk(
      Cl.uint(burnNow() + CLAIM_WINDOW),
    );
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    const done = expectPausedThenWorks("settle-fee", [Cl.buffer(hash)], wallets[11]);
    expect(done.result).toBeOk(Cl.uint(FEE));
    expect(printed(done.events, "fee-settled")).toMatchObject({ fee: FEE, "fee-share": FEE / 3n, "fees-paid": FEE });
    expect(read("get-rewards", [Cl.principal(committee[0])])).toBeUint(FEE / 3n);
  });

  it("register-watchtower is ERR-PAUSED; after unpause the bond is locked", () => {
    initialize();
    const done = expectPausedThenWorks("register-watchtower", [], wallets[8]);
    expect(stxTransfers(done.events)).toEqual([{ sender: wallets[8], recipient: contractPrincipal, amount: 100_000_000n }]);
    expect(read("get-watchtower", [Cl.principal(wallets[8])])).toBeSome(expect.anything());
  });

  it("submit-watchtower-report is ERR-PAUSED; after unpause the report is folded in", () => {
    initialize();
    registerSigners([wallets[0]]);
    expect(call("register-watchtower", [], wallets[8]).result).toBeOk(Cl.bool(true));
    const done = expectPausedThenWorks(
      "submit-watchtower-report",
      [Cl.principal(wallets[0]), Cl.uint(90), Cl.uint(3), Cl.uint(0)],
      wallets[8],
    );
    expect(printed(done.events, "watchtower-report")).toMatchObject({ signer: wallets[0], uptime: 90n, reports: 1n, agreed: false });
  });

  it("report-invalid-signature is ERR-PAUSED; after unpause the claim is recorded", () => {
    const { keys, committee } = signingNetwork();
    const { hash } = openRequest("paused claim", 1, keys, committee);
    expect(call("register-watchtower", [], wallets[8]).result).toBeOk(Cl.bool(true));
    const done = expectPausedThenWorks("report-invalid-signature", [Cl.buffer(hash), Cl.principal(committee[0])], wallets[8]);
    expect(done.result).toBeOk(Cl.bool(false));
    expect(printed(done.events, "invalid-signature-claim")).toMatchObject({ claims: 1n, confirmed: false });
  });

  it("expire-claim is ERR-PAUSED; after unpause the claimant forfeits part of its bond", () => {
    const { keys, committee } = signingNetwork();
    const { hash } = openRequest("paused expiry", 1, keys, committee);
    // one claimant of three active watchtowers: a minority, charged when its claim expires
    registerWatchtowers([wallets[8], wallets[9], wallets[10]]);
    expect(call("report-invalid-signature", [Cl.buffer(hash), Cl.principal(committee[0])], wallets[8]).result).toBeOk(Cl.bool(false));
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    const done = expectPausedThenWorks("expire-claim", [Cl.buffer(hash), Cl.principal(committee[0])], wallets[11]);
    expect(done.result).toBeOk(Cl.uint(10_000_000n)); // 10% of the 100 STX bond
    expect(printed(done.events, "claim-expired")).toMatchObject({ claimants: [wallets[8]], forfeited: 10_000_000n });
  });

  it("report-invalid-aggregate and expire-aggregate-claim are ERR-PAUSED; after unpause they work", () => {
    const { keys, committee } = signingNetwork();
    const { hash } = openRequest("paused aggregate claim", 3, keys, committee);
    const junk = junkSignature("paused aggregate claim");
    expect(call("submit-aggregate-signature", [Cl.buffer(hash), Cl.buffer(junk)], wallets[11]).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
    registerWatchtowers([wallets[8], wallets[9], wallets[10]]);
    const claimed = expectPausedThenWorks("report-invalid-aggregate", [Cl.buffer(hash)], wallets[8]);
    expect(claimed.result).toBeOk(Cl.bool(false));
    mineBurnBlocks(CLAIM_WINDOW + 1n);
    const done = expectPausedThenWorks("expire-aggregate-claim", [Cl.buffer(hash), Cl.buffer(junk)], wallets[11]);
    expect(done.result).toBeOk(Cl.uint(10_000_000n));
    expect(printed(done.events, "claim-expired")).toMatchObject({ signer: null, claimants: [wallets[8]], forfeited: 10_000_000n });
  });

  it("penalize-missed-signature is ERR-PAUSED; after unpause the absent member is slashed", () => {
    const { keys, committee } = signingNetwork();
    const { hash } = openRequest("paused liveness", 3, keys, committee);
    mineStacksBlocks(121); // past the deadline (Stacks blocks)
    const done = expectPausedThenWorks("penalize-missed-signature", [Cl.buffer(hash), Cl.principal(committee[4])], wallets[11]);
    expect(done.result).toBeOk(Cl.uint(DEFAULTS.minStake / 100n));
    expect(signerInfo(committee[4])!["slashing-history"]["total-slashes"]).toBe(1n);
  });
});

describe("what pause never stops", () => {
  it("request-unstake still works", () => {
    initialize();
    registerSigners([wallets[0]]);
    pause();
    const { result, events } = call("request-unstake", [Cl.uint(DEFAULTS.minStake)], wallets[0]);
    expect(result).toBeOk(Cl.uint(simnet.burnBlockHeight + 2016)); // unbonding counts Bitcoin blocks
    expect(printed(events, "unstake-requested")).toMatchObject({ signer: wallets[0], amount: DEFAULTS.minStake, exiting: true });
    expect(signerInfo(wallets[0])).toMatchObject({ stake: 0n, unbonding: DEFAULTS.minStake, status: "exiting" });
    expectBalancedBooks();
  });

  it("withdraw-stake still works and returns the STX", () => {
    initialize();
    const start = stxBalance(wallets[0]);
    registerSigners([wallets[0]]);
    call("request-unstake", [Cl.uint(DEFAULTS.minStake)], wallets[0]);
    pause();
    mineBurnBlocks(2016); // release is a burn-block-height: paused Bitcoin blocks count for leaving
    const { result, events } = call("withdraw-stake", [], wallets[0]);
    expect(result).toBeOk(Cl.uint(DEFAULTS.minStake));
    expect(stxTransfers(events)).toEqual([{ sender: contractPrincipal, recipient: wallets[0], amount: DEFAULTS.minStake }]);
    expect(printed(events, "stake-withdrawn")).toMatchObject({ signer: wallets[0], exited: true });
    expect(stxBalance(wallets[0])).toBe(start);
    expect(stxBalance(contractPrincipal)).toBe(0n);
    expectBalancedBooks();
  });

  it("claim-rewards still works and pays the earned fee share", () => {
    const { keys, committee } = signingNetwork();
    const { hash, partials } = openRequest("rewards before pause", 3, keys, committee);
    expect(call("submit-aggregate-signature", [Cl.buffer(hash), Cl.buffer(combine(partials))], wallets[11]).result).toBeOk(
      Cl.uint(burnNow() + CLAIM_WINDOW),
    );
    expect(settleFee(hash).result).toBeOk(Cl.uint(FEE));
    pause();
    const member = committee[1];
    const before = stxBalance(member);
    const { result, events } = call("claim-rewards", [], member);
    expect(result).toBeOk(Cl.uint(FEE / 3n));
    expect(stxTransfers(events)).toEqual([{ sender: contractPrincipal, recipient: member, amount: FEE / 3n }]);
    expect(printed(events, "rewards-claimed")).toEqual({ topic: "rewards-claimed", recipient: member, amount: FEE / 3n });
    expect(stxBalance(member)).toBe(before + FEE / 3n);
    expect(read("get-rewards", [Cl.principal(member)])).toBeUint(0);
    expectBalancedBooks();
  });

  it("reclaim-fee still refunds an expired request", () => {
    const { keys, committee } = signingNetwork();
    const { hash } = openRequest("refund while paused", 1, keys, committee);
    mineStacksBlocks(121); // past the deadline (Stacks blocks)
    pause();
    const before = stxBalance(wallets[10]);
    const { result, events } = call("reclaim-fee", [Cl.buffer(hash)], wallets[10]);
    expect(result).toBeOk(Cl.uint(FEE));
    expect(stxTransfers(events)).toEqual([{ sender: contractPrincipal, recipient: wallets[10], amount: FEE }]);
    expect(stxBalance(wallets[10])).toBe(before + FEE);
    expectBalancedBooks();
  });
});

describe("the pause clocks: paused blocks never count", () => {
  it("a request's deadline (stacks-now) does not run while paused: a partial after the paused blocks is still in time", () => {
    const { keys, committee } = signingNetwork();
    const { hash } = openRequest("deadline across a pause", 1, keys, committee);
    const request = decode(read("get-request", [Cl.buffer(hash)])) as Record<string, bigint>;
    expect(request.deadline).toBe(request["created-at"] + 120n);
    pause();
    mineStacksBlocks(200);
    expect(unpause().result).toBeOk(Cl.bool(true));
    // The Stacks height is past the deadline, stacks-now is not.
    expect(BigInt(simnet.blockHeight)).toBeGreaterThan(request.deadline);
    expect(clock()["stacks-now"]).toBeLessThan(request.deadline);
    const now = clock()["stacks-now"] + 1n; // the next call's block
    expect(call("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(partialSign(keys.shares[1], hash))], committee[1]).result).toBeOk(Cl.uint(2));
    expect(decode(read("get-partial-signature", [Cl.buffer(hash), Cl.principal(committee[1])]))).toMatchObject({ timestamp: now });
    expect(decode(read("get-request", [Cl.buffer(hash)]))).toMatchObject({ deadline: request.deadline, "created-at": request["created-at"] });
  });

  it("a partial's claim window (burn-now) does not run while paused: a claim after the paused Bitcoin blocks is still in time", () => {
    const { keys, committee } = signingNetwork();
    const { hash } = openRequest("claim window across a pause", 1, keys, committee);
    const claimUntil = (decode(read("get-partial-signature", [Cl.buffer(hash), Cl.principal(committee[0])])) as Record<string, bigint>)["claim-until"];
    expect(claimUntil).toBe(burnNow() + CLAIM_WINDOW);
    const towers = registerWatchtowers([wallets[7], wallets[8], wallets[9]]);
    pause();
    mineBurnBlocks(CLAIM_WINDOW + 50n);
    expect(unpause().result).toBeOk(Cl.bool(true));
    expect(BigInt(simnet.burnBlockHeight)).toBeGreaterThan(claimUntil);
    expect(burnNow()).toBeLessThan(claimUntil);
    expect(call("report-invalid-signature", [Cl.buffer(hash), Cl.principal(committee[0])], towers[0]).result).toBeOk(Cl.bool(false));
    // Once burn-now passes claim-until the window is closed.
    mineBurnBlocks(claimUntil - burnNow() + 1n);
    expect(call("report-invalid-signature", [Cl.buffer(hash), Cl.principal(committee[0])], towers[1]).result).toBeErr(Cl.uint(145));
    expectBalancedBooks();
  });
  it("report intervals and rotation periods (burn-now) do not run while paused", () => {
    signingNetwork();
    const interval = decode(read("get-current-interval")) as bigint;
    const lastRotation = (decode(read("get-network-state")) as Record<string, bigint>)["last-rotation"];
    expect(lastRotation).toBe(burnNow());
    pause();
    mineBurnBlocks(300); // more than a report interval and a rotation period (144 each)
    expect(unpause().result).toBeOk(Cl.bool(true));
    expect(burnNow()).toBe(lastRotation);
    expect(decode(read("get-current-interval"))).toBe(interval);
    expect(rotate(wallets[11]).result).toBeErr(Cl.uint(129)); // ERR-ROTATION-NOT-DUE
    mineBurnBlocks(144);
    expect(decode(read("get-current-interval"))).toBe((lastRotation + 144n) / 144n);
    expect(rotate(wallets[11]).result).toBeOk(Cl.uint(2));
  });
});
