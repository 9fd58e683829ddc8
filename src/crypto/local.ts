/**
 * Whole-committee DKG and resharing in one process: the real participant state machines,
 * with messages passed in memory as the contract would broadcast them. For tests, the local
 * demo and benchmarks.
 * @module
 */
import type { RandomSource } from "./curve.js";
import { type DkgFault, type DkgResult, type DkgSession, DkgParticipant, ReshareParticipant } from "./dkg.js";
import { DkgPhase } from "./dkg-wire.js";
import { equalBytes } from "./bytes.js";
import { DkgError, InvalidArgumentError } from "./errors.js";
import { type IdentityKeyPair, generateIdentity } from "./keys.js";
import type { SecretShare } from "./shamir.js";
import type { G1Point } from "./curve.js";

/** One message as broadcast: all its frames. */
export interface LocalDkgMessage {
  phase: DkgPhase;
  /** Sender index: dealer for deals and justifications, recipient for complaints. */
  from: number;
  frames: Uint8Array[];
}

/**
 * Network adversary hook: sees each message before it is broadcast and returns the frames
 * to deliver instead (return `message.frames` to pass it on, `[]` to drop it).
 */
export type LocalDkgIntercept = (message: LocalDkgMessage) => Uint8Array[];

export interface LocalDkgOptions {
  n: number;
  t: number;
  /** Default 1. */
  epoch?: number;
  /** Identity keys of members 1..n; generated if omitted. */
  identities?: IdentityKeyPair[];
  random?: RandomSource;
  intercept?: LocalDkgIntercept;
}

export interface LocalDkgResult {
  epoch: number;
  threshold: number;
  groupKey: Uint8Array;
  /** pk_1..pk_n. */
  shareKeys: Uint8Array[];
  qualified: number[];
  disqualified: DkgFault[];
  /**
   * Shares of members 1..n in index order: all of them, unless an intercept dropped a
   * member's complaint (that member then holds no share; see DkgResult.missingShares).
   */
  shares: SecretShare[];
  identities: IdentityKeyPair[];
}

/** Runs a fresh DKG for a committee of n with threshold t. */
export function runLocalDkg(options: LocalDkgOptions): LocalDkgResult {
  const { n, t, random, intercept } = options;
  const epoch = options.epoch ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`n must be a positive integer, got ${n}`);
  const identities = options.identities ?? Array.from({ length: n }, () => generateIdentity(random));
  if (identities.length !== n) throw new InvalidArgumentError(`${identities.length} identities given for a committee of ${n}`);
  const identityKeys = identities.map((id) => id.publicKey);
  const pointCache = new Map<string, G1Point>();
  const members = identities.map((id, i) => {
    const self = { index: i + 1, identitySecret: id.secretKey };
    return new DkgParticipant({ epoch, threshold: t, identityKeys, self, random, pointCache });
  });
  const results = run(
    members.map((p, i) => ({ session: p, dealer: i + 1, recipient: i + 1 })),
    intercept,
  );
  return { ...agreed(results), shares: sharesOf(results), identities };
}

export interface LocalReshareOptions {
  /** The current epoch's public data and the shares of the old members that take part (by old index). */
  previous: { epoch: number; threshold: number; groupKey: Uint8Array; shareKeys: Uint8Array[]; shares: SecretShare[] };
  /** New committee size and threshold. */
  n: number;
  t: number;
  /** Default previous.epoch + 1. */
  epoch?: number;
  /** Identity keys of the new members 1..n; generated if omitted. */
  identities?: IdentityKeyPair[];
  random?: RandomSource;
  intercept?: LocalDkgIntercept;
}

/**
 * Reshares the previous epoch's key to a new committee of n with threshold t. Old members
 * whose share is not in `previous.shares` do not deal. The group key does not change.
 */
export function runLocalReshare(options: LocalReshareOptions): LocalDkgResult {
  const { previous, n, t, random, intercept } = options;
  const epoch = options.epoch ?? previous.epoch + 1;
  const identities = options.identities ?? Array.from({ length: n }, () => generateIdentity(random));
  if (identities.length !== n) throw new InvalidArgumentError(`${identities.length} identities given for a committee of ${n}`);
  const identityKeys = identities.map((id) => id.publicKey);
  const pointCache = new Map<string, G1Point>();
  const prev = { threshold: previous.threshold, groupKey: previous.groupKey, shareKeys: previous.shareKeys };
  const dealers = previous.shares.map((share) => ({
    session: new ReshareParticipant({ epoch, threshold: t, identityKeys, previous: prev, dealer: share, random, pointCache }),
    dealer: share.index,
  }));
  const recipients = identities.map((id, i) => ({
    session: new ReshareParticipant({
      epoch,
      threshold: t,
      identityKeys,
      previous: prev,
      recipient: { index: i + 1, identitySecret: id.secretKey },
      random,
      pointCache,
    }),
    recipient: i + 1,
  }));
  const results = run([...dealers, ...recipients], intercept);
  const result = agreed(results);
  return { ...result, shares: sharesOf(results.slice(dealers.length)), identities };
}

interface Role {
  session: DkgSession;
  dealer?: number;
  recipient?: number;
}

function run(roles: Role[], intercept?: LocalDkgIntercept): DkgResult[] {
  const broadcast = (phase: DkgPhase, from: number | undefined, frames: Uint8Array[]) => {
    if (frames.length === 0 || from === undefined) return;
    const delivered = intercept ? intercept({ phase, from, frames }) : frames;
    for (const frame of delivered) for (const r of roles) r.session.receive(from, frame);
  };
  for (const r of roles) if (r.dealer !== undefined) broadcast(DkgPhase.Deal, r.dealer, r.session.deal());
  for (const r of roles) broadcast(DkgPhase.Complaint, r.recipient, r.session.complain());
  for (const r of roles) broadcast(DkgPhase.Justification, r.dealer, r.session.justify());
  return roles.map((r) => r.session.finish());
}

function agreed(results: DkgResult[]): Omit<LocalDkgResult, "shares" | "identities"> {
  const first = results[0]!;
  for (const r of results) {
    const same =
      equalBytes(r.groupKey, first.groupKey) &&
      r.shareKeys.every((k, i) => equalBytes(k, first.shareKeys[i]!)) &&
      r.qualified.join() === first.qualified.join();
    if (!same) throw new DkgError("internal error: participants disagree on the DKG result");
  }
  const { epoch, threshold, groupKey, shareKeys, qualified, disqualified } = first;
  return { epoch, threshold, groupKey, shareKeys, qualified, disqualified };
}

function sharesOf(results: DkgResult[]): SecretShare[] {
  return results.flatMap((r) => (r.share ? [r.share] : []));
}
