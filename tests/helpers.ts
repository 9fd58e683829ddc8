// Shared helpers for the contract suites on simnet: accounts, real BLS12-381 keys,
// decoding of Clarity values, events, balances and the accounting invariant.
import { expect } from "vitest";
import { Cl, privateKeyToAddress, type ClarityValue } from "@stacks/transactions";
import { decode, type Plain } from "../src/chain/clarity.js";
import { proposeCommittee, rotationInputsFrom } from "../src/chain/committee.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { sha256, sha384 } from "@noble/hashes/sha2.js";

export const CONTRACT = "dts";

const accounts = simnet.getAccounts();
export const deployer = accounts.get("deployer")!;
/** wallet_1 .. wallet_14, funded with 100M STX each on simnet. */
export const wallets: string[] = Array.from({ length: 14 }, (_, i) => accounts.get(`wallet_${i + 1}`)!);
export const contractPrincipal = `${deployer}.${CONTRACT}`;

// ---- call shorthands ------------------------------------------------------------------

export function call(fn: string, args: ClarityValue[], sender: string) {
  return simnet.callPublicFn(CONTRACT, fn, args, sender);
}

export function read(fn: string, args: ClarityValue[] = [], sender: string = deployer): ClarityValue {
  return simnet.callReadOnlyFn(CONTRACT, fn, args, sender).result;
}

// ---- Clarity values to plain JS --------------------------------------------------------

export { decode, type Plain } from "../src/chain/clarity.js";

export const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

// ---- events ----------------------------------------------------------------------------

type TxEvent = { event: string; data: any };

/** The decoded print events of a call, in order. */
export function prints(events: TxEvent[]): Record<string, Plain>[] {
  return events
    .filter((e) => e.event === "print_event")
    .map((e) => decode(e.data.value) as Record<string, Plain>);
}

/** The one print event with this topic (fails the test if there is not exactly one). */
export function printed(events: TxEvent[], topic: string): Record<string, Plain> {
  const found = prints(events).filter((e) => e.topic === topic);
  expect(found, `print events with topic ${topic}`).toHaveLength(1);
  return found[0];
}

export function stxTransfers(events: TxEvent[]) {
  return events
    .filter((e) => e.event === "stx_transfer_event")
    .map((e) => ({ sender: e.data.sender as string, recipient: e.data.recipient as string, amount: BigInt(e.data.amount) }));
}

// ---- accounts beyond the devnet wallets --------------------------------------------------

/** A fresh simnet address (deterministic per label; a throwaway key), funded by the
 *  deployer with `amount`. */
export function freshAccount(label: string, amount: bigint): string {
  const privateKey = `${hex(sha256(new TextEncoder().encode(`dts-account-${label}`))).slice(2)}01`;
  const address = privateKeyToAddress(privateKey, "devnet");
  if (amount > 0n) simnet.transferSTX(amount, address, deployer);
  expect(stxBalance(address)).toBe(amount);
  return address;
}

// ---- blocks and common reads ------------------------------------------------------------

/** Mines empty blocks so that the next call runs at block `height`. */
export function nextCallAt(height: bigint) {
  const gap = Number(height) - simnet.blockHeight - 1;
  expect(gap).toBeGreaterThanOrEqual(0);
  if (gap > 0) simnet.mineEmptyBlocks(gap);
  expect(BigInt(simnet.blockHeight) + 1n).toBe(height);
}

/** "0x..." hex (as decode returns buffers) back to bytes. */
export const bytes = (hexString: string) => Uint8Array.from(Buffer.from(hexString.slice(2), "hex"));

export const rewardsOf = (who: string) => decode(read("get-rewards", [Cl.principal(who)])) as bigint;
export const treasury = () => decode(read("get-treasury")) as bigint;
export const watchtower = (who: string) => decode(read("get-watchtower", [Cl.principal(who)])) as Record<string, any> | null;

// ---- balances and accounting ------------------------------------------------------------

