/**
 * Threshold signing: partial signatures σ_i = s_i·H(m), their verification against the
 * share keys pk_i, Lagrange combination into σ = s·H(m) (one multi-scalar multiplication),
 * and robust combination that finds and drops invalid partials.
 * @module
 */
import { type G2Point, MESSAGE_HASH_LENGTH, encodeG2, msm } from "./curve.js";
import { expectBytes } from "./bytes.js";
import { type BlsBackend, type PreparedBatch, nobleBackend } from "./backend.js";
import {
  EncodingError,
  InconsistentKeysError,
  InsufficientValidPartialsError,
  InvalidArgumentError,
  ThresholdNotMetError,
} from "./errors.js";
import { type SecretShare, assertIndex, assertThreshold, lagrangeAtZero } from "./shamir.js";

/** Member `index`'s signature share on one message hash. */
export interface PartialSignature {
  /** 1-based share index (committee position). */
  index: number;
  /** σ_i, 96 bytes compressed G2. */
  signature: Uint8Array;
}

/** σ_i = s_i·H(m) on the 32-byte message hash. */
export function partialSign(share: SecretShare, messageHash: Uint8Array, backend: BlsBackend = nobleBackend): PartialSignature {
  assertIndex(share.index);
  return { index: share.index, signature: backend.sign(share.value, messageHash) };
}

/** Does the partial verify against its share key pk_i? Malformed input verifies as false. */
export function verifyPartial(
  shareKey: Uint8Array,
  messageHash: Uint8Array,
  partial: PartialSignature,
  backend: BlsBackend = nobleBackend,
): boolean {
  return backend.verify(shareKey, messageHash, partial.signature);
}

function checkPartials(partials: readonly PartialSignature[], shareKeyCount?: number): void {
  const seen = new Set<number>();
  for (const p of partials) {
    assertIndex(p.index);
    if (shareKeyCount !== undefined && p.index > shareKeyCount)
      throw new InvalidArgumentError(`partial from share index ${p.index}, but the committee has ${shareKeyCount} members`);
    if (seen.has(p.index)) throw new InvalidArgumentError(`two partial signatures from share index ${p.index}`);
    seen.add(p.index);
  }
}

function shareKeyOf(shareKeys: readonly Uint8Array[], index: number): Uint8Array {
  return shareKeys[index - 1]!;
}

/**
 * Checks each partial on its own against its share key (hashing the message once). For
 * watchtowers, which must judge every partial; an aggregator should use {@link robustCombine}.
 * Returns one boolean per partial, in order.
 */
export function verifyPartials(
  messageHash: Uint8Array,
  partials: readonly PartialSignature[],
  shareKeys: readonly Uint8Array[],
  backend: BlsBackend = nobleBackend,
): boolean[] {
  checkPartials(partials, shareKeys.length);
  const batch = backend.prepareBatch(
    messageHash,
    partials.map((p) => ({ publicKey: shareKeyOf(shareKeys, p.index), signature: p.signature })),
  );
  const malformed = new Set(batch.malformed);
  return partials.map((_, i) => !malformed.has(i) && batch.verify([i]));
}

/** Σ λ_i·σ_i over exactly the given points, λ the Lagrange coefficients at 0 of their indexes. */
function interpolate(points: G2Point[], indexes: number[]): G2Point {
  return msm(points, lagrangeAtZero(indexes));
}

/**
 * Lagrange-combines exactly the given partials (distinct indexes; pass t of them) into the
 * group signature σ (96 bytes). It does not verify anything: with a bad partial among them
 * the result is simply not a valid signature. Throws {@link EncodingError} on a malformed partial.
 */
export function combinePartials(partials: readonly PartialSignature[], backend: BlsBackend = nobleBackend): Uint8Array {
  if (partials.length === 0) throw new InvalidArgumentError("no partial signatures to combine");
  checkPartials(partials);
  const points = partials.map((p) => backend.decodeSignature(p.signature, `partial signature of share ${p.index}`, true));
  return encodeSignature(interpolate(points, partials.map((p) => p.index)));
}

function encodeSignature(p: G2Point): Uint8Array {
  if (p.is0()) throw new EncodingError("the partials combine to the point at infinity (they cancel out): they are not valid partials");
  if (!p.isTorsionFree()) throw new EncodingError("the partials combine to a point outside G2: they are not valid partials");
  return encodeG2(p);
}

