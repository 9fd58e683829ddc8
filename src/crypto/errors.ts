/**
 * Error classes of the crypto layer. Every message says what is wrong and what to do about
 * it; none ever contains secret material (shares, keys, passwords, plaintexts).
 * @module
 */
import type { DkgAbsence } from "./dkg.js";

/** Base class: `instanceof DtsCryptoError` catches every error this library throws on purpose. */
export class DtsCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bytes that are not a valid key, signature, scalar, hex string or message hash. */
export class EncodingError extends DtsCryptoError {}

/** Arguments that cannot be right whatever the bytes: t > n, index 0, duplicate indexes... */
export class InvalidArgumentError extends DtsCryptoError {}

/** Fewer partial signatures than the threshold were supplied. */
export class ThresholdNotMetError extends DtsCryptoError {
  constructor(
    readonly have: number,
    readonly threshold: number,
  ) {
    super(`need ${threshold} partial signatures to combine, got ${have}: wait for more signers`);
  }
}

/** Robust combination found too many invalid partials to reach the threshold. */
export class InsufficientValidPartialsError extends DtsCryptoError {
  constructor(
    /** Share indexes whose partial signature is invalid (sorted). */
    readonly bad: number[],
    readonly valid: number,
    readonly threshold: number,
  ) {
    super(
      `only ${valid} valid partial signatures, need ${threshold}; invalid partials from share ` +
        `indexes [${bad.join(", ")}]: wait for more signers (and report the invalid ones)`,
    );
  }
}

/**
 * A combination of partials that all verified does not verify under the group key: the share
 * keys do not belong to this group key (wrong epoch?).
 */
export class InconsistentKeysError extends DtsCryptoError {}

/** Bad DKG configuration, or a state-machine method called in the wrong phase. */
export class DkgError extends DtsCryptoError {}

/** A DKG payload that cannot be parsed at all (not even a header), or one posted by the wrong sender. */
export class DkgMessageError extends DtsCryptoError {}

/**
 * The DKG ended without enough qualified dealers (or, in a reshare, without t new members
 * able to hold a share); the epoch must run a new DKG.
 */
export class DkgFailedError extends DtsCryptoError {
  constructor(
    message: string,
    /** Dealers that were left out, with the reason (absent dealers included). */
    readonly disqualified: { dealer: number; reason: string }[],
    /** Members that were absent: an invalid identity key, or no deal (see `DkgResult.absent`). */
    readonly absent: DkgAbsence[] = [],
  ) {
    super(message);
  }
}

/** The optional native backend (`@chainsafe/blst`) is not installed or failed to load. */
export class BackendUnavailableError extends DtsCryptoError {}

/** Base class of keystore errors. */
export class KeystoreError extends DtsCryptoError {}

/** The password does not open this keystore. */
export class KeystoreWrongPasswordError extends KeystoreError {
  constructor() {
    super("keystore password is wrong");
  }
}

/** The keystore file is not valid JSON, misses fields, or failed its integrity check. */
export class KeystoreCorruptError extends KeystoreError {
  constructor(detail: string) {
    super(`keystore file is damaged (${detail}): restore it from a backup`);
  }
}

/** The keystore was written by a newer (or unknown) keystore format. */
export class KeystoreVersionError extends KeystoreError {
  constructor(readonly version: unknown, readonly supported: number) {
    super(
      `keystore version ${JSON.stringify(version)} is not supported (this software reads version ${supported}): ` +
        `upgrade the software or convert the keystore`,
    );
  }
}