export function stxBalance(who: string): bigint {
  return simnet.getAssetsMap().get("STX")?.get(who) ?? 0n;
}

/** The contract's accounting read-only: its parts add up to its real STX balance. */
export function expectBalancedBooks() {
  const books = decode(read("get-accounting")) as Record<string, bigint>;
  const parts = books.stakes + books.unbonding + books.bonds + books["pending-fees"] + books.rewards + books.treasury;
  expect(books.total).toBe(parts);
  expect(books.balance).toBe(stxBalance(contractPrincipal));
  expect(books.total).toBe(books.balance);
  return books;
}

// ---- BLS12-381 keys (min-pk: public keys in G1, 48 bytes compressed) ---------------------

/** A real BLS secret and its 48-byte compressed G1 public key, deterministic per seed. */
export function blsKeyPair(seed: number | string) {
  const secret = bls12_381.utils.randomSecretKey(sha384(new TextEncoder().encode(`dts-test-key-${seed}`)));
  const publicKey = bls12_381.longSignatures.getPublicKey(secret).toBytes(true);
  return { secret, publicKey };
}

export const blsKey = (seed: number | string) => blsKeyPair(seed).publicKey;

/** Malformed keys that the contract must refuse. */
export const badKeys = {
  /** 47 bytes: the argument type admits shorter buffers. */
  short: () => blsKey("short").slice(0, 47),
  /** The compressed encoding of the point at infinity (flags 0xc0, all zero). */
  infinity: () => Uint8Array.from([0xc0, ...new Array(47).fill(0)]),
  /** A real key with the compression flag cleared. */
  uncompressedFlag: () => {
    const key = blsKey("uncompressed");
    key[0] &= 0x7f;
    return key;
  },
};

/** Malformed 96-byte G2 signatures. */
export const badSignatures = {
  short: () => new Uint8Array(95).fill(0xaa),
  infinity: () => Uint8Array.from([0xc0, ...new Array(95).fill(0)]),
  uncompressedFlag: () => Uint8Array.from([0x2a, ...new Array(95).fill(0x11)]),
};

// ---- setup -----------------------------------------------------------------------------

export const DEFAULTS = {
  minStake: 100_000_000n, // 100 STX
  requiredSigners: 3n,
  totalSigners: 5n,
  rotationPeriod: 144n,
  threshold: 3n,
};

export function initialize(overrides: Partial<typeof DEFAULTS> = {}, sender = deployer) {
  const p = { ...DEFAULTS, ...overrides };
  return call(
    "initialize",
    [Cl.uint(p.minStake), Cl.uint(p.requiredSigners), Cl.uint(p.totalSigners), Cl.uint(p.rotationPeriod), Cl.uint(p.threshold)],
    sender,
  );
}

/** Registers each signer with a distinct real BLS key; returns the keys by signer. */
export function registerSigners(who: string[]): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>();
  for (const signer of who) {
    const key = blsKey(signer);
    const { result } = call("register-signer", [Cl.buffer(key)], signer);
    expect(result).toBeOk(Cl.bool(true));
    keys.set(signer, key);
  }
  return keys;
}

export function signerInfo(who: string) {
  return decode(read("get-signer-info", [Cl.principal(who)])) as Record<string, any> | null;
}

export function config() {
  return decode(read("get-config")) as Record<string, any>;
}

export const errCode = (code: number) => Cl.error(Cl.uint(code));

// ---- threshold BLS for the signing suites ----------------------------------------------
// A compact, self-contained t-of-n toolkit so the contract suites drive real cryptography:
// Shamir shares of one group secret, partials sigma_i = s_i * H(m), Lagrange combination.

export const POP_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
const Fr = bls12_381.fields.Fr;
const G1 = bls12_381.G1.Point;
const G2 = bls12_381.G2.Point;

export interface ThresholdKeys {
  t: number;
  n: number;
  groupKey: Uint8Array;
  shares: bigint[]; // shares[i-1] belongs to the member at position i
  shareKeys: Uint8Array[];
}

