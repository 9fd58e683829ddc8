// initialize: the deployer sets the five network parameters once; every other parameter
// starts at its documented default. Nothing else works before it.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import {
  DEFAULTS,
  blsKey,
  call,
  config,
  contractPrincipal,
  decode,
  deployer,
  errCode,
  initialize,
  printed,
  prints,
  read,
  stxBalance,
  wallets,
  rotate,
  expectBalancedBooks,
} from "./helpers";

// The books add up to the contract's STX balance after every test.
afterEach(() => expectBalancedBooks());

const ERR_UNAUTHORIZED = 100;
const ERR_INVALID_PARAMS = 101;
const ERR_INVALID_THRESHOLD = 104;
const ERR_ALREADY_INITIALIZED = 111;
const ERR_NOT_INITIALIZED = 112;

/** The defaults dts.clar documents for the parameters that only governance changes. */
const DOCUMENTED_DEFAULTS = {
  "signing-timeout": 120n,
  "unbonding-period": 2016n,
  "watchtower-bond": 100_000_000n,
  "watchtower-quorum": 3n,
  "slash-invalid-bps": 1000n,
  "slash-liveness-bps": 100n,
  "notifier-reward-bps": 1000n,
  "min-reputation": 2000n,
  "min-fee": 1000n,
  "voting-period": 1008n,
  "quorum-bps": 2000n,
  "claim-window": 144n,
  "report-interval": 144n,
  "false-claim-bps": 1000n,
  "dkg-timeout": 144n,
};

const UNINITIALIZED_CONFIG = {
  initialized: false,
  paused: false,
  guardian: deployer,
  "min-stake": 0n,
  "required-signers": 0n,
  "total-signers": 0n,
  "rotation-period": 0n,
  "signature-threshold": 0n,
  "max-churn": 0n,
  ...Object.fromEntries(Object.keys(DOCUMENTED_DEFAULTS).map((k) => [k, 0n])),
};

/** A refused initialize leaves the contract exactly as deployed, without any event. */
function expectRefused(result: ReturnType<typeof initialize>, code: number) {
  expect(result.result).toBeErr(Cl.uint(code));
  expect(prints(result.events)).toEqual([]);
  expect(config()).toEqual(UNINITIALIZED_CONFIG);
}

function expectInitializedWith(p: typeof DEFAULTS) {
  const { result, events } = initialize(p);
  expect(result).toBeOk(Cl.bool(true));
  const expected = {
    initialized: true,
    paused: false,
    guardian: deployer,
    "min-stake": p.minStake,
    "required-signers": p.requiredSigners,
    "total-signers": p.totalSigners,
    "rotation-period": p.rotationPeriod,
    "signature-threshold": p.threshold,
    // at most n - t seats change per rotation: t members of the old committee always stay
    "max-churn": p.totalSigners - p.threshold,
    ...DOCUMENTED_DEFAULTS,
  };
  expect(config()).toEqual(expected);
  expect(printed(events, "initialized")).toEqual({ topic: "initialized", ...expected });
}

