// Absent committee members (issue 9, finding 3): a member whose registered identity key is not
// a valid G1 point, or who posts no deal, is named absent and the DKG / reshare completes
// without it, with the same result for every participant.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as blst from "@chainsafe/blst";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  type DkgResult,
  type LocalDkgMessage,
  type LocalDkgResult,
  type SecretShare,
  DkgFailedError,
  DkgParticipant,
  DkgPhase,
  ReshareParticipant,
  SHARE_CIPHERTEXT_LENGTH,
  combinePartials,
  decodeDeal,
  decodeDkgFrame,
  encodeComplaint,
  encodeDeal,
  encodeDkgFrames,
  feldmanCommitments,
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
import { g1Bytes, g1X, pointOf, seededRandom, subsets } from "./helpers.js";

const random = seededRandom("absent");
const identities = Array.from({ length: 5 }, () => generateIdentity(random));
const mh = messageHash("signed without the absent members");

const blstVerify = (pk: Uint8Array, sig: Uint8Array) =>
  blst.verify(mh, blst.PublicKey.fromBytes(pk, true), blst.Signature.fromBytes(sig, true, true));

/** 0x9f followed by 47 bytes of 0xff: compressed flag and sort flag, x >= p (the example). */
const X_NOT_BELOW_P = Uint8Array.from([0x9f, ...new Array<number>(47).fill(0xff)]);

/** (0, 2): on the curve, of order 3, so outside G1. Compressed: x = 0, y = 2 is the smaller root. */
function orderThreePoint(): Uint8Array {
  const tau = bls12_381.G1.Point.fromAffine({ x: 0n, y: 2n });
  expect(tau.multiply(3n).is0()).toBe(true); // the point really has order 3
  return Uint8Array.from([0x80, ...new Array<number>(47).fill(0)]);
}

/** Every kind of invalid identity key, with the decoding error the DKG reports for member i. */
const BAD_KEYS: { name: string; key: () => Uint8Array; detail: (i: number) => string }[] = [
  { name: "x >= p (0x9f || 0xff x 47)", key: () => X_NOT_BELOW_P, detail: (i) => `identity key of member ${i} has an x coordinate that is not a field element (>= p)` },
  { name: "x with no curve point (x^3 + 4 is not a square)", key: () => g1Bytes(g1X(5n, false)), detail: (i) => `identity key of member ${i} is not a point on the curve (no y for this x)` },
  { name: "a point of order 3, on the curve outside G1", key: orderThreePoint, detail: (i) => `identity key of member ${i} is not in the prime-order subgroup G1` },
  { name: "a point on the curve outside G1 (cofactor component)", key: () => g1Bytes(g1X(5n, true)), detail: (i) => `identity key of member ${i} is not in the prime-order subgroup G1` },
  { name: "infinity", key: () => Uint8Array.from([0xc0, ...new Array<number>(47).fill(0)]), detail: (i) => `identity key of member ${i} is the point at infinity, which is never a valid identity key of member ${i}` },
  { name: "no compressed flag", key: () => identities[0]!.publicKey.map((b, k) => (k === 0 ? b & 0x7f : b)), detail: (i) => `identity key of member ${i} is not in compressed form (flag bit 0x80 of the first byte is clear)` },
];

/** The public part of a participant's result: what every participant must agree on. */
const publicView = (r: DkgResult) => ({
  groupKey: r.groupKey,
  shareKeys: r.shareKeys,
  qualified: r.qualified,
  disqualified: r.disqualified,
  absent: r.absent,
});

/** Every participant has the same public result, and each share holder's share matches its share key. */
function expectAgreement(r: LocalDkgResult, participants: number) {
  expect(r.results).toHaveLength(participants);
  for (const view of r.results) expect(publicView(view)).toEqual(publicView(r.results[0]!));
  expect(r.groupKey).toEqual(r.results[0]!.groupKey);
  expect(r.shareKeys).toHaveLength(r.results[0]!.shareKeys.length);
  for (const s of r.shares) expect(r.shareKeys[s.index - 1]).toEqual(publicKeyOf(s.value));
}

/** Every t-subset of the share holders signs under the group key; returns one signature. */
function expectSigning(r: LocalDkgResult, t: number, holders: number[]): Uint8Array {
  expect(r.shares.map((s) => s.index)).toEqual(holders);
  const partials = r.shares.map((s: SecretShare) => partialSign(s, mh));
  const signatures = subsets(partials, t).map((set) => combinePartials(set));
  for (const sig of signatures) expect(sig).toEqual(signatures[0]);
  expect(verify(r.groupKey, mh, signatures[0]!)).toBe(true);
  expect(pointOf(interpolateAtZero(r.shares.slice(0, t)))).toEqual(r.groupKey);
  return signatures[0]!;
}

