// Bad input for every public function of dts.clar (issue 10, part 2). One table, one entry
// per public function (the list is the contract interface the SDK exposes, so a function
// added later without an entry fails the suite), each entry a list of refused calls: wrong
// roles, wrong-length buffers, u0 and 2^128-1, unknown principals, calls before
// `initialize`, calls while paused, and replays of a successful call. Every case must get
// its documented error (README "Function reference"; guard order: paused, initialized,
// caller's role, argument shapes, state), print nothing, and change nothing: a snapshot of
// every read-only view over every account, hash, epoch and proposal involved, plus every
// STX balance, is the same before and after, except the fields derived from the Stacks
// block height (which every call advances): get-network-state's block-height and
// stacks-now, get-clock's stacks-now and get-signer-info's stake-duration.
//
// This suite found three contract bugs, fixed since, whose cases stay here: initialize with
// signature-threshold 2^128-1 aborted on an overflow instead of ERR-INVALID-THRESHOLD;
// initialize accepted rotation-period and min-stake beyond the bounds governance keeps (and a
// huge rotation-period later overflowed the wind-down check); increase-stake 2^128-1 aborted
// on an overflow instead of ERR-INSUFFICIENT-STAKE.
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Cl, privateKeyToAddress, type ClarityValue } from "@stacks/transactions";
import {
  DEFAULTS,
  badKeys,
  badSignatures,
  blsKey,
  call,
  combine,
  contractPrincipal,
  decode,
  deployer,
  expectBalancedBooks,
  freshAccount,
  initialize,
  messageHashOf,
  mineBurnBlocks,
  mineStacksBlocks,
  partialSign,
  printed,
  proposal,
  committeeArg,
  read,
  registerSigners,
  registerWatchtowers,
  rotate,
  stxBalance,
  thresholdKeys,
  wallets,
  type Plain,
} from "./helpers";

afterEach(() => expectBalancedBooks());

// ---- the contract's error constants and public functions --------------------------------

const SOURCE = readFileSync(new URL("../contracts/dts.clar", import.meta.url), "utf8");
/** ERR-NAME -> code, read from the contract's own constants. */
const ERRORS: Record<string, number> = Object.fromEntries(
  [...SOURCE.matchAll(/\(define-constant (ERR-[A-Z-]+) \(err u(\d+)\)\)/g)].map((m) => [m[1], Number(m[2])]),
);
type ErrName = keyof typeof ERRORS & string;

const CONTRACT_NAME = "dts";
const contractInterface = () => simnet.getContractsInterfaces().get(contractPrincipal)!;
const functionsOf = (access: string) =>
  contractInterface()
    .functions.filter((f) => f.access === access)
    .map((f) => f.name)
    .sort();

// ---- actors and constants -----------------------------------------------------------------

const MAX = 2n ** 128n - 1n;
const STAKE = DEFAULTS.minStake;
const FEE = 1_000_000n;
const CLAIM_WINDOW = 144;
const SIGNING_TIMEOUT = 120;
const UNBONDING = 2016;
const VOTING_PERIOD = 1008;

const [w1, w2, w3, w4, w5, w6] = wallets; // w1..w5: epoch 1; w6: a backup signer, unbonding
const members = [w1, w2, w3, w4, w5];
const [t1, t2, t3] = [wallets[8], wallets[9], wallets[10]]; // watchtowers
const stranger = wallets[11]; // funded, no role at all
const requester = wallets[12];
const guardian = deployer;
/** A fresh address that holds nothing and was never seen by the contract. */
const unknown = privateKeyToAddress(`${"07".repeat(32)}01`, "devnet");
/** A contract principal that does not exist. */
const ghostContract = `${deployer}.no-such-contract`;

const keys = thresholdKeys(3, 5, "bad-input");
const OPEN = messageHashOf("bad-input: open request, w1 signed, t1 claims it invalid");
const DONE = messageHashOf("bad-input: finalized request, w1-w3 signed");
const NEVER = messageHashOf("bad-input: never requested");
const EARNED = messageHashOf("bad-input: t partials, no aggregate");
const HASHES = [OPEN, DONE, NEVER, EARNED];
const sig = (member: number, hash: Uint8Array) => partialSign(keys.shares[member - 1], hash);
const aggregateOf = (hash: Uint8Array) => combine([1, 2, 3].map((index) => ({ index, signature: sig(index, hash) })));
const AGGREGATE = aggregateOf(DONE);
const EARNED_AGGREGATE = aggregateOf(EARNED);
const OTHER_KEY = blsKey("bad-input-other-group");
/** Every account whose views and balance are compared. */
const ACCOUNTS = [deployer, ...wallets, unknown, ghostContract, contractPrincipal];

const u = (n: number | bigint) => Cl.uint(n);
const buf = (b: Uint8Array) => Cl.buffer(b);
const p = (who: string) => Cl.principal(who);
const shareKeysArg = (list: Uint8Array[]) => Cl.list(list.map(buf));
const voteArgs = (epoch: number, groupKey = keys.groupKey, shareKeys = keys.shareKeys) => [u(epoch), buf(groupKey), shareKeysArg(shareKeys)];

function ok(fn: string, args: ClarityValue[], sender: string) {
  const res = call(fn, args, sender);
  expect(res.result.type, `${fn} by ${sender} in the setup: ${JSON.stringify(decode(res.result), (_, v) => (typeof v === "bigint" ? `${v}` : v))}`).toBe("ok");
  return res;
}

// ---- worlds ------------------------------------------------------------------------------

let voteResult = ""; // the result hash epoch 1's members voted for (get-epoch-key-votes)

/** Initialized (3,5) with `signers` registered, nothing else. */
function initialized(signers: string[] = []) {
  expect(initialize().result).toBeOk(Cl.bool(true));
  registerSigners(signers);
}

/** Epoch 1 (w1..w5) active under `keys`; w6 a backup that unbonds half its stake; t1..t3
 *  watchtowers; OPEN requested (w1's partial in, t1 claims it invalid); DONE finalized on
 *  w1..w3's partials (its claim window open); proposal 1 by w1 with w2's vote. */
function world() {
  initialized([...members, w6]);
  expect(rotate(w1).result).toBeOk(u(1));
  const votes = [w1, w2, w3].map((m) => ok("submit-epoch-key", voteArgs(1), m));
  voteResult = printed(votes[0].events, "epoch-key-vote").result as string;
  expect(read("get-current-epoch")).toBeUint(1);
  ok("request-unstake", [u(STAKE / 2n)], w6);
  registerWatchtowers([t1, t2, t3]);
  ok("request-signature", [buf(OPEN), u(FEE)], requester);
  ok("submit-partial-signature", [buf(OPEN), buf(sig(1, OPEN))], w1);
  ok("request-signature", [buf(DONE), u(FEE)], requester);
  for (const m of [1, 2, 3]) ok("submit-partial-signature", [buf(DONE), buf(sig(m, DONE))], members[m - 1]);
  ok("submit-aggregate-signature", [buf(DONE), buf(AGGREGATE)], requester);
  expect(call("report-invalid-signature", [buf(OPEN), p(w1)], t1).result).toBeOk(Cl.bool(false));
  expect(call("propose-parameter-change", [Cl.stringAscii("min-fee"), u(2000)], w1).result).toBeOk(u(1));
  ok("vote-on-proposal", [u(1), Cl.bool(true)], w2);
}

function pausedWorld() {
  world();
  ok("pause", [], guardian);
}

const WORLDS = { fresh: () => {}, world, paused: pausedWorld } as const;
type WorldName = keyof typeof WORLDS;

// ---- setups used by several cases ---------------------------------------------------------

const pastDeadline = () => mineStacksBlocks(SIGNING_TIMEOUT + 1);
const pastClaimWindow = () => mineBurnBlocks(CLAIM_WINDOW + 1);
const rotationDue = () => mineBurnBlocks(DEFAULTS.rotationPeriod);
/** Epoch 2 forming (same committee: w6 is exiting, no other signer is eligible). */
const epoch2Forming = () => {
  rotationDue();
  expect(rotate(stranger).result).toBeOk(u(2));
};
/** w6 unbonds the rest of its stake: registered with zero bonded stake. */
const zeroStake = () => ok("request-unstake", [u(STAKE / 2n)], w6);
/** t1..t3 confirm w2's partial on DONE invalid (the aggregate is dropped). */
const confirmedClaim = () => {
  for (const [i, tower] of [t1, t2, t3].entries()) {
    expect(call("report-invalid-signature", [buf(DONE), p(w2)], tower).result).toBeOk(Cl.bool(i === 2));
  }
};
/** A liveness penalty puts a reward (for stranger) and a remainder (treasury) on the books. */
const penalizeW2 = () => {
  pastDeadline();
  ok("penalize-missed-signature", [buf(OPEN), p(w2)], stranger);
};
/** EARNED has t partials and no aggregate, past its deadline. */
const earned = () => {
  ok("request-signature", [buf(EARNED), u(FEE)], requester);
  for (const m of [1, 2, 3]) ok("submit-partial-signature", [buf(EARNED), buf(sig(m, EARNED))], members[m - 1]);
  pastDeadline();
};

