// The contract's functions, one declarative entry each: arguments (name and Clarity type)
// and the decoder of the result (for a public function: of its `ok` value). The typed
// client, the CLI's subcommands and the interface test are all generated from this table.
//
// To add a contract function: add one line to FUNCTIONS (and, for a new record, one
// tupleResult below). To add a field to a record: add one line to its tupleResult.
import {
  arg,
  ascii,
  asciiResult,
  bool,
  boolResult,
  buff,
  buffResult,
  list,
  listResult,
  optionalResult,
  principal,
  principalResult,
  tupleResult,
  uint,
  uintResult,
  type Arg,
  type Decoded,
  type Decoder,
} from "./types.js";

const u = uintResult;
const b = boolResult;
const p = principalResult;
const key = buffResult(48);
const hash = buffResult(32);
const sig = buffResult(96);
const committee = listResult(p, 32);

// ---------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------

export const ConfigDecoder = tupleResult({
  initialized: b, paused: b, guardian: p,
  minStake: u, requiredSigners: u, totalSigners: u, rotationPeriod: u, signatureThreshold: u,
  signingTimeout: u, unbondingPeriod: u, watchtowerBond: u, watchtowerQuorum: u,
  slashInvalidBps: u, slashLivenessBps: u, notifierRewardBps: u, minReputation: u, minFee: u,
  votingPeriod: u, quorumBps: u, claimWindow: u, reportInterval: u, falseClaimBps: u, maxChurn: u, dkgTimeout: u,
});
export type Config = Decoded<typeof ConfigDecoder>;

export const PerformanceMetricsDecoder = tupleResult({
  signingSpeed: u, uptime: u, stakeDuration: u, accuracy: u, totalSignatures: u, validSignatures: u,
});
export type PerformanceMetrics = Decoded<typeof PerformanceMetricsDecoder>;

export const SlashingHistoryDecoder = tupleResult({ totalSlashes: u, lastSlashHeight: u, slashedAmount: u });
export type SlashingHistory = Decoded<typeof SlashingHistoryDecoder>;

export const SignerInfoDecoder = tupleResult({
  stake: u, publicKey: key, reputationScore: u, lastActive: u,
  performanceMetrics: PerformanceMetricsDecoder, slashingHistory: SlashingHistoryDecoder,
  registeredAt: u, seq: u, unbonding: u, unbondingRelease: u, exiting: b, claimUntil: u, excludedFrom: u,
  status: asciiResult(7), // "primary" | "backup" | "exiting"
});
export type SignerInfo = Decoded<typeof SignerInfoDecoder>;

export const EpochDecoder = tupleResult({
  committee, threshold: u, previous: u, groupPublicKey: optionalResult(key),
  sharePublicKeys: listResult(key, 32), status: asciiResult(9), createdAt: u, formedAt: u, activatedAt: u,
});
export type Epoch = Decoded<typeof EpochDecoder>;

export const NetworkStateDecoder = tupleResult({
  currentEpoch: u, latestEpoch: u, lastRotation: u, signerCount: u, activeWatchtowers: u,
  paused: b, initialized: b, blockHeight: u, burnBlockHeight: u, stacksNow: u, burnNow: u,
});

export const ClockDecoder = tupleResult({ stacksNow: u, burnNow: u, paused: b, pausedBlocks: tupleResult({ stacks: u, burn: u }) });
export type Clock = Decoded<typeof ClockDecoder>;
export type NetworkState = Decoded<typeof NetworkStateDecoder>;

export const RequestDecoder = tupleResult({
  requester: p, fee: u, epoch: u, createdAt: u, deadline: u, partialCount: u, signers: committee,
  aggregateSignature: optionalResult(sig), aggregator: optionalResult(p), finalizedAt: u, feePaid: b, refunded: b,
  closedEarly: b, settleAt: u, attempt: u, contestUntil: u,
});
export type Request = Decoded<typeof RequestDecoder>;