/** Shamir shares of a random group secret (degree t-1), deterministic per seed. */
export function thresholdKeys(t: number, n: number, seed: string | number = "group"): ThresholdKeys {
  const coeffs = Array.from({ length: t }, (_, k) =>
    Fr.create(BigInt(hex(sha256(new TextEncoder().encode(`dts-poly-${seed}-${k}`))))),
  );
  const evalAt = (x: bigint) => coeffs.reduceRight((acc, c) => Fr.add(Fr.mul(acc, x), c), 0n);
  const shares = Array.from({ length: n }, (_, i) => evalAt(BigInt(i + 1)));
  return {
    t,
    n,
    groupKey: G1.BASE.multiply(coeffs[0]).toBytes(true),
    shares,
    shareKeys: shares.map((s) => G1.BASE.multiply(s).toBytes(true)),
  };
}

export const hashToG2 = (messageHash: Uint8Array) => bls12_381.longSignatures.hash(messageHash, POP_DST);

/** sigma_i = s_i * H(m), 96 bytes compressed. */
export function partialSign(share: bigint, messageHash: Uint8Array): Uint8Array {
  return hashToG2(messageHash).multiply(share).toBytes(true);
}

/** Lagrange combination at zero of partials given by 1-based share index. */
export function combine(partials: { index: number; signature: Uint8Array }[]): Uint8Array {
  const xs = partials.map((p) => BigInt(p.index));
  let sum = G2.ZERO;
  for (const p of partials) {
    const xi = BigInt(p.index);
    let num = 1n;
    let den = 1n;
    for (const xj of xs) {
      if (xj === xi) continue;
      num = Fr.mul(num, xj);
      den = Fr.mul(den, Fr.sub(xj, xi));
    }
    sum = sum.add(G2.fromBytes(p.signature).multiply(Fr.div(num, den)));
  }
  return sum.toBytes(true);
}

/** Standard verification: bytes that do not decode to a G2 point are simply not a valid
 *  signature (false, as blst's BAD_ENCODING), rather than an exception. */
export function verifyBls(publicKey: Uint8Array, messageHash: Uint8Array, signature: Uint8Array): boolean {
  let point: ReturnType<typeof G2.fromBytes>;
  try {
    point = G2.fromBytes(signature);
  } catch {
    return false;
  }
  return bls12_381.longSignatures.verify(point, hashToG2(messageHash), publicKey);
}

/** 96 junk bytes whose first byte carries valid flags (0x80 compressed + random low bits, the
 *  infinity bit clear): the contract accepts the shape, no BLS verifier accepts the bytes. */
export function junkSignature(seed: string): Uint8Array {
  const half = (part: number) => sha384(new TextEncoder().encode(`dts-junk-${seed}-${part}`));
  const junk = Uint8Array.from([...half(1), ...half(2)]);
  junk[0] = 0x80 | (junk[0] & 0x3f);
  return junk;
}

export const messageHashOf = (text: string) => sha256(new TextEncoder().encode(text));

/** Initializes for `keys` (t, n; required-signers = t unless overridden), registers `signers`,
 *  forms epoch 1 and has its first t members vote `keys` in. Returns the committee in share
 *  order: committee[i - 1] holds keys.shares[i - 1]. */
// ---- rotation ---------------------------------------------------------------------------

/** The one committee rotate-signers accepts now, computed from the contract's public state. */
export function proposal(): string[] {
  const networkState = decode(read("get-network-state")) as Record<string, any>;
  const current = networkState["current-epoch"] as bigint;
  const serving = current === 0n ? [] : (decode(read("get-epoch", [Cl.uint(current)])) as { committee: string[] }).committee;
  return proposeCommittee(rotationInputsFrom({ ranking: decode(read("get-ranking")) as Record<string, unknown>[], config: config(), networkState, serving }));
}