// ---- snapshots ---------------------------------------------------------------------------------
// A read-only call costs ~30 ms on simnet (the contract is loaded each time), so two layers:
// - `state()`, around every single case: the contract's whole stored state (every data-var,
//   and every map entry under every key the cases involve, both lists taken from the
//   contract interface so that a new var or map fails the suite) and every STX balance
//   involved. Cheap (no contract call) and at least as strict as the views.
// - `views()`, before the first and after the last case of each group of cases run on one
//   world: every read-only view of the contract over the accounts, hashes, epochs and
//   proposals involved. A refused call cannot be undone by a later refused call, so equal
//   views around the group mean no case of it changed any view.

const SIGNERS = [...members, w6, stranger];
const TOWERS = [t1, t2, t3, stranger];
const ID = (v: ClarityValue) => JSON.stringify(decode(v), (_, x) => (typeof x === "bigint" ? `${x}` : x));
const PARAMS = ["min-stake", "required-signers", "total-signers", "rotation-period", "signature-threshold", "signing-timeout", "unbonding-period", "watchtower-bond", "watchtower-quorum", "slash-invalid-bps", "slash-liveness-bps", "notifier-reward-bps", "min-reputation", "min-fee", "voting-period", "quorum-bps", "claim-window", "report-interval", "max-churn", "false-claim-bps", "dkg-timeout"];
const IDENTITY_KEYS = new Map(ACCOUNTS.map((a) => [a, blsKey(a)] as const));

function dataVar(name: string): Plain {
  return decode(simnet.getDataVar(CONTRACT_NAME, name));
}

/** The keys under which each map is compared (every map of the contract must be here). */
function mapKeys(): Record<string, ClarityValue[]> {
  const latest = Number(dataVar("latest-epoch") as bigint);
  const epochs = Array.from({ length: latest + 2 }, (_, e) => u(e));
  const proposals = Array.from({ length: Number(dataVar("proposal-count") as bigint) + 2 }, (_, id) => u(id));
  const interval = u(decode(read("get-current-interval")) as bigint);
  const each = <A, B>(as: A[], bs: B[], f: (a: A, b: B) => ClarityValue) => as.flatMap((a) => bs.map((b) => f(a, b)));
  const results = voteResult ? [Cl.bufferFromHex(voteResult.slice(2))] : [];
  return {
    params: PARAMS.map((name) => Cl.stringAscii(name)),
    "param-bounds": PARAMS.map((name) => Cl.stringAscii(name)),
    signers: ACCOUNTS.map(p),
    "signer-keys": ACCOUNTS.map((a) => buf(IDENTITY_KEYS.get(a)!)),
    epochs: epochs,
    members: each(epochs, SIGNERS, (epoch, signer) => Cl.tuple({ epoch, signer: p(signer) })),
    "seat-stakes": each(epochs, SIGNERS, (epoch, signer) => Cl.tuple({ epoch, signer: p(signer) })),
    "dkg-dealt": each(epochs, SIGNERS, (epoch, signer) => Cl.tuple({ epoch, signer: p(signer) })),
    "epoch-key-votes": each(epochs, SIGNERS, (epoch, voter) => Cl.tuple({ epoch, voter: p(voter) })),
    "epoch-key-tally": each(epochs, results, (epoch, result) => Cl.tuple({ epoch, result })),
    requests: HASHES.map(buf),
    "partial-signatures": each(HASHES, SIGNERS, (h, signer) => Cl.tuple({ "message-hash": buf(h), signer: p(signer) })),
    claims: each(HASHES, SIGNERS, (h, signer) => Cl.tuple({ "message-hash": buf(h), signer: p(signer) })),
    "liveness-penalties": each(HASHES, SIGNERS, (h, signer) => Cl.tuple({ "message-hash": buf(h), signer: p(signer) })),
    "liveness-intervals": SIGNERS.map(p),
    "aggregate-claims": each(HASHES, [AGGREGATE, EARNED_AGGREGATE], (h, a) => Cl.tuple({ "message-hash": buf(h), aggregate: buf(a) })),
    watchtowers: ACCOUNTS.map(p),
    "watchtower-reports": each(TOWERS, SIGNERS, (tower, signer) => Cl.tuple({ watchtower: p(tower), signer: p(signer), interval })),
    "interval-reports": SIGNERS.map((signer) => Cl.tuple({ signer: p(signer), interval })),
    proposals,
    "proposal-votes": each(proposals, SIGNERS, (id, voter) => Cl.tuple({ "proposal-id": id, voter: p(voter) })),
    rewards: ACCOUNTS.map(p),
  };
}

/** Every data-var, every map entry under the involved keys, every STX balance involved. */
function state(): Record<string, Plain> {
  const out: Record<string, Plain> = {};
  for (const v of contractInterface().variables.filter((x) => x.access === "variable")) out[`var ${v.name}`] = dataVar(v.name);
  const keys = mapKeys();
  for (const m of contractInterface().maps) {
    for (const key of keys[m.name]) {
      let entry: Plain;
      try {
        entry = decode(simnet.getMapEntry(CONTRACT_NAME, m.name, key));
      } catch {
        entry = "(no entry)"; // the SDK throws "value not found" for a missing key
      }
      out[`map ${m.name} ${ID(key)}`] = entry;
    }
  }
  for (const who of ACCOUNTS) out[`stx ${who}`] = stxBalance(who);
  return out;
}

const viewsRead = new Set<string>();

/** Every read-only view over the accounts, hashes, epochs and proposals involved, less
 *  exactly the fields derived from the Stacks block height. */
function views(accounts: string[]): Record<string, Plain> {
  const out: Record<string, Plain> = {};
  const view = (fn: string, args: ClarityValue[] = []) => {
    viewsRead.add(fn);
    const value = decode(read(fn, args));
    out[`${fn}(${args.map(ID).join(",")})`] = value;
    return value;
  };
  view("get-config");
  const network = view("get-network-state") as Record<string, Plain>;
  out["get-network-state()"] = { ...network, "block-height": "(height)", "stacks-now": "(height)" };
  const clock = view("get-clock") as Record<string, Plain>;
  out["get-clock()"] = { ...clock, "stacks-now": "(height)" };
  for (const fn of ["get-accounting", "get-treasury", "get-signers", "get-ranking", "get-current-epoch", "get-watchtower-supermajority"]) view(fn);
  const interval = u(view("get-current-interval") as bigint);
  const epochs = Array.from({ length: Number(network["latest-epoch"] as bigint) + 2 }, (_, e) => e);
  for (const e of epochs) view("get-epoch", [u(e)]);
  if (voteResult) view("get-epoch-key-votes", [u(1), Cl.bufferFromHex(voteResult.slice(2))]);
  else view("get-epoch-key-votes", [u(1), buf(new Uint8Array(32))]);
  const proposals = Number(view("get-proposal-count") as bigint);
  for (let id = 1; id <= proposals + 1; id++) view("get-proposal", [u(id)]);
  for (const hash of HASHES) {
    view("get-request", [buf(hash)]);
    view("get-aggregate-claim", [buf(hash), buf(hash === EARNED ? EARNED_AGGREGATE : AGGREGATE)]);
  }
  for (const who of accounts) {
    const info = view("get-signer-info", [p(who)]) as Record<string, any> | null;
    if (info) {
      out[`get-signer-info(${ID(p(who))})`] = { ...info, "performance-metrics": { ...info["performance-metrics"], "stake-duration": "(height)" } };
    }
    view("get-reputation", [p(who)]);
    view("get-rewards", [p(who)]);
    view("get-watchtower", [p(who)]);
    out[`stx ${who}`] = stxBalance(who);
    if (!SIGNERS.includes(who)) continue;
    view("get-signer-by-key", [buf(IDENTITY_KEYS.get(who)!)]);
    view("get-interval-reports", [p(who), interval]);
    view("get-watchtower-report", [p(t1), p(who), interval]);
    for (const e of epochs.slice(1, -1)) {
      view("get-member-index", [u(e), p(who)]);
      view("get-seat-stake", [u(e), p(who)]);
    }
    for (const hash of [OPEN, DONE]) {
      view("get-partial-signature", [buf(hash), p(who)]);
      view("get-claim", [buf(hash), p(who)]);
      view("get-liveness-penalty", [buf(hash), p(who)]);
    }
    for (let id = 1; id <= proposals; id++) view("get-proposal-vote", [u(id), p(who)]);
  }
  return out;
}

// ---- the table ------------------------------------------------------------------------------

interface Case {
  /** what is wrong with the call */
  name: string;
  world: WorldName;
  /** more state, built before the snapshot */
  setup?: () => void;
  caller: string;
  args: () => ClarityValue[];
  error: ErrName;
}

const c = (name: string, world: WorldName, caller: string, args: () => ClarityValue[], error: ErrName, setup?: () => void): Case => ({
  name,
  world,
  caller,
  args,
  error,
  setup,
});
/** The same call made once successfully in the setup, then again. */
const replay = (fn: string, world: WorldName, caller: string, args: () => ClarityValue[], error: ErrName, before?: () => void): Case => ({
  name: "replay of a successful call",
  world,
  caller,
  args,
  error,
  setup: () => {
    before?.();
    ok(fn, args(), caller);
  },
});
const none = () => [];
/** A setup of its own: the case runs alone on a fresh world (cases whose failure would
 *  otherwise leave state behind for the next case of the group). */
