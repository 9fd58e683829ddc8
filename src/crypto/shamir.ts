/**
 * Shamir secret sharing over the BLS12-381 scalar field with Feldman commitments.
 *
 * A polynomial of degree t-1 is the list of its t coefficients a_0..a_{t-1}; a_0 is the secret.
 * Share index i is 1-based (the member's position in the committee); share i is f(i).
 * Feldman commitments are C_k = a_k·G1; share key pk_i = s_i·G1 = Σ_k C_k·i^k.
 * @module
 */
import {
  type G1Point,
  type RandomSource,
  Fr,
  assertScalar,
  decodeG1,
  defaultRandom,
  encodeG1,
  mulBaseG1,
  randomScalar,
} from "./curve.js";
import { EncodingError, InvalidArgumentError } from "./errors.js";

/** One member's share of a secret: f(index). */
export interface SecretShare {
  /** 1-based position in the committee. */
  index: number;
  /** f(index), a scalar in [0, r). */
  value: bigint;
}

export function assertIndex(index: number, what = "share index"): void {
  if (!Number.isSafeInteger(index) || index < 1)
    throw new InvalidArgumentError(`${what} must be an integer >= 1 (indexes are 1-based), got ${index}`);
}

export function assertThreshold(threshold: number, n?: number): void {
  if (!Number.isSafeInteger(threshold) || threshold < 1)
    throw new InvalidArgumentError(`threshold must be an integer >= 1, got ${threshold}`);
  if (n !== undefined && threshold > n)
    throw new InvalidArgumentError(`threshold ${threshold} exceeds the committee size ${n}`);
}

function assertDistinct(indexes: number[]): void {
  const seen = new Set<number>();
  for (const i of indexes) {
    assertIndex(i);
    if (seen.has(i)) throw new InvalidArgumentError(`share index ${i} appears twice`);
    seen.add(i);
  }
}

/** A random polynomial of degree threshold-1; its constant term is `secret` if given. */
export function randomPolynomial(threshold: number, secret?: bigint, random: RandomSource = defaultRandom): bigint[] {
  assertThreshold(threshold);
  if (secret !== undefined) assertScalar(secret, "secret", true);
  const poly = Array.from({ length: threshold }, () => randomScalar(random));
  if (secret !== undefined) poly[0] = secret;
  return poly;
}

/** f(x) mod r by Horner's rule. */
export function evaluatePolynomial(poly: readonly bigint[], x: number | bigint): bigint {
  const xv = Fr.create(BigInt(x));
  let acc = 0n;
  for (let k = poly.length - 1; k >= 0; k--) acc = Fr.add(Fr.mul(acc, xv), poly[k]!);
  return acc;
}

/** Feldman commitment points a_k·G1. */
export function commitmentPoints(poly: readonly bigint[]): G1Point[] {
  return poly.map((a) => mulBaseG1(a));
}

/**
 * Σ_k C_k·x^k, by Horner with small multipliers (x is a share index, so each step is a few
 * doublings rather than a full scalar multiplication). x = 0 gives C_0.
 */
export function evaluateCommitments(commitments: readonly G1Point[], x: number): G1Point {
  if (commitments.length === 0) throw new InvalidArgumentError("no commitments");
  const xv = BigInt(x);
  let acc = commitments[commitments.length - 1]!;
  for (let k = commitments.length - 2; k >= 0; k--) acc = acc.multiplyUnsafe(xv).add(commitments[k]!);
  return acc;
}

/** The 48-byte commitments of a polynomial (a zero coefficient cannot be encoded and throws). */
export function feldmanCommitments(poly: readonly bigint[]): Uint8Array[] {
  return commitmentPoints(poly).map(encodeG1);
}

/** Does share.value·G1 equal Σ_k C_k·index^k? Malformed commitments verify as false. */
export function verifyShare(share: SecretShare, commitments: readonly Uint8Array[]): boolean {
  assertIndex(share.index);
  assertScalar(share.value, "share value", true);
  let points: G1Point[];
  try {
    points = commitments.map((c, k) => decodeG1(c, `commitment ${k}`));
  } catch (e) {
    if (e instanceof EncodingError) return false;
    throw e;
  }
  return mulBaseG1(share.value).equals(evaluateCommitments(points, share.index));
}

/** The share key pk_index = Σ_k C_k·index^k (48 bytes) derived from the commitments. */
export function shareKeyFromCommitments(commitments: readonly Uint8Array[], index: number): Uint8Array {
  assertIndex(index);
  const points = commitments.map((c, k) => decodeG1(c, `commitment ${k}`));
  return encodeG1(evaluateCommitments(points, index));
}

/**
 * Lagrange coefficients at zero for the given distinct indexes:
 * λ_i = Π_{j≠i} x_j / (x_j - x_i) mod r, in the order of `indexes`.
 */
export function lagrangeAtZero(indexes: readonly number[]): bigint[] {
  assertDistinct([...indexes]);
  const xs = indexes.map((i) => BigInt(i));
  const nums: bigint[] = [];
  const dens: bigint[] = [];
  for (let a = 0; a < xs.length; a++) {
    let num = 1n;
    let den = 1n;
    for (let b = 0; b < xs.length; b++) {
      if (a === b) continue;
      num = Fr.mul(num, xs[b]!);
      den = Fr.mul(den, Fr.create(xs[b]! - xs[a]!));
    }
    nums.push(num);
    dens.push(den);
  }
  const inv = Fr.invertBatch(dens);
  return nums.map((n, k) => Fr.mul(n, inv[k]!));
}

/** f(0) from at least t shares of a degree t-1 polynomial (the shared secret). */
export function interpolateAtZero(shares: readonly SecretShare[]): bigint {
  if (shares.length === 0) throw new InvalidArgumentError("no shares to interpolate");
  const lambdas = lagrangeAtZero(shares.map((s) => s.index));
  let acc = 0n;
  shares.forEach((s, k) => {
    assertScalar(s.value, "share value", true);
    acc = Fr.add(acc, Fr.mul(lambdas[k]!, s.value));
  });
  return acc;
}

/**
 * Trusted-dealer sharing of `secret` among n members with threshold t: shares for indexes
 * 1..n and the Feldman commitments. DTS itself uses the DKG (no dealer ever knows the group
 * secret); this is for tests, tools and key recovery drills.
 */
export function splitSecret(
  secret: bigint,
  threshold: number,
  n: number,
  random: RandomSource = defaultRandom,
): { shares: SecretShare[]; commitments: Uint8Array[] } {
  assertThreshold(threshold, n);
  assertScalar(secret, "secret");
  const poly = randomPolynomial(threshold, secret, random);
  const shares = Array.from({ length: n }, (_, k) => ({ index: k + 1, value: evaluatePolynomial(poly, k + 1) }));
  return { shares, commitments: feldmanCommitments(poly) };
}

