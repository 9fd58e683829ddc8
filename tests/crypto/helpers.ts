// Helpers shared by the crypto suites.
import { sha256 } from "@noble/hashes/sha2.js";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  type RandomSource,
  DkgPhase,
  encodeDeal,
  encodeDkgFrames,
  encodeG1,
  encodeJustification,
  encryptShare,
  evaluatePolynomial,
  feldmanCommitments,
  decodeG1,
  randomScalar,
  fromHex,
  toHex,
} from "../../src/crypto/index.js";
import { G1 } from "../../src/crypto/curve.js";

/** Deterministic randomness for reproducible tests (SHA-256 in counter mode). */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (length: number) => {
    const out = new Uint8Array(length);
    for (let off = 0; off < length; off += 32) {
      const block = sha256(new TextEncoder().encode(`${seed}:${counter++}`));
      out.set(block.subarray(0, Math.min(32, length - off)), off);
    }
    return out;
  };
}

export const hex = (b: Uint8Array) => toHex(b);

/** s·G1, 48 bytes: the public key of a scalar. */
export const pointOf = (s: bigint) => encodeG1(G1.BASE.multiply(s));

/**
 * A deal built by hand from a known polynomial, so tests can play a dishonest dealer:
 * `override` replaces the share some recipients get (still validly encrypted).
 */
export function craftDeal(opts: {
  epoch: number;
  dealer: number;
  poly: bigint[];
  identityKeys: Uint8Array[];
  override?: Map<number, bigint>;
  commitments?: Uint8Array[];
  random?: RandomSource;
}): Uint8Array[] {
  const e = randomScalar(opts.random);
  const ephemeralKey = encodeG1(G1.BASE.multiply(e));
  const ciphertexts = opts.identityKeys.map((key, j) =>
    encryptShare(
      e,
      ephemeralKey,
      { key, point: decodeG1(key) },
      { epoch: opts.epoch, dealer: opts.dealer, recipient: j + 1 },
      opts.override?.get(j + 1) ?? evaluatePolynomial(opts.poly, j + 1),
    ),
  );
  const commitments = opts.commitments ?? feldmanCommitments(opts.poly);
  return encodeDkgFrames(DkgPhase.Deal, opts.epoch, opts.dealer, encodeDeal({ ephemeralKey, commitments, ciphertexts }));
}

/** A justification revealing poly(j) for each complainer j. */
export function craftJustification(epoch: number, dealer: number, poly: bigint[], complainers: number[]): Uint8Array[] {
  const body = encodeJustification(complainers.map((j) => ({ recipient: j, share: evaluatePolynomial(poly, j) })));
  return encodeDkgFrames(DkgPhase.Justification, epoch, dealer, body);
}

/** All k-element subsets of xs. */
export function subsets<T>(xs: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [head, ...rest] = xs;
  return [...subsets(rest, k - 1).map((s) => [head!, ...s]), ...subsets(rest, k)];
}

// Malformed points, for the encoding suites.
const Fp = bls12_381.fields.Fp;
const Fp2 = bls12_381.fields.Fp2;

/** Compressed bytes for an x coordinate, with the compressed flag and no validation. */
export function g1Bytes(x: bigint): Uint8Array {
  const b = fromHex(x.toString(16).padStart(96, "0"));
  b[0]! |= 0x80;
  return b;
}
export function g2Bytes(c0: bigint, c1: bigint): Uint8Array {
  const b = fromHex(c1.toString(16).padStart(96, "0") + c0.toString(16).padStart(96, "0"));
  b[0]! |= 0x80;
  return b;
}
/** Smallest x >= start for which x^3 + 4 is (or is not) a square in Fp. */
export function g1X(start: bigint, onCurve: boolean): bigint {
  for (let x = start; ; x++) {
    const rhs = Fp.add(Fp.pow(x, 3n), 4n);
    const isSquare = Fp.eql(Fp.pow(rhs, (Fp.ORDER - 1n) / 2n), Fp.ONE);
    if (isSquare === onCurve) return x;
  }
}
export function g2X(start: bigint, onCurve: boolean): bigint {
  for (let c0 = start; ; c0++) {
    const x = Fp2.create({ c0, c1: 1n });
    const rhs = Fp2.add(Fp2.pow(x, 3n), Fp2.fromBigTuple([4n, 4n]));
    let ok = true;
    try {
      const y = Fp2.sqrt(rhs);
      ok = Fp2.eql(Fp2.sqr(y), rhs);
    } catch {
      ok = false;
    }
    if (ok === onCurve) return c0;
  }
}

/** A point on the G2 curve outside the prime-order subgroup. */
export function torsionG2() {
  const c0 = g2X(3n, true);
  const x = Fp2.create({ c0, c1: 1n });
  const y = Fp2.sqrt(Fp2.add(Fp2.pow(x, 3n), Fp2.fromBigTuple([4n, 4n])));
  return bls12_381.G2.Point.fromAffine({ x, y });
}
