import { describe, expect, it } from "vitest";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  DkgError,
  DkgFailedError,
  DkgParticipant,
  DkgPhase,
  MAX_DKG_PAYLOAD,
  type LocalDkgMessage,
  type LocalDkgResult,
  type SecretShare,
  combinePartials,
  dealBodyLength,
  dealFrameCount,
  decodeDeal,
  decodeDkgFrame,
  encodeG1,
  encodeComplaint,
  encodeDeal,
  encodeDkgFrames,
  generateIdentity,
  interpolateAtZero,
  messageHash,
  partialSign,
  publicKeyOf,
  randomPolynomial,
  runLocalDkg,
  verify,
} from "../../src/crypto/index.js";
import { craftDeal, craftJustification, pointOf, seededRandom, subsets } from "./helpers.js";

const random = seededRandom("dkg");
const identities = Array.from({ length: 5 }, () => generateIdentity(random));
const identityKeys = identities.map((id) => id.publicKey);
const mh = messageHash("dkg test message");

/** Checks a DKG outcome for real: shares match share keys, any t of them give the group secret and sign. */
function expectConsistent(r: LocalDkgResult, t: number, members: number[]) {
  expect(r.shares.map((s) => s.index)).toEqual(members);
  for (const s of r.shares) expect(r.shareKeys[s.index - 1]).toEqual(publicKeyOf(s.value));
  const secrets = new Set(subsets(r.shares, t).map((set) => interpolateAtZero(set)));
  expect(secrets.size).toBe(1);
  const [secret] = [...secrets];
  expect(pointOf(secret!)).toEqual(r.groupKey);
  const partials = r.shares.slice(0, t).map((s) => partialSign(s, mh));
  expect(verify(r.groupKey, mh, combinePartials(partials))).toBe(true);
}

/** Intercept that replaces / drops the messages of one sender in one phase and logs everything. */
function adversary(rules: { phase: DkgPhase; from: number; replace: (m: LocalDkgMessage) => Uint8Array[] }[]) {
  const log: LocalDkgMessage[] = [];
  const intercept = (m: LocalDkgMessage) => {
    log.push(m);
    const rule = rules.find((r) => r.phase === m.phase && r.from === m.from);
    return rule ? rule.replace(m) : m.frames;
  };
  return { log, intercept };
}

