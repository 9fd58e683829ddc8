import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  CURVE_ORDER,
  InvalidArgumentError,
  evaluatePolynomial,
  feldmanCommitments,
  interpolateAtZero,
  lagrangeAtZero,
  publicKeyOf,
  randomPolynomial,
  shareKeyFromCommitments,
  splitSecret,
  verifyShare,
} from "../../src/crypto/index.js";
import { seededRandom, subsets } from "./helpers.js";

const scalar = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n });
/** (t, n, a set of t distinct indexes in 1..n, a polynomial of degree t-1). */
const sharing = fc
  .integer({ min: 1, max: 12 })
  .chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: t, max: 20 })))
  .chain(([t, n]) =>
    fc.record({
      t: fc.constant(t),
      n: fc.constant(n),
      indexes: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i + 1),
        { minLength: t, maxLength: t },
      ),
      poly: fc.array(scalar, { minLength: t, maxLength: t }),
    }),
  );

describe("Lagrange interpolation at zero", () => {
  it("any t shares of a degree t-1 polynomial give back f(0)", () => {
    fc.assert(
      fc.property(sharing, ({ indexes, poly }) => {
        const shares = indexes.map((i) => ({ index: i, value: evaluatePolynomial(poly, i) }));
        expect(interpolateAtZero(shares)).toBe(poly[0]);
      }),
      { numRuns: 200 },
    );
  });

  it("coefficients sum to 1 (they interpolate the constant polynomial 1)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 40 }), (indexes) => {
        expect(lagrangeAtZero(indexes).reduce((a, b) => (a + b) % CURVE_ORDER, 0n)).toBe(1n);
      }),
      { numRuns: 200 },
    );
  });

  it("t-1 shares do not determine f(0)", () => {
    fc.assert(
      fc.property(sharing, ({ t, indexes, poly }) => {
        fc.pre(t >= 2);
        const shares = indexes.slice(0, t - 1).map((i) => ({ index: i, value: evaluatePolynomial(poly, i) }));
        expect(interpolateAtZero(shares)).not.toBe(poly[0]);
      }),
      { numRuns: 100 },
    );
  });

  it("has the textbook values for {1, 2, 3}", () => {
    // λ1 = 3, λ2 = -3, λ3 = 1.
    expect(lagrangeAtZero([1, 2, 3])).toEqual([3n, CURVE_ORDER - 3n, 1n]);
    expect(lagrangeAtZero([2])).toEqual([1n]);
  });

  it("rejects index 0 and duplicate indexes", () => {
    expect(() => lagrangeAtZero([0, 1])).toThrow(/1-based/);
    expect(() => lagrangeAtZero([1, 2, 1])).toThrow(/share index 1 appears twice/);
    expect(() => interpolateAtZero([])).toThrow(InvalidArgumentError);
  });
});

describe("Feldman commitments", () => {
  const random = seededRandom("feldman");
  const secret = 123456789n;
  const { shares, commitments } = splitSecret(secret, 3, 5, random);

  it("commit to the secret and verify every share", () => {
    expect(commitments).toHaveLength(3);
    expect(commitments[0]).toEqual(publicKeyOf(secret));
    for (const s of shares) expect(verifyShare(s, commitments)).toBe(true);
    for (const set of subsets(shares, 3)) expect(interpolateAtZero(set)).toBe(secret);
  });

  it("reject a wrong share, a share for another index and wrong commitments", () => {
    const s = shares[1]!;
    expect(verifyShare({ index: s.index, value: (s.value + 1n) % CURVE_ORDER }, commitments)).toBe(false);
    expect(verifyShare({ index: 3, value: s.value }, commitments)).toBe(false);
    expect(verifyShare(s, commitments.slice(0, 2))).toBe(false);
    const garbage = commitments.map((c) => c.slice());
    garbage[1]![0] = 0x00; // compressed flag cleared: not a valid point
    expect(verifyShare(s, garbage)).toBe(false);
  });

  it("derive the share keys pk_i = s_i·G1", () => {
    for (const s of shares) expect(shareKeyFromCommitments(commitments, s.index)).toEqual(publicKeyOf(s.value));
  });

  it("hold for random polynomials", () => {
    fc.assert(
      fc.property(fc.array(scalar, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 255 }), (poly, i) => {
        const c = feldmanCommitments(poly);
        const share = { index: i, value: evaluatePolynomial(poly, i) };
        expect(verifyShare(share, c)).toBe(true);
        expect(shareKeyFromCommitments(c, i)).toEqual(publicKeyOf(share.value));
      }),
      { numRuns: 15 },
    );
  });

  it("random polynomials have t non-zero coefficients and the given constant", () => {
    const p = randomPolynomial(4, 7n, random);
    expect(p).toHaveLength(4);
    expect(p[0]).toBe(7n);
    expect(p.every((a) => a > 0n && a < CURVE_ORDER)).toBe(true);
    expect(() => randomPolynomial(0)).toThrow(/threshold must be an integer >= 1/);
    expect(() => splitSecret(1n, 4, 3)).toThrow(/threshold 4 exceeds the committee size 3/);
  });
});
