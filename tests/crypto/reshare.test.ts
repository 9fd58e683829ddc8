import { beforeAll, describe, expect, it } from "vitest";
import {
  DkgError,
  DkgFailedError,
  DkgPhase,
  type LocalDkgMessage,
  type LocalDkgResult,
  ReshareParticipant,
  combinePartials,
  generateIdentity,
  interpolateAtZero,
  messageHash,
  partialSign,
  publicKeyOf,
  randomPolynomial,
  runLocalDkg,
  runLocalReshare,
  verify,
} from "../../src/crypto/index.js";
import { craftDeal, pointOf, seededRandom, subsets } from "./helpers.js";

const random = seededRandom("reshare");
const mh = messageHash("reshare test message");
let old: LocalDkgResult;
let oldSecret: bigint;
let oldSignature: Uint8Array;

beforeAll(() => {
  old = runLocalDkg({ n: 5, t: 3, epoch: 1, random });
  oldSecret = interpolateAtZero(old.shares.slice(0, 3));
  oldSignature = combinePartials(old.shares.slice(0, 3).map((s) => partialSign(s, mh)));
});

/** The new shares are a fresh t-of-n sharing of the same secret, and any t of them sign. */
function expectSameKey(next: LocalDkgResult, t: number, n: number) {
  expect(next.groupKey).toEqual(old.groupKey);
  expect(next.threshold).toBe(t);
  expect(next.shares.map((s) => s.index)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  for (const s of next.shares) expect(next.shareKeys[s.index - 1]).toEqual(publicKeyOf(s.value));
  for (const set of subsets(next.shares, t)) expect(interpolateAtZero(set)).toBe(oldSecret);
  if (t > 1) expect(interpolateAtZero(next.shares.slice(0, t - 1))).not.toBe(oldSecret);
  const sig = combinePartials(next.shares.slice(n - t).map((s) => partialSign(s, mh)));
  expect(sig).toEqual(oldSignature); // BLS is deterministic: same key, same message, same signature
  expect(verify(old.groupKey, mh, sig)).toBe(true);
}

describe("resharing", () => {
  it("(3,5) to (4,7) keeps the group key; the new shares sign", () => {
    const next = runLocalReshare({ previous: old, n: 7, t: 4, random });
    expect(next.epoch).toBe(2);
    expect(next.qualified).toEqual([1, 2, 3, 4, 5]);
    expectSameKey(next, 4, 7);
    expect(next.shareKeys).not.toContainEqual(old.shareKeys[0]);
  });

  it("(3,5) to (2,3) keeps the group key; the new shares sign", () => {
    const next = runLocalReshare({ previous: old, n: 3, t: 2, random });
    expect(next.qualified).toEqual([1, 2, 3, 4, 5]);
    expectSameKey(next, 2, 3);
  });

  it("works with only t old members dealing", () => {
    const next = runLocalReshare({ previous: { ...old, shares: [old.shares[1]!, old.shares[3]!, old.shares[4]!] }, n: 4, t: 3, random });
    expect(next.qualified).toEqual([2, 4, 5]);
    expect(next.disqualified.map((d) => d.reason)).toEqual(["posted no deal", "posted no deal"]);
    expectSameKey(next, 3, 4);
  });

  it("can be repeated: epoch 2 reshared again to epoch 3", () => {
    const e2 = runLocalReshare({ previous: old, n: 4, t: 3, random });
    const e3 = runLocalReshare({ previous: e2, n: 5, t: 3, random });
    expect(e3.epoch).toBe(3);
    expectSameKey(e3, 3, 5);
  });

  it("disqualifies a dealer whose constant commitment is not its old share key", () => {
    const identities = Array.from({ length: 4 }, () => generateIdentity(random));
    const fake = craftDeal({ epoch: 2, dealer: 2, poly: randomPolynomial(3, undefined, random), identityKeys: identities.map((i) => i.publicKey), random });
    const intercept = (m: LocalDkgMessage) => (m.phase === DkgPhase.Deal && m.from === 2 ? fake : m.frames);
    const next = runLocalReshare({ previous: old, n: 4, t: 3, identities, random, intercept });
    expect(next.disqualified).toEqual([{ dealer: 2, reason: "constant commitment is not the dealer's share key of the previous epoch" }]);
    expect(next.qualified).toEqual([1, 3, 4, 5]);
    expectSameKey(next, 3, 4);
  });

  it("fails when fewer than the old threshold of dealers qualify", () => {
    expect(() => runLocalReshare({ previous: { ...old, shares: old.shares.slice(0, 2) }, n: 3, t: 2, random })).toThrow(DkgFailedError);
  });

  it("refuses a dealer share that does not match its old share key, and inconsistent old keys", () => {
    const identityKeys = [generateIdentity(random).publicKey];
    const previous = { threshold: 3, groupKey: old.groupKey, shareKeys: old.shareKeys };
    expect(() => new ReshareParticipant({ epoch: 2, threshold: 1, identityKeys, previous, dealer: { index: 1, value: old.shares[1]!.value } })).toThrow(
      "this node's previous share does not match share key 1 of the previous epoch",
    );
    // Share keys of another DKG: every dealer passes its own check, but the key does not come out.
    const other = runLocalDkg({ n: 3, t: 2, random });
    expect(() =>
      runLocalReshare({ previous: { ...other, groupKey: old.groupKey, epoch: 1 }, n: 2, t: 2, random }),
    ).toThrow(DkgError);
  });
});

it("the old group secret is never assembled: the test recovers it only from t shares", () => {
  expect(pointOf(oldSecret)).toEqual(old.groupKey);
});
