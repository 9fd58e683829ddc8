/**
 * BLS backends: `@noble/curves` (pure JS, the default and the reference) and, optionally,
 * the native `@chainsafe/blst`, behind one interface. blst's JS binding has no scalar
 * multiplication of points, so the Lagrange MSM always runs on noble; signing, verification,
 * batch verification and signature decompression run on the chosen backend.
 * @module
 */
import {
  type G1Point,
  type G2Point,
  type RandomSource,
  G2,
  MESSAGE_HASH_LENGTH,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  assertScalar,
  decodeG1,
  decodeG2,
  defaultRandom,
  hashToG2,
  msm,
  pairingCheck,
  scalarToBytes,
} from "./curve.js";
import { bytesToBigInt, expectBytes } from "./bytes.js";
import { BackendUnavailableError, EncodingError } from "./errors.js";
import { sign as nobleSign, verify as nobleVerify } from "./keys.js";

/** A public key and a signature on the batch's message. */
export interface BatchItem {
  publicKey: Uint8Array;
  signature: Uint8Array;
}

/** Items decoded once, then verified in any subsets (for bisection). */
export interface PreparedBatch {
  /** Positions whose public key or signature is not a valid encoding. */
  readonly malformed: readonly number[];
  /**
   * True iff every item at these positions is a valid signature (none malformed). Several
   * items are checked at once with a random linear combination: a batch containing an
   * invalid item passes with probability at most 2^-64.
   */
  verify(positions: readonly number[]): boolean;
}

export interface BlsBackend {
  readonly name: "noble" | "blst";
  /** s·H(m) for a 32-byte message hash: 96 bytes. */
  sign(secretKey: bigint, messageHash: Uint8Array): Uint8Array;
  /** Full verification; malformed keys or signatures verify as false. */
  verify(publicKey: Uint8Array, messageHash: Uint8Array, signature: Uint8Array): boolean;
  /** Decodes and validates the items for repeated batch verification of one message. */
  prepareBatch(messageHash: Uint8Array, items: readonly BatchItem[], random?: RandomSource): PreparedBatch;
  /**
   * Decodes a compressed signature into a noble point (for combination). Throws
   * {@link EncodingError}. `checkSubgroup: false` may skip the subgroup check (see decodeG2).
   */
  decodeSignature(bytes: Uint8Array, what: string, checkSubgroup: boolean): G2Point;
}

/** Random non-zero 64-bit coefficients for batch verification. */
function coefficients(count: number, random: RandomSource): bigint[] {
  return Array.from({ length: count }, () => {
    for (;;) {
      const r = bytesToBigInt(random(8));
      if (r !== 0n) return r;
    }
  });
}

/**
 * A batch over decoded items: items that fail to decode are listed as malformed (and cannot
 * be verified); a set of positions verifies one by one or all at once.
 */
function preparedBatch<D>(
  items: readonly BatchItem[],
  decode: (item: BatchItem) => D,
  verifyOne: (d: D) => boolean,
  verifyMany: (ds: D[]) => boolean,
): PreparedBatch {
  const malformed: number[] = [];
  const decoded = items.map((item, i) => {
    try {
      return decode(item);
    } catch (e) {
      if (!(e instanceof EncodingError)) throw e;
      malformed.push(i);
      return undefined;
    }
  });
  const get = (i: number) => {
    const d = decoded[i];
    if (d === undefined) throw new EncodingError(`batch item ${i} is malformed and cannot be verified`);
    return d;
  };
  return {
    malformed,
    verify(positions) {
      if (positions.length === 0) return true;
      const ds = positions.map(get);
      return ds.length === 1 ? verifyOne(ds[0]!) : verifyMany(ds);
    },
  };
}

