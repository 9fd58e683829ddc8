import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  InconsistentKeysError,
  InsufficientValidPartialsError,
  InvalidArgumentError,
  type LocalDkgResult,
  type PartialSignature,
  ThresholdNotMetError,
  combinePartials,
  decodeG2,
  encodeG2,
  generateIdentity,
  interpolateAtZero,
  messageHash,
  partialSign,
  robustCombine,
  runLocalDkg,
  sign,
  verify,
  verifyPartial,
  verifyPartials,
} from "../../src/crypto/index.js";
import { seededRandom, subsets, torsionG2 } from "./helpers.js";

const random = seededRandom("threshold");
const n = 7;
const t = 4;
const mh = messageHash("threshold test message");
let dkg: LocalDkgResult;
let partials: PartialSignature[];
let expected: Uint8Array;

beforeAll(() => {
  dkg = runLocalDkg({ n, t, random });
  partials = dkg.shares.map((s) => partialSign(s, mh));
  // Only a test may rebuild the group secret: the signature every combination must equal.
  expected = sign(interpolateAtZero(dkg.shares.slice(0, t)), mh);
});

/** Ways a partial can be bad. */
const corruptions: Record<string, (p: PartialSignature) => PartialSignature> = {
  "wrong key": (p) => ({ ...p, signature: sign(generateIdentity(random).secretKey, mh) }),
  "other message": (p) => ({ ...p, signature: partialSign(dkg.shares[p.index - 1]!, messageHash("other")).signature }),
  "another member's partial": (p) => ({ ...p, signature: partials[p.index % n]!.signature }),
  "infinity": (p) => ({ ...p, signature: Uint8Array.of(0xc0, ...new Uint8Array(95)) }),
  "garbage": (p) => ({ ...p, signature: new Uint8Array(96).fill(0x9a) }),
  "outside G2": (p) => ({ ...p, signature: encodeG2(decodeG2(p.signature).add(torsionG2())) }),
};

describe("partial signatures", () => {
  it("verify against their own share key only", () => {
    for (const p of partials) {
      expect(verifyPartial(dkg.shareKeys[p.index - 1]!, mh, p)).toBe(true);
      expect(verifyPartial(dkg.shareKeys[p.index % n]!, mh, p)).toBe(false);
      expect(verifyPartial(dkg.shareKeys[p.index - 1]!, messageHash("other"), p)).toBe(false);
    }
    expect(verifyPartials(mh, partials, dkg.shareKeys)).toEqual(partials.map(() => true));
  });

  it("verifyPartials judges each partial on its own", () => {
    const mixed = partials.map((p, i) => (i === 1 ? corruptions["wrong key"]!(p) : i === 5 ? corruptions["garbage"]!(p) : p));
    expect(verifyPartials(mh, mixed, dkg.shareKeys)).toEqual([true, false, true, true, true, false, true]);
  });
});

describe("combination", () => {
  it("any t of n partials combine to the same signature, which verifies under the group key", () => {
    for (const set of subsets(partials, t)) expect(combinePartials(set)).toEqual(expected);
    expect(verify(dkg.groupKey, mh, expected)).toBe(true);
  });

  it("order does not matter, and more than t valid partials give the same signature (property)", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(partials, { minLength: t, maxLength: n }), (set) => {
        expect(combinePartials(set)).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });

  it("t-1 partials never verify", () => {
    for (const set of subsets(partials, t - 1)) {
      const sig = combinePartials(set);
      expect(sig).not.toEqual(expected);
      expect(verify(dkg.groupKey, mh, sig)).toBe(false);
    }
  });

  it("rejects duplicate indexes, empty input and malformed partials", () => {
    expect(() => combinePartials([partials[0]!, partials[0]!])).toThrow("two partial signatures from share index 1");
    expect(() => combinePartials([])).toThrow(InvalidArgumentError);
    expect(() => combinePartials([partials[0]!, corruptions["garbage"]!(partials[1]!)])).toThrow(/partial signature of share 2/);
  });
});

