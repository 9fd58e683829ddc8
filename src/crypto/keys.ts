/**
 * Identity keys, message hashes and plain (non-threshold) BLS signatures in the min-pk
 * POP ciphersuite. A signer's identity key is the BLS key it registers with the contract;
 * DKG shares are encrypted to it.
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8 } from "./bytes.js";
import {
  type RandomSource,
  assertScalar,
  decodeG1,
  decodeG2,
  defaultRandom,
  encodeG1,
  encodeG2,
  hashToG2,
  mulBaseG1,
  mulSecret,
  pairingCheck,
  randomScalar,
} from "./curve.js";
import { EncodingError } from "./errors.js";

export interface IdentityKeyPair {
  /** Secret scalar in [1, r). */
  secretKey: bigint;
  /** 48-byte compressed G1 public key, as registered with `register-signer`. */
  publicKey: Uint8Array;
}

/** A fresh random identity key pair. */
export function generateIdentity(random: RandomSource = defaultRandom): IdentityKeyPair {
  const secretKey = randomScalar(random);
  return { secretKey, publicKey: publicKeyOf(secretKey) };
}

/** The 48-byte compressed public key s·G1. */
export function publicKeyOf(secretKey: bigint): Uint8Array {
  assertScalar(secretKey, "secret key");
  return encodeG1(mulBaseG1(secretKey));
}

/**
 * SHA-256 of an arbitrary message: the 32-byte `message-hash` a request signs.
 * Strings are UTF-8 encoded first.
 */
export function messageHash(message: Uint8Array | string): Uint8Array {
  if (typeof message === "string") return sha256(utf8(message));
  if (message instanceof Uint8Array) return sha256(message);
  throw new EncodingError("message must be a Uint8Array or a string");
}

/** Plain BLS signature s·H(m) of a 32-byte message hash: 96 bytes. */
export function sign(secretKey: bigint, messageHash: Uint8Array): Uint8Array {
  assertScalar(secretKey, "secret key");
  return encodeG2(mulSecret(hashToG2(messageHash), secretKey));
}

/**
 * Verifies a signature on a 32-byte message hash under a 48-byte public key (a group key or
 * a share key). Malformed keys or signatures verify as false; a message hash that is not
 * 32 bytes throws, since that is a caller bug.
 */
export function verify(publicKey: Uint8Array, messageHash: Uint8Array, signature: Uint8Array): boolean {
  const hm = hashToG2(messageHash);
  let pk, sig;
  try {
    pk = decodeG1(publicKey);
    sig = decodeG2(signature);
  } catch (e) {
    if (e instanceof EncodingError) return false;
    throw e;
  }
  return pairingCheck(pk, hm, sig);
}