const alone = () => () => {};

/** Per function: the refused calls. `replayAllowed` explains functions whose replay is a new,
 *  legitimate call by design (it is not refused). */
const TABLE: Record<string, { cases: Case[]; replayAllowed?: string }> = {
  initialize: {
    cases: [
      c("by a stranger", "fresh", stranger, () => [u(STAKE), u(3), u(5), u(144), u(3)], "ERR-UNAUTHORIZED"),
      c("by a signer-to-be", "fresh", w1, () => [u(STAKE), u(3), u(5), u(144), u(3)], "ERR-UNAUTHORIZED"),
      c("by a stranger, with invalid parameters (role before shape)", "fresh", stranger, () => [u(0), u(0), u(0), u(0), u(0)], "ERR-UNAUTHORIZED"),
      c("by a stranger after initialize (role before state)", "world", stranger, () => [u(STAKE), u(3), u(5), u(144), u(3)], "ERR-UNAUTHORIZED"),
      c("min-stake u0", "fresh", deployer, () => [u(0), u(3), u(5), u(144), u(3)], "ERR-INVALID-PARAMS"),
      c("rotation-period u0", "fresh", deployer, () => [u(STAKE), u(3), u(5), u(0), u(3)], "ERR-INVALID-PARAMS"),
      c("total-signers u0", "fresh", deployer, () => [u(STAKE), u(0), u(0), u(144), u(0)], "ERR-INVALID-PARAMS"),
      c("total-signers 33 (above MAX-COMMITTEE)", "fresh", deployer, () => [u(STAKE), u(17), u(33), u(144), u(17)], "ERR-INVALID-PARAMS"),
      c("total-signers 2^128-1", "fresh", deployer, () => [u(STAKE), u(3), u(MAX), u(144), u(3)], "ERR-INVALID-PARAMS"),
      c("threshold u0", "fresh", deployer, () => [u(STAKE), u(3), u(5), u(144), u(0)], "ERR-INVALID-THRESHOLD"),
      c("threshold n/2 (no honest majority)", "fresh", deployer, () => [u(STAKE), u(4), u(4), u(144), u(2)], "ERR-INVALID-THRESHOLD"),
      c("threshold above n", "fresh", deployer, () => [u(STAKE), u(5), u(5), u(144), u(6)], "ERR-INVALID-THRESHOLD"),
      c("threshold 2^128-1", "fresh", deployer, () => [u(STAKE), u(3), u(5), u(144), u(MAX)], "ERR-INVALID-THRESHOLD", alone()),
      c("required-signers below t", "fresh", deployer, () => [u(STAKE), u(2), u(5), u(144), u(3)], "ERR-INVALID-PARAMS"),
      c("required-signers above n", "fresh", deployer, () => [u(STAKE), u(6), u(5), u(144), u(3)], "ERR-INVALID-PARAMS"),
      c("required-signers 2^128-1", "fresh", deployer, () => [u(STAKE), u(MAX), u(5), u(144), u(3)], "ERR-INVALID-PARAMS"),
      c("rotation-period 2^128-1 (above its bound, 52560)", "fresh", deployer, () => [u(STAKE), u(3), u(5), u(MAX), u(3)], "ERR-INVALID-PARAMS", alone()),
      c("min-stake 2^128-1 (above its bound, 10^15)", "fresh", deployer, () => [u(MAX), u(3), u(5), u(144), u(3)], "ERR-INVALID-PARAMS", alone()),
      replay("initialize", "fresh", deployer, () => [u(STAKE), u(3), u(5), u(144), u(3)], "ERR-ALREADY-INITIALIZED"),
      c("while paused, again (no pause guard: already initialized)", "paused", deployer, () => [u(STAKE), u(3), u(5), u(144), u(3)], "ERR-ALREADY-INITIALIZED"),
    ],
  },
  "register-signer": {
    cases: [
      c("before initialize", "fresh", stranger, () => [buf(blsKey(stranger))], "ERR-NOT-INITIALIZED"),
      c("before initialize, with a 47-byte key (initialized before shape)", "fresh", stranger, () => [buf(badKeys.short())], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", stranger, () => [buf(blsKey(stranger))], "ERR-PAUSED"),
      c("while paused, with a 47-byte key (paused before shape)", "paused", stranger, () => [buf(badKeys.short())], "ERR-PAUSED"),
      c("a 47-byte key", "world", stranger, () => [buf(badKeys.short())], "ERR-INVALID-KEY-LENGTH"),
      c("an empty key", "world", stranger, () => [buf(new Uint8Array(0))], "ERR-INVALID-KEY-LENGTH"),
      c("the point at infinity", "world", stranger, () => [buf(badKeys.infinity())], "ERR-INVALID-KEY"),
      c("the compressed flag cleared", "world", stranger, () => [buf(badKeys.uncompressedFlag())], "ERR-INVALID-KEY"),
      c("x = p (not a field element)", "world", stranger, () => [Cl.bufferFromHex(`9a${"0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"}`)], "ERR-INVALID-KEY"),
      c("another signer's key", "world", stranger, () => [buf(blsKey(w1))], "ERR-KEY-IN-USE"),
      c("an account without min-stake", "world", unknown, () => [buf(blsKey(unknown))], "ERR-INSUFFICIENT-STAKE"),
      c("the 129th signer", "world", stranger, () => [buf(blsKey(stranger))], "ERR-SIGNER-LIMIT", () => {
        registerSigners(Array.from({ length: 122 }, (_, i) => freshAccount(`bad-input-signer-${i}`, 2n * STAKE)));
        expect(decode(read("get-signers")) as string[]).toHaveLength(128);
      }),
      replay("register-signer", "world", stranger, () => [buf(blsKey(stranger))], "ERR-ALREADY-REGISTERED"),
      c("a registered signer with a new key", "world", w1, () => [buf(blsKey("w1-second-key"))], "ERR-ALREADY-REGISTERED"),
    ],
  },
  "increase-stake": {
    replayAllowed: "a second increase is a new increase",
    cases: [
      c("before initialize", "fresh", w1, () => [u(1)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", w1, () => [u(1)], "ERR-PAUSED"),
      c("not a signer", "world", stranger, () => [u(1)], "ERR-NOT-REGISTERED"),
      c("a watchtower, not a signer", "world", t1, () => [u(1)], "ERR-NOT-REGISTERED"),
      c("not a signer, amount u0 (role before shape)", "world", stranger, () => [u(0)], "ERR-NOT-REGISTERED"),
      c("amount u0", "world", w1, () => [u(0)], "ERR-INVALID-AMOUNT"),
      c("more than the balance", "world", w1, () => [u(stxBalance(w1) + 1n)], "ERR-INSUFFICIENT-STAKE"),
      c("amount 2^128-1", "world", w1, () => [u(MAX)], "ERR-INSUFFICIENT-STAKE", alone()),
    ],
  },
  "request-unstake": {
    cases: [
      c("before initialize", "fresh", w1, () => [u(1)], "ERR-NOT-REGISTERED"),
      c("not a signer", "world", stranger, () => [u(1)], "ERR-NOT-REGISTERED"),
      c("not a signer, amount u0 (role before shape)", "world", stranger, () => [u(0)], "ERR-NOT-REGISTERED"),
      c("amount u0", "world", w6, () => [u(0)], "ERR-INVALID-AMOUNT"),
      c("more than the stake", "world", w6, () => [u(STAKE / 2n + 1n)], "ERR-INVALID-AMOUNT"),
      c("amount 2^128-1", "world", w6, () => [u(MAX)], "ERR-INVALID-AMOUNT"),
      c("a member below its seat stake", "world", w1, () => [u(1)], "ERR-STAKE-LOCKED"),
      c("a member below its seat stake, while paused (not pause-guarded)", "paused", w1, () => [u(1)], "ERR-STAKE-LOCKED"),
      replay("request-unstake", "world", w6, () => [u(STAKE / 2n)], "ERR-INVALID-AMOUNT"),
    ],
  },
  "withdraw-stake": {
    cases: [
      c("before initialize", "fresh", w1, none, "ERR-NOT-REGISTERED"),
      c("not a signer", "world", stranger, none, "ERR-NOT-REGISTERED"),
      c("a watchtower, not a signer", "world", t1, none, "ERR-NOT-REGISTERED"),
      c("nothing unbonding", "world", w1, none, "ERR-NOTHING-TO-WITHDRAW"),
      c("unbonding not over", "world", w6, none, "ERR-STAKE-LOCKED"),
      c("unbonding not over, while paused (not pause-guarded)", "paused", w6, none, "ERR-STAKE-LOCKED"),
      replay("withdraw-stake", "world", w6, none, "ERR-NOTHING-TO-WITHDRAW", () => mineBurnBlocks(UNBONDING)),
    ],
  },
  "update-metrics": {
    cases: [
      c("before initialize", "fresh", t1, () => [p(w2), u(1), u(100), u(100)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", t1, () => [p(w2), u(1), u(100), u(100)], "ERR-PAUSED"),
      c("by the deployer", "world", deployer, () => [p(w2), u(1), u(100), u(100)], "ERR-UNAUTHORIZED"),
      c("by a signer", "world", w1, () => [p(w2), u(1), u(100), u(100)], "ERR-UNAUTHORIZED"),
      c("by a stranger", "world", stranger, () => [p(w2), u(1), u(100), u(100)], "ERR-UNAUTHORIZED"),
      c("by the deployer, with bad metrics (role before shape)", "world", deployer, () => [p(w2), u(MAX), u(MAX), u(MAX)], "ERR-UNAUTHORIZED"),
      c("by a watchtower that left", "world", t3, () => [p(w2), u(1), u(100), u(100)], "ERR-UNAUTHORIZED", () => ok("leave-watchtower", [], t3)),
      c("a watchtower about itself", "world", t1, () => [p(t1), u(1), u(100), u(100)], "ERR-UNAUTHORIZED"),
      c("uptime 101", "world", t1, () => [p(w2), u(1), u(101), u(100)], "ERR-INVALID-METRICS"),
      c("accuracy 101", "world", t1, () => [p(w2), u(1), u(100), u(101)], "ERR-INVALID-METRICS"),
      c("signing-speed 100001", "world", t1, () => [p(w2), u(100001), u(100), u(100)], "ERR-INVALID-METRICS"),
      c("every metric 2^128-1", "world", t1, () => [p(w2), u(MAX), u(MAX), u(MAX)], "ERR-INVALID-METRICS"),
      c("about an unregistered account", "world", t1, () => [p(unknown), u(1), u(100), u(100)], "ERR-NOT-REGISTERED"),
      c("about a contract principal", "world", t1, () => [p(ghostContract), u(1), u(100), u(100)], "ERR-NOT-REGISTERED"),
      replay("update-metrics", "world", t1, () => [p(w2), u(1), u(100), u(100)], "ERR-ALREADY-REPORTED"),
    ],
  },
  "claim-rewards": {
    cases: [
      c("before initialize", "fresh", stranger, none, "ERR-NOTHING-TO-WITHDRAW"),
      c("no rewards", "world", stranger, none, "ERR-NOTHING-TO-WITHDRAW"),
      c("no rewards, while paused (not pause-guarded)", "paused", w1, none, "ERR-NOTHING-TO-WITHDRAW"),
      replay("claim-rewards", "world", stranger, none, "ERR-NOTHING-TO-WITHDRAW", penalizeW2),
    ],
  },
  "rotate-signers": {
    cases: [
      c("before initialize", "fresh", stranger, () => [committeeArg(members)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", stranger, () => [committeeArg(members)], "ERR-PAUSED"),
      c("fewer eligible signers than required", "fresh", stranger, () => [committeeArg([w1, w2])], "ERR-INSUFFICIENT-SIGNERS", () => initialized([w1, w2])),
      c("not due", "world", stranger, () => [committeeArg(members)], "ERR-ROTATION-NOT-DUE"),
      c("not due, an empty committee (state before shape)", "world", stranger, () => [committeeArg([])], "ERR-ROTATION-NOT-DUE"),
      c("due, an empty committee", "world", stranger, () => [committeeArg([])], "ERR-INVALID-COMMITTEE", rotationDue),
      c("due, a stranger in place of a member", "world", stranger, () => [committeeArg([w1, w2, w3, w4, stranger])], "ERR-INVALID-COMMITTEE", rotationDue),
      c("due, a contract principal in place of a member", "world", stranger, () => [committeeArg([w1, w2, w3, w4, ghostContract])], "ERR-INVALID-COMMITTEE", rotationDue),
      c("due, an exiting signer in place of a member", "world", stranger, () => [committeeArg([w1, w2, w3, w4, w6])], "ERR-INVALID-COMMITTEE", rotationDue),
      c("due, 32 copies of one member", "world", stranger, () => [committeeArg(Array(32).fill(w1))], "ERR-INVALID-COMMITTEE", rotationDue),
      replay("rotate-signers", "world", stranger, () => [committeeArg(members)], "ERR-ROTATION-NOT-DUE", () => {
        rotationDue();
        expect(proposal()).toEqual(members);
      }),
    ],
  },
  "cancel-epoch": {
    cases: [
      c("before initialize", "fresh", stranger, () => [u(1)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", stranger, () => [u(1)], "ERR-PAUSED"),
      c("epoch u0", "world", stranger, () => [u(0)], "ERR-UNKNOWN-EPOCH"),
      c("epoch 2^128-1", "world", stranger, () => [u(MAX)], "ERR-UNKNOWN-EPOCH"),
      c("an epoch not yet formed", "world", stranger, () => [u(2)], "ERR-UNKNOWN-EPOCH"),
      c("the active epoch", "world", stranger, () => [u(1)], "ERR-EPOCH-CLOSED"),
      c("a forming epoch before dkg-timeout", "world", stranger, () => [u(2)], "ERR-DEADLINE-NOT-REACHED", epoch2Forming),
      replay("cancel-epoch", "world", stranger, () => [u(2)], "ERR-EPOCH-CLOSED", () => {
        epoch2Forming();
        mineBurnBlocks(145);
      }),
    ],
  },
  "post-dkg-message": {
    replayAllowed: "an exact repeat of a frame is accepted and ignored by the participants (a retried transaction)",
    cases: [
      c("before initialize", "fresh", w1, () => [u(1), u(1), buf(Uint8Array.of(1))], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", w1, () => [u(2), u(1), buf(Uint8Array.of(1))], "ERR-PAUSED", () => {
        ok("unpause", [], guardian);
        epoch2Forming();
        ok("pause", [], guardian);
      }),
      c("epoch u0", "world", w1, () => [u(0), u(1), buf(Uint8Array.of(1))], "ERR-UNKNOWN-EPOCH"),
      c("epoch 2^128-1", "world", w1, () => [u(MAX), u(1), buf(Uint8Array.of(1))], "ERR-UNKNOWN-EPOCH"),
      c("by a stranger", "world", stranger, () => [u(2), u(1), buf(Uint8Array.of(1))], "ERR-NOT-ACTIVE-SIGNER", epoch2Forming),
      c("by a backup signer", "world", w6, () => [u(2), u(1), buf(Uint8Array.of(1))], "ERR-NOT-ACTIVE-SIGNER", epoch2Forming),
      c("by a watchtower", "world", t1, () => [u(2), u(1), buf(Uint8Array.of(1))], "ERR-NOT-ACTIVE-SIGNER", epoch2Forming),
      c("by a stranger, an empty payload (role before shape)", "world", stranger, () => [u(2), u(1), buf(new Uint8Array(0))], "ERR-NOT-ACTIVE-SIGNER", epoch2Forming),
      c("an empty payload", "world", w1, () => [u(2), u(1), buf(new Uint8Array(0))], "ERR-INVALID-PARAMS", epoch2Forming),
      c("an empty payload to the active epoch (shape before state)", "world", w1, () => [u(1), u(1), buf(new Uint8Array(0))], "ERR-INVALID-PARAMS"),
      c("to the active epoch", "world", w1, () => [u(1), u(1), buf(Uint8Array.of(1))], "ERR-EPOCH-CLOSED"),
    ],
  },
  "submit-epoch-key": {
    cases: [
      c("before initialize", "fresh", w1, () => voteArgs(1), "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", w4, () => voteArgs(1), "ERR-PAUSED"),
      c("epoch u0", "world", w1, () => voteArgs(0), "ERR-UNKNOWN-EPOCH"),
      c("epoch 2^128-1", "world", w1, () => [u(MAX), buf(keys.groupKey), shareKeysArg(keys.shareKeys)], "ERR-UNKNOWN-EPOCH"),
      c("by a stranger", "world", stranger, () => voteArgs(2), "ERR-NOT-ACTIVE-SIGNER", epoch2Forming),
      c("by a backup signer", "world", w6, () => voteArgs(2), "ERR-NOT-ACTIVE-SIGNER", epoch2Forming),
      c("by a stranger, a 47-byte group key (role before shape)", "world", stranger, () => voteArgs(2, badKeys.short()), "ERR-NOT-ACTIVE-SIGNER", epoch2Forming),
      c("a 47-byte group key", "world", w1, () => voteArgs(2, badKeys.short()), "ERR-INVALID-KEY-LENGTH", epoch2Forming),
      c("the group key at infinity", "world", w1, () => voteArgs(2, badKeys.infinity()), "ERR-INVALID-KEY", epoch2Forming),
      c("four share keys for five members", "world", w1, () => voteArgs(2, keys.groupKey, keys.shareKeys.slice(0, 4)), "ERR-INVALID-PARAMS", epoch2Forming),
      c("no share keys", "world", w1, () => voteArgs(2, keys.groupKey, []), "ERR-INVALID-PARAMS", epoch2Forming),
      c("a 47-byte share key", "world", w1, () => voteArgs(2, keys.groupKey, [...keys.shareKeys.slice(0, 4), badKeys.short()]), "ERR-INVALID-KEY-LENGTH", epoch2Forming),
      c("a share key without the compressed flag", "world", w1, () => voteArgs(2, keys.groupKey, [badKeys.uncompressedFlag(), ...keys.shareKeys.slice(1)]), "ERR-INVALID-KEY", epoch2Forming),
      c("to the active epoch", "world", w4, () => voteArgs(1), "ERR-EPOCH-CLOSED"),
      c("a reshare to another group key", "world", w1, () => voteArgs(2, OTHER_KEY), "ERR-KEY-MISMATCH", epoch2Forming),
      replay("submit-epoch-key", "world", w1, () => voteArgs(2), "ERR-ALREADY-VOTED", epoch2Forming),
    ],
  },
  "request-signature": {
    cases: [
      c("before initialize", "fresh", requester, () => [buf(NEVER), u(FEE)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", requester, () => [buf(NEVER), u(FEE)], "ERR-PAUSED"),
      c("while paused, a 31-byte hash (paused before shape)", "paused", requester, () => [buf(NEVER.slice(0, 31)), u(FEE)], "ERR-PAUSED"),
      c("a 31-byte hash", "world", requester, () => [buf(NEVER.slice(0, 31)), u(FEE)], "ERR-INVALID-PARAMS"),
      c("an empty hash", "world", requester, () => [buf(new Uint8Array(0)), u(FEE)], "ERR-INVALID-PARAMS"),
      c("fee u0", "world", requester, () => [buf(NEVER), u(0)], "ERR-FEE-TOO-LOW"),
      c("fee below min-fee", "world", requester, () => [buf(NEVER), u(999)], "ERR-FEE-TOO-LOW"),
      c("no active key yet", "fresh", requester, () => [buf(NEVER), u(FEE)], "ERR-NO-ACTIVE-KEY", () => {
        initialized(members);
        expect(rotate(w1).result).toBeOk(u(1));
      }),
      c("an open request's hash", "world", stranger, () => [buf(OPEN), u(FEE)], "ERR-REQUEST-EXISTS"),
      c("a finalized request's hash", "world", stranger, () => [buf(DONE), u(FEE)], "ERR-REQUEST-EXISTS"),
      c("a refunded hash while its partials are contestable", "world", requester, () => [buf(OPEN), u(FEE)], "ERR-REQUEST-EXISTS", () => {
        pastDeadline();
        ok("reclaim-fee", [buf(OPEN)], requester);
      }),
      c("fee 2^128-1", "world", requester, () => [buf(NEVER), u(MAX)], "ERR-INSUFFICIENT-FUNDS"),
      c("a requester without STX", "world", unknown, () => [buf(NEVER), u(FEE)], "ERR-INSUFFICIENT-FUNDS"),
      replay("request-signature", "world", requester, () => [buf(NEVER), u(FEE)], "ERR-REQUEST-EXISTS"),
    ],
  },
  "submit-partial-signature": {
    cases: [
      c("before initialize", "fresh", w2, () => [buf(OPEN), buf(sig(2, OPEN))], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", w2, () => [buf(OPEN), buf(sig(2, OPEN))], "ERR-PAUSED"),
      c("an unknown request", "world", w2, () => [buf(NEVER), buf(sig(2, NEVER))], "ERR-UNKNOWN-REQUEST"),
      c("a 31-byte hash", "world", w2, () => [buf(OPEN.slice(0, 31)), buf(sig(2, OPEN))], "ERR-UNKNOWN-REQUEST"),
      c("by a stranger", "world", stranger, () => [buf(OPEN), buf(sig(2, OPEN))], "ERR-NOT-ACTIVE-SIGNER"),
      c("by a backup signer", "world", w6, () => [buf(OPEN), buf(sig(2, OPEN))], "ERR-NOT-ACTIVE-SIGNER"),
      c("by the requester", "world", requester, () => [buf(OPEN), buf(sig(2, OPEN))], "ERR-NOT-ACTIVE-SIGNER"),
      c("by a stranger, a 95-byte signature (role before shape)", "world", stranger, () => [buf(OPEN), buf(badSignatures.short())], "ERR-NOT-ACTIVE-SIGNER"),
      c("a 95-byte signature", "world", w2, () => [buf(OPEN), buf(badSignatures.short())], "ERR-INVALID-SIGNATURE-LENGTH"),
      c("the signature at infinity", "world", w2, () => [buf(OPEN), buf(badSignatures.infinity())], "ERR-INVALID-SIGNATURE"),
      c("the compressed flag cleared", "world", w2, () => [buf(OPEN), buf(badSignatures.uncompressedFlag())], "ERR-INVALID-SIGNATURE"),
      c("a 95-byte signature to a finalized request (shape before state)", "world", w4, () => [buf(DONE), buf(badSignatures.short())], "ERR-INVALID-SIGNATURE-LENGTH"),
      c("a finalized request", "world", w4, () => [buf(DONE), buf(sig(4, DONE))], "ERR-ALREADY-FINALIZED"),
      c("after the deadline", "world", w2, () => [buf(OPEN), buf(sig(2, OPEN))], "ERR-REQUEST-EXPIRED", pastDeadline),
      c("a second partial by the same member", "world", w1, () => [buf(OPEN), buf(sig(1, NEVER))], "ERR-ALREADY-SIGNED"),
      replay("submit-partial-signature", "world", w2, () => [buf(OPEN), buf(sig(2, OPEN))], "ERR-ALREADY-SIGNED"),
    ],
  },
  "submit-aggregate-signature": {
    cases: [
      c("before initialize", "fresh", requester, () => [buf(DONE), buf(AGGREGATE)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", requester, () => [buf(EARNED), buf(EARNED_AGGREGATE)], "ERR-PAUSED", () => {
        ok("unpause", [], guardian);
        earned();
        ok("pause", [], guardian);
      }),
      c("a 95-byte signature", "world", stranger, () => [buf(OPEN), buf(badSignatures.short())], "ERR-INVALID-SIGNATURE-LENGTH"),
      c("a 95-byte signature for an unknown request (shape before state)", "world", stranger, () => [buf(NEVER), buf(badSignatures.short())], "ERR-INVALID-SIGNATURE-LENGTH"),
      c("the signature at infinity", "world", stranger, () => [buf(OPEN), buf(badSignatures.infinity())], "ERR-INVALID-SIGNATURE"),
      c("an unknown request", "world", stranger, () => [buf(NEVER), buf(AGGREGATE)], "ERR-UNKNOWN-REQUEST"),
      c("a 31-byte hash", "world", stranger, () => [buf(DONE.slice(0, 31)), buf(AGGREGATE)], "ERR-UNKNOWN-REQUEST"),
      c("a refunded request", "world", requester, () => [buf(OPEN), buf(AGGREGATE)], "ERR-ALREADY-FINALIZED", () => {
        pastDeadline();
        ok("reclaim-fee", [buf(OPEN)], requester);
      }),
      c("fewer than t partials", "world", stranger, () => [buf(OPEN), buf(AGGREGATE)], "ERR-THRESHOLD-NOT-MET"),
      replay("submit-aggregate-signature", "world", stranger, () => [buf(EARNED), buf(EARNED_AGGREGATE)], "ERR-ALREADY-FINALIZED", earned),
    ],
  },
  "settle-fee": {
    cases: [
      c("before initialize", "fresh", stranger, () => [buf(DONE)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", stranger, () => [buf(DONE)], "ERR-PAUSED", () => {
        ok("unpause", [], guardian);
        pastClaimWindow();
        ok("pause", [], guardian);
      }),
      c("an unknown request", "world", stranger, () => [buf(NEVER)], "ERR-UNKNOWN-REQUEST"),
      c("a 31-byte hash", "world", stranger, () => [buf(DONE.slice(0, 31))], "ERR-UNKNOWN-REQUEST"),
      c("no aggregate", "world", stranger, () => [buf(OPEN)], "ERR-NOT-FINALIZED"),
      c("before settle-at", "world", stranger, () => [buf(DONE)], "ERR-DEADLINE-NOT-REACHED"),
      c("the aggregate dropped (a partial confirmed invalid)", "world", stranger, () => [buf(DONE)], "ERR-NOT-FINALIZED", () => {
        confirmedClaim();
        pastClaimWindow();
      }),
      replay("settle-fee", "world", stranger, () => [buf(DONE)], "ERR-FEE-SETTLED", pastClaimWindow),
    ],
  },
  "reclaim-fee": {
    cases: [
      c("before initialize", "fresh", requester, () => [buf(OPEN)], "ERR-UNKNOWN-REQUEST"),
      c("an unknown request", "world", requester, () => [buf(NEVER)], "ERR-UNKNOWN-REQUEST"),
      c("by a stranger", "world", stranger, () => [buf(OPEN)], "ERR-UNAUTHORIZED", pastDeadline),
      c("by a member", "world", w1, () => [buf(OPEN)], "ERR-UNAUTHORIZED", pastDeadline),
      c("by the deployer", "world", deployer, () => [buf(OPEN)], "ERR-UNAUTHORIZED", pastDeadline),
      c("a finalized request", "world", requester, () => [buf(DONE)], "ERR-ALREADY-FINALIZED", pastDeadline),
      c("before the deadline", "world", requester, () => [buf(OPEN)], "ERR-DEADLINE-NOT-REACHED", alone()),
      c("before the deadline, while paused (not pause-guarded)", "paused", requester, () => [buf(OPEN)], "ERR-DEADLINE-NOT-REACHED"),
      c("t partials are in", "world", requester, () => [buf(EARNED)], "ERR-FEE-EARNED", earned),
      replay("reclaim-fee", "world", requester, () => [buf(OPEN)], "ERR-ALREADY-FINALIZED", pastDeadline),
    ],
  },
  "register-watchtower": {
    cases: [
      c("before initialize", "fresh", stranger, none, "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", stranger, none, "ERR-PAUSED"),
      c("without the bond", "world", unknown, none, "ERR-INSUFFICIENT-FUNDS"),
      c("the 33rd active watchtower", "world", stranger, none, "ERR-WATCHTOWER-LIMIT", () => {
        registerWatchtowers(Array.from({ length: 29 }, (_, i) => freshAccount(`bad-input-tower-${i}`, 200_000_000n)));
        expect((decode(read("get-network-state")) as Record<string, bigint>)["active-watchtowers"]).toBe(32n);
      }),
      c("a watchtower that left", "world", t3, none, "ERR-WATCHTOWER-EXISTS", () => ok("leave-watchtower", [], t3)),
      replay("register-watchtower", "world", stranger, none, "ERR-WATCHTOWER-EXISTS"),
    ],
  },
  "leave-watchtower": {
    cases: [
      c("before initialize", "fresh", stranger, none, "ERR-NOT-WATCHTOWER"),
      c("not a watchtower", "world", stranger, none, "ERR-NOT-WATCHTOWER"),
      c("a signer, not a watchtower", "world", w1, none, "ERR-NOT-WATCHTOWER"),
      c("the deployer, not a watchtower", "world", deployer, none, "ERR-NOT-WATCHTOWER"),
      c("not a watchtower, while paused (not pause-guarded)", "paused", stranger, none, "ERR-NOT-WATCHTOWER"),
      replay("leave-watchtower", "world", t3, none, "ERR-NOT-WATCHTOWER"),
    ],
  },
  "withdraw-watchtower-bond": {
    cases: [
      c("before initialize", "fresh", stranger, none, "ERR-NOT-WATCHTOWER"),
      c("not a watchtower", "world", stranger, none, "ERR-NOT-WATCHTOWER"),
      c("a signer, not a watchtower", "world", w1, none, "ERR-NOT-WATCHTOWER"),
      c("an active watchtower", "world", t2, none, "ERR-STAKE-LOCKED"),
      c("an active watchtower, while paused (not pause-guarded)", "paused", t2, none, "ERR-STAKE-LOCKED"),
      c("unbonding not over", "world", t3, none, "ERR-STAKE-LOCKED", () => ok("leave-watchtower", [], t3)),
      c("an open claim", "world", t1, none, "ERR-STAKE-LOCKED", () => {
        ok("leave-watchtower", [], t1);
        mineBurnBlocks(UNBONDING);
      }),
      replay("withdraw-watchtower-bond", "world", t3, none, "ERR-NOT-WATCHTOWER", () => {
        ok("leave-watchtower", [], t3);
        mineBurnBlocks(UNBONDING);
      }),
    ],
  },
  "submit-watchtower-report": {
    cases: [
      c("before initialize", "fresh", t1, () => [p(w2), u(100), u(1), u(1)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", t1, () => [p(w2), u(100), u(1), u(1)], "ERR-PAUSED"),
      c("by a stranger", "world", stranger, () => [p(w2), u(100), u(1), u(1)], "ERR-NOT-WATCHTOWER"),
      c("by the deployer", "world", deployer, () => [p(w2), u(100), u(1), u(1)], "ERR-NOT-WATCHTOWER"),
      c("by a signer", "world", w1, () => [p(w2), u(100), u(1), u(1)], "ERR-NOT-WATCHTOWER"),
      c("by a stranger, bad metrics (role before shape)", "world", stranger, () => [p(w2), u(MAX), u(MAX), u(MAX)], "ERR-NOT-WATCHTOWER"),
      c("by a watchtower that left", "world", t3, () => [p(w2), u(100), u(1), u(1)], "ERR-NOT-WATCHTOWER", () => ok("leave-watchtower", [], t3)),
      c("about itself", "world", t1, () => [p(t1), u(100), u(1), u(0)], "ERR-UNAUTHORIZED"),
      c("about an unregistered account", "world", t1, () => [p(unknown), u(100), u(1), u(0)], "ERR-NOT-REGISTERED"),
      c("about a contract principal", "world", t1, () => [p(ghostContract), u(100), u(1), u(0)], "ERR-NOT-REGISTERED"),
      c("uptime 101", "world", t1, () => [p(w2), u(101), u(1), u(1)], "ERR-INVALID-METRICS"),
      c("signing-speed 100001", "world", t1, () => [p(w2), u(100), u(100001), u(1)], "ERR-INVALID-METRICS"),
      c("more valid signatures than signatures", "world", t1, () => [p(w2), u(100), u(1), u(2)], "ERR-INVALID-METRICS"),
      c("every metric 2^128-1", "world", t1, () => [p(w2), u(MAX), u(MAX), u(MAX)], "ERR-INVALID-METRICS"),
      replay("submit-watchtower-report", "world", t1, () => [p(w2), u(100), u(1), u(1)], "ERR-ALREADY-REPORTED"),
    ],
  },
  "report-invalid-signature": {
    cases: [
      c("before initialize", "fresh", t2, () => [buf(OPEN), p(w1)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", t2, () => [buf(OPEN), p(w1)], "ERR-PAUSED"),
      c("by a stranger", "world", stranger, () => [buf(OPEN), p(w1)], "ERR-NOT-WATCHTOWER"),
      c("by a signer", "world", w2, () => [buf(OPEN), p(w1)], "ERR-NOT-WATCHTOWER"),
      c("by the deployer", "world", deployer, () => [buf(OPEN), p(w1)], "ERR-NOT-WATCHTOWER"),
      c("by a watchtower that left", "world", t3, () => [buf(OPEN), p(w1)], "ERR-NOT-WATCHTOWER", () => ok("leave-watchtower", [], t3)),
      c("by a stranger, an unknown request (role before state)", "world", stranger, () => [buf(NEVER), p(w1)], "ERR-NOT-WATCHTOWER"),
      c("an unknown request", "world", t2, () => [buf(NEVER), p(w1)], "ERR-UNKNOWN-REQUEST"),
      c("a 31-byte hash", "world", t2, () => [buf(OPEN.slice(0, 31)), p(w1)], "ERR-UNKNOWN-REQUEST"),
      c("a member without a partial", "world", t2, () => [buf(OPEN), p(w2)], "ERR-NOT-PENALIZABLE"),
      c("an unregistered account", "world", t2, () => [buf(OPEN), p(unknown)], "ERR-NOT-PENALIZABLE"),
      c("a contract principal", "world", t2, () => [buf(OPEN), p(ghostContract)], "ERR-NOT-PENALIZABLE"),
      c("a claim already confirmed", "world", stranger, () => [buf(DONE), p(w2)], "ERR-NOT-PENALIZABLE", () => {
        registerWatchtowers([stranger]);
        confirmedClaim();
      }),
      c("after the partial's claim window", "world", t2, () => [buf(OPEN), p(w1)], "ERR-CLAIM-EXPIRED", pastClaimWindow),
      c("a second claim by the same watchtower", "world", t1, () => [buf(OPEN), p(w1)], "ERR-ALREADY-REPORTED"),
      replay("report-invalid-signature", "world", t2, () => [buf(DONE), p(w3)], "ERR-ALREADY-REPORTED"),
    ],
  },
  "report-invalid-aggregate": {
    cases: [
      c("before initialize", "fresh", t1, () => [buf(DONE)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", t1, () => [buf(DONE)], "ERR-PAUSED"),
      c("by a stranger", "world", stranger, () => [buf(DONE)], "ERR-NOT-WATCHTOWER"),
      c("by the requester", "world", requester, () => [buf(DONE)], "ERR-NOT-WATCHTOWER"),
      c("by a watchtower that left", "world", t3, () => [buf(DONE)], "ERR-NOT-WATCHTOWER", () => ok("leave-watchtower", [], t3)),
      c("an unknown request", "world", t1, () => [buf(NEVER)], "ERR-UNKNOWN-REQUEST"),
      c("a 31-byte hash", "world", t1, () => [buf(DONE.slice(0, 31))], "ERR-UNKNOWN-REQUEST"),
      c("no aggregate", "world", t1, () => [buf(OPEN)], "ERR-NOT-PENALIZABLE"),
      c("after settle-at", "world", t1, () => [buf(DONE)], "ERR-CLAIM-EXPIRED", pastClaimWindow),
      replay("report-invalid-aggregate", "world", t1, () => [buf(DONE)], "ERR-ALREADY-REPORTED"),
    ],
  },
  "expire-claim": {
    cases: [
      c("before initialize", "fresh", stranger, () => [buf(OPEN), p(w1)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", stranger, () => [buf(OPEN), p(w1)], "ERR-PAUSED", () => {
        ok("unpause", [], guardian);
        pastClaimWindow();
        ok("pause", [], guardian);
      }),
      c("no claim", "world", stranger, () => [buf(OPEN), p(w2)], "ERR-UNKNOWN-CLAIM", pastClaimWindow),
      c("an unknown request", "world", stranger, () => [buf(NEVER), p(w1)], "ERR-UNKNOWN-CLAIM"),
      c("a contract principal", "world", stranger, () => [buf(OPEN), p(ghostContract)], "ERR-UNKNOWN-CLAIM"),
      c("a 31-byte hash", "world", stranger, () => [buf(OPEN.slice(0, 31)), p(w1)], "ERR-UNKNOWN-CLAIM"),
      c("a confirmed claim", "world", stranger, () => [buf(DONE), p(w2)], "ERR-ALREADY-FINALIZED", () => {
        confirmedClaim();
        pastClaimWindow();
      }),
      c("before the partial's claim-until", "world", stranger, () => [buf(OPEN), p(w1)], "ERR-DEADLINE-NOT-REACHED"),
      replay("expire-claim", "world", stranger, () => [buf(OPEN), p(w1)], "ERR-UNKNOWN-CLAIM", pastClaimWindow),
    ],
  },
  "expire-aggregate-claim": {
    cases: [
      c("before initialize", "fresh", stranger, () => [buf(DONE), buf(AGGREGATE)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", stranger, () => [buf(DONE), buf(AGGREGATE)], "ERR-PAUSED", () => {
        ok("unpause", [], guardian);
        ok("report-invalid-aggregate", [buf(DONE)], t1);
        pastClaimWindow();
        ok("pause", [], guardian);
      }),
      c("no claim", "world", stranger, () => [buf(DONE), buf(AGGREGATE)], "ERR-UNKNOWN-CLAIM", pastClaimWindow),
      c("a 95-byte aggregate", "world", stranger, () => [buf(DONE), buf(AGGREGATE.slice(0, 95))], "ERR-UNKNOWN-CLAIM", () => {
        ok("report-invalid-aggregate", [buf(DONE)], t1);
        pastClaimWindow();
      }),
      c("an unknown request", "world", stranger, () => [buf(NEVER), buf(AGGREGATE)], "ERR-UNKNOWN-CLAIM"),
      c("before settle-at", "world", stranger, () => [buf(DONE), buf(AGGREGATE)], "ERR-DEADLINE-NOT-REACHED", () => ok("report-invalid-aggregate", [buf(DONE)], t1)),
      replay("expire-aggregate-claim", "world", stranger, () => [buf(DONE), buf(AGGREGATE)], "ERR-UNKNOWN-CLAIM", () => {
        ok("report-invalid-aggregate", [buf(DONE)], t1);
        pastClaimWindow();
      }),
    ],
  },
  "penalize-missed-signature": {
    cases: [
      c("before initialize", "fresh", stranger, () => [buf(OPEN), p(w2)], "ERR-NOT-INITIALIZED"),
      c("while paused", "paused", stranger, () => [buf(OPEN), p(w2)], "ERR-PAUSED", () => {
        ok("unpause", [], guardian);
        pastDeadline();
        ok("pause", [], guardian);
      }),
      c("an unknown request", "world", stranger, () => [buf(NEVER), p(w2)], "ERR-UNKNOWN-REQUEST", pastDeadline),
      c("a 31-byte hash", "world", stranger, () => [buf(OPEN.slice(0, 31)), p(w2)], "ERR-UNKNOWN-REQUEST", pastDeadline),
      c("an unregistered account", "world", stranger, () => [buf(OPEN), p(unknown)], "ERR-NOT-REGISTERED", pastDeadline),
      c("a contract principal", "world", stranger, () => [buf(OPEN), p(ghostContract)], "ERR-NOT-REGISTERED", pastDeadline),
      c("before the deadline", "world", stranger, () => [buf(OPEN), p(w2)], "ERR-DEADLINE-NOT-REACHED", alone()),
      c("a signer outside the committee", "world", stranger, () => [buf(OPEN), p(w6)], "ERR-NOT-PENALIZABLE", pastDeadline),
      c("a member who signed", "world", stranger, () => [buf(OPEN), p(w1)], "ERR-NOT-PENALIZABLE", pastDeadline),
      c("a request closed early by its aggregate", "world", stranger, () => [buf(DONE), p(w4)], "ERR-NOT-PENALIZABLE", pastDeadline),
      replay("penalize-missed-signature", "world", stranger, () => [buf(OPEN), p(w2)], "ERR-ALREADY-REPORTED", pastDeadline),
    ],
  },
  "propose-parameter-change": {
    replayAllowed: "each call opens a new proposal",
    cases: [
      c("before initialize", "fresh", w1, () => [Cl.stringAscii("min-fee"), u(2000)], "ERR-NOT-INITIALIZED"),
      c("not a signer", "world", stranger, () => [Cl.stringAscii("min-fee"), u(2000)], "ERR-NOT-REGISTERED"),
      c("the deployer, not a signer", "world", deployer, () => [Cl.stringAscii("min-fee"), u(2000)], "ERR-NOT-REGISTERED"),
      c("a watchtower, not a signer", "world", t1, () => [Cl.stringAscii("min-fee"), u(2000)], "ERR-NOT-REGISTERED"),
      c("not a signer, while paused (governance is never paused)", "paused", stranger, () => [Cl.stringAscii("min-fee"), u(2000)], "ERR-NOT-REGISTERED"),
      c("a signer without bonded stake", "world", w6, () => [Cl.stringAscii("min-fee"), u(2000)], "ERR-INSUFFICIENT-STAKE", zeroStake),
      c("an unknown parameter", "world", w1, () => [Cl.stringAscii("no-such-parameter"), u(1)], "ERR-UNKNOWN-PARAMETER"),
      c("an empty parameter name", "world", w1, () => [Cl.stringAscii(""), u(1)], "ERR-UNKNOWN-PARAMETER"),
      c("min-fee u0 (below its bound)", "world", w1, () => [Cl.stringAscii("min-fee"), u(0)], "ERR-INVALID-PARAMS"),
      c("min-fee 2^128-1 (above its bound)", "world", w1, () => [Cl.stringAscii("min-fee"), u(MAX)], "ERR-INVALID-PARAMS"),
      c("signature-threshold 2^128-1", "world", w1, () => [Cl.stringAscii("signature-threshold"), u(MAX)], "ERR-INVALID-PARAMS"),
      c("max-churn above n - t", "world", w1, () => [Cl.stringAscii("max-churn"), u(3)], "ERR-INVALID-PARAMS"),
      c("unbonding-period not above voting-period", "world", w1, () => [Cl.stringAscii("unbonding-period"), u(1008)], "ERR-INVALID-PARAMS"),
    ],
  },
  "propose-treasury-spend": {
    replayAllowed: "each call opens a new proposal",
    cases: [
      c("before initialize", "fresh", w1, () => [u(1), p(w1)], "ERR-NOT-INITIALIZED"),
      c("not a signer", "world", stranger, () => [u(1), p(stranger)], "ERR-NOT-REGISTERED"),
      c("a signer without bonded stake", "world", w6, () => [u(1), p(w6)], "ERR-INSUFFICIENT-STAKE", zeroStake),
      c("amount u0", "world", w1, () => [u(0), p(w1)], "ERR-INVALID-AMOUNT"),
      c("amount u0 to a contract principal", "world", w1, () => [u(0), p(ghostContract)], "ERR-INVALID-AMOUNT"),
      c("more than the treasury", "world", w1, () => [u(1), p(w1)], "ERR-INSUFFICIENT-FUNDS"),
      c("not a signer, while paused (governance is never paused)", "paused", stranger, () => [u(1), p(stranger)], "ERR-NOT-REGISTERED"),
      c("amount 2^128-1", "world", w1, () => [u(MAX), p(unknown)], "ERR-INSUFFICIENT-FUNDS", penalizeW2),
    ],
  },
  "propose-guardian": {
    replayAllowed: "each call opens a new proposal",
    cases: [
      c("before initialize", "fresh", w1, () => [p(w1)], "ERR-NOT-INITIALIZED"),
      c("not a signer", "world", stranger, () => [p(stranger)], "ERR-NOT-REGISTERED"),
      c("the guardian, not a signer", "world", deployer, () => [p(stranger)], "ERR-NOT-REGISTERED"),
      c("a watchtower, not a signer", "world", t1, () => [p(ghostContract)], "ERR-NOT-REGISTERED"),
      c("a signer without bonded stake", "world", w6, () => [p(w6)], "ERR-INSUFFICIENT-STAKE", zeroStake),
      c("not a signer, while paused (governance is never paused)", "paused", stranger, () => [p(stranger)], "ERR-NOT-REGISTERED"),
    ],
  },
  "vote-on-proposal": {
    cases: [
      c("before initialize", "fresh", w1, () => [u(1), Cl.bool(true)], "ERR-UNKNOWN-PROPOSAL"),
      c("proposal u0", "world", w3, () => [u(0), Cl.bool(true)], "ERR-UNKNOWN-PROPOSAL"),
      c("proposal 2^128-1", "world", w3, () => [u(MAX), Cl.bool(true)], "ERR-UNKNOWN-PROPOSAL"),
      c("not a signer", "world", stranger, () => [u(1), Cl.bool(true)], "ERR-NOT-REGISTERED"),
      c("a watchtower, not a signer", "world", t1, () => [u(1), Cl.bool(false)], "ERR-NOT-REGISTERED"),
      c("a signer without bonded stake", "world", w6, () => [u(1), Cl.bool(true)], "ERR-INSUFFICIENT-STAKE", zeroStake),
      c("after the voting period", "world", w3, () => [u(1), Cl.bool(true)], "ERR-VOTING-CLOSED", () => mineBurnBlocks(VOTING_PERIOD)),
      c("a second vote the other way", "world", w2, () => [u(1), Cl.bool(false)], "ERR-ALREADY-VOTED"),
      c("a second vote, while paused (governance is never paused)", "paused", w2, () => [u(1), Cl.bool(true)], "ERR-ALREADY-VOTED"),
      replay("vote-on-proposal", "world", w3, () => [u(1), Cl.bool(true)], "ERR-ALREADY-VOTED"),
    ],
  },
  "execute-proposal": {
    cases: [
      c("before initialize", "fresh", stranger, () => [u(1)], "ERR-UNKNOWN-PROPOSAL"),
      c("proposal u0", "world", stranger, () => [u(0)], "ERR-UNKNOWN-PROPOSAL"),
      c("proposal 2^128-1", "world", stranger, () => [u(MAX)], "ERR-UNKNOWN-PROPOSAL"),
      c("voting still open", "world", stranger, () => [u(1)], "ERR-VOTING-OPEN"),
      c("voting still open, while paused (governance is never paused)", "paused", stranger, () => [u(1)], "ERR-VOTING-OPEN"),
      c("no votes", "world", stranger, () => [u(2)], "ERR-PROPOSAL-REJECTED", () => {
        ok("propose-guardian", [p(stranger)], w3);
        mineBurnBlocks(VOTING_PERIOD);
      }),
      c("more stake against than for", "world", stranger, () => [u(1)], "ERR-PROPOSAL-REJECTED", () => {
        for (const voter of [w3, w4]) ok("vote-on-proposal", [u(1), Cl.bool(false)], voter);
        mineBurnBlocks(VOTING_PERIOD);
      }),
      c("a passing proposal one voting period after its vote closed", "world", stranger, () => [u(1)], "ERR-PROPOSAL-EXPIRED", () => {
        ok("vote-on-proposal", [u(1), Cl.bool(true)], w3);
        mineBurnBlocks(2 * VOTING_PERIOD);
      }),
      c("a change that breaks a relation by the time it executes", "world", stranger, () => [u(3)], "ERR-INVALID-PARAMS", () => {
        expect(call("propose-parameter-change", [Cl.stringAscii("claim-window"), u(2000)], w1).result).toBeOk(u(2));
        expect(call("propose-parameter-change", [Cl.stringAscii("unbonding-period"), u(1500)], w1).result).toBeOk(u(3));
        for (const voter of [w1, w2, w3]) for (const id of [2, 3]) ok("vote-on-proposal", [u(id), Cl.bool(true)], voter);
        mineBurnBlocks(VOTING_PERIOD);
        ok("execute-proposal", [u(2)], stranger);
      }),
      c("a spend the treasury no longer holds", "world", stranger, () => [u(3)], "ERR-INSUFFICIENT-FUNDS", () => {
        penalizeW2();
        const all = decode(read("get-treasury")) as bigint;
        for (const id of [2, 3]) expect(call("propose-treasury-spend", [u(all), p(w5)], w1).result).toBeOk(u(id));
        for (const voter of [w1, w2, w3]) for (const id of [2, 3]) ok("vote-on-proposal", [u(id), Cl.bool(true)], voter);
        mineBurnBlocks(VOTING_PERIOD);
        ok("execute-proposal", [u(2)], stranger);
      }),
      replay("execute-proposal", "world", stranger, () => [u(1)], "ERR-ALREADY-EXECUTED", () => {
        ok("vote-on-proposal", [u(1), Cl.bool(true)], w3);
        mineBurnBlocks(VOTING_PERIOD);
      }),
    ],
  },
  pause: {
    cases: [
      c("by a stranger before initialize", "fresh", stranger, none, "ERR-UNAUTHORIZED"),
      c("by a stranger", "world", stranger, none, "ERR-UNAUTHORIZED"),
      c("by a signer", "world", w1, none, "ERR-UNAUTHORIZED"),
      c("by a watchtower", "world", t1, none, "ERR-UNAUTHORIZED"),
      c("by a stranger while paused (role before state)", "paused", stranger, none, "ERR-UNAUTHORIZED"),
      replay("pause", "world", guardian, none, "ERR-PAUSED"),
    ],
  },
  unpause: {
    cases: [
      c("not paused, before initialize", "fresh", guardian, none, "ERR-NOT-PAUSED"),
      c("not paused", "world", guardian, none, "ERR-NOT-PAUSED"),
      c("by a stranger", "paused", stranger, none, "ERR-UNAUTHORIZED"),
      c("by a signer", "paused", w1, none, "ERR-UNAUTHORIZED"),
      c("by a stranger, not paused (role before state)", "world", stranger, none, "ERR-UNAUTHORIZED"),
      replay("unpause", "paused", guardian, none, "ERR-NOT-PAUSED"),
    ],
  },
};

// ---- the suite -----------------------------------------------------------------------------

type Outcome = { result: ClarityValue; events: unknown[] } | { aborted: string };

function attempt(fn: string, args: ClarityValue[], caller: string): Outcome {
  try {
    const { result, events } = call(fn, args, caller);
    return { result, events };
  } catch (error) {
    // A runtime error (e.g. an arithmetic overflow) aborts the call instead of returning
    // the documented error: reported as such, so that the case fails with the reason.
    return { aborted: String(error).split("\n")[0].slice(0, 300) };
  }
}


describe("the table", () => {
  it("has an entry for every public function of the contract, and only those", () => {
    expect(Object.keys(TABLE).sort()).toEqual(functionsOf("public"));
  });

  it("every entry has a case before initialize and one while paused, several wrong calls, and a replay (or says why a replay is legitimate)", () => {
    for (const [fn, entry] of Object.entries(TABLE)) {
      expect(entry.cases.length, fn).toBeGreaterThan(2);
      expect(entry.cases.some((k) => k.world === "fresh"), `${fn}: before initialize`).toBe(true);
      expect(entry.cases.some((k) => k.world === "paused"), `${fn}: while paused`).toBe(true);
      const replays = entry.cases.filter((k) => k.name === "replay of a successful call").length;
      expect(replays > 0 || entry.replayAllowed !== undefined, `${fn}: replay`).toBe(true);
    }
  });

  it("every error constant of the contract is expected by some case", () => {
    const expected = new Set(Object.values(TABLE).flatMap((entry) => entry.cases.map((k) => k.error)));
    expect(Object.keys(ERRORS).length).toBeGreaterThan(50);
    expect(Object.keys(ERRORS).filter((name) => !expected.has(name))).toEqual([]);
    for (const name of expected) expect(ERRORS[name], name).toBeDefined();
  });

  it("the snapshots cover every read-only view, data-var and map of the contract", () => {
    world();
    views(ACCOUNTS);
    expect([...viewsRead].sort()).toEqual(functionsOf("read_only"));
    const keys = mapKeys();
    expect(Object.keys(keys).sort()).toEqual(contractInterface().maps.map((m) => m.name).sort());
    const stored = state();
    expect(Object.keys(stored).filter((k) => k.startsWith("var ")).length).toBe(contractInterface().variables.filter((x) => x.access === "variable").length);
    // the world is not empty: the snapshot sees what it compares
    for (const key of [`map signers ${ID(p(w1))}`, `map claims ${ID(Cl.tuple({ "message-hash": buf(OPEN), signer: p(w1) }))}`, `map requests ${ID(buf(DONE))}`]) {
      expect(stored[key], key).toBeDefined();
      expect(stored[key], key).not.toBe("(no entry)");
    }
    expect(stored[`map claims ${ID(Cl.tuple({ "message-hash": buf(OPEN), signer: p(w2) }))}`]).toBe("(no entry)");
  });
});

/** Every case with the function it calls, grouped by world and setup: the cases of a group
 *  run one after the other on one world (each compared with the state before the first). */
const ALL = Object.entries(TABLE).flatMap(([fn, entry]) => entry.cases.map((k) => ({ fn, ...k })));
const GROUPS: { world: WorldName; setup?: () => void; cases: typeof ALL }[] = [];
for (const k of ALL) {
  const group = GROUPS.find((g) => g.world === k.world && g.setup === k.setup);
  if (group) group.cases.push(k);
  else GROUPS.push({ world: k.world, setup: k.setup, cases: [k] });
}

describe("every refused call gets its documented error and changes nothing", () => {
  for (const group of GROUPS) {
    const title =
      group.cases.length > 3
        ? `${group.world}${group.setup ? " + setup" : ""}: ${group.cases.length} cases (${[...new Set(group.cases.map((k) => k.fn))].join(", ")})`
        : `${group.world}: ${group.cases.map((k) => `${k.fn}, ${k.name}`).join("; ")}`;
    it(title, () => {
      voteResult = "";
      WORLDS[group.world]();
      group.setup?.();
      const viewsBefore = views([w1, t1]);
      const before = state();
      for (const k of group.cases) {
        const outcome = attempt(k.fn, k.args(), k.caller);
        expect.soft(outcome, `${k.fn}: ${k.name}`).toEqual({ result: Cl.error(Cl.uint(ERRORS[k.error])), events: [] });
        expect.soft(state(), `${k.fn}: ${k.name} changed the stored state`).toEqual(before);
      }
      expect(views([w1, t1]), "a view changed").toEqual(viewsBefore);
    });
  }
});