describe("DKG with all members honest", () => {
  it("every member ends with the same group key and share keys, and its own valid share", () => {
    const r = runLocalDkg({ n: 5, t: 3, epoch: 7, identities, random });
    expect(r.epoch).toBe(7);
    expect(r.threshold).toBe(3);
    expect(r.qualified).toEqual([1, 2, 3, 4, 5]);
    expect(r.disqualified).toEqual([]);
    expect(r.groupKey).toHaveLength(48);
    expect(r.shareKeys).toHaveLength(5);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("runs through the participant API, with an observer that computes the same keys", () => {
    const members = identities.map(
      (id, i) => new DkgParticipant({ epoch: 2, threshold: 3, identityKeys, self: { index: i + 1, identitySecret: id.secretKey }, random }),
    );
    const observer = new DkgParticipant({ epoch: 2, threshold: 3, identityKeys });
    const all = [...members, observer];
    const deals = members.map((m) => m.deal());
    expect(deals.every((frames) => frames.length === 1 && frames[0]!.length === 9 + dealBodyLength(3, 5))).toBe(true);
    deals.forEach((frames, i) => {
      for (const p of all) expect(p.receive(i + 1, frames[0]!)).toEqual({ status: "accepted" });
    });
    expect(all.map((p) => p.complain())).toEqual(all.map(() => []));
    expect(all.map((p) => p.justify())).toEqual(all.map(() => []));
    const results = all.map((p) => p.finish());
    for (const res of results) {
      expect(res.groupKey).toEqual(results[0]!.groupKey);
      expect(res.shareKeys).toEqual(results[0]!.shareKeys);
      expect(res.qualified).toEqual([1, 2, 3, 4, 5]);
    }
    expect(results[5]!.share).toBeUndefined();
    const shares = results.slice(0, 5).map((res) => res.share!);
    expect(shares.map((s) => s.index)).toEqual([1, 2, 3, 4, 5]);
    expect(pointOf(interpolateAtZero(shares.slice(2)))).toEqual(results[0]!.groupKey);
    expect(members[0]!.phase).toBe("done");
  });

  it("gives different keys in different runs", () => {
    const a = runLocalDkg({ n: 3, t: 2, random: seededRandom("a") });
    const b = runLocalDkg({ n: 3, t: 2, random: seededRandom("b") });
    expect(a.groupKey).not.toEqual(b.groupKey);
  });
});

describe("DKG with a dealer that sends one bad share", () => {
  // Dealer 2 deals from its own polynomial but gives member 4 a wrong (validly encrypted) share.
  const poly = randomPolynomial(3, undefined, random);
  const badDeal = () => craftDeal({ epoch: 1, dealer: 2, poly, identityKeys, override: new Map([[4, 42n]]), random });

  it("is disqualified when it does not answer the complaint, and the rest agree on one key", () => {
    const { log, intercept } = adversary([
      { phase: DkgPhase.Deal, from: 2, replace: badDeal },
      { phase: DkgPhase.Justification, from: 2, replace: () => [] },
    ]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    const complaints = log.filter((m) => m.phase === DkgPhase.Complaint);
    expect(complaints.map((m) => m.from)).toEqual([4]);
    expect(complaints[0]!.frames[0]!.subarray(9)).toEqual(encodeComplaint([2]));
    expect(r.qualified).toEqual([1, 3, 4, 5]);
    expect(r.disqualified).toEqual([{ dealer: 2, reason: "did not answer the complaint(s) of member(s) 4" }]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("is disqualified when its justification reveals a share that does not match its commitments", () => {
    const { intercept } = adversary([
      { phase: DkgPhase.Deal, from: 2, replace: badDeal },
      { phase: DkgPhase.Justification, from: 2, replace: () => craftJustification(1, 2, poly.map((a) => a + 1n), [4]) },
    ]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    expect(r.disqualified).toEqual([{ dealer: 2, reason: "revealed a share for member 4 that does not match its commitments" }]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("stays qualified when it reveals the right share, which member 4 then uses", () => {
    const { intercept } = adversary([
      { phase: DkgPhase.Deal, from: 2, replace: badDeal },
      { phase: DkgPhase.Justification, from: 2, replace: () => craftJustification(1, 2, poly, [4]) },
    ]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    expect(r.qualified).toEqual([1, 2, 3, 4, 5]);
    expect(r.disqualified).toEqual([]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("a share that does not decrypt is complained about and justified by an honest dealer", () => {
    const { log, intercept } = adversary([
      {
        phase: DkgPhase.Deal,
        from: 3,
        replace: (m) => {
          const f = m.frames[0]!.slice();
          f[f.length - 1]! ^= 1; // last byte of member 5's ciphertext: its GCM tag fails
          return [f];
        },
      },
    ]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    expect(log.filter((m) => m.phase === DkgPhase.Complaint).map((m) => m.from)).toEqual([5]);
    expect(log.filter((m) => m.phase === DkgPhase.Justification).map((m) => m.from)).toEqual([3]);
    expect(r.qualified).toEqual([1, 2, 3, 4, 5]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });
});

describe("DKG with a dealer that breaks the public rules", () => {
  const reencode = (m: LocalDkgMessage, change: (c: Uint8Array[]) => Uint8Array[]) => {
    const deal = decodeDeal(decodeDkgFrame(m.frames[0]!).fragment);
    return encodeDkgFrames(DkgPhase.Deal, 1, m.from, encodeDeal({ ...deal, commitments: change(deal.commitments) }));
  };

  it("too few commitments: disqualified", () => {
    const { intercept } = adversary([{ phase: DkgPhase.Deal, from: 3, replace: (m) => reencode(m, (c) => c.slice(0, 2)) }]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    expect(r.disqualified).toEqual([{ dealer: 3, reason: "deal has 2 commitments, threshold 3 needs 3" }]);
    expect(r.qualified).toEqual([1, 2, 4, 5]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("too many commitments: disqualified", () => {
    const { intercept } = adversary([{ phase: DkgPhase.Deal, from: 1, replace: (m) => reencode(m, (c) => [...c, c[0]!]) }]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    expect(r.disqualified).toEqual([{ dealer: 1, reason: "deal has 4 commitments, threshold 3 needs 3" }]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("an invalid commitment encoding: disqualified", () => {
    const { intercept } = adversary([
      { phase: DkgPhase.Deal, from: 4, replace: (m) => reencode(m, (c) => [c[0]!, new Uint8Array(48), c[2]!]) },
    ]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    expect(r.disqualified).toEqual([{ dealer: 4, reason: "commitment 1 is not in compressed form (flag bit 0x80 of the first byte is clear)" }]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("a missing dealer is left out and still receives its share", () => {
    const { intercept } = adversary([{ phase: DkgPhase.Deal, from: 5, replace: () => [] }]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    expect(r.disqualified).toEqual([{ dealer: 5, reason: "posted no deal" }]);
    expect(r.qualified).toEqual([1, 2, 3, 4]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("commitments outside G1 that slip past every share check are caught on the derived keys", () => {
    // τ = (0, 2) has order 3. Dealer 2 adds 2τ to C_0 and τ to C_2: the share check of member j
    // is off by (2 + j²)·τ, which vanishes for j = 1, 2, 4, 5; member 3, corrupt, stays silent.
    const tau = bls12_381.G1.Point.fromAffine({ x: 0n, y: 2n });
    const poly = randomPolynomial(3, undefined, random);
    const commitments = poly.map((a, k) => {
      const c = bls12_381.G1.Point.BASE.multiply(a);
      return encodeG1(k === 0 ? c.add(tau.double()) : k === 2 ? c.add(tau) : c);
    });
    const { log, intercept } = adversary([
      { phase: DkgPhase.Deal, from: 2, replace: () => craftDeal({ epoch: 1, dealer: 2, poly, identityKeys, commitments, random }) },
      { phase: DkgPhase.Complaint, from: 3, replace: () => [] },
    ]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    expect(log.filter((m) => m.phase === DkgPhase.Complaint).map((m) => m.from)).toEqual([3]);
    expect(r.disqualified).toEqual([{ dealer: 2, reason: "commitment 0 is not in the prime-order subgroup" }]);
    expect(r.qualified).toEqual([1, 3, 4, 5]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("two different deals from one dealer: disqualified; an exact repeat is harmless", () => {
    const other = craftDeal({ epoch: 1, dealer: 2, poly: randomPolynomial(3, undefined, random), identityKeys, random });
    const { intercept } = adversary([
      { phase: DkgPhase.Deal, from: 1, replace: (m) => [...m.frames, ...m.frames] },
      { phase: DkgPhase.Deal, from: 2, replace: (m) => [...m.frames, ...other] },
    ]);
    const r = runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    expect(r.disqualified).toEqual([{ dealer: 2, reason: "sent two different versions of deal frame 0" }]);
    expect(r.qualified).toEqual([1, 3, 4, 5]);
    expectConsistent(r, 3, [1, 2, 3, 4, 5]);
  });

  it("fails with a clear error when fewer than t dealers qualify", () => {
    const drop = (from: number) => ({ phase: DkgPhase.Deal, from, replace: () => [] });
    const { intercept } = adversary([drop(1), drop(2), drop(3)]);
    let error: unknown;
    try {
      runLocalDkg({ n: 5, t: 3, identities, random, intercept });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DkgFailedError);
    expect((error as Error).message).toBe(
      "DKG for epoch 1 failed: 2 dealers qualified, at least 3 are needed; " +
        "absent: member 1 (posted no deal), member 2 (posted no deal), member 3 (posted no deal); run it again",
    );
    expect((error as DkgFailedError).disqualified.map((d) => d.dealer)).toEqual([1, 2, 3]);
    expect((error as DkgFailedError).absent.map((a) => [a.index, a.reason])).toEqual([
      [1, "no-deal"],
      [2, "no-deal"],
      [3, "no-deal"],
    ]);
  });
});

describe("DKG participant input handling", () => {
  const make = (index?: number, epoch = 3) =>
    new DkgParticipant({
      epoch,
      threshold: 3,
      identityKeys,
      self: index ? { index, identitySecret: identities[index - 1]!.secretKey } : undefined,
      random,
    });

  it("ignores frames for another epoch, forged senders, garbage and late frames", () => {
    const dealer = make(1);
    const p = make(2);
    const [frame] = dealer.deal();
    expect(make(3, 4).receive(1, frame!)).toEqual({ status: "ignored", reason: "frame is for epoch 3, this DKG is epoch 4" });
    expect(p.receive(2, frame!)).toEqual({ status: "ignored", reason: "frame claims sender 1 but was posted by member 2" });
    expect(p.receive(1, Uint8Array.of(1, 2, 3))).toEqual({ status: "ignored", reason: "DKG payload of 3 bytes is shorter than the 9-byte header" });
    expect(p.receive(1, Uint8Array.of(9, 1, 0, 0, 0, 3, 1, 0, 1))).toEqual({
      status: "ignored",
      reason: "DKG wire version 9 is not supported (this software speaks version 1)",
    });
    expect(p.receive(6, frame!)).toMatchObject({ status: "ignored" });
    expect(p.receive(1, frame!)).toEqual({ status: "accepted" });
    expect(p.receive(1, frame!)).toEqual({ status: "duplicate" });
    p.complain();
    expect(p.receive(1, frame!)).toEqual({ status: "ignored", reason: "late: the deal phase is closed" });
  });

  it("holds early complaints until the complaint phase", () => {
    const p = make(2);
    const complaint = encodeDkgFrames(DkgPhase.Complaint, 3, 4, encodeComplaint([2]));
    expect(p.receive(4, complaint[0]!)).toEqual({ status: "accepted" });
  });

  it("enforces the phase order and one deal per dealer", () => {
    const p = make(1);
    expect(() => p.justify()).toThrow(DkgError);
    expect(() => p.finish()).toThrow("finish() belongs to the justification phase, but the DKG is in the deal phase");
    p.deal();
    expect(() => p.deal()).toThrow("deal() was already called: a dealer deals once");
    expect(() => make().deal()).toThrow("this participant is not a dealer in this DKG");
  });

  it("rejects bad configurations", () => {
    expect(() => new DkgParticipant({ epoch: 1, threshold: 6, identityKeys })).toThrow("committee threshold must be in 1..5, got 6");
    expect(() => new DkgParticipant({ epoch: -1, threshold: 3, identityKeys })).toThrow(/epoch must be a u32/);
    expect(
      () => new DkgParticipant({ epoch: 1, threshold: 3, identityKeys, self: { index: 2, identitySecret: identities[0]!.secretKey } }),
    ).toThrow("the identity secret does not match the identity key of member 2");
    // Another member's invalid identity key is not a configuration error (that member is absent),
    // but this participant's own key must be its own.
    const broken = [...identityKeys];
    broken[2] = new Uint8Array(48);
    expect(new DkgParticipant({ epoch: 1, threshold: 3, identityKeys: broken }).absent).toEqual([
      { index: 3, reason: "bad-identity-key", detail: "identity key of member 3 is not in compressed form (flag bit 0x80 of the first byte is clear)" },
    ]);
    expect(
      () => new DkgParticipant({ epoch: 1, threshold: 3, identityKeys: broken, self: { index: 3, identitySecret: identities[2]!.secretKey } }),
    ).toThrow("the identity secret does not match the identity key of member 3");
  });
});

describe("DKG wire format", () => {
  it("fits every deal of the contract's committees (n <= 32) in one 4096-byte message", () => {
    expect(9 + dealBodyLength(32, 32)).toBe(3131);
    for (let n = 1; n <= 42; n++) for (let t = 1; t <= n; t++) expect(dealFrameCount(t, n)).toBe(1);
    expect(dealFrameCount(41, 43)).toBe(1); // t + n = 84
    expect(dealFrameCount(42, 43)).toBe(2); // t + n = 85
    expect(dealFrameCount(67, 100)).toBe(2);
    expect(dealFrameCount(255, 255)).toBe(7);
  });

  it("splits a large deal into frames that reassemble in any order; a missing frame disqualifies", () => {
    const ids = Array.from({ length: 43 }, () => generateIdentity(random));
    const keys = ids.map((i) => i.publicKey);
    const dealer = new DkgParticipant({ epoch: 9, threshold: 42, identityKeys: keys, self: { index: 1, identitySecret: ids[0]!.secretKey }, random });
    const frames = dealer.deal();
    expect(frames).toHaveLength(2);
    expect(frames.every((f) => f.length <= MAX_DKG_PAYLOAD)).toBe(true);
    expect(frames[0]).toHaveLength(MAX_DKG_PAYLOAD);
    expect(frames.map((f) => decodeDkgFrame(f)).map((f) => [f.chunk, f.chunks])).toEqual([[0, 2], [1, 2]]);

    const member = new DkgParticipant({ epoch: 9, threshold: 42, identityKeys: keys, self: { index: 43, identitySecret: ids[42]!.secretKey }, random });
    expect(member.receive(1, frames[1]!)).toEqual({ status: "accepted" });
    expect(member.receive(1, frames[0]!)).toEqual({ status: "accepted" });
    expect(member.complain()).toEqual([]); // its share from dealer 1 verified

    const observer = new DkgParticipant({ epoch: 9, threshold: 42, identityKeys: keys });
    observer.receive(1, frames[0]!);
    observer.complain();
    observer.justify();
    expect(() => observer.finish()).toThrow(DkgFailedError);
    // (the observer's view: dealer 1 is out for an incomplete deal, all others posted nothing)
  });

  it("rejects malformed frames", () => {
    const body = new Uint8Array(5000);
    const frames = encodeDkgFrames(DkgPhase.Deal, 1, 1, body);
    expect(frames.map((f) => f.length)).toEqual([4096, 9 + 5000 - 4087]);
    expect(() => decodeDkgFrame(new Uint8Array(4097))).toThrow("DKG payload of 4097 bytes exceeds the contract limit of 4096");
    expect(() => decodeDkgFrame(Uint8Array.of(1, 4, 0, 0, 0, 1, 1, 0, 1))).toThrow("unknown DKG phase 4");
    expect(() => decodeDkgFrame(Uint8Array.of(1, 1, 0, 0, 0, 1, 0, 0, 1))).toThrow(/sender index 0/);
    expect(() => decodeDkgFrame(Uint8Array.of(1, 1, 0, 0, 0, 1, 1, 2, 2))).toThrow("DKG chunk 2 of 2 is invalid");
    expect(() => decodeDkgFrame(Uint8Array.of(1, 1, 0, 0, 0, 1, 1, 0, 2, 0))).toThrow(/must be full/);
    expect(() => decodeDeal(new Uint8Array(10))).toThrow(/does not match its counts/);
  });
});

describe("DKG at larger sizes", () => {
  it("(11, 15): any 11 shares sign under the group key", () => {
    const r = runLocalDkg({ n: 15, t: 11, random });
    expect(r.qualified).toHaveLength(15);
    const pick = (xs: SecretShare[], idx: number[]) => idx.map((i) => xs[i - 1]!);
    const a = combinePartials(pick(r.shares, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).map((s) => partialSign(s, mh)));
    const b = combinePartials(pick(r.shares, [15, 14, 13, 12, 10, 8, 6, 4, 3, 2, 1]).map((s) => partialSign(s, mh)));
    expect(a).toEqual(b);
    expect(verify(r.groupKey, mh, a)).toBe(true);
  });
});