describe("initialize", () => {
  it("stores the five given parameters, every documented default, and prints initialized", () => {
    expect(config()).toEqual(UNINITIALIZED_CONFIG);
    const before = stxBalance(deployer);
    const { result, events } = initialize();
    expect(result).toBeOk(Cl.bool(true));
    const expected = {
      initialized: true,
      paused: false,
      guardian: deployer,
      "min-stake": DEFAULTS.minStake,
      "required-signers": DEFAULTS.requiredSigners,
      "total-signers": DEFAULTS.totalSigners,
      "rotation-period": DEFAULTS.rotationPeriod,
      "signature-threshold": DEFAULTS.threshold,
      "max-churn": DEFAULTS.totalSigners - DEFAULTS.threshold, // n - t = 2
      ...DOCUMENTED_DEFAULTS,
    };
    expect(config()).toEqual(expected);
    // One event, carrying the whole configuration.
    expect(prints(events)).toEqual([{ topic: "initialized", ...expected }]);
    // No STX move.
    expect(events.filter((e) => e.event === "stx_transfer_event")).toEqual([]);
    expect(stxBalance(deployer)).toBe(before);
    expect(stxBalance(contractPrincipal)).toBe(0n);
    const state = decode(read("get-network-state")) as Record<string, unknown>;
    expect(state).toMatchObject({ initialized: true, paused: false, "current-epoch": 0n, "latest-epoch": 0n, "signer-count": 0n, "active-watchtowers": 0n });
    // Never paused: the pause clocks equal the heights.
    expect(state["stacks-now"]).toBe(state["block-height"]);
    expect(state["burn-now"]).toBe(state["burn-block-height"]);
    expect(state["burn-block-height"]).toBe(BigInt(simnet.burnBlockHeight));
  });

  it("is the deployer's only: anyone else gets ERR-UNAUTHORIZED", () => {
    expectRefused(initialize({}, wallets[0]), ERR_UNAUTHORIZED);
    // The deployer can still initialize afterwards.
    expect(initialize().result).toBeOk(Cl.bool(true));
  });

  it("runs once: a second call is ERR-ALREADY-INITIALIZED and changes nothing", () => {
    expect(initialize().result).toBeOk(Cl.bool(true));
    const before = config();
    const again = initialize({ minStake: 5n, totalSigners: 7n, threshold: 4n, requiredSigners: 4n, rotationPeriod: 10n });
    expect(again.result).toBeErr(Cl.uint(ERR_ALREADY_INITIALIZED));
    expect(prints(again.events)).toEqual([]);
    expect(config()).toEqual(before);
  });

  it("checks the caller before the state: a second call by another account is ERR-UNAUTHORIZED", () => {
    expect(initialize().result).toBeOk(Cl.bool(true));
    expect(initialize({}, wallets[1]).result).toBeErr(Cl.uint(ERR_UNAUTHORIZED));
  });

  it("refuses min-stake 0 with ERR-INVALID-PARAMS", () => {
    expectRefused(initialize({ minStake: 0n }), ERR_INVALID_PARAMS);
  });

  it("refuses rotation-period 0 with ERR-INVALID-PARAMS", () => {
    expectRefused(initialize({ rotationPeriod: 0n }), ERR_INVALID_PARAMS);
  });

  it("refuses total-signers 0 with ERR-INVALID-PARAMS", () => {
    expectRefused(initialize({ totalSigners: 0n, threshold: 0n, requiredSigners: 0n }), ERR_INVALID_PARAMS);
  });

  it("refuses total-signers above MAX-COMMITTEE (32) with ERR-INVALID-PARAMS", () => {
    expectRefused(initialize({ totalSigners: 33n, threshold: 17n, requiredSigners: 17n }), ERR_INVALID_PARAMS);
    expectRefused(initialize({ totalSigners: 33n, threshold: 33n, requiredSigners: 33n }), ERR_INVALID_PARAMS);
  });

  it("refuses a threshold of exactly n/2 with ERR-INVALID-THRESHOLD (honest majority)", () => {
    expectRefused(initialize({ totalSigners: 4n, threshold: 2n, requiredSigners: 4n }), ERR_INVALID_THRESHOLD);
    expectRefused(initialize({ totalSigners: 32n, threshold: 16n, requiredSigners: 16n }), ERR_INVALID_THRESHOLD);
    // For odd n, floor(n/2) is below a majority too.
    expectRefused(initialize({ totalSigners: 5n, threshold: 2n, requiredSigners: 3n }), ERR_INVALID_THRESHOLD);
  });

  it("refuses a threshold above n with ERR-INVALID-THRESHOLD", () => {
    expectRefused(initialize({ totalSigners: 5n, threshold: 6n, requiredSigners: 5n }), ERR_INVALID_THRESHOLD);
  });

  it("refuses a threshold of 0 with ERR-INVALID-THRESHOLD", () => {
    expectRefused(initialize({ totalSigners: 5n, threshold: 0n, requiredSigners: 3n }), ERR_INVALID_THRESHOLD);
  });

  it("refuses required-signers below the threshold with ERR-INVALID-PARAMS", () => {
    expectRefused(initialize({ totalSigners: 5n, threshold: 3n, requiredSigners: 2n }), ERR_INVALID_PARAMS);
  });

  it("refuses required-signers above total-signers with ERR-INVALID-PARAMS", () => {
    expectRefused(initialize({ totalSigners: 5n, threshold: 3n, requiredSigners: 6n }), ERR_INVALID_PARAMS);
  });

  it("accepts t = n (unanimity)", () => {
    expectInitializedWith({ ...DEFAULTS, totalSigners: 5n, threshold: 5n, requiredSigners: 5n });
  });

  it("accepts n = MAX-COMMITTEE (32)", () => {
    expectInitializedWith({ ...DEFAULTS, totalSigners: 32n, threshold: 17n, requiredSigners: 32n });
  });

  it("accepts the smallest majority t = floor(n/2) + 1 for even n (n = 4, t = 3)", () => {
    expectInitializedWith({ ...DEFAULTS, totalSigners: 4n, threshold: 3n, requiredSigners: 3n });
  });

  it("accepts the smallest majority t = floor(n/2) + 1 for odd n (n = 7, t = 4)", () => {
    expectInitializedWith({ ...DEFAULTS, totalSigners: 7n, threshold: 4n, requiredSigners: 4n });
  });

  it("accepts a single-member network (n = t = required = 1) and min-stake 1", () => {
    expectInitializedWith({ minStake: 1n, rotationPeriod: 1n, totalSigners: 1n, threshold: 1n, requiredSigners: 1n });
  });
});

