/**
 * DTS threshold BLS (BLS12-381 min-pk, Ethereum POP ciphersuite): keys and encodings,
 * Shamir/Feldman, DKG and resharing, threshold signing, backends, keystore.
 * @module
 */
export * from "./errors.js";
export { toHex, fromHex, equalBytes } from "./bytes.js";
export {
  DST,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  SCALAR_LENGTH,
  MESSAGE_HASH_LENGTH,
  CURVE_ORDER,
  type RandomSource,
  type G1Point,
  type G2Point,
  randomScalar,
  scalarToBytes,
  scalarFromBytes,
  decodeG1,
  decodeG2,
  encodeG1,
  encodeG2,
  isValidPublicKey,
  isValidSignature,
  hashToG2,
} from "./curve.js";
export { type IdentityKeyPair, generateIdentity, publicKeyOf, messageHash, sign, verify } from "./keys.js";
export {
  type SecretShare,
  randomPolynomial,
  evaluatePolynomial,
  feldmanCommitments,
  verifyShare,
  shareKeyFromCommitments,
  lagrangeAtZero,
  interpolateAtZero,
  splitSecret,
} from "./shamir.js";
export { type ShareContext, SHARE_CIPHERTEXT_LENGTH, encryptShare, decryptShare } from "./ecies.js";
export * from "./dkg-wire.js";
export {
  type DkgOptions,
  type DkgConfig,
  type ReshareConfig,
  type DkgFault,
  type DkgAbsence,
  type DkgAbsenceReason,
  type DkgResult,
  type DkgReceipt,
  DkgSession,
  DkgParticipant,
  ReshareParticipant,
} from "./dkg.js";
export {
  type PartialSignature,
  type RobustCombineInput,
  type RobustCombineResult,
  partialSign,
  verifyPartial,
  verifyPartials,
  combinePartials,
  robustCombine,
} from "./threshold.js";
export { type BlsBackend, type BatchItem, type PreparedBatch, nobleBackend, loadBlstBackend } from "./backend.js";
export {
  type EpochShare,
  type KeystoreSecrets,
  type KeystoreOptions,
  KEYSTORE_VERSION,
  DEFAULT_SCRYPT_N,
  encryptKeystore,
  decryptKeystore,
  keystorePublicKey,
} from "./keystore.js";
export {
  type LocalDkgMessage,
  type LocalDkgIntercept,
  type LocalDkgOptions,
  type LocalDkgResult,
  type LocalReshareOptions,
  runLocalDkg,
  runLocalReshare,
} from "./local.js";