export interface RobustCombineInput {
  /** The 32-byte message hash that was signed. */
  messageHash: Uint8Array;
  /** The partials available, in order of preference (e.g. arrival); distinct indexes. */
  partials: readonly PartialSignature[];
  /** t, the number of partials a signature needs. */
  threshold: number;
  /** The group key PK (48 bytes). */
  groupKey: Uint8Array;
  /** Share keys pk_1..pk_n; position i-1 is member i. */
  shareKeys: readonly Uint8Array[];
  /** Verification backend; noble by default. Combination always runs on noble. */
  backend?: BlsBackend;
}

export interface RobustCombineResult {
  /** The group signature σ (96 bytes), verified under the group key. */
  signature: Uint8Array;
  /** The t share indexes combined into σ. */
  signers: number[];
  /** Share indexes whose partial is invalid (malformed or does not verify), ascending. */
  invalid: number[];
  /** Share indexes that were neither combined nor checked (the honest case needs only t). */
  unchecked: number[];
}

/**
 * Combines the first t partials and verifies σ once: the honest case costs one MSM and one
 * verification. Only if σ does not verify are all partials checked, by batch verification
 * with random linear combinations and bisection; the invalid ones are dropped and t valid
 * ones combined. Throws {@link InsufficientValidPartialsError} (listing the invalid indexes)
 * if fewer than t valid partials remain, {@link ThresholdNotMetError} if fewer than t were given.
 */
export function robustCombine(input: RobustCombineInput): RobustCombineResult {
  const { messageHash, partials, threshold: t, groupKey, shareKeys } = input;
  const backend = input.backend ?? nobleBackend;
  expectBytes(messageHash, MESSAGE_HASH_LENGTH, "message hash");
  assertThreshold(t, shareKeys.length);
  checkPartials(partials, shareKeys.length);
  if (partials.length < t) throw new ThresholdNotMetError(partials.length, t);

  const indexes = (ps: readonly PartialSignature[]) => ps.map((p) => p.index);
  const first = partials.slice(0, t);
  // Honest case. The partials skip the G2 subgroup check (~1.7 ms each): σ is fully
  // validated by the verification, and a σ that verifies is s·H(m) whatever the partials were.
  const honest = tryCombine(first, backend, false);
  if (honest && backend.verify(groupKey, messageHash, honest)) {
    return { signature: honest, signers: indexes(first), invalid: [], unchecked: indexes(partials.slice(t)) };
  }

  const batch = backend.prepareBatch(
    messageHash,
    partials.map((p) => ({ publicKey: shareKeyOf(shareKeys, p.index), signature: p.signature })),
  );
  const malformed = new Set(batch.malformed);
  const candidates = partials.map((_, i) => i).filter((i) => !malformed.has(i));
  const bad = new Set([...malformed, ...findInvalid(batch, candidates, false)]);
  const valid = partials.filter((_, i) => !bad.has(i));
  const invalid = partials
    .filter((_, i) => bad.has(i))
    .map((p) => p.index)
    .sort((a, b) => a - b);
  if (valid.length < t) throw new InsufficientValidPartialsError(invalid, valid.length, t);
  const chosen = valid.slice(0, t);
  // Every chosen partial passed the batch decoding, subgroup check included.
  const signature = tryCombine(chosen, backend, false);
  if (!signature || !backend.verify(groupKey, messageHash, signature))
    throw new InconsistentKeysError(
      "every partial used verifies against its share key, but their combination does not verify under the group key: " +
        "the share keys and the group key are not from the same DKG (wrong epoch?)",
    );
  return { signature, signers: indexes(chosen), invalid, unchecked: [] };
}

function tryCombine(partials: readonly PartialSignature[], backend: BlsBackend, checkSubgroup: boolean): Uint8Array | undefined {
  try {
    const points = partials.map((p) => backend.decodeSignature(p.signature, `partial signature of share ${p.index}`, checkSubgroup));
    return encodeSignature(interpolate(points, partials.map((p) => p.index)));
  } catch (e) {
    if (e instanceof EncodingError) return undefined;
    throw e;
  }
}

/**
 * Positions (within `positions`) of invalid items, by bisection. `knownBad`: the caller
 * already knows the set contains an invalid item (its parent failed and its sibling passed).
 */
function findInvalid(batch: PreparedBatch, positions: number[], knownBad: boolean): number[] {
  if (positions.length === 0) return [];
  if (!knownBad && batch.verify(positions)) return [];
  if (positions.length === 1) return positions;
  const mid = positions.length >> 1;
  const left = findInvalid(batch, positions.slice(0, mid), false);
  const right = findInvalid(batch, positions.slice(mid), left.length === 0);
  return [...left, ...right];
}
