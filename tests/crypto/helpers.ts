// Helpers shared by the crypto suites.
import { sha256 } from "@noble/hashes/sha2.js";
import {
  type RandomSource,
  type SecretShare,
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

export const byIndex = (shares: SecretShare[], indexes: number[]) => indexes.map((i) => shares.find((s) => s.index === i)!);