export const committeeArg = (members: string[]) => Cl.list(members.map((m) => Cl.principal(m)));

/** rotate-signers with the committee the contract accepts (see proposal()). */
export function rotate(sender: string) {
  return call("rotate-signers", [committeeArg(proposal())], sender);
}

export function activeEpoch(signers: string[], keys: ThresholdKeys, overrides: Partial<typeof DEFAULTS> = {}): string[] {
  const n = BigInt(keys.n);
  expect(initialize({ totalSigners: n, threshold: BigInt(keys.t), requiredSigners: BigInt(keys.t), ...overrides }).result).toBeOk(Cl.bool(true));
  registerSigners(signers);
  expect(rotate(signers[0]).result).toBeOk(Cl.uint(1));
  const committee = (decode(read("get-epoch", [Cl.uint(1)])) as { committee: string[] }).committee;
  expect(committee).toHaveLength(keys.n);
  const vote = [Cl.uint(1), Cl.buffer(keys.groupKey), Cl.list(keys.shareKeys.map((k) => Cl.buffer(k)))];
  committee.slice(0, keys.t).forEach((member, i) => expect(call("submit-epoch-key", vote, member).result).toBeOk(Cl.bool(i === keys.t - 1)));
  expect(read("get-current-epoch")).toBeUint(1);
  return committee;
}

// ---- clocks (issue 8) -------------------------------------------------------------------
// Long durations (unbonding, rotation, claim windows, report intervals) count Bitcoin blocks
// (burn-block-height); the signing timeout counts Stacks blocks. On simnet every call runs in
// a new Stacks block at the same burn height; mineEmptyStacksBlocks(n) advances only
// stacks-block-height, mineEmptyBurnBlocks(n) (and mineEmptyBlocks(n)) advance both by n.
// stacks-now / burn-now are the heights less the blocks spent paused (frozen while paused).

export function clock() {
  return decode(read("get-clock")) as { "stacks-now": bigint; "burn-now": bigint; paused: boolean; "paused-blocks": { stacks: bigint; burn: bigint } };
}
export const burnNow = () => clock()["burn-now"];
export const stacksNow = () => clock()["stacks-now"];

/** Mines `n` Bitcoin blocks (each with one Stacks block). */
export function mineBurnBlocks(n: number | bigint) {
  const before = simnet.burnBlockHeight;
  if (Number(n) > 0) simnet.mineEmptyBurnBlocks(Number(n));
  expect(simnet.burnBlockHeight).toBe(before + Number(n));
}

/** Mines `n` Stacks blocks only: the burn height stays. */
export function mineStacksBlocks(n: number | bigint) {
  const burn = simnet.burnBlockHeight;
  if (Number(n) > 0) simnet.mineEmptyStacksBlocks(Number(n));
  expect(simnet.burnBlockHeight).toBe(burn);
}

/** Mines Bitcoin blocks so that the next call runs at burn-block-height `height`. */
export function nextCallAtBurn(height: bigint) {
  const gap = Number(height) - simnet.burnBlockHeight;
  expect(gap).toBeGreaterThanOrEqual(0);
  mineBurnBlocks(gap);
  expect(BigInt(simnet.burnBlockHeight)).toBe(height);
}

/** Mines Stacks blocks only so that the next call runs at stacks-block-height `height`. */
export function nextCallAtStacks(height: bigint) {
  const gap = Number(height) - simnet.blockHeight - 1;
  expect(gap).toBeGreaterThanOrEqual(0);
  mineStacksBlocks(gap);
  expect(BigInt(simnet.blockHeight) + 1n).toBe(height);
}

/** Mines Bitcoin blocks until burn-now (unpaused) is `target`. */
export function mineBurnNowTo(target: bigint) {
  const gap = target - burnNow();
  expect(gap).toBeGreaterThanOrEqual(0n);
  mineBurnBlocks(gap);
  expect(burnNow()).toBe(target);
}