function failureOf(run: () => unknown): DkgFailedError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DkgFailedError);
  return error as DkgFailedError;
}

describe("a fresh DKG with a member whose identity key is not a valid G1 point", () => {
  it("(3,5) with member 3 registered as 0x9f || 0xff x 47: completes without it, names it absent, t members sign", () => {
    const log: LocalDkgMessage[] = [];
    const r = runLocalDkg({
      n: 5,
      t: 3,
      identities,
      random,
      registeredKeys: new Map([[3, X_NOT_BELOW_P]]),
      intercept: (m) => (log.push(m), m.frames),
    });
    const detail = "identity key of member 3 has an x coordinate that is not a field element (>= p)";
    expect(r.absent).toEqual([{ index: 3, reason: "bad-identity-key", detail }]);
    expect(r.qualified).toEqual([1, 2, 4, 5]);
    expect(r.disqualified).toEqual([{ dealer: 3, reason: `absent: ${detail}` }]);
    expectAgreement(r, 5);
    // Member 3 followed as an observer: same keys, no share. Its share key exists all the same.
    expect(r.results[2]!.share).toBeUndefined();
    expect(r.shareKeys[2]).toHaveLength(48);
    expect(new Set(r.shareKeys.map((k) => k.join())).size).toBe(5);
    // Only the four valid members dealt; their slot for member 3 is the 48-byte zero placeholder.
    const deals = log.filter((m) => m.phase === DkgPhase.Deal);
    expect(deals.map((m) => m.from)).toEqual([1, 2, 4, 5]);
    for (const m of deals) {
      const deal = decodeDeal(decodeDkgFrame(m.frames[0]!).fragment);
      expect(deal.ciphertexts[2]).toEqual(new Uint8Array(SHARE_CIPHERTEXT_LENGTH));
      expect(deal.ciphertexts[1]).not.toEqual(new Uint8Array(SHARE_CIPHERTEXT_LENGTH));
    }
    expect(log.filter((m) => m.phase !== DkgPhase.Deal)).toEqual([]); // no complaints: every valid share verified
    const sig = expectSigning(r, 3, [1, 2, 4, 5]);
    expect(blstVerify(r.groupKey, sig)).toBe(true);
  });

  it.each(BAD_KEYS.slice(1).map((b, k) => ({ ...b, member: (k % 5) + 1 })))(
    "$name (member $member): absent, the others complete and sign",
    ({ key, detail, member }) => {
      const r = runLocalDkg({ n: 5, t: 3, identities, random, registeredKeys: new Map([[member, key()]]) });
      expect(r.absent).toEqual([{ index: member, reason: "bad-identity-key", detail: detail(member) }]);
      const holders = [1, 2, 3, 4, 5].filter((i) => i !== member);
      expect(r.qualified).toEqual(holders);
      expectAgreement(r, 5);
      expectSigning(r, 3, holders);
    },
  );

  it("every key this library calls invalid is refused by blst too", () => {
    for (const b of BAD_KEYS) expect(() => blst.PublicKey.fromBytes(b.key(), true), b.name).toThrow();
  });

  it("participant API: the absent member's deal and complaint are ignored; a junk placeholder is not a fault; all agree", () => {
    const identityKeys = identities.map((id, i) => (i === 3 ? X_NOT_BELOW_P : id.publicKey));
    const members = [1, 2, 3, 5].map(
      (index) => new DkgParticipant({ epoch: 4, threshold: 3, identityKeys, self: { index, identitySecret: identities[index - 1]!.secretKey }, random }),
    );
    const observer = new DkgParticipant({ epoch: 4, threshold: 3, identityKeys }); // member 4's own node, or anyone
    const all = [...members, observer];
    for (const p of all) expect(p.absent.map((a) => [a.index, a.reason])).toEqual([[4, "bad-identity-key"]]);

    const deals = members.map((m) => m.deal());
    // Dealer 1's placeholder for member 4 is changed to junk: nobody reads it, so no fault.
    const junk = deals[0]![0]!.slice();
    const slot4 = 9 + 2 + 48 + 3 * 48 + 3 * SHARE_CIPHERTEXT_LENGTH;
    junk.fill(0xab, slot4, slot4 + SHARE_CIPHERTEXT_LENGTH);
    deals[0] = [junk];
    // Member 4 posts a deal anyway (shares of its own polynomial, placeholders as ciphertexts).
    const poly = randomPolynomial(3, undefined, random);
    const forged = encodeDkgFrames(
      DkgPhase.Deal,
      4,
      4,
      encodeDeal({ ephemeralKey: publicKeyOf(7n), commitments: feldmanCommitments(poly), ciphertexts: identityKeys.map(() => new Uint8Array(48)) }),
    );
    const absentReason = "member 4 is absent: its identity key is invalid, so it holds no share and takes no part";
    for (const p of all) {
      [1, 2, 3, 5].forEach((from, k) => expect(p.receive(from, deals[k]![0]!)).toEqual({ status: "accepted" }));
      expect(p.receive(4, forged[0]!)).toEqual({ status: "ignored", reason: absentReason });
      // An early complaint from member 4 (it would make dealer 1 reveal member 4's share in public).
      expect(p.receive(4, encodeDkgFrames(DkgPhase.Complaint, 4, 4, encodeComplaint([1]))[0]!)).toEqual({ status: "ignored", reason: absentReason });
    }
    expect(all.map((p) => p.complain())).toEqual(all.map(() => []));
    expect(all.map((p) => p.justify())).toEqual(all.map(() => [])); // nobody has to reveal anything
    const results = all.map((p) => p.finish());
    for (const res of results) expect(publicView(res)).toEqual(publicView(results[0]!));
    expect(results[0]!.qualified).toEqual([1, 2, 3, 5]);
    expect(results[0]!.absent).toEqual([{ index: 4, reason: "bad-identity-key", detail: "identity key of member 4 has an x coordinate that is not a field element (>= p)" }]);
    expect(results[4]!.share).toBeUndefined();
    const shares = results.slice(0, 4).map((res) => res.share!);
    expect(shares.map((s) => s.index)).toEqual([1, 2, 3, 5]);
    for (const set of subsets(shares, 3)) expect(verify(results[0]!.groupKey, mh, combinePartials(set.map((s) => partialSign(s, mh))))).toBe(true);
  });
});

