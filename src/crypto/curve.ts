/**
 * BLS12-381 min-pk primitives on `@noble/curves`: scalars, compressed point encodings with
 * full validation, hash-to-G2 with the Ethereum POP ciphersuite, multi-scalar multiplication.
 *
 * Public keys are G1 points (48 bytes compressed), signatures G2 points (96 bytes compressed),
 * exactly the byte formats the contract stores.
 * @module
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { mulAddUnsafe, pippenger } from "@noble/curves/abstract/curve.js";
import { randomBytes as nobleRandomBytes } from "@noble/hashes/utils.js";
import { bigIntToBytes, bytesToBigInt, concatBytes, expectBytes } from "./bytes.js";
import { EncodingError } from "./errors.js";

/** Hash-to-curve domain separation tag of the Ethereum consensus BLS ciphersuite (proof-of-possession). */
export const DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

export const PUBLIC_KEY_LENGTH = 48;
export const SIGNATURE_LENGTH = 96;
export const SCALAR_LENGTH = 32;
export const MESSAGE_HASH_LENGTH = 32;

export const G1 = bls12_381.G1.Point;
export const G2 = bls12_381.G2.Point;
export type G1Point = InstanceType<typeof G1>;
export type G2Point = InstanceType<typeof G2>;

const Fp = bls12_381.fields.Fp;
const Fp2 = bls12_381.fields.Fp2;
/** The scalar field (order r of G1 and G2). */
export const Fr = bls12_381.fields.Fr;
/** r, the prime order of G1 and G2. */
export const CURVE_ORDER = Fr.ORDER;

/** Source of cryptographic randomness; injectable for deterministic tests. */
export type RandomSource = (length: number) => Uint8Array;
export const defaultRandom: RandomSource = (length) => nobleRandomBytes(length);

// ---------------------------------------------------------------------------------------------
// Scalars

/** A uniformly random non-zero scalar (48 random bytes reduced mod r: bias below 2^-128). */
export function randomScalar(random: RandomSource = defaultRandom): bigint {
  for (;;) {
    const s = bytesToBigInt(random(48)) % CURVE_ORDER;
    if (s !== 0n) return s;
  }
}

/** 32-byte big-endian encoding of a scalar (the EIP-2333 / blst secret-key layout). */
export function scalarToBytes(s: bigint): Uint8Array {
  if (s < 0n || s >= CURVE_ORDER) throw new EncodingError("scalar is out of range [0, r)");
  return bigIntToBytes(s, SCALAR_LENGTH);
}

/** Parses a 32-byte big-endian scalar; rejects values >= r. */
export function scalarFromBytes(bytes: Uint8Array, what = "scalar"): bigint {
  expectBytes(bytes, SCALAR_LENGTH, what);
  const s = bytesToBigInt(bytes);
  if (s >= CURVE_ORDER) throw new EncodingError(`${what} is not below the curve order r`);
  return s;
}

export function assertScalar(s: bigint, what: string, allowZero = false): void {
  if (typeof s !== "bigint" || s < 0n || s >= CURVE_ORDER || (!allowZero && s === 0n))
    throw new EncodingError(`${what} must be a bigint in [${allowZero ? 0 : 1}, r)`);
}

// ---------------------------------------------------------------------------------------------
// Point multiplication helpers

/** s·G1 in constant time; zero maps to the identity instead of throwing. */
export function mulBaseG1(s: bigint): G1Point {
  return s === 0n ? G1.ZERO : G1.BASE.multiply(s);
}

/** s·P in constant time for a secret scalar; zero maps to the identity instead of throwing. */
export function mulSecret<P extends G1Point | G2Point>(point: P, s: bigint): P {
  return (s === 0n ? point.multiplyUnsafe(0n) : point.multiply(s)) as P;
}

/**
 * Σ scalars[i]·points[i] for public scalars. Below 256 points noble's interleaved wNAF
 * (Straus) beats its Pippenger on BLS12-381 (measured: 113 ms vs 159 ms for 67 G2 points,
 * 36 ms vs 125 ms with 64-bit scalars); from 256 points on, Pippenger wins.
 */
export function msm<P extends G1Point | G2Point>(points: P[], scalars: bigint[]): P {
  if (points.length !== scalars.length) throw new EncodingError("msm: points and scalars differ in length");
  const C = (points[0] instanceof G2 ? G2 : G1) as unknown as typeof G1;
  if (points.length === 0) return C.ZERO as P;
  const pts = points as unknown as G1Point[];
  return (points.length < 256 ? mulAddUnsafe(C, pts, scalars) : pippenger(C, pts, scalars)) as unknown as P;
}

// ---------------------------------------------------------------------------------------------
// Compressed encodings (ZCash / IETF pairing-friendly-curves appendix C)

const FLAG_COMPRESSED = 0x80;
const FLAG_INFINITY = 0x40;
const FLAG_SORT = 0x20;

/** Lexicographically largest of y and -y: the "sort" flag. */
const sortFlag = (y: bigint) => y * 2n > Fp.ORDER;

function readFlags(bytes: Uint8Array, length: number, what: string): Uint8Array {
  expectBytes(bytes, length, what);
  const flags = bytes[0]! & 0xe0;
  if ((flags & FLAG_COMPRESSED) === 0)
    throw new EncodingError(`${what} is not in compressed form (flag bit 0x80 of the first byte is clear)`);
  if (flags & FLAG_INFINITY) throw new EncodingError(`${what} is the point at infinity, which is never a valid ${what}`);
  const x = bytes.slice();
  x[0]! &= 0x1f;
  return x;
}

