// register-signer: a real BLS identity key and exactly min-stake locked in the contract
// make a backup signer with a neutral reputation.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { tx } from "@stacks/clarinet-sdk";
import {
  freshAccount,
  CONTRACT,
  DEFAULTS,
  badKeys,
  blsKey,
  call,
  contractPrincipal,
  decode,
  deployer,
  expectBalancedBooks,
  hex,
  initialize,
  printed,
  prints,
  read,
  registerSigners,
  signerInfo,
  stxBalance,
  stxTransfers,
  wallets,
} from "./helpers";

// The books add up to the contract's STX balance after every test.
afterEach(() => expectBalancedBooks());

const ERR_INSUFFICIENT_STAKE = 102;
const ERR_ALREADY_REGISTERED = 107;
const ERR_INVALID_KEY_LENGTH = 110;
const ERR_PAUSED = 113;
const ERR_INVALID_KEY = 115;
const ERR_KEY_IN_USE = 116;
const ERR_SIGNER_LIMIT = 143;
const MAX_SIGNERS = 128;

const register = (key: Uint8Array, who: string) => call("register-signer", [Cl.buffer(key)], who);

const signerList = () => decode(read("get-signers")) as string[];
const signerByKey = (key: Uint8Array) => decode(read("get-signer-by-key", [Cl.buffer(key)]));

/** Everything a refused registration must leave untouched (stake-duration grows by itself). */
function snapshot(who: string, key: Uint8Array) {
  const info = signerInfo(who);
  if (info) delete info["performance-metrics"]["stake-duration"];
  return {
    caller: stxBalance(who),
    contract: stxBalance(contractPrincipal),
    info,
    byKey: signerByKey(key),
    signers: signerList(),
    books: decode(read("get-accounting")),
  };
}

function expectRefused(key: Uint8Array, who: string, code: number) {
  const before = snapshot(who, key);
  const { result, events } = register(key, who);
  expect(result).toBeErr(Cl.uint(code));
  expect(events).toEqual([]);
  expect(snapshot(who, key)).toEqual(before);
  expectBalancedBooks();
}

