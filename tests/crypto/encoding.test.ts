import { describe, expect, it } from "vitest";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  CURVE_ORDER,
  EncodingError,
  decodeG1,
  decodeG2,
  encodeG1,
  encodeG2,
  fromHex,
  generateIdentity,
  hashToG2,
  isValidPublicKey,
  isValidSignature,
  messageHash,
  publicKeyOf,
  scalarFromBytes,
  scalarToBytes,
  sign,
  toHex,
  verify,
} from "../../src/crypto/index.js";
import { g1Bytes, g1X, g2Bytes, g2X, seededRandom } from "./helpers.js";

const Fp = bls12_381.fields.Fp;
const random = seededRandom("encoding");

const id = generateIdentity(random);
const mh = messageHash("encoding tests");
const sig = sign(id.secretKey, mh);

describe("messageHash", () => {
  it("is SHA-256 of the bytes, strings UTF-8 encoded first", () => {
    expect(toHex(messageHash("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(messageHash(new TextEncoder().encode("abc"))).toEqual(messageHash("abc"));
    expect(toHex(messageHash(""))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("signing needs exactly 32 bytes", () => {
    expect(() => sign(id.secretKey, new Uint8Array(31))).toThrow(/message hash must be 32 bytes, got 31/);
    expect(() => verify(id.publicKey, new Uint8Array(33), sig)).toThrow(EncodingError);
  });
});

describe("hex and scalars", () => {
  it("round-trips hex with and without 0x", () => {
    expect(toHex(fromHex("0x00ff10"))).toBe("00ff10");
    expect(fromHex("ABcd")).toEqual(Uint8Array.of(0xab, 0xcd));
    expect(() => fromHex("abc")).toThrow(/not valid hex/);
    expect(() => fromHex("zz")).toThrow(/not valid hex/);
    expect(() => fromHex("00", 2, "key")).toThrow(/key must be 2 bytes, got 1/);
  });

  it("encodes scalars as 32 bytes big-endian below r", () => {
    expect(toHex(scalarToBytes(1n))).toBe("00".repeat(31) + "01");
    expect(scalarFromBytes(scalarToBytes(CURVE_ORDER - 1n))).toBe(CURVE_ORDER - 1n);
    expect(() => scalarFromBytes(fromHex(CURVE_ORDER.toString(16).padStart(64, "0")))).toThrow(/not below the curve order/);
    expect(() => scalarToBytes(CURVE_ORDER)).toThrow(EncodingError);
  });
});

describe("G1 public keys", () => {
  it("encode exactly like noble and decode back to the same point", () => {
    const point = bls12_381.G1.Point.BASE.multiply(id.secretKey);
    expect(id.publicKey).toEqual(point.toBytes(true));
    expect(decodeG1(id.publicKey).equals(point)).toBe(true);
    expect(encodeG1(decodeG1(id.publicKey))).toEqual(id.publicKey);
    expect(id.publicKey[0]! & 0x80).toBe(0x80);
    // The negated point differs only in the sort flag.
    const neg = encodeG1(point.negate());
    expect(neg.subarray(1)).toEqual(id.publicKey.subarray(1));
    expect((neg[0]! ^ id.publicKey[0]!) & 0xe0).toBe(0x20);
  });

  it("reject bad lengths", () => {
    for (const len of [0, 47, 49, 96]) {
      expect(() => decodeG1(new Uint8Array(len).fill(0x80))).toThrow(new RegExp(`must be 48 bytes, got ${len}`));
    }
    expect(() => decodeG1(new Uint8Array(96))).toThrow(EncodingError);
  });

  it("reject a clear compression flag (uncompressed form)", () => {
    const b = id.publicKey.slice();
    b[0]! &= 0x7f;
    expect(() => decodeG1(b)).toThrow(/not in compressed form/);
  });

  it("reject the point at infinity", () => {
    const inf = new Uint8Array(48);
    inf[0] = 0xc0;
    expect(() => decodeG1(inf)).toThrow(/point at infinity/);
    inf[0] = 0xe0;
    expect(() => decodeG1(inf)).toThrow(/point at infinity/);
    expect(isValidPublicKey(inf)).toBe(false);
  });

  it("reject x >= p", () => {
    expect(() => decodeG1(g1Bytes(Fp.ORDER))).toThrow(/not a field element/);
  });

  it("reject x with no point on the curve", () => {
    const x = g1X(5n, false);
    expect(() => decodeG1(g1Bytes(x))).toThrow(/not a point on the curve/);
  });

  it("reject curve points outside the prime-order subgroup", () => {
    const x = g1X(5n, true);
    const b = g1Bytes(x);
    expect(() => decodeG1(b)).toThrow(/not in the prime-order subgroup G1/);
    // ... which the caller may skip only explicitly.
    expect(decodeG1(b, "commitment", false).isTorsionFree()).toBe(false);
  });

  it("refuse to encode infinity", () => {
    expect(() => encodeG1(bls12_381.G1.Point.ZERO)).toThrow(/point at infinity/);
  });
});

describe("G2 signatures", () => {
  it("encode exactly like noble and verify", () => {
    const point = hashToG2(mh).multiply(id.secretKey);
    expect(sig).toEqual(point.toBytes(true));
    expect(encodeG2(decodeG2(sig))).toEqual(sig);
    expect(verify(id.publicKey, mh, sig)).toBe(true);
    expect(verify(id.publicKey, messageHash("other"), sig)).toBe(false);
    expect(verify(publicKeyOf(id.secretKey + 1n), mh, sig)).toBe(false);
  });

  it("use the POP ciphersuite DST, not noble's NUL default", () => {
    const nul = bls12_381.longSignatures.sign(bls12_381.longSignatures.hash(mh), scalarToBytes(id.secretKey)).toBytes(true);
    expect(nul).not.toEqual(sig);
    expect(verify(id.publicKey, mh, nul)).toBe(false);
  });

  it("reject bad lengths", () => {
    for (const len of [0, 48, 95, 97, 192]) {
      expect(() => decodeG2(new Uint8Array(len).fill(0x80))).toThrow(new RegExp(`must be 96 bytes, got ${len}`));
    }
  });

  it("reject a clear compression flag, infinity, x >= p, off-curve and non-subgroup points", () => {
    const uncompressed = sig.slice();
    uncompressed[0]! &= 0x7f;
    expect(() => decodeG2(uncompressed)).toThrow(/not in compressed form/);
    const inf = new Uint8Array(96);
    inf[0] = 0xc0;
    expect(() => decodeG2(inf)).toThrow(/point at infinity/);
    expect(() => decodeG2(g2Bytes(0n, Fp.ORDER))).toThrow(/not a field element/);
    expect(() => decodeG2(g2Bytes(Fp.ORDER, 0n))).toThrow(/not a field element/);
    expect(() => decodeG2(g2Bytes(g2X(3n, false), 1n))).toThrow(/not a point on the curve/);
    const outside = g2Bytes(g2X(3n, true), 1n);
    expect(() => decodeG2(outside)).toThrow(/not in the prime-order subgroup G2/);
    expect(decodeG2(outside, "partial", false).isTorsionFree()).toBe(false);
    for (const bad of [uncompressed, inf, outside]) {
      expect(isValidSignature(bad)).toBe(false);
      expect(verify(id.publicKey, mh, bad)).toBe(false);
    }
    expect(isValidSignature(sig)).toBe(true);
  });
});