describe("robustCombine", () => {
  const input = (ps: PartialSignature[]) => ({ messageHash: mh, partials: ps, threshold: t, groupKey: dkg.groupKey, shareKeys: dkg.shareKeys });

  it("honest case: combines the first t partials, verifies once, leaves the rest unchecked", () => {
    const r = robustCombine(input(partials));
    expect(r).toEqual({ signature: expected, signers: [1, 2, 3, 4], invalid: [], unchecked: [5, 6, 7] });
  });

  it("finds exactly the bad partials, up to n-t of them, whatever kind and position (property)", () => {
    const kinds = Object.keys(corruptions);
    fc.assert(
      fc.property(
        fc.shuffledSubarray([1, 2, 3, 4, 5, 6, 7], { minLength: n, maxLength: n }),
        fc.uniqueArray(fc.integer({ min: 1, max: n }), { minLength: 1, maxLength: n - t }),
        fc.array(fc.constantFrom(...kinds), { minLength: n - t, maxLength: n - t }),
        (order, bad, kind) => {
          // At least one bad partial among the first t, else the honest case rightly succeeds.
          fc.pre(bad.some((i) => order.indexOf(i) < t));
          const ps = order.map((i) => partials[i - 1]!).map((p) => (bad.includes(p.index) ? corruptions[kind[bad.indexOf(p.index)]!]!(p) : p));
          const r = robustCombine(input(ps));
          expect(r.invalid).toEqual([...bad].sort((a, b) => a - b));
          expect(r.signature).toEqual(expected);
          expect(r.signers).toEqual(order.filter((i) => !bad.includes(i)).slice(0, t));
          expect(r.unchecked).toEqual([]);
        },
      ),
      { numRuns: 6, seed: 3 },
    );
  });

  it("every kind of bad partial is caught", () => {
    for (const [kind, corrupt] of Object.entries(corruptions)) {
      const r = robustCombine(input([corrupt(partials[2]!), ...partials.filter((_, i) => i !== 2)]));
      expect({ kind, invalid: r.invalid, ok: r.signature }).toEqual({ kind, invalid: [3], ok: expected });
    }
  });

  it("bad partials after the first t are not looked at in the honest case", () => {
    const ps = partials.map((p, i) => (i >= t ? corruptions["wrong key"]!(p) : p));
    expect(robustCombine(input(ps))).toEqual({ signature: expected, signers: [1, 2, 3, 4], invalid: [], unchecked: [5, 6, 7] });
  });

  it("reports the bad indexes when fewer than t valid partials remain", () => {
    const ps = partials.map((p) => ([2, 4, 6, 7].includes(p.index) ? corruptions["other message"]!(p) : p));
    let error: unknown;
    try {
      robustCombine(input(ps));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InsufficientValidPartialsError);
    expect((error as InsufficientValidPartialsError).bad).toEqual([2, 4, 6, 7]);
    expect((error as Error).message).toBe(
      "only 3 valid partial signatures, need 4; invalid partials from share indexes [2, 4, 6, 7]: wait for more signers (and report the invalid ones)",
    );
  });

  it("refuses fewer than t partials, duplicates and unknown indexes", () => {
    expect(() => robustCombine(input(partials.slice(0, 3)))).toThrow(ThresholdNotMetError);
    expect(() => robustCombine(input(partials.slice(0, 3)))).toThrow("need 4 partial signatures to combine, got 3: wait for more signers");
    expect(() => robustCombine(input([...partials, partials[0]!]))).toThrow("two partial signatures from share index 1");
    expect(() => robustCombine(input([...partials.slice(0, 4), { index: 8, signature: partials[0]!.signature }]))).toThrow(
      "partial from share index 8, but the committee has 7 members",
    );
  });

  it("says so when the share keys do not belong to the group key", () => {
    const other = generateIdentity(random).publicKey;
    expect(() => robustCombine({ ...input(partials), groupKey: other })).toThrow(InconsistentKeysError);
  });
});