describe("register-signer", () => {
  it("locks exactly min-stake and records a backup signer with a neutral reputation", () => {
    initialize();
    const signer = wallets[0];
    const key = blsKey("alice");
    const callerBefore = stxBalance(signer);
    const contractBefore = stxBalance(contractPrincipal);

    const { result, events } = register(key, signer);
    const height = BigInt(simnet.blockHeight); // the block that held the call
    expect(result).toBeOk(Cl.bool(true));

    expect(stxBalance(signer)).toBe(callerBefore - DEFAULTS.minStake);
    expect(stxBalance(contractPrincipal)).toBe(contractBefore + DEFAULTS.minStake);
    expect(stxTransfers(events)).toEqual([{ sender: signer, recipient: contractPrincipal, amount: DEFAULTS.minStake }]);
    expect(printed(events, "signer-registered")).toEqual({
      topic: "signer-registered",
      signer,
      "public-key": hex(key),
      stake: DEFAULTS.minStake,
      "reputation-score": 5000n,
      seq: 1n,
    });

    expect(signerInfo(signer)).toEqual({
      stake: DEFAULTS.minStake,
      "public-key": hex(key),
      "reputation-score": 5000n,
      "last-active": height,
      "performance-metrics": {
        "signing-speed": 0n,
        uptime: 100n,
        "stake-duration": 0n,
        accuracy: 100n,
        "total-signatures": 0n,
        "valid-signatures": 0n,
      },
      "slashing-history": { "total-slashes": 0n, "last-slash-height": 0n, "slashed-amount": 0n },
      "registered-at": height,
      seq: 1n,
      unbonding: 0n,
      "unbonding-release": 0n,
      "claim-until": 0n, // burn-now until which its last partial may be contested: none yet
      "excluded-from": 0n, // no cancelled epoch excludes it
      exiting: false,
      status: "backup",
    });
    expect(read("get-reputation", [Cl.principal(signer)])).toBeOk(Cl.uint(5000));
    expect(signerByKey(key)).toBe(signer);
    expect(signerList()).toEqual([signer]);
    const books = expectBalancedBooks();
    expect(books.stakes).toBe(DEFAULTS.minStake);
  });

  it("locks the configured min-stake, whatever it is", () => {
    initialize({ minStake: 250_000_000n });
    const before = stxBalance(wallets[0]);
    expect(register(blsKey("alice"), wallets[0]).result).toBeOk(Cl.bool(true));
    expect(stxBalance(wallets[0])).toBe(before - 250_000_000n);
    expect(stxBalance(contractPrincipal)).toBe(250_000_000n);
    expect(signerInfo(wallets[0])!.stake).toBe(250_000_000n);
  });

  it("numbers signers in registration order and lists them in that order", () => {
    initialize();
    const who = wallets.slice(0, 4);
    const keys = registerSigners(who);
    expect(signerList()).toEqual(who);
    who.forEach((w, i) => {
      expect(signerInfo(w)!.seq).toBe(BigInt(i + 1));
      expect(signerByKey(keys.get(w)!)).toBe(w);
    });
    expect(stxBalance(contractPrincipal)).toBe(DEFAULTS.minStake * 4n);
    expect(decode(read("get-network-state"))).toMatchObject({ "signer-count": 4n });
    expectBalancedBooks();
  });

  it("refuses a 47-byte key with ERR-INVALID-KEY-LENGTH", () => {
    initialize();
    expectRefused(badKeys.short(), wallets[0], ERR_INVALID_KEY_LENGTH);
  });

  it("refuses the point at infinity with ERR-INVALID-KEY", () => {
    initialize();
    expectRefused(badKeys.infinity(), wallets[0], ERR_INVALID_KEY);
  });

  it("refuses a key without the compression flag with ERR-INVALID-KEY", () => {
    initialize();
    expectRefused(badKeys.uncompressedFlag(), wallets[0], ERR_INVALID_KEY);
    // A compressed flag with the infinity flag set on a non-zero body is refused too.
    const key = blsKey("flags");
    key[0] |= 0x40;
    expectRefused(key, wallets[0], ERR_INVALID_KEY);
  });

  it("refuses a key already registered by another signer with ERR-KEY-IN-USE", () => {
    initialize();
    const key = blsKey("shared");
    expect(register(key, wallets[0]).result).toBeOk(Cl.bool(true));
    expectRefused(key, wallets[1], ERR_KEY_IN_USE);
    expect(signerByKey(key)).toBe(wallets[0]);
  });

  it("refuses a second registration of the same signer with ERR-ALREADY-REGISTERED", () => {
    initialize();
    const first = blsKey("first");
    expect(register(first, wallets[0]).result).toBeOk(Cl.bool(true));
    const record = signerInfo(wallets[0]);
    // With a new key, and with the same key.
    expectRefused(blsKey("second"), wallets[0], ERR_ALREADY_REGISTERED);
    expectRefused(first, wallets[0], ERR_ALREADY_REGISTERED);
    expect(signerByKey(blsKey("second"))).toBeNull();
    const after = signerInfo(wallets[0])!;
    expect(after["performance-metrics"]["stake-duration"]).toBe(2n);
    expect(after).toEqual({ ...record, "performance-metrics": { ...record!["performance-metrics"], "stake-duration": 2n } });
  });

  it("refuses a caller holding less than min-stake with ERR-INSUFFICIENT-STAKE", () => {
    initialize();
    const poor = freshAccount("poor", DEFAULTS.minStake - 1n);
    expect(stxBalance(poor)).toBe(DEFAULTS.minStake - 1n);
    expectRefused(blsKey("poor"), poor, ERR_INSUFFICIENT_STAKE);
    expect(stxBalance(poor)).toBe(DEFAULTS.minStake - 1n);
    // The key stays free for someone who can pay.
    expect(register(blsKey("poor"), wallets[0]).result).toBeOk(Cl.bool(true));
  });

  it("accepts a caller holding exactly min-stake and leaves it with nothing", () => {
    initialize();
    const exact = freshAccount("exact", DEFAULTS.minStake);
    const { result, events } = register(blsKey("exact"), exact);
    expect(result).toBeOk(Cl.bool(true));
    expect(stxTransfers(events)).toEqual([{ sender: exact, recipient: contractPrincipal, amount: DEFAULTS.minStake }]);
    expect(stxBalance(exact)).toBe(0n);
    expect(signerInfo(exact)!.stake).toBe(DEFAULTS.minStake);
    expectBalancedBooks();
  });

  it("refuses registration while paused with ERR-PAUSED", () => {
    initialize();
    expect(call("pause", [], deployer).result).toBeOk(Cl.bool(true));
    expectRefused(blsKey("alice"), wallets[0], ERR_PAUSED);
    expect(call("unpause", [], deployer).result).toBeOk(Cl.bool(true));
    expect(register(blsKey("alice"), wallets[0]).result).toBeOk(Cl.bool(true));
  });

  it("checks the key before the registry: a registered signer with a malformed key gets ERR-INVALID-KEY-LENGTH", () => {
    initialize();
    expect(register(blsKey("alice"), wallets[0]).result).toBeOk(Cl.bool(true));
    expectRefused(badKeys.short(), wallets[0], ERR_INVALID_KEY_LENGTH);
  });

  it(`refuses signer number MAX-SIGNERS + 1 (${MAX_SIGNERS + 1}) with ERR-SIGNER-LIMIT`, () => {
    initialize({ minStake: 1_000_000n });
    const amount = 1_000_000n;
    const accounts = Array.from({ length: MAX_SIGNERS }, (_, i) => freshAccount(`limit-${i}`, 0n));
    // One block to fund them and one for all 128 registrations keep this test fast.
    simnet.mineBlock(accounts.map((who) => tx.transferSTX(Number(amount), who, deployer)));
    const txs = accounts.map((who, i) => tx.callPublicFn(CONTRACT, "register-signer", [Cl.buffer(blsKey(`limit-${i}`))], who));
    const block = simnet.mineBlock(txs);
    block.forEach((r) => expect(r.result).toBeOk(Cl.bool(true)));
    expect(signerList()).toEqual(accounts);
    expect(signerInfo(accounts[MAX_SIGNERS - 1])!.seq).toBe(BigInt(MAX_SIGNERS));

    const last = freshAccount("limit-extra", amount);
    expectRefused(blsKey("limit-extra"), last, ERR_SIGNER_LIMIT);
    expect(stxBalance(last)).toBe(amount);
    expect(signerList()).toHaveLength(MAX_SIGNERS);
    expect(stxBalance(contractPrincipal)).toBe(amount * BigInt(MAX_SIGNERS));
  });

  it("prints nothing and moves nothing on any refusal", () => {
    initialize();
    expect(register(blsKey("alice"), wallets[0]).result).toBeOk(Cl.bool(true));
    const before = stxBalance(contractPrincipal);
    for (const [key, who] of [
      [badKeys.short(), wallets[1]],
      [badKeys.infinity(), wallets[1]],
      [blsKey("alice"), wallets[1]],
      [blsKey("other"), wallets[0]],
    ] as const) {
      const { events } = register(key, who);
      expect(prints(events)).toEqual([]);
      expect(stxTransfers(events)).toEqual([]);
    }
    expect(stxBalance(contractPrincipal)).toBe(before);
    expect(signerList()).toEqual([wallets[0]]);
  });
});