describe("a fresh DKG with a member that never deals", () => {
  it("names it absent (no-deal); it still receives its share; the others complete", () => {
    const r = runLocalDkg({ n: 5, t: 3, identities, random, silent: [2] });
    expect(r.absent).toEqual([{ index: 2, reason: "no-deal", detail: "posted no deal" }]);
    expect(r.qualified).toEqual([1, 3, 4, 5]);
    expect(r.disqualified).toEqual([{ dealer: 2, reason: "posted no deal" }]);
    expectAgreement(r, 5);
    expectSigning(r, 3, [1, 2, 3, 4, 5]);
  });

  it("with one invalid key and one silent member: t = 3 dealers remain, both named, the rest sign", () => {
    const r = runLocalDkg({ n: 5, t: 3, identities, random, registeredKeys: new Map([[5, X_NOT_BELOW_P]]), silent: [1] });
    expect(r.absent.map((a) => [a.index, a.reason])).toEqual([
      [1, "no-deal"],
      [5, "bad-identity-key"],
    ]);
    expect(r.qualified).toEqual([2, 3, 4]);
    expectAgreement(r, 5);
    const sig = expectSigning(r, 3, [1, 2, 3, 4]);
    expect(blstVerify(r.groupKey, sig)).toBe(true);
  });
});

describe("a DKG with too many absent members fails with a DkgFailedError that names them", () => {
  it("fewer than t dealers: two invalid keys and a silent member", () => {
    const registeredKeys = new Map([
      [2, X_NOT_BELOW_P],
      [4, orderThreePoint()],
    ]);
    const error = failureOf(() => runLocalDkg({ n: 5, t: 3, identities, random, registeredKeys, silent: [5] }));
    expect(error.message).toBe(
      "DKG for epoch 1 failed: 2 dealers qualified, at least 3 are needed; " +
        "absent: member 2 (invalid identity key), member 4 (invalid identity key), member 5 (posted no deal); run it again",
    );
    expect(error.absent.map((a) => [a.index, a.reason])).toEqual([
      [2, "bad-identity-key"],
      [4, "bad-identity-key"],
      [5, "no-deal"],
    ]);
    expect(error.disqualified.map((d) => d.dealer)).toEqual([2, 4, 5]);
  });

  it("fewer than t members can hold a share: the message says who must register a valid key", () => {
    const bad = BAD_KEYS[0]!.key();
    const registeredKeys = new Map([1, 3, 5].map((i) => [i, bad] as [number, Uint8Array]));
    const error = failureOf(() => runLocalDkg({ n: 5, t: 3, identities, random, registeredKeys }));
    expect(error.message).toBe(
      "DKG for epoch 1 failed: only 2 of 5 members have a valid identity key, threshold 3 needs 3 share holders; " +
        "absent: member 1 (invalid identity key), member 3 (invalid identity key), member 5 (invalid identity key); " +
        "the members with an invalid identity key must register a valid one (or be replaced) before it is run again",
    );
    expect(error.absent.map((a) => a.index)).toEqual([1, 3, 5]);
  });
});

