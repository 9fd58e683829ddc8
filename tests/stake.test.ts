// Stake: increase-stake, request-unstake (starts unbonding) and withdraw-stake (after the
// unbonding period). Real STX move; the books always add up to the contract's balance.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  activeEpoch,
  blsKey,
  call,
  config,
  contractPrincipal,
  decode,
  DEFAULTS,
  deployer,
  expectBalancedBooks,
  freshAccount,
  initialize,
  mineBurnBlocks,
  mineStacksBlocks,
  nextCallAtBurn,
  burnNow,
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
  wallets,
  rotate,
} from "./helpers";

const ERR_INSUFFICIENT_STAKE = 102;
const ERR_NOT_REGISTERED = 114;
const ERR_INVALID_AMOUNT = 117;
const ERR_STAKE_LOCKED = 118;
const ERR_NOTHING_TO_WITHDRAW = 119;

const MIN = DEFAULTS.minStake;
const UNBONDING = 2016n; // the documented default unbonding-period

const increase = (amount: bigint, who: string) => call("increase-stake", [Cl.uint(amount)], who);
const unstake = (amount: bigint, who: string) => call("request-unstake", [Cl.uint(amount)], who);
const withdraw = (who: string) => call("withdraw-stake", [], who);

/** The release height of an unstake requested by the last call: a Bitcoin height (calls run
 *  in new Stacks blocks at the same burn height). */
const lastCallRelease = () => BigInt(simnet.burnBlockHeight) + UNBONDING;

/** A refused call: the error, no event, no STX moved, the signer's record unchanged. */
function expectRefused(result: ReturnType<typeof call>, who: string, code: number, before: ReturnType<typeof recordOf>) {
  expect(result.result).toBeErr(Cl.uint(code));
  expect(result.events).toEqual([]);
  expect(recordOf(who)).toEqual(before);
}

/** Balances and the stored record, without stake-duration (which grows with every block). */
function recordOf(who: string) {
  const info = signerInfo(who);
  if (info) delete info["performance-metrics"]["stake-duration"];
  return { caller: stxBalance(who), contract: stxBalance(contractPrincipal), info };
}

afterEach(() => {
  expectBalancedBooks();
});

describe("increase-stake", () => {
  it("moves the amount into the contract and adds it to the signer's stake", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    const before = recordOf(signer);
    const { result, events } = increase(250_000_000n, signer);
    expect(result).toBeOk(Cl.uint(MIN + 250_000_000n));
    expect(stxBalance(signer)).toBe(before.caller - 250_000_000n);
    expect(stxBalance(contractPrincipal)).toBe(before.contract + 250_000_000n);
    expect(stxTransfers(events)).toEqual([{ sender: signer, recipient: contractPrincipal, amount: 250_000_000n }]);
    expect(printed(events, "stake-increased")).toEqual({
      topic: "stake-increased",
      signer,
      amount: 250_000_000n,
      stake: MIN + 250_000_000n,
    });
    expect(recordOf(signer).info).toEqual({ ...before.info, stake: MIN + 250_000_000n });
    expect(expectBalancedBooks().stakes).toBe(MIN + 250_000_000n);
  });

  it("refuses 0 with ERR-INVALID-AMOUNT", () => {
    initialize();
    registerSigners([wallets[0]]);
    expectRefused(increase(0n, wallets[0]), wallets[0], ERR_INVALID_AMOUNT, recordOf(wallets[0]));
  });

  it("refuses an unregistered caller with ERR-NOT-REGISTERED", () => {
    initialize();
    expectRefused(increase(MIN, wallets[0]), wallets[0], ERR_NOT_REGISTERED, recordOf(wallets[0]));
  });

  it("refuses more than the caller holds with ERR-INSUFFICIENT-STAKE", () => {
    initialize();
    const signer = freshAccount("increase-poor", MIN + 5n);
    expect(call("register-signer", [Cl.buffer(blsKey("increase-poor"))], signer).result).toBeOk(Cl.bool(true));
    expectRefused(increase(6n, signer), signer, ERR_INSUFFICIENT_STAKE, recordOf(signer));
    expect(increase(5n, signer).result).toBeOk(Cl.uint(MIN + 5n));
    expect(stxBalance(signer)).toBe(0n);
  });

  it("makes an exiting signer eligible again once its stake is back at min-stake", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    expect(unstake(60_000_000n, signer).result).toBeOk(Cl.uint(lastCallRelease()));
    expect(signerInfo(signer)).toMatchObject({ exiting: true, status: "exiting", stake: 40_000_000n });
    // Still short of min-stake: still exiting.
    expect(increase(10_000_000n, signer).result).toBeOk(Cl.uint(50_000_000n));
    expect(signerInfo(signer)).toMatchObject({ exiting: true, status: "exiting" });
    expect(increase(50_000_000n, signer).result).toBeOk(Cl.uint(MIN));
    expect(signerInfo(signer)).toMatchObject({ exiting: false, status: "backup", stake: MIN, unbonding: 60_000_000n });
  });
});