/** The pure-JS backend on `@noble/curves`. */
export const nobleBackend: BlsBackend = Object.freeze({
  name: "noble" as const,
  sign: nobleSign,
  verify: nobleVerify,
  decodeSignature: decodeG2,
  prepareBatch(messageHash: Uint8Array, items: readonly BatchItem[], random: RandomSource = defaultRandom): PreparedBatch {
    const hm = hashToG2(messageHash);
    return preparedBatch(
      items,
      (item) => ({ pk: decodeG1(item.publicKey, "share key"), sig: decodeG2(item.signature, "partial signature") }),
      (d) => pairingCheck(d.pk, hm, d.sig),
      (ds) => {
        const r = coefficients(ds.length, random);
        return pairingCheck(msm<G1Point>(ds.map((d) => d.pk), r), hm, msm<G2Point>(ds.map((d) => d.sig), r));
      },
    );
  },
});

type Blst = typeof import("@chainsafe/blst");

/**
 * Loads the native backend. `@chainsafe/blst` is an optional dependency, imported only here:
 * the library works without it. Throws {@link BackendUnavailableError} if it cannot load.
 */
export async function loadBlstBackend(): Promise<BlsBackend> {
  let blst: Blst;
  try {
    const mod = (await import("@chainsafe/blst")) as Blst & { default?: Blst };
    blst = mod.default ?? mod;
  } catch (e) {
    throw new BackendUnavailableError(
      `the native BLS backend needs @chainsafe/blst (npm i @chainsafe/blst): ${(e as Error).message}`,
    );
  }
  return blstBackend(blst);
}

function blstBackend(blst: Blst): BlsBackend {
  const publicKey = (bytes: Uint8Array) => blst.PublicKey.fromBytes(expectBytes(bytes, PUBLIC_KEY_LENGTH, "public key"), true);
  const signature = (bytes: Uint8Array) => blst.Signature.fromBytes(expectBytes(bytes, SIGNATURE_LENGTH, "signature"), true, true);
  const Fp2 = G2.Fp;
  return Object.freeze({
    name: "blst" as const,
    sign(secretKey: bigint, messageHash: Uint8Array): Uint8Array {
      assertScalar(secretKey, "secret key");
      expectBytes(messageHash, MESSAGE_HASH_LENGTH, "message hash");
      return blst.SecretKey.fromBytes(scalarToBytes(secretKey)).sign(messageHash).toBytes(true);
    },
    verify(pk: Uint8Array, messageHash: Uint8Array, sig: Uint8Array): boolean {
      expectBytes(messageHash, MESSAGE_HASH_LENGTH, "message hash");
      let p, s;
      try {
        p = publicKey(pk);
        s = signature(sig);
      } catch {
        return false;
      }
      return blst.verify(messageHash, p, s);
    },
    decodeSignature(bytes: Uint8Array, what: string): G2Point {
      // Always fully validated: natively that is cheaper than noble's decompression alone.
      let raw: Uint8Array;
      try {
        // Native decompression and validation (~0.1 ms against noble's ~2.5 ms); noble gets (x, y).
        raw = signature(bytes).toBytes(false);
      } catch {
        return decodeG2(bytes, what, true); // throws noble's precise EncodingError
      }
      const at = (i: number) => bytesToBigInt(raw.subarray(48 * i, 48 * (i + 1))) & ((1n << 381n) - 1n);
      return G2.fromAffine({ x: Fp2.create({ c1: at(0), c0: at(1) }), y: Fp2.create({ c1: at(2), c0: at(3) }) });
    },
    prepareBatch(messageHash: Uint8Array, items: readonly BatchItem[]): PreparedBatch {
      expectBytes(messageHash, MESSAGE_HASH_LENGTH, "message hash");
      return preparedBatch(
        items,
        (item) => {
          try {
            return { msg: messageHash, pk: publicKey(item.publicKey), sig: signature(item.signature) };
          } catch (e) {
            throw new EncodingError(`malformed batch item: ${(e as Error).message}`);
          }
        },
        (d) => blst.verify(messageHash, d.pk, d.sig),
        // blst draws its own random 64-bit coefficients for this check.
        (ds) => blst.verifyMultipleAggregateSignatures(ds),
      );
    },
  });
}