describe("before initialize", () => {
  const key = () => Cl.buffer(blsKey("pre-init"));

  it("register-signer is ERR-NOT-INITIALIZED and locks no STX", () => {
    const before = stxBalance(wallets[0]);
    const { result, events } = call("register-signer", [key()], wallets[0]);
    expect(result).toBeErr(Cl.uint(ERR_NOT_INITIALIZED));
    expect(events).toEqual([]);
    expect(stxBalance(wallets[0])).toBe(before);
    expect(stxBalance(contractPrincipal)).toBe(0n);
    expect(read("get-signer-info", [Cl.principal(wallets[0])])).toBeNone();
    expect(read("get-signers")).toEqual(Cl.list([]));
  });

  it("update-metrics is ERR-NOT-INITIALIZED, even for the owner", () => {
    const { result, events } = call(
      "update-metrics",
      [Cl.principal(wallets[0]), Cl.uint(1), Cl.uint(100), Cl.uint(100)],
      deployer,
    );
    expect(result).toBeErr(Cl.uint(ERR_NOT_INITIALIZED));
    expect(events).toEqual([]);
  });

  it("rotate-signers is ERR-NOT-INITIALIZED and forms no epoch", () => {
    const { result, events } = rotate(wallets[0]);
    expect(result).toBeErr(Cl.uint(ERR_NOT_INITIALIZED));
    expect(events).toEqual([]);
    expect(read("get-current-epoch")).toBeUint(0);
    expect(read("get-epoch", [Cl.uint(1)])).toBeNone();
  });

  it("increase-stake, register-watchtower and request-signature are ERR-NOT-INITIALIZED", () => {
    expect(call("increase-stake", [Cl.uint(1_000_000)], wallets[0]).result).toEqual(errCode(ERR_NOT_INITIALIZED));
    const watchBefore = stxBalance(wallets[1]);
    expect(call("register-watchtower", [], wallets[1]).result).toEqual(errCode(ERR_NOT_INITIALIZED));
    expect(stxBalance(wallets[1])).toBe(watchBefore);
    expect(read("get-watchtower", [Cl.principal(wallets[1])])).toBeNone();
    expect(call("request-signature", [Cl.buffer(new Uint8Array(32).fill(7)), Cl.uint(10_000)], wallets[2]).result).toEqual(
      errCode(ERR_NOT_INITIALIZED),
    );
    expect(stxBalance(contractPrincipal)).toBe(0n);
  });
});