describe("request-unstake", () => {
  it("moves stake into unbonding with release height = burn-block-height + unbonding-period, and no STX leaves", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    increase(200_000_000n, signer);
    const before = recordOf(signer);
    const { result, events } = unstake(150_000_000n, signer);
    const release = BigInt(simnet.burnBlockHeight) + config()["unbonding-period"]; // Bitcoin blocks
    expect(config()["unbonding-period"]).toBe(UNBONDING);
    expect(result).toBeOk(Cl.uint(release));
    expect(stxTransfers(events)).toEqual([]);
    expect(stxBalance(signer)).toBe(before.caller);
    expect(stxBalance(contractPrincipal)).toBe(before.contract);
    expect(printed(events, "unstake-requested")).toEqual({
      topic: "unstake-requested",
      signer,
      amount: 150_000_000n,
      stake: 150_000_000n,
      unbonding: 150_000_000n,
      "release-height": release,
      exiting: false,
    });
    expect(recordOf(signer).info).toEqual({
      ...before.info,
      stake: 150_000_000n,
      unbonding: 150_000_000n,
      "unbonding-release": release,
      exiting: false,
      status: "backup",
    });
    const books = expectBalancedBooks();
    expect(books.stakes).toBe(150_000_000n);
    expect(books.unbonding).toBe(150_000_000n);
  });

  it("marks a signer whose stake drops below min-stake as exiting", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    const { result, events } = unstake(1n, signer);
    expect(result).toBeOk(Cl.uint(lastCallRelease()));
    expect(printed(events, "unstake-requested")).toMatchObject({ stake: MIN - 1n, unbonding: 1n, exiting: true });
    expect(signerInfo(signer)).toMatchObject({ stake: MIN - 1n, unbonding: 1n, exiting: true, status: "exiting" });
  });

  it("restarts the release height for everything unbonding on a second request", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    unstake(30_000_000n, signer);
    const firstRelease = lastCallRelease();
    mineBurnBlocks(10);
    const { result, events } = unstake(20_000_000n, signer);
    const secondRelease = lastCallRelease();
    expect(result).toBeOk(Cl.uint(secondRelease));
    expect(printed(events, "unstake-requested")).toMatchObject({ amount: 20_000_000n, unbonding: 50_000_000n, exiting: true });
    expect(signerInfo(signer)).toMatchObject({ stake: 50_000_000n, unbonding: 50_000_000n, "unbonding-release": secondRelease });
    nextCallAtBurn(firstRelease);
    expect(withdraw(signer).result).toBeErr(Cl.uint(ERR_STAKE_LOCKED));
    nextCallAtBurn(secondRelease);
    expect(withdraw(signer).result).toBeOk(Cl.uint(50_000_000n));
  });

  it("refuses 0 with ERR-INVALID-AMOUNT", () => {
    initialize();
    registerSigners([wallets[0]]);
    expectRefused(unstake(0n, wallets[0]), wallets[0], ERR_INVALID_AMOUNT, recordOf(wallets[0]));
  });

  it("refuses more than the bonded stake with ERR-INVALID-AMOUNT", () => {
    initialize();
    registerSigners([wallets[0]]);
    expectRefused(unstake(MIN + 1n, wallets[0]), wallets[0], ERR_INVALID_AMOUNT, recordOf(wallets[0]));
    // Unbonding stake is no longer bonded: it cannot be unstaked twice.
    expect(unstake(MIN, wallets[0]).result).toBeOk(Cl.uint(lastCallRelease()));
    expectRefused(unstake(1n, wallets[0]), wallets[0], ERR_INVALID_AMOUNT, recordOf(wallets[0]));
  });

  it("refuses an unregistered caller with ERR-NOT-REGISTERED", () => {
    initialize();
    expectRefused(unstake(1n, wallets[0]), wallets[0], ERR_NOT_REGISTERED, recordOf(wallets[0]));
  });

  it("refuses a member of the forming committee dropping below min-stake with ERR-STAKE-LOCKED", () => {
    initialize();
    const signers = wallets.slice(0, 3);
    registerSigners(signers);
    expect(rotate(signers[0]).result).toBeOk(Cl.uint(1));
    expect(read("get-current-epoch")).toBeUint(0); // forming, not yet serving
    const [member] = signers;
    expect(read("get-member-index", [Cl.uint(1), Cl.principal(member)])).toBeSome(Cl.uint(1));
    expectRefused(unstake(1n, member), member, ERR_STAKE_LOCKED, recordOf(member));
  });

  it("refuses a member of the active committee dropping below min-stake with ERR-STAKE-LOCKED, but allows down to min-stake", () => {
    const signers = wallets.slice(0, 5);
    const committee = activeEpoch(signers, thresholdKeys(3, 5, "stake"));
    const member = committee[4];
    expect(signerInfo(member)!.status).toBe("primary");
    increase(50_000_000n, member);
    expectRefused(unstake(50_000_001n, member), member, ERR_STAKE_LOCKED, recordOf(member));
    expectRefused(unstake(MIN + 50_000_000n, member), member, ERR_STAKE_LOCKED, recordOf(member));
    // Down to exactly min-stake keeps the member bonded enough.
    expect(unstake(50_000_000n, member).result).toBeOk(Cl.uint(lastCallRelease()));
    expect(signerInfo(member)).toMatchObject({ stake: MIN, unbonding: 50_000_000n, exiting: false, status: "primary" });
  });

  it("lets a backup outside every committee leave while a committee serves", () => {
    const signers = wallets.slice(0, 6);
    const committee = activeEpoch(signers, thresholdKeys(3, 5, "stake"));
    const [backup] = signers.filter((s) => !committee.includes(s));
    expect(signerInfo(backup)!.status).toBe("backup");
    expect(unstake(MIN, backup).result).toBeOk(Cl.uint(lastCallRelease()));
    expect(signerInfo(backup)).toMatchObject({ stake: 0n, unbonding: MIN, exiting: true, status: "exiting" });
  });

  it("keeps a member rotated out locked until the new committee is active (ERR-STAKE-LOCKED), then lets it leave", () => {
    const keys = thresholdKeys(3, 5, "stake");
    const signers = wallets.slice(0, 6);
    const committee = activeEpoch(signers, keys);
    const [outsider] = signers.filter((s) => !committee.includes(s));
    // The outsider outranks everyone; the last member of epoch 1 drops out of epoch 2.
    increase(MIN, outsider);
    const leaving = committee[4];
    mineBurnBlocks(DEFAULTS.rotationPeriod); // rotation-period counts Bitcoin blocks
    expect(rotate(outsider).result).toBeOk(Cl.uint(2));
    const next = (decode(read("get-epoch", [Cl.uint(2)])) as { committee: string[] }).committee;
    expect(next).not.toContain(leaving);
    expect(next).toContain(outsider);
    // Epoch 1 still serves: its members stay locked.
    expectRefused(unstake(MIN, leaving), leaving, ERR_STAKE_LOCKED, recordOf(leaving));
    // Epoch 2 reshares the same group key and becomes active.
    const vote = [Cl.uint(2), Cl.buffer(keys.groupKey), Cl.list(keys.shareKeys.map((k) => Cl.buffer(k)))];
    next.slice(0, 3).forEach((m, i) => expect(call("submit-epoch-key", vote, m).result).toBeOk(Cl.bool(i === 2)));
    expect(read("get-current-epoch")).toBeUint(2);
    expect(signerInfo(leaving)!.status).toBe("backup");
    expect(unstake(MIN, leaving).result).toBeOk(Cl.uint(lastCallRelease()));
    expect(signerInfo(leaving)).toMatchObject({ stake: 0n, exiting: true, status: "exiting" });
  });

  it("works while paused", () => {
    initialize();
    registerSigners([wallets[0]]);
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    const { result, events } = unstake(MIN, wallets[0]);
    expect(result).toBeOk(Cl.uint(lastCallRelease()));
    expect(printed(events, "unstake-requested")).toMatchObject({ amount: MIN, exiting: true });
  });
});

