/**
 * Whole-committee DKG and resharing in one process: the real participant state machines,
 * with messages passed in memory as the contract would broadcast them. For tests, the local
 * demo and benchmarks.
 * @module
 */
import type { RandomSource } from "./curve.js";
import { type DkgAbsence, type DkgFault, type DkgResult, type DkgSession, DkgParticipant, ReshareParticipant } from "./dkg.js";
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
  /**
   * Identity keys as registered on the chain, by member index, where they differ from
   * `identities` (e.g. bytes that are not a valid G1 point, to simulate an absent member).
   * Such a member cannot act with its own secret: it follows the DKG as an observer.
   */
  registeredKeys?: ReadonlyMap<number, Uint8Array>;
  /** Members that never post their deal (they still follow the DKG and receive their shares). */
  silent?: readonly number[];
}

export interface LocalDkgResult {
  epoch: number;
  threshold: number;
  groupKey: Uint8Array;
  /** pk_1..pk_n. */
  shareKeys: Uint8Array[];
  qualified: number[];
  disqualified: DkgFault[];
  /** Absent members (see DkgResult.absent). */
  absent: DkgAbsence[];
  /**
   * Shares of members 1..n in index order: all of them, except members with an invalid
   * registered key (absent) and members whose complaint an intercept dropped (see
   * DkgResult.missingShares).
   */
  shares: SecretShare[];
  identities: IdentityKeyPair[];
  /**
   * Every participant's own result, in run order: members 1..n for a DKG; for a reshare the
   * old members (in `previous.shares` order), then the new members 1..n. They agree on
   * everything public (checked); they differ only in `share` and `missingShares`.
   */
  results: DkgResult[];
}

function checkMembers(what: string, indexes: Iterable<number>, n: number) {
  for (const i of indexes)
    if (!Number.isInteger(i) || i < 1 || i > n) throw new InvalidArgumentError(`${what} names member ${i}, the committee has 1..${n}`);
}

/** Runs a fresh DKG for a committee of n with threshold t. */
export function runLocalDkg(options: LocalDkgOptions): LocalDkgResult {
  const { n, t, random, intercept } = options;
  const epoch = options.epoch ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`n must be a positive integer, got ${n}`);
  const identities = options.identities ?? Array.from({ length: n }, () => generateIdentity(random));
  if (identities.length !== n) throw new InvalidArgumentError(`${identities.length} identities given for a committee of ${n}`);
  const registered = options.registeredKeys ?? new Map<number, Uint8Array>();
  const silent = new Set(options.silent ?? []);
  checkMembers("registeredKeys", registered.keys(), n);
  checkMembers("silent", silent, n);
  const identityKeys = identities.map((id, i) => registered.get(i + 1) ?? id.publicKey);
  const pointCache = new Map<string, G1Point>();
  const roles = identities.map((id, i): Role => {
    const index = i + 1;
    if (!equalBytes(identityKeys[i]!, id.publicKey))
      return { session: new DkgParticipant({ epoch, threshold: t, identityKeys, random, pointCache }) };
    const self = { index, identitySecret: id.secretKey };
    const session = new DkgParticipant({ epoch, threshold: t, identityKeys, self, random, pointCache });
    return { session, dealer: silent.has(index) ? undefined : index, recipient: index };
  });
  const results = run(roles, intercept);
  return { ...agreed(results), shares: sharesOf(results), identities, results };
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
  /** New members' identity keys as registered, where they differ from `identities` (see LocalDkgOptions). */
  registeredKeys?: ReadonlyMap<number, Uint8Array>;
  /** Old members (by old index) that hold a share in `previous.shares` but never post their deal. */
  silent?: readonly number[];
}

/**
 * Reshares the previous epoch's key to a new committee of n with threshold t. Old members
 * whose share is not in `previous.shares`, or who are `silent`, do not deal. The group key
 * does not change.
 */
export function runLocalReshare(options: LocalReshareOptions): LocalDkgResult {
  const { previous, n, t, random, intercept } = options;
  const epoch = options.epoch ?? previous.epoch + 1;
  const identities = options.identities ?? Array.from({ length: n }, () => generateIdentity(random));
  if (identities.length !== n) throw new InvalidArgumentError(`${identities.length} identities given for a committee of ${n}`);
  const registered = options.registeredKeys ?? new Map<number, Uint8Array>();
  const silent = new Set(options.silent ?? []);
  checkMembers("registeredKeys", registered.keys(), n);
  checkMembers("silent", silent, previous.shareKeys.length);
  const identityKeys = identities.map((id, i) => registered.get(i + 1) ?? id.publicKey);
  const pointCache = new Map<string, G1Point>();
  const prev = { threshold: previous.threshold, groupKey: previous.groupKey, shareKeys: previous.shareKeys };
  const dealers = previous.shares.map((share): Role => ({
    session: new ReshareParticipant({ epoch, threshold: t, identityKeys, previous: prev, dealer: share, random, pointCache }),
    dealer: silent.has(share.index) ? undefined : share.index,
  }));
  const recipients = identities.map((id, i): Role => {
    // A member whose registered key is not its own cannot act as a recipient: an observer.
    const own = equalBytes(identityKeys[i]!, id.publicKey);
    const recipient = own ? { index: i + 1, identitySecret: id.secretKey } : undefined;
    const session = new ReshareParticipant({ epoch, threshold: t, identityKeys, previous: prev, recipient, random, pointCache });
    return { session, recipient: own ? i + 1 : undefined };
  });
  const results = run([...dealers, ...recipients], intercept);
  const result = agreed(results);
  return { ...result, shares: sharesOf(results.slice(dealers.length)), identities, results };
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

function agreed(results: DkgResult[]): Omit<LocalDkgResult, "shares" | "identities" | "results"> {
  const first = results[0]!;
  const publicPart = (r: DkgResult) => JSON.stringify([r.qualified, r.disqualified, r.absent]);
  for (const r of results) {
    const same =
      equalBytes(r.groupKey, first.groupKey) &&
      r.shareKeys.length === first.shareKeys.length &&
      r.shareKeys.every((k, i) => equalBytes(k, first.shareKeys[i]!)) &&
      publicPart(r) === publicPart(first);
    if (!same) throw new DkgError("internal error: participants disagree on the DKG result");
  }
  const { epoch, threshold, groupKey, shareKeys, qualified, disqualified, absent } = first;
  return { epoch, threshold, groupKey, shareKeys, qualified, disqualified, absent };
}

function sharesOf(results: DkgResult[]): SecretShare[] {
  return results.flatMap((r) => (r.share ? [r.share] : []));
}