/** Mines Bitcoin blocks until burn-now is at least `target` (nothing if it already is). */
export function mineBurnNowAtLeast(target: bigint) {
  if (burnNow() < target) mineBurnNowTo(target);
}

/** Mines Bitcoin blocks to the first block of the next report interval (a member is
 *  liveness-penalized at most once per interval). */
export function mineToNextInterval() {
  const interval = decode(read("get-current-interval")) as bigint;
  const length = (decode(read("get-config")) as Record<string, bigint>)["report-interval"];
  mineBurnNowTo((interval + 1n) * length);
}

// ---- watchtowers ------------------------------------------------------------------------

/** Registers each account as a watchtower (the bond locked); returns them. */
export function registerWatchtowers(who: string[]): string[] {
  for (const tower of who) expect(call("register-watchtower", [], tower).result).toBeOk(Cl.bool(true));
  return who;
}

/** `count` fresh accounts (1000 STX each) registered as watchtowers. */
export function freshWatchtowers(count: number, label = "tower"): string[] {
  return registerWatchtowers(Array.from({ length: count }, (_, i) => freshAccount(`${label}-${i}`, 1_000_000_000n)));
}

export const supermajority = () => decode(read("get-watchtower-supermajority")) as bigint;
export const activeWatchtowers = () => (decode(read("get-network-state")) as Record<string, any>)["active-watchtowers"] as bigint;

/** Each of `towers` claims the partial of `signer` invalid; the last claim must confirm. */
export function confirmInvalidPartial(towers: string[], messageHash: Uint8Array, signer: string) {
  let last: ReturnType<typeof call> | undefined;
  towers.forEach((tower, i) => {
    last = call("report-invalid-signature", [Cl.buffer(messageHash), Cl.principal(signer)], tower);
    expect(last.result).toBeOk(Cl.bool(i === towers.length - 1));
  });
  return last!;
}

/** Each of `towers` reports the same measurement (update-metrics) about `signer` in the
 *  current interval; returns the results (the last one applies it once they are a
 *  supermajority). */
export function reportMetrics(towers: string[], signer: string, speed: number | bigint, uptime: number | bigint, accuracy: number | bigint) {
  return towers.map((tower) =>
    call("update-metrics", [Cl.principal(signer), Cl.uint(speed), Cl.uint(uptime), Cl.uint(accuracy)], tower),
  );
}

// ---- fees -------------------------------------------------------------------------------

/** Mines Bitcoin blocks past the request's settle-at and settles its fee; returns the call. */
export function settleFee(messageHash: Uint8Array, caller: string = deployer) {
  const request = decode(read("get-request", [Cl.buffer(messageHash)])) as Record<string, any>;
  const settleAt = request["settle-at"] as bigint;
  if (burnNow() <= settleAt) mineBurnNowTo(settleAt + 1n);
  const res = call("settle-fee", [Cl.buffer(messageHash)], caller);
  expect(res.result.type).toBe("ok");
  return res;
}

/** `towers` (a supermajority) report the same measurement of `signer` through update-metrics,
 *  in a fresh interval if the first of them already reported on it in this one. Every report
 *  but the last leaves the reputation as it was; returns the last call, which applies it. */
export function agreeMetrics(towers: string[], signer: string, speed: number | bigint, uptime: number | bigint, accuracy: number | bigint) {
  const reportInterval = config()["report-interval"] as bigint;
  const interval = decode(read("get-current-interval")) as bigint;
  const reported = read("get-watchtower-report", [Cl.principal(towers[0]), Cl.principal(signer), Cl.uint(interval)]);
  if (reported.type !== "none") mineBurnBlocks(reportInterval - (burnNow() % reportInterval));
  const current = (decode(read("get-reputation", [Cl.principal(signer)])) as { ok: bigint }).ok;
  const results = reportMetrics(towers, signer, speed, uptime, accuracy);
  results.slice(0, -1).forEach((r) => expect(r.result).toBeOk(Cl.uint(current)));
  return results[results.length - 1];
}