function fieldElement(bytes: Uint8Array, what: string): bigint {
  const v = bytesToBigInt(bytes);
  if (v >= Fp.ORDER) throw new EncodingError(`${what} has an x coordinate that is not a field element (>= p)`);
  return v;
}

function sqrtOrThrow<T>(F: { sqrt(v: T): T; sqr(v: T): T; eql(a: T, b: T): boolean }, v: T, what: string): T {
  let y: T;
  try {
    y = F.sqrt(v);
  } catch {
    throw new EncodingError(`${what} is not a point on the curve (no y for this x)`);
  }
  if (!F.eql(F.sqr(y), v)) throw new EncodingError(`${what} is not a point on the curve (no y for this x)`);
  return y;
}

/**
 * Decodes a compressed G1 point (a public key / share key / commitment) with full validation:
 * 48 bytes, compressed flag, not infinity, x < p, on the curve, in the prime-order subgroup.
 * `checkSubgroup: false` skips only the subgroup check (~0.9 ms): callers that fully validate
 * every result derived from the point may use it.
 */
export function decodeG1(bytes: Uint8Array, what = "public key", checkSubgroup = true): G1Point {
  const xb = readFlags(bytes, PUBLIC_KEY_LENGTH, what);
  const x = fieldElement(xb, what);
  let y = sqrtOrThrow(Fp, Fp.add(Fp.pow(x, 3n), 4n), what);
  if (sortFlag(y) !== ((bytes[0]! & FLAG_SORT) !== 0)) y = Fp.neg(y);
  const p = G1.fromAffine({ x, y });
  if (checkSubgroup && !p.isTorsionFree()) throw new EncodingError(`${what} is not in the prime-order subgroup G1`);
  return p;
}

const B2 = Fp2.fromBigTuple([4n, 4n]);

/**
 * Decodes a compressed G2 point (a signature). `checkSubgroup: false` skips only the subgroup
 * check (~1.7 ms): callers that fully validate a result derived from the point may use it.
 */
export function decodeG2(bytes: Uint8Array, what = "signature", checkSubgroup = true): G2Point {
  const xb = readFlags(bytes, SIGNATURE_LENGTH, what);
  const x = Fp2.create({ c1: fieldElement(xb.subarray(0, 48), what), c0: fieldElement(xb.subarray(48), what) });
  let y = sqrtOrThrow(Fp2, Fp2.add(Fp2.pow(x, 3n), B2), what);
  const sort = y.c1 !== 0n ? sortFlag(y.c1) : sortFlag(y.c0);
  if (sort !== ((bytes[0]! & FLAG_SORT) !== 0)) y = Fp2.neg(y);
  const p = G2.fromAffine({ x, y });
  if (checkSubgroup && !p.isTorsionFree()) throw new EncodingError(`${what} is not in the prime-order subgroup G2`);
  return p;
}

/**
 * Compressed encoding of a G1 point. It does not validate the point (noble's `toBytes` runs a
 * subgroup check on every call): callers encode points they computed or already validated.
 */
export function encodeG1(p: G1Point): Uint8Array {
  if (p.is0()) throw new EncodingError("cannot encode the point at infinity as a key");
  const { x, y } = p.toAffine();
  const out = bigIntToBytes(x, 48);
  out[0]! |= FLAG_COMPRESSED | (sortFlag(y) ? FLAG_SORT : 0);
  return out;
}

/** Compressed encoding of a G2 point (x.c1 || x.c0); like {@link encodeG1}, no validation. */
export function encodeG2(p: G2Point): Uint8Array {
  if (p.is0()) throw new EncodingError("cannot encode the point at infinity as a signature");
  const { x, y } = p.toAffine();
  const out = concatBytes(bigIntToBytes(x.c1, 48), bigIntToBytes(x.c0, 48));
  out[0]! |= FLAG_COMPRESSED | ((y.c1 !== 0n ? sortFlag(y.c1) : sortFlag(y.c0)) ? FLAG_SORT : 0);
  return out;
}

/** The affine x coordinate (48 bytes): the ECDH shared secret. */
export function xCoordinate(p: G1Point): Uint8Array {
  return bigIntToBytes(p.toAffine().x, 48);
}

/** True iff `bytes` is a valid 48-byte public key (see {@link decodeG1}). */
export function isValidPublicKey(bytes: Uint8Array): boolean {
  try {
    decodeG1(bytes);
    return true;
  } catch {
    return false;
  }
}

/** True iff `bytes` is a valid 96-byte signature (see {@link decodeG2}). */
export function isValidSignature(bytes: Uint8Array): boolean {
  try {
    decodeG2(bytes);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Hashing and pairing checks

/** H(m): the 32-byte message hash mapped to G2 with the POP ciphersuite DST. */
export function hashToG2(messageHash: Uint8Array): G2Point {
  expectBytes(messageHash, MESSAGE_HASH_LENGTH, "message hash");
  return bls12_381.G2.hashToCurve(messageHash, { DST }) as G2Point;
}

const G1_NEG = G1.BASE.negate();

/** e(pk, hm) == e(G1, sig), for already validated points. */
export function pairingCheck(publicKey: G1Point, hm: G2Point, signature: G2Point): boolean {
  if (publicKey.is0() || signature.is0()) return false;
  const gt = bls12_381.pairingBatch([
    { g1: publicKey, g2: hm },
    { g1: G1_NEG, g2: signature },
  ]);
  return bls12_381.fields.Fp12.eql(gt, bls12_381.fields.Fp12.ONE);
}
