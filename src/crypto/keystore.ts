/**
 * Encrypted keystore for a node's identity key and its shares, in a versioned JSON file
 * modelled on EIP-2335: scrypt derives the key, AES-256-GCM encrypts the secrets.
 *
 * Besides the GCM tag, the file carries a password checksum (SHA-256 of the second half of
 * the scrypt output) and an unkeyed integrity hash of all its fields, so that a wrong password
 * and a damaged file are told apart: {@link KeystoreWrongPasswordError},
 * {@link KeystoreCorruptError}, {@link KeystoreVersionError}.
 *
 *     {
 *       "format": "dts-keystore", "version": 1, "uuid": "...", "description": "...",
 *       "publicKey": "<48-byte identity key, hex>",
 *       "crypto": {
 *         "kdf": { "function": "scrypt", "params": { "dklen": 64, "n": 262144, "r": 8, "p": 1, "salt": "<hex>" } },
 *         "checksum": { "function": "sha256", "message": "<hex>" },
 *         "cipher": { "function": "aes-256-gcm", "params": { "iv": "<hex>" }, "message": "<hex>" }
 *       },
 *       "integrity": "<sha256 of the fields above, hex>"
 *     }
 * @module
 */
import { gcm } from "@noble/ciphers/aes.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { equalBytes, fromHex, toHex, utf8 } from "./bytes.js";
import { type RandomSource, assertScalar, defaultRandom, scalarFromBytes, scalarToBytes } from "./curve.js";
import { EncodingError, InvalidArgumentError, KeystoreCorruptError, KeystoreVersionError, KeystoreWrongPasswordError } from "./errors.js";
import { publicKeyOf } from "./keys.js";

export const KEYSTORE_VERSION = 1;
const FORMAT = "dts-keystore";
/** EIP-2335's default cost: about a second of CPU and 256 MiB. */
export const DEFAULT_SCRYPT_N = 2 ** 18;
const MIN_SCRYPT_N = 2 ** 10;
const MAX_SCRYPT_N = 2 ** 20;
/** scrypt needs 128·N·r bytes; refuse files that ask for more than 1 GiB. */
const MAX_SCRYPT_MEMORY = 2 ** 30;

/** A share this node holds for one epoch. */
export interface EpochShare {
  epoch: number;
  /** 1-based position in that epoch's committee. */
  index: number;
  value: bigint;
}

export interface KeystoreSecrets {
  identitySecret: bigint;
  shares: EpochShare[];
}

export interface KeystoreOptions {
  /** scrypt cost N, a power of two in [2^10, 2^20]; default 2^18. Lower only for tests. */
  scryptN?: number;
  description?: string;
  random?: RandomSource;
}

interface KeystoreJson {
  format: string;
  version: number;
  uuid: string;
  description: string;
  publicKey: string;
  crypto: {
    kdf: { function: "scrypt"; params: { dklen: number; n: number; r: number; p: number; salt: string } };
    checksum: { function: "sha256"; message: string };
    cipher: { function: "aes-256-gcm"; params: { iv: string }; message: string };
  };
  integrity: string;
}

function normalizePassword(password: string): Uint8Array {
  if (typeof password !== "string") throw new InvalidArgumentError("password must be a string");
  // EIP-2335: NFKD, then drop control codes.
  return utf8(password.normalize("NFKD").replace(/[\u0000-\u001f\u007f-\u009f]/g, ""));
}

function integrityOf(k: Omit<KeystoreJson, "integrity">): string {
  const { kdf, checksum, cipher } = k.crypto;
  const { dklen, n, r, p, salt } = kdf.params;
  const fields = [k.format, k.version, k.uuid, k.description, k.publicKey, kdf.function, dklen, n, r, p, salt]
    .concat([checksum.function, checksum.message, cipher.function, cipher.params.iv, cipher.message]);
  return toHex(sha256(utf8(JSON.stringify(fields))));
}

async function deriveKeys(password: string, salt: Uint8Array, n: number, r: number, p: number) {
  const dk = await scryptAsync(normalizePassword(password), salt, { N: n, r, p, dkLen: 64, maxmem: MAX_SCRYPT_MEMORY + 2 ** 20 });
  return { encryptionKey: dk.subarray(0, 32), checksum: sha256(dk.subarray(32, 64)) };
}

function uuidV4(random: RandomSource): string {
  const b = random(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Encrypts the secrets under the password; returns the keystore file's JSON text. */
export async function encryptKeystore(secrets: KeystoreSecrets, password: string, options: KeystoreOptions = {}): Promise<string> {
  const random = options.random ?? defaultRandom;
  const n = options.scryptN ?? DEFAULT_SCRYPT_N;
  if (!Number.isInteger(Math.log2(n)) || n < MIN_SCRYPT_N || n > MAX_SCRYPT_N)
    throw new InvalidArgumentError(`scryptN must be a power of two in [2^10, 2^20], got ${n}`);
  assertScalar(secrets.identitySecret, "identity secret");
  for (const s of secrets.shares) {
    if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.index) || s.index < 1)
      throw new InvalidArgumentError("each share needs an integer epoch >= 0 and index >= 1");
    assertScalar(s.value, "share value", true);
  }
  const publicKey = toHex(publicKeyOf(secrets.identitySecret));
  const plaintext = utf8(
    JSON.stringify({
      identitySecret: toHex(scalarToBytes(secrets.identitySecret)),
      shares: secrets.shares.map((s) => ({ epoch: s.epoch, index: s.index, value: toHex(scalarToBytes(s.value)) })),
    }),
  );
  const salt = random(32);
  const iv = random(12);
  const { encryptionKey, checksum } = await deriveKeys(password, salt, n, 8, 1);
  const ciphertext = gcm(encryptionKey, iv, utf8(publicKey)).encrypt(plaintext);
  plaintext.fill(0);
  const body: Omit<KeystoreJson, "integrity"> = {
    format: FORMAT,
    version: KEYSTORE_VERSION,
    uuid: uuidV4(random),
    description: options.description ?? "",
    publicKey,
    crypto: {
      kdf: { function: "scrypt", params: { dklen: 64, n, r: 8, p: 1, salt: toHex(salt) } },
      checksum: { function: "sha256", message: toHex(checksum) },
      cipher: { function: "aes-256-gcm", params: { iv: toHex(iv) }, message: toHex(ciphertext) },
    },
  };
  return JSON.stringify({ ...body, integrity: integrityOf(body) }, null, 2);
}

