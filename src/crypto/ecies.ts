/**
 * ECIES on G1 for DKG shares: ECDH (the shared point's x coordinate) between the dealer's ephemeral key and the recipient's
 * identity key, HKDF-SHA256, AES-256-GCM. One ephemeral key per deal; the key and nonce are
 * derived per recipient, and the context (epoch, dealer, recipient, recipient key) is bound
 * both into HKDF and as GCM associated data.
 * @module
 */
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bigIntToBytes, bytesToBigInt, concatBytes, utf8 } from "./bytes.js";
import { type G1Point, CURVE_ORDER, mulSecret, scalarToBytes, xCoordinate } from "./curve.js";

/** Plaintext share (32 bytes) plus the GCM tag (16 bytes). */
export const SHARE_CIPHERTEXT_LENGTH = 48;

/** Who a share is for, bound into the encryption so a ciphertext cannot be replayed elsewhere. */
export interface ShareContext {
  epoch: number;
  dealer: number;
  recipient: number;
}

const LABEL = utf8("DTS-DKG-SHARE-v1");

function deriveKey(shared: G1Point, ephemeralKey: Uint8Array, recipientKey: Uint8Array, ctx: ShareContext) {
  const info = concatBytes(
    LABEL,
    bigIntToBytes(BigInt(ctx.epoch), 4),
    Uint8Array.of(ctx.dealer, ctx.recipient),
    recipientKey,
  );
  const okm = hkdf(sha256, xCoordinate(shared), ephemeralKey, info, 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44), aad: info };
}

/**
 * Encrypts a share to a recipient under the dealer's ephemeral secret e, whose public key
 * E = e·G1 (48 bytes) travels in the deal. `recipient` is the recipient's identity key as
 * bytes and as a validated point.
 */
export function encryptShare(
  ephemeralSecret: bigint,
  ephemeralKey: Uint8Array,
  recipient: { key: Uint8Array; point: G1Point },
  ctx: ShareContext,
  share: bigint,
): Uint8Array {
  const { key, nonce, aad } = deriveKey(mulSecret(recipient.point, ephemeralSecret), ephemeralKey, recipient.key, ctx);
  return gcm(key, nonce, aad).encrypt(scalarToBytes(share));
}

/**
 * Decrypts a share with the recipient's identity secret x and key X = x·G1 (x·E = e·X).
 * Returns null when the ciphertext does not authenticate or the plaintext is not a scalar:
 * grounds for a complaint.
 */
export function decryptShare(
  identitySecret: bigint,
  identityKey: Uint8Array,
  ephemeral: G1Point,
  ephemeralKey: Uint8Array,
  ctx: ShareContext,
  ciphertext: Uint8Array,
): bigint | null {
  if (ciphertext.length !== SHARE_CIPHERTEXT_LENGTH) return null;
  const { key, nonce, aad } = deriveKey(mulSecret(ephemeral, identitySecret), ephemeralKey, identityKey, ctx);
  let plain: Uint8Array;
  try {
    plain = gcm(key, nonce, aad).decrypt(ciphertext);
  } catch {
    return null;
  }
  const v = bytesToBigInt(plain);
  return v < CURVE_ORDER ? v : null;
}