export const PartialSignatureDecoder = tupleResult({ signature: sig, messageHash: hash, timestamp: u, index: u, invalid: b, claimUntil: u, attempt: u });
export type PartialSignature = Decoded<typeof PartialSignatureDecoder>;

export const WatchtowerDecoder = tupleResult({
  lastReport: u, reportsSubmitted: u, accuracyScore: u, isActive: b, bond: u, registeredAt: u, releaseAt: u, openClaims: u,
});
export type Watchtower = Decoded<typeof WatchtowerDecoder>;

export const WatchtowerReportDecoder = tupleResult({ uptime: u, signingSpeed: u, accuracy: u });
export type WatchtowerReport = Decoded<typeof WatchtowerReportDecoder>;

export const IntervalReportsDecoder = tupleResult({ reporters: listResult(p, 32), uptimes: listResult(u, 32), speeds: listResult(u, 32), accuracies: listResult(u, 32), quorum: u });
export type IntervalReports = Decoded<typeof IntervalReportsDecoder>;

export const ClaimDecoder = tupleResult({ claimants: committee, openedAt: u, confirmed: b, attempt: u });
export type Claim = Decoded<typeof ClaimDecoder>;

export const AggregateClaimDecoder = tupleResult({ claimants: committee, openedAt: u });
export type AggregateClaim = Decoded<typeof AggregateClaimDecoder>;

export const AccountingDecoder = tupleResult({
  stakes: u, unbonding: u, bonds: u, pendingFees: u, rewards: u, treasury: u, total: u, balance: u,
});
export type Accounting = Decoded<typeof AccountingDecoder>;

export const RankingEntryDecoder = tupleResult({ signer: p, stake: u, reputation: u, seq: u, exiting: b, excludedFrom: u });
export type RankingEntry = Decoded<typeof RankingEntryDecoder>;

// Governance records.
export const ProposalDecoder = tupleResult({
  proposer: p, kind: asciiResult(9), parameter: asciiResult(32), value: u, recipient: optionalResult(p),
  votesFor: u, votesAgainst: u, createdAt: u, endsAt: u, expiresAt: u, totalStake: u, executed: b,
});
export type Proposal = Decoded<typeof ProposalDecoder>;

export const ProposalVoteDecoder = tupleResult({ support: b, weight: u });
export type ProposalVote = Decoded<typeof ProposalVoteDecoder>;

// ---------------------------------------------------------------------------------------
// The function table
// ---------------------------------------------------------------------------------------

export type Access = "public" | "read_only";

export interface FunctionSpec<K extends Access = Access, A extends readonly Arg<any>[] = readonly Arg<any>[], R = unknown> {
  readonly access: K;
  readonly args: A;
  /** Decodes a read-only result, or a public function's `ok` value (its `err` is always a uint code). */
  readonly result: Decoder<R>;
  /** One line for the CLI's help. */
  readonly help?: string;
}

function pub<const A extends readonly Arg<any>[], R>(args: A, result: Decoder<R>, help?: string): FunctionSpec<"public", A, R> {
  return { access: "public", args, result, help };
}

function ro<const A extends readonly Arg<any>[], R>(args: A, result: Decoder<R>, help?: string): FunctionSpec<"read_only", A, R> {
  return { access: "read_only", args, result, help };
}

// Hashes, keys and signatures have one length, for reads too: a read with a shorter one
// matches nothing, and its `none` would hide the typo.
const h32 = (name: string) => arg(name, buff(32, true));
const g1 = (name: string) => arg(name, buff(48, true));
const g2 = (name: string) => arg(name, buff(96, true));
const n = (name: string) => arg(name, uint);
const who = (name: string) => arg(name, principal);