describe("a reshare with absent members", () => {
  let old: LocalDkgResult;
  let oldSignature: Uint8Array;
  const next = Array.from({ length: 5 }, () => generateIdentity(random));

  beforeAll(() => {
    old = runLocalDkg({ n: 5, t: 3, epoch: 1, random });
    oldSignature = combinePartials(old.shares.slice(0, 3).map((s) => partialSign(s, mh)));
  });

  it("(3,5) -> (3,5), new member 4 with an invalid key, old member 2 silent: same group key, t new members sign", () => {
    const r = runLocalReshare({ previous: old, n: 5, t: 3, identities: next, random, registeredKeys: new Map([[4, X_NOT_BELOW_P]]), silent: [2] });
    expect(r.epoch).toBe(2);
    expect(r.groupKey).toEqual(old.groupKey);
    expect(r.absent).toEqual([
      { index: 2, reason: "no-deal", detail: "posted no deal" },
      { index: 4, reason: "bad-identity-key", detail: "identity key of new member 4 has an x coordinate that is not a field element (>= p)" },
    ]);
    expect(r.qualified).toEqual([1, 3, 4, 5]); // old indexes
    expect(r.disqualified).toEqual([{ dealer: 2, reason: "posted no deal" }]); // new member 4 is no dealer here
    expectAgreement(r, 10); // 5 old members (dealers), 5 new members
    const sig = expectSigning(r, 3, [1, 2, 3, 5]);
    expect(sig).toEqual(oldSignature); // same key, same message: the same BLS signature
    expect(blstVerify(r.groupKey, sig)).toBe(true);
  });

  it("fails when fewer than the old threshold of old members deal, naming old and new absentees", () => {
    const error = failureOf(() =>
      runLocalReshare({ previous: old, n: 5, t: 3, identities: next, random, registeredKeys: new Map([[1, X_NOT_BELOW_P]]), silent: [1, 4, 5] }),
    );
    expect(error.message).toBe(
      "reshare for epoch 2 failed: 2 dealers qualified, at least 3 are needed; absent: new member 1 (invalid identity key), " +
        "old member 1 (posted no deal), old member 4 (posted no deal), old member 5 (posted no deal); run it again",
    );
    expect(error.absent.map((a) => [a.index, a.reason])).toEqual([
      [1, "bad-identity-key"],
      [1, "no-deal"],
      [4, "no-deal"],
      [5, "no-deal"],
    ]);
  });

  it("participant API: a complaint from a new member with an invalid key is ignored", () => {
    const identityKeys = next.map((id, i) => (i === 1 ? X_NOT_BELOW_P : id.publicKey));
    const previous = { threshold: old.threshold, groupKey: old.groupKey, shareKeys: old.shareKeys };
    const dealer = new ReshareParticipant({ epoch: 2, threshold: 3, identityKeys, previous, dealer: old.shares[0]!, random });
    const recipient = new ReshareParticipant({ epoch: 2, threshold: 3, identityKeys, previous, recipient: { index: 3, identitySecret: next[2]!.secretKey } });
    const [deal] = dealer.deal();
    expect(decodeDeal(decodeDkgFrame(deal!).fragment).ciphertexts[1]).toEqual(new Uint8Array(SHARE_CIPHERTEXT_LENGTH));
    const complaint = encodeDkgFrames(DkgPhase.Complaint, 2, 2, encodeComplaint([1]))[0]!;
    for (const p of [dealer, recipient]) {
      expect(p.receive(1, deal!)).toEqual({ status: "accepted" });
      expect(p.receive(2, complaint)).toEqual({
        status: "ignored",
        reason: "new member 2 is absent: its identity key is invalid, so it holds no share and takes no part",
      });
      // Old member 2 (a dealer index, not new member 2) is not affected by new member 2's key.
      expect(p.absent).toEqual([{ index: 2, reason: "bad-identity-key", detail: "identity key of new member 2 has an x coordinate that is not a field element (>= p)" }]);
    }
    expect(recipient.complain()).toEqual([]); // its share from dealer 1 verified
    expect(dealer.complain()).toEqual([]);
    expect(recipient.absent.map((a) => [a.index, a.reason])).toEqual([
      [2, "bad-identity-key"],
      [2, "no-deal"],
      [3, "no-deal"],
      [4, "no-deal"],
      [5, "no-deal"],
    ]);
    expect(dealer.justify()).toEqual([]); // the ignored complaint asks for nothing
  });

  it("property: up to n - t silent old members and up to n - t new members with invalid keys", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { maxLength: 2 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { maxLength: 2 }),
        fc.integer({ min: 0, max: BAD_KEYS.length - 1 }),
        (silent, badMembers, kind) => {
          const registeredKeys = new Map(badMembers.map((i) => [i, BAD_KEYS[kind]!.key()] as [number, Uint8Array]));
          const r = runLocalReshare({ previous: old, n: 5, t: 3, identities: next, random, registeredKeys, silent });
          expect(r.groupKey).toEqual(old.groupKey);
          expectAgreement(r, 10);
          const expected = [
            ...silent.map((i) => [i, "no-deal"]),
            ...badMembers.map((i) => [i, "bad-identity-key"]),
          ].sort((a, b) => (a[0] as number) - (b[0] as number) || String(a[1]).localeCompare(String(b[1])));
          expect(r.absent.map((a) => [a.index, a.reason])).toEqual(expected);
          expect(r.qualified).toEqual([1, 2, 3, 4, 5].filter((i) => !silent.includes(i)));
          expect(r.shares.map((s) => s.index)).toEqual([1, 2, 3, 4, 5].filter((i) => !badMembers.includes(i)));
          expect(combinePartials(r.shares.slice(0, 3).map((s) => partialSign(s, mh)))).toEqual(oldSignature);
        },
      ),
      { numRuns: 6, seed: 11 },
    );
  });

  it("fails when fewer than the new threshold of new members have a valid key", () => {
    const registeredKeys = new Map([2, 3, 4].map((i) => [i, orderThreePoint()] as [number, Uint8Array]));
    const error = failureOf(() => runLocalReshare({ previous: old, n: 5, t: 3, identities: next, random, registeredKeys }));
    expect(error.message).toMatch(/^reshare for epoch 2 failed: only 2 of 5 members have a valid identity key, threshold 3 needs 3 share holders; absent: new member 2 \(invalid identity key\), new member 3/);
    expect(error.disqualified).toEqual([]);
  });
});

