// Cross-checks against the native @chainsafe/blst (the library Ethereum clients use).
import { beforeAll, describe, expect, it } from "vitest";
import * as blst from "@chainsafe/blst";
import {
  type BlsBackend,
  type LocalDkgResult,
  type PartialSignature,
  combinePartials,
  decodeG2,
  encodeG2,
  generateIdentity,
  isValidPublicKey,
  isValidSignature,
  loadBlstBackend,
  messageHash,
  nobleBackend,
  partialSign,
  publicKeyOf,
  randomScalar,
  robustCombine,
  runLocalDkg,
  scalarToBytes,
  sign,
  verify,
  verifyPartials,
} from "../../src/crypto/index.js";
import { g1Bytes, g1X, g2Bytes, g2X, seededRandom, torsionG2 } from "./helpers.js";

const random = seededRandom("blst");
const mh = messageHash("cross-check message");
let backend: BlsBackend;
let dkg: LocalDkgResult;
let partials: PartialSignature[];
let groupSignature: Uint8Array;

const blstVerify = (pk: Uint8Array, sig: Uint8Array, msg = mh) =>
  blst.verify(msg, blst.PublicKey.fromBytes(pk, true), blst.Signature.fromBytes(sig, true, true));

beforeAll(async () => {
  backend = await loadBlstBackend();
  dkg = runLocalDkg({ n: 5, t: 3, random });
  partials = dkg.shares.map((s) => partialSign(s, mh));
  groupSignature = combinePartials(partials.slice(1, 4));
});

describe("DTS signatures in blst", () => {
  it("the group signature verifies in blst under the group key", () => {
    expect(blstVerify(dkg.groupKey, groupSignature)).toBe(true);
    expect(blstVerify(dkg.groupKey, groupSignature, messageHash("other"))).toBe(false);
  });

  it("every partial verifies in blst under its share key, and only there", () => {
    for (const p of partials) {
      expect(blstVerify(dkg.shareKeys[p.index - 1]!, p.signature)).toBe(true);
      expect(blstVerify(dkg.shareKeys[p.index % 5]!, p.signature)).toBe(false);
    }
  });

  it("blst makes byte-identical public keys and signatures from the same secret", () => {
    const secrets = [1n, 2n, ...dkg.shares.map((s) => s.value), ...Array.from({ length: 5 }, () => randomScalar(random))];
    for (const s of secrets) {
      const sk = blst.SecretKey.fromBytes(scalarToBytes(s));
      expect(sk.toPublicKey().toBytes(true)).toEqual(publicKeyOf(s));
      expect(sk.sign(mh).toBytes(true)).toEqual(sign(s, mh));
    }
    // and blst's signatures verify here
    const id = generateIdentity(random);
    const theirs = blst.SecretKey.fromBytes(scalarToBytes(id.secretKey)).sign(mh).toBytes(true);
    expect(verify(id.publicKey, mh, theirs)).toBe(true);
  });

  it("blst and DTS accept and reject the same encodings", () => {
    const inf = (len: number) => Uint8Array.of(0xc0, ...new Uint8Array(len - 1));
    const clearFlag = (b: Uint8Array) => Uint8Array.of(b[0]! & 0x7f, ...b.subarray(1));
    const keys = [dkg.groupKey, inf(48), clearFlag(dkg.groupKey), g1Bytes(g1X(5n, false)), g1Bytes(g1X(5n, true)), new Uint8Array(48).fill(0xff)];
    const blstKeyOk = (b: Uint8Array) => {
      try {
        blst.PublicKey.fromBytes(b, true);
        return true;
      } catch {
        return false;
      }
    };
    expect(keys.map(isValidPublicKey)).toEqual([true, false, false, false, false, false]);
    expect(keys.map(blstKeyOk)).toEqual(keys.map(isValidPublicKey));

    const outside = encodeG2(decodeG2(groupSignature).add(torsionG2()));
    const sigs = [groupSignature, inf(96), clearFlag(groupSignature), g2Bytes(g2X(3n, false), 1n), g2Bytes(g2X(3n, true), 1n), outside];
    const blstSigOk = (b: Uint8Array) => {
      try {
        blst.Signature.fromBytes(b, true, true);
        return true;
      } catch {
        return false;
      }
    };
    expect(sigs.map(isValidSignature)).toEqual([true, false, false, false, false, false]);
    expect(sigs.map(blstSigOk)).toEqual(sigs.map(isValidSignature));
  });
});

describe("the blst backend", () => {
  it("is the same BlsBackend as noble's", () => {
    expect(backend.name).toBe("blst");
    const s = dkg.shares[0]!;
    expect(backend.sign(s.value, mh)).toEqual(nobleBackend.sign(s.value, mh));
    expect(partialSign(s, mh, backend)).toEqual(partials[0]);
    expect(backend.verify(dkg.groupKey, mh, groupSignature)).toBe(true);
    expect(backend.verify(dkg.groupKey, mh, partials[0]!.signature)).toBe(false);
    expect(backend.verify(dkg.groupKey.subarray(1), mh, groupSignature)).toBe(false);
  });

  it("decompresses signatures natively into the same points, and combines to the same signature", () => {
    for (const p of partials) expect(backend.decodeSignature(p.signature, "partial", true).equals(decodeG2(p.signature))).toBe(true);
    expect(combinePartials(partials.slice(1, 4), backend)).toEqual(groupSignature);
    const outside = encodeG2(decodeG2(groupSignature).add(torsionG2()));
    expect(() => backend.decodeSignature(outside, "partial", true)).toThrow("partial is not in the prime-order subgroup G2");
    expect(() => backend.decodeSignature(new Uint8Array(95), "partial", true)).toThrow("partial must be 96 bytes, got 95");
  });

  it("verifies partials one by one like noble", () => {
    const mixed = partials.map((p, i) => (i === 2 ? { ...p, signature: partials[0]!.signature } : i === 4 ? { ...p, signature: new Uint8Array(96) } : p));
    const expected = [true, true, false, true, false];
    expect(verifyPartials(mh, mixed, dkg.shareKeys, backend)).toEqual(expected);
    expect(verifyPartials(mh, mixed, dkg.shareKeys, nobleBackend)).toEqual(expected);
  });

  it("drives robust combination to the same result as noble", () => {
    const bad = partials.map((p) => (p.index === 1 || p.index === 3 ? { ...p, signature: sign(randomScalar(random), mh) } : p));
    const input = { messageHash: mh, partials: bad, threshold: 3, groupKey: dkg.groupKey, shareKeys: dkg.shareKeys };
    const viaBlst = robustCombine({ ...input, backend });
    expect(viaBlst).toEqual({ signature: groupSignature, signers: [2, 4, 5], invalid: [1, 3], unchecked: [] });
    expect(robustCombine(input)).toEqual(viaBlst);
  });
});