/** The identity public key a keystore is for, without decrypting it. */
export function keystorePublicKey(json: string): Uint8Array {
  return fromHex(parseKeystore(json).publicKey, 48, "keystore publicKey");
}

/** Opens a keystore. Throws a KeystoreError subclass on a wrong password, damage or unknown version. */
export async function decryptKeystore(json: string, password: string): Promise<KeystoreSecrets> {
  const k = parseKeystore(json);
  const { kdf, checksum, cipher } = k.crypto;
  const { n, r, p } = kdf.params;
  const { encryptionKey, checksum: expected } = await deriveKeys(password, hex(kdf.params.salt, "kdf salt"), n, r, p);
  if (!equalBytes(expected, hex(checksum.message, "checksum"))) throw new KeystoreWrongPasswordError();
  let plaintext: Uint8Array;
  try {
    plaintext = gcm(encryptionKey, hex(cipher.params.iv, "cipher iv"), utf8(k.publicKey)).decrypt(hex(cipher.message, "ciphertext"));
  } catch {
    throw new KeystoreCorruptError("the ciphertext does not authenticate");
  }
  try {
    type Inner = { identitySecret: string; shares: { epoch: number; index: number; value: string }[] };
    const inner = JSON.parse(new TextDecoder().decode(plaintext)) as Inner;
    const identitySecret = scalarFromBytes(fromHex(inner.identitySecret, 32), "identity secret");
    if (toHex(publicKeyOf(identitySecret)) !== k.publicKey.toLowerCase())
      throw new KeystoreCorruptError("the identity key does not match publicKey");
    const shares = inner.shares.map((s) => {
      if (!Number.isInteger(s.epoch) || !Number.isInteger(s.index) || s.index < 1) throw new EncodingError("bad share");
      return { epoch: s.epoch, index: s.index, value: scalarFromBytes(fromHex(s.value, 32), "share") };
    });
    return { identitySecret, shares };
  } catch (e) {
    if (e instanceof KeystoreCorruptError) throw e;
    throw new KeystoreCorruptError("the decrypted secrets are malformed");
  } finally {
    plaintext.fill(0);
  }
}

function hex(s: string, what: string): Uint8Array {
  try {
    return fromHex(s);
  } catch {
    throw new KeystoreCorruptError(`${what} is not hex`);
  }
}

function parseKeystore(json: string): KeystoreJson {
  let k: any;
  try {
    k = JSON.parse(json);
  } catch {
    throw new KeystoreCorruptError("not valid JSON");
  }
  if (typeof k !== "object" || k === null || k.format !== FORMAT) throw new KeystoreCorruptError(`not a ${FORMAT} file`);
  if (k.version !== KEYSTORE_VERSION) throw new KeystoreVersionError(k.version, KEYSTORE_VERSION);
  const kdf = k.crypto?.kdf;
  const params = kdf?.params;
  const checks: [boolean, string][] = [
    [typeof k.uuid === "string" && typeof k.description === "string", "uuid or description"],
    [typeof k.publicKey === "string" && /^[0-9a-fA-F]{96}$/.test(k.publicKey), "publicKey"],
    [kdf?.function === "scrypt", "crypto.kdf.function"],
    [typeof params === "object" && params !== null && params.dklen === 64 && typeof params.salt === "string", "crypto.kdf.params"],
    [k.crypto?.checksum?.function === "sha256" && typeof k.crypto.checksum.message === "string", "crypto.checksum"],
    [
      k.crypto?.cipher?.function === "aes-256-gcm" &&
        typeof k.crypto.cipher.params?.iv === "string" &&
        typeof k.crypto.cipher.message === "string",
      "crypto.cipher",
    ],
    [typeof k.integrity === "string", "integrity"],
  ];
  for (const [ok, field] of checks) if (!ok) throw new KeystoreCorruptError(`missing or invalid field ${field}`);
  const { integrity, ...body } = k as KeystoreJson;
  if (integrityOf(body) !== integrity) throw new KeystoreCorruptError("integrity hash mismatch");
  const { n, r, p } = params;
  const ok = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
  const nOk = ok(n, MAX_SCRYPT_N) && Number.isInteger(Math.log2(n)) && n >= MIN_SCRYPT_N;
  if (!nOk || !ok(r, 32) || !ok(p, 16) || 128 * n * r > MAX_SCRYPT_MEMORY)
    throw new KeystoreCorruptError("scrypt parameters out of range");
  return k as KeystoreJson;
}