describe("property: any set of up to n - t absent members", () => {
  it("(3,5): the DKG completes, every participant agrees, the absent are named, t present members sign", () => {
    const kinds = BAD_KEYS.length + 1; // a bad key of each kind, or silent
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { maxLength: 2 }),
        fc.array(fc.integer({ min: 0, max: kinds - 1 }), { minLength: 2, maxLength: 2 }),
        fc.string({ maxLength: 8 }),
        (members, kindOf, seed) => {
          const registeredKeys = new Map<number, Uint8Array>();
          const silent: number[] = [];
          members.forEach((m, k) => (kindOf[k]! < BAD_KEYS.length ? registeredKeys.set(m, BAD_KEYS[kindOf[k]!]!.key()) : silent.push(m)));
          const r = runLocalDkg({ n: 5, t: 3, identities, random: seededRandom(`prop:${seed}`), registeredKeys, silent });
          expectAgreement(r, 5);
          const expected = members
            .map((m) => [m, registeredKeys.has(m) ? "bad-identity-key" : "no-deal"])
            .sort((a, b) => (a[0] as number) - (b[0] as number));
          expect(r.absent.map((a) => [a.index, a.reason])).toEqual(expected);
          expect(r.qualified).toEqual([1, 2, 3, 4, 5].filter((i) => !members.includes(i)));
          const holders = [1, 2, 3, 4, 5].filter((i) => !registeredKeys.has(i));
          expect(r.shares.map((s) => s.index)).toEqual(holders);
          const sig = combinePartials(r.shares.slice(-3).map((s) => partialSign(s, mh)));
          expect(verify(r.groupKey, mh, sig)).toBe(true);
        },
      ),
      { numRuns: 12, seed: 9 },
    );
  });
});