describe("withdraw-stake", () => {
  it("register, unstake everything, withdraw: the caller's balance is back exactly, the contract holds zero", () => {
    initialize();
    const [signer] = wallets;
    const start = stxBalance(signer);
    expect(stxBalance(contractPrincipal)).toBe(0n);
    const key = blsKey("round-trip");
    expect(call("register-signer", [Cl.buffer(key)], signer).result).toBeOk(Cl.bool(true));
    expect(stxBalance(signer)).toBe(start - MIN);
    expect(stxBalance(contractPrincipal)).toBe(MIN);
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    expect(unstake(MIN, signer).result).toBeOk(Cl.uint(release));
    nextCallAtBurn(release);
    const { result, events } = withdraw(signer);
    expect(result).toBeOk(Cl.uint(MIN));
    expect(stxTransfers(events)).toEqual([{ sender: contractPrincipal, recipient: signer, amount: MIN }]);
    expect(stxBalance(signer)).toBe(start);
    expect(stxBalance(contractPrincipal)).toBe(0n);
    const books = expectBalancedBooks();
    expect(books.total).toBe(0n);
  });

  it("on a full exit removes the signer, frees its key and prints stake-withdrawn with exited true", () => {
    initialize();
    const [signer, other, third] = wallets;
    const keys = registerSigners([signer, other, third]);
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    unstake(MIN, other);
    nextCallAtBurn(release);
    const { result, events } = withdraw(other);
    expect(result).toBeOk(Cl.uint(MIN));
    expect(printed(events, "stake-withdrawn")).toEqual({
      topic: "stake-withdrawn",
      signer: other,
      amount: MIN,
      stake: 0n,
      exited: true,
    });
    expect(signerInfo(other)).toBeNull();
    expect(read("get-reputation", [Cl.principal(other)])).toBeErr(Cl.uint(ERR_NOT_REGISTERED));
    expect(read("get-signer-by-key", [Cl.buffer(keys.get(other)!)])).toBeNone();
    expect(decode(read("get-signers"))).toEqual([signer, third]);
    // Its key is free for someone else; nothing more to withdraw for the one who left.
    expect(call("register-signer", [Cl.buffer(keys.get(other)!)], wallets[3]).result).toBeOk(Cl.bool(true));
    expect(withdraw(other).result).toBeErr(Cl.uint(ERR_NOT_REGISTERED));
  });

  it("on a partial withdrawal returns only the unbonded STX and keeps the signer", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    increase(MIN, signer);
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    unstake(70_000_000n, signer);
    nextCallAtBurn(release);
    const before = recordOf(signer);
    const { result, events } = withdraw(signer);
    expect(result).toBeOk(Cl.uint(70_000_000n));
    expect(stxTransfers(events)).toEqual([{ sender: contractPrincipal, recipient: signer, amount: 70_000_000n }]);
    expect(printed(events, "stake-withdrawn")).toEqual({
      topic: "stake-withdrawn",
      signer,
      amount: 70_000_000n,
      stake: 2n * MIN - 70_000_000n,
      exited: false,
    });
    expect(stxBalance(signer)).toBe(before.caller + 70_000_000n);
    expect(stxBalance(contractPrincipal)).toBe(before.contract - 70_000_000n);
    expect(recordOf(signer).info).toEqual({ ...before.info, unbonding: 0n, "unbonding-release": 0n });
    expect(decode(read("get-signers"))).toEqual([signer]);
    expect(expectBalancedBooks()).toMatchObject({ stakes: 2n * MIN - 70_000_000n, unbonding: 0n });
  });

  it("keeps an exiting signer with stake left below min-stake registered after withdrawing", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    unstake(MIN - 1n, signer);
    nextCallAtBurn(release);
    const { result, events } = withdraw(signer);
    expect(result).toBeOk(Cl.uint(MIN - 1n));
    expect(printed(events, "stake-withdrawn")).toMatchObject({ stake: 1n, exited: false });
    expect(signerInfo(signer)).toMatchObject({ stake: 1n, unbonding: 0n, exiting: true, status: "exiting" });
  });

  it("refuses a signer with nothing unbonding with ERR-NOTHING-TO-WITHDRAW", () => {
    initialize();
    registerSigners([wallets[0]]);
    expectRefused(withdraw(wallets[0]), wallets[0], ERR_NOTHING_TO_WITHDRAW, recordOf(wallets[0]));
  });

  it("refuses an unregistered caller with ERR-NOT-REGISTERED", () => {
    initialize();
    expectRefused(withdraw(wallets[0]), wallets[0], ERR_NOT_REGISTERED, recordOf(wallets[0]));
  });

  it("refuses before the unbonding period (Bitcoin blocks) ends with ERR-STAKE-LOCKED", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    unstake(MIN, signer);
    expectRefused(withdraw(signer), signer, ERR_STAKE_LOCKED, recordOf(signer));
    // Stacks blocks do not count toward unbonding.
    mineStacksBlocks(UNBONDING + 1n);
    expectRefused(withdraw(signer), signer, ERR_STAKE_LOCKED, recordOf(signer));
    nextCallAtBurn(release - 1n);
    expectRefused(withdraw(signer), signer, ERR_STAKE_LOCKED, recordOf(signer));
    mineBurnBlocks(1);
    // At the release height exactly it goes through.
    expect(withdraw(signer).result).toBeOk(Cl.uint(MIN));
  });

  it("refuses with ERR-STAKE-LOCKED while one of the signer's partials can still be contested (burn-now <= claim-until), then lets it go", () => {
    const keys = thresholdKeys(3, 5, "stake-claim");
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    const member = committee[0];
    increase(MIN, member);
    // Unbonding that is due long before the partial's claim window ends would be released at once.
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    expect(unstake(MIN, member).result).toBeOk(Cl.uint(release));
    nextCallAtBurn(release - 10n);
    const hash = messageHashOf("contestable partial");
    expect(call("request-signature", [Cl.buffer(hash), Cl.uint(1000)], wallets[9]).result).toBeOk(expect.anything());
    expect(call("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(partialSign(keys.shares[0], hash))], member).result).toBeOk(Cl.uint(1));
    const claimUntil = burnNow() + 144n; // burn-now at submission + claim-window
    expect(signerInfo(member)!["claim-until"]).toBe(claimUntil);
    expect((decode(read("get-partial-signature", [Cl.buffer(hash), Cl.principal(member)])) as Record<string, bigint>)["claim-until"]).toBe(claimUntil);
    nextCallAtBurn(release);
    // Unbonding is over, but the partial may still be contested: the stake must stay slashable.
    expectRefused(withdraw(member), member, ERR_STAKE_LOCKED, recordOf(member));
    nextCallAtBurn(claimUntil);
    expectRefused(withdraw(member), member, ERR_STAKE_LOCKED, recordOf(member));
    mineBurnBlocks(1);
    expect(burnNow()).toBe(claimUntil + 1n);
    expect(withdraw(member).result).toBeOk(Cl.uint(MIN));
    expect(signerInfo(member)).toMatchObject({ stake: MIN, unbonding: 0n });
  });

  it("keeps a seated member slashed below min-stake from leaving: the slash took its unbonding first (ERR-NOTHING-TO-WITHDRAW) and it cannot unbond more (ERR-STAKE-LOCKED)", () => {
    const keys = thresholdKeys(3, 5, "stake-seated");
    const committee = activeEpoch(wallets.slice(0, 5), keys);
    const member = committee[4];
    increase(1n, member);
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    expect(unstake(1n, member).result).toBeOk(Cl.uint(release));
    // The member misses a request: 1% of stake + unbonding is slashed, unbonding first.
    const hash = messageHashOf("missed while unbonding");
    expect(call("request-signature", [Cl.buffer(hash), Cl.uint(1000)], wallets[9]).result).toBeOk(expect.anything());
    mineStacksBlocks(121); // past the deadline (Stacks blocks)
    const slashed = (MIN + 1n) / 100n;
    expect(call("penalize-missed-signature", [Cl.buffer(hash), Cl.principal(member)], wallets[9]).result).toBeOk(Cl.uint(slashed));
    expect(signerInfo(member)).toMatchObject({ stake: MIN - (slashed - 1n), unbonding: 0n, status: "primary" });
    expectRefused(unstake(1n, member), member, ERR_STAKE_LOCKED, recordOf(member)); // a seat keeps its bond
    // (checked before the release height: by then, with no rotation, the epoch has wound down)
    nextCallAtBurn(release);
    expectRefused(withdraw(member), member, ERR_NOTHING_TO_WITHDRAW, recordOf(member));
    expect(expectBalancedBooks()).toMatchObject({ unbonding: 0n });
  });

  it("refuses withdrawing the same unbonding twice with ERR-NOTHING-TO-WITHDRAW", () => {
    initialize();
    const [signer] = wallets;
    registerSigners([signer]);
    increase(MIN, signer);
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    unstake(MIN, signer);
    nextCallAtBurn(release);
    expect(withdraw(signer).result).toBeOk(Cl.uint(MIN));
    expectRefused(withdraw(signer), signer, ERR_NOTHING_TO_WITHDRAW, recordOf(signer));
  });

  it("works while paused", () => {
    initialize();
    const [signer] = wallets;
    const start = stxBalance(signer);
    registerSigners([signer]);
    const release = BigInt(simnet.burnBlockHeight) + UNBONDING;
    unstake(MIN, signer);
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    nextCallAtBurn(release);
    const { result, events } = withdraw(signer);
    expect(result).toBeOk(Cl.uint(MIN));
    expect(prints(events).map((e) => e.topic)).toEqual(["stake-withdrawn"]);
    expect(stxBalance(signer)).toBe(start);
    expect(stxBalance(contractPrincipal)).toBe(0n);
    expect(decode(read("get-network-state"))).toMatchObject({ paused: true, "signer-count": 0n });
  });
});