export const FUNCTIONS = {
  // --- initialization and configuration
  initialize: pub([n("min-stake"), n("required-signers"), n("total-signers"), n("rotation-period"), n("signature-threshold")], b, "set the parameters, once (deployer only)"),
  "get-config": ro([], ConfigDecoder, "every parameter"),
  "get-network-state": ro([], NetworkStateDecoder, "epochs, counts, pause flag, block heights"),
  "get-clock": ro([], ClockDecoder, "the contract's clocks (heights minus paused blocks)"),
  // --- signers and stake
  "register-signer": pub([g1("public-key")], b, "lock min-stake and register a BLS public key"),
  "increase-stake": pub([n("amount")], u, "add stake (returns the new stake)"),
  "request-unstake": pub([n("amount")], u, "start unbonding (returns the release height)"),
  "withdraw-stake": pub([], u, "withdraw unbonded stake"),
  "update-metrics": pub([who("signer"), n("signing-speed"), n("uptime"), n("accuracy")], u, "active watchtower: report a signer's metrics (as submit-watchtower-report)"),
  "claim-rewards": pub([], u, "withdraw earned fees and rewards"),
  "get-signer-info": ro([who("signer")], optionalResult(SignerInfoDecoder), "a signer's record"),
  "get-reputation": ro([who("signer")], u, "a signer's reputation score (0..10000)"),
  "get-signer-by-key": ro([g1("public-key")], optionalResult(p), "the signer registered with a key"),
  "get-signers": ro([], listResult(p, 128), "every registered signer"),
  "get-rewards": ro([who("who")], u, "unclaimed rewards"),
  "get-treasury": ro([], u, "the treasury balance"),
  "get-accounting": ro([], AccountingDecoder, "the contract's STX by purpose"),
  // --- epochs and keys
  "rotate-signers": pub([arg("committee", list(principal, 32))], u, "propose the next committee, as get-ranking gives it (returns its epoch)"),
  "cancel-epoch": pub([n("epoch")], listResult(p, 64), "cancel a forming epoch past its DKG timeout (returns the penalized)"),
  "post-dkg-message": pub([n("epoch"), n("phase"), arg("payload", buff(4096))], b, "broadcast a DKG frame"),
  "submit-epoch-key": pub([n("epoch"), g1("group-public-key"), arg("share-public-keys", list(buff(48, true), 32))], b, "vote for a DKG result (true once it activates)"),
  "get-epoch": ro([n("epoch")], optionalResult(EpochDecoder), "an epoch's committee and keys"),
  "get-current-epoch": ro([], u, "the epoch serving requests (0 = none)"),
  "get-ranking": ro([], listResult(RankingEntryDecoder, 128), "every signer's rotation inputs"),
  "get-seat-stake": ro([n("epoch"), who("signer")], optionalResult(u), "the stake that ranked a member, bonded while its epoch serves"),
  "get-member-index": ro([n("epoch"), who("signer")], optionalResult(u), "a member's 1-based share index"),
  "get-epoch-key-votes": ro([n("epoch"), h32("result")], u, "votes for one DKG result"),
  // --- signing
  "request-signature": pub([h32("message-hash"), n("fee")], u, "pay for a threshold signature (returns the deadline)"),
  "submit-partial-signature": pub([h32("message-hash"), g2("signature")], u, "a committee member's partial (returns the partial count)"),
  "submit-aggregate-signature": pub([h32("message-hash"), g2("signature")], u, "the combined signature (returns fees paid)"),
  "reclaim-fee": pub([h32("message-hash")], u, "refund of an expired request"),
  "settle-fee": pub([h32("message-hash")], u, "pay a finalized request's fee once its claim window has passed"),
  "get-request": ro([h32("message-hash")], optionalResult(RequestDecoder), "a signing request"),
  "get-partial-signature": ro([h32("message-hash"), who("signer")], optionalResult(PartialSignatureDecoder), "a stored partial"),
  // --- watchtowers and slashing
  "register-watchtower": pub([], b, "lock the watchtower bond"),
  "leave-watchtower": pub([], u, "stop reporting (returns the release height)"),
  "withdraw-watchtower-bond": pub([], u, "withdraw the bond after unbonding"),
  "submit-watchtower-report": pub([who("signer"), n("uptime"), n("signing-speed"), n("valid-signatures")], u, "report a signer's metrics"),
  "report-invalid-signature": pub([h32("message-hash"), who("signer")], b, "claim a partial is invalid (true once confirmed)"),
  "report-invalid-aggregate": pub([h32("message-hash")], b, "claim an aggregate is invalid (true once confirmed)"),
  "expire-claim": pub([h32("message-hash"), who("signer")], u, "clear a claim that missed its window"),
  "expire-aggregate-claim": pub([h32("message-hash"), g2("aggregate")], u, "clear an aggregate claim that missed its window"),
  "penalize-missed-signature": pub([h32("message-hash"), who("signer")], u, "slash a member who did not sign by the deadline"),
  "get-watchtower": ro([who("watchtower")], optionalResult(WatchtowerDecoder), "a watchtower's record"),
  "get-watchtower-report": ro([who("watchtower"), who("signer"), n("interval")], optionalResult(WatchtowerReportDecoder), "one report"),
  "get-interval-reports": ro([who("signer"), n("interval")], optionalResult(IntervalReportsDecoder), "an interval's sorted reports"),
  "get-current-interval": ro([], u, "the current report interval"),
  "get-watchtower-supermajority": ro([], u, "active watchtowers needed to confirm a claim"),
  "get-claim": ro([h32("message-hash"), who("signer")], optionalResult(ClaimDecoder), "a claim against a partial"),
  "get-aggregate-claim": ro([h32("message-hash"), g2("aggregate")], optionalResult(AggregateClaimDecoder), "a claim against an aggregate"),
  "get-liveness-penalty": ro([h32("message-hash"), who("signer")], optionalResult(u), "when a missed signature was penalized"),
  // --- governance
  "propose-parameter-change": pub([arg("parameter", ascii(32)), n("value")], u, "propose a parameter value (returns the proposal id)"),
  "propose-treasury-spend": pub([n("amount"), who("recipient")], u, "propose paying from the treasury (returns the proposal id)"),
  "propose-guardian": pub([who("new-guardian")], u, "propose a new guardian (returns the proposal id)"),
  "vote-on-proposal": pub([n("proposal-id"), arg("support", bool)], u, "vote with your bonded stake (returns the weight)"),
  "execute-proposal": pub([n("proposal-id")], b, "carry out a proposal after its vote"),
  "get-proposal": ro([n("proposal-id")], optionalResult(ProposalDecoder), "a proposal and its tally"),
  "get-proposal-vote": ro([n("proposal-id"), who("voter")], optionalResult(ProposalVoteDecoder), "one voter's vote"),
  "get-proposal-count": ro([], u, "proposals made so far"),
  // --- emergency
  pause: pub([], b, "guardian: pause"),
  unpause: pub([], b, "guardian: unpause"),
} as const;

export type Functions = typeof FUNCTIONS;
export type FunctionName = keyof Functions;
export type PublicName = { [K in FunctionName]: Functions[K]["access"] extends "public" ? K : never }[FunctionName];
export type ReadOnlyName = { [K in FunctionName]: Functions[K]["access"] extends "read_only" ? K : never }[FunctionName];

/** The JS argument tuple of a function, in order. */
export type ArgsOf<N extends FunctionName> = ArgValues<Functions[N]["args"]>;
type ArgValues<A extends readonly unknown[]> = { -readonly [I in keyof A]: A[I] extends Arg<infer T> ? T : never };
/** The decoded result of a read-only function, or the decoded `ok` value of a public one. */
export type ResultOf<N extends FunctionName> = Decoded<Functions[N]["result"]>;

export function functionSpec(name: string): FunctionSpec {
  const spec = (FUNCTIONS as Record<string, FunctionSpec>)[name];
  if (!spec) throw new Error(`unknown contract function ${name}`);
  return spec;
}
