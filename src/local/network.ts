// A whole DTS network in one process on the embedded simnet: signers register real BLS
// identity keys, the committee runs the real DKG with every message posted through the
// contract and read back from its events, a requester pays for a signature, every member
// signs, a watchtower checks every partial, an aggregator combines robustly, and the
// result is verified with BLS against the group key stored in the contract.
import { Cl } from "@stacks/transactions";
import { SimnetChain, type CallOutcome } from "../chain/simnet.js";
import { committeeArgument, currentProposal } from "../chain/committee.js";
import type { Plain } from "../chain/clarity.js";
import {
  DkgParticipant,
  type DkgResult,
  type IdentityKeyPair,
  type PartialSignature,
  type SecretShare,
  fromHex,
  generateIdentity,
  messageHash as hashMessage,
  partialSign,
  robustCombine,
  toHex,
  verify,
  verifyPartials,
} from "../crypto/index.js";

export interface LocalNetworkOptions {
  /** Committee size n (signers registered: n + 1, one backup). */
  n: number;
  /** Threshold t, n/2 < t <= n. */
  t: number;
  /** The message to sign (SHA-256 gives the 32-byte hash the request names). */
  message: string;
  /** Request fee in micro-STX. */
  fee: bigint;
  /** Called with one line per step, for people. */
  progress?: (line: string) => void;
  /** The chain to run on; a fresh simnet if omitted. */
  chain?: SimnetChain;
}

export interface LocalNetworkReport {
  committee: { index: number; signer: string; identityKey: string; shareKey: string }[];
  epoch: number;
  threshold: number;
  groupPublicKey: string;
  dkg: { messagesPosted: number; bytesPosted: number; qualified: number[]; disqualified: number[] };
  request: { messageHash: string; requester: string; fee: bigint; deadline: bigint };
  partials: { index: number; signer: string; signature: string; validPerWatchtower: boolean }[];
  aggregate: { signature: string; combinedFrom: number[]; verifiesAgainstStoredGroupKey: boolean };
  feeShares: { signer: string; claimed: bigint }[];
  treasury: bigint;
  accounting: Record<string, Plain>;
  blockHeight: number;
}

const MIN_STAKE = 100_000_000n; // 100 STX
const MAX_COMMITTEE = 32; // the contract's MAX-COMMITTEE
const ROTATION_PERIOD = 144n;

export class LocalNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LocalNetworkError";
  }
}

export async function runLocalNetwork(options: LocalNetworkOptions): Promise<LocalNetworkReport> {
  const { n, t, fee } = options;
  const say = options.progress ?? (() => {});
  if (!Number.isInteger(n) || n < 1 || n > MAX_COMMITTEE) throw new LocalNetworkError(`n must be 1..${MAX_COMMITTEE}, got ${n}`);
  if (!Number.isInteger(t) || 2 * t <= n || t > n) throw new LocalNetworkError(`t must satisfy n/2 < t <= n, got t=${t} n=${n}`);

  const chain = options.chain ?? (await SimnetChain.open());
  const deployer = chain.simnet.deployer;
  // wallet_1..wallet_12 first, then fresh funded accounts for larger committees.
  const signers = Array.from({ length: n + 1 }, (_, i) =>
    i < 12 ? chain.account(`wallet_${i + 1}`) : chain.fundedAccount(`signer-${i + 1}`, 10n * MIN_STAKE),
  );
  const requester = chain.account("wallet_13");
  const watchtower = chain.account("wallet_14");
  const aggregator = chain.account("faucet");

  say(`initialize: committee of ${n}, threshold ${t}, min-stake ${MIN_STAKE} uSTX`);
  chain.mustCall("initialize", [Cl.uint(MIN_STAKE), Cl.uint(n), Cl.uint(n), Cl.uint(ROTATION_PERIOD), Cl.uint(t)], deployer);

  // Each signer node's identity key: DKG shares are encrypted to it. A real node keeps it
  // in its encrypted keystore (src/crypto/keystore.ts); here it lives for the session only.
  const identities = new Map<string, IdentityKeyPair>();
  for (const signer of signers) {
    const identity = generateIdentity();
    identities.set(signer, identity);
    chain.mustCall("register-signer", [Cl.buffer(identity.publicKey)], signer);
  }
  say(`register-signer: ${signers.length} signers staked ${MIN_STAKE} uSTX each`);
  chain.mustCall("register-watchtower", [], watchtower);

  const rotation = chain.mustCall("rotate-signers", [committeeArgument(await currentProposal((fn, args) => chain.read(fn, args)))], requester);
  const epoch = Number(rotation.value);
  const committee = (chain.read("get-epoch", [Cl.uint(epoch)]) as { committee: string[] }).committee;
  say(`rotate-signers: epoch ${epoch}, committee ${committee.length} of ${signers.length} registered`);

  const dkg = runDkgThroughContract(chain, epoch, t, committee, identities);
  say(`DKG: ${dkg.messagesPosted} messages (${dkg.bytesPosted} bytes) through post-dkg-message, ${dkg.results[0].qualified.length} dealers qualified`);

  const { groupKey, shareKeys } = dkg.results[0];
  let activated = false;
  for (const [i, member] of committee.entries()) {
    const vote = chain.mustCall("submit-epoch-key", [Cl.uint(epoch), Cl.buffer(groupKey), Cl.list(shareKeys.map((k) => Cl.buffer(k)))], member);
    activated = vote.value === true;
    if (activated) {
      say(`submit-epoch-key: epoch ${epoch} active after ${i + 1} identical votes, group key ${toHex(groupKey).slice(0, 16)}…`);
      break;
    }
  }
  if (!activated) throw new LocalNetworkError("the committee's key votes did not activate the epoch");

  // The group key every verifier uses is the one stored on-chain.
  const stored = chain.read("get-epoch", [Cl.uint(epoch)]) as { "group-public-key": string; "share-public-keys": string[] };
  const storedGroupKey = fromHex(stored["group-public-key"].slice(2));
  const storedShareKeys = stored["share-public-keys"].map((k) => fromHex(k.slice(2)));

  const hash = hashMessage(options.message);
  const request = chain.mustCall("request-signature", [Cl.buffer(hash), Cl.uint(fee)], requester);
  say(`request-signature: "${options.message}" (${toHex(hash).slice(0, 16)}…) with a fee of ${fee} uSTX`);

  const partials: PartialSignature[] = [];
  for (const [i, member] of committee.entries()) {
    const share = dkg.results[i].share;
    if (!share) throw new LocalNetworkError(`member ${i + 1} holds no share after the DKG`);
    const partial = partialSign(share, hash);
    chain.mustCall("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(partial.signature)], member);
    partials.push(partial);
  }
  say(`submit-partial-signature: ${partials.length} partials on-chain`);

  // The watchtower judges every stored partial against the stored share keys.
  const onChain = committee.map((member, i) => {
    const record = chain.read("get-partial-signature", [Cl.buffer(hash), Cl.principal(member)]) as { signature: string };
    return { index: i + 1, signature: fromHex(record.signature.slice(2)) };
  });
  const verdicts = verifyPartials(hash, onChain, storedShareKeys);
  say(`watchtower: ${verdicts.filter(Boolean).length}/${verdicts.length} partials verify against their share keys`);

  const combined = robustCombine({ messageHash: hash, partials: onChain, threshold: t, groupKey: storedGroupKey, shareKeys: storedShareKeys });
  chain.mustCall("submit-aggregate-signature", [Cl.buffer(hash), Cl.buffer(combined.signature)], aggregator);
  const finalized = chain.read("get-request", [Cl.buffer(hash)]) as { "aggregate-signature": string; deadline: bigint };
  const aggregate = fromHex(finalized["aggregate-signature"].slice(2));
  const verifies = verify(storedGroupKey, hash, aggregate);
  if (!verifies) throw new LocalNetworkError("the stored aggregate does not verify against the stored group key");
  say(`submit-aggregate-signature: combined from shares ${combined.signers.join(",")}; verifies against the stored group key`);

  // The fee is paid once the aggregate can no longer be contested: after the claim window
  // (Bitcoin blocks) that opened with it.
  const { "settle-at": settleAt } = chain.read("get-request", [Cl.buffer(hash)]) as { "settle-at": bigint };
  chain.mine(Number(settleAt) - chain.simnet.burnBlockHeight + 1); // empty blocks advance both clocks
  const settled = chain.mustCall("settle-fee", [Cl.buffer(hash)], aggregator);
  say(`settle-fee: after the aggregate's claim window, ${settled.value} uSTX to the ${t} or more valid partial signers`);

  const feeShares = committee.map((member) => {
    const claim: CallOutcome = chain.mustCall("claim-rewards", [], member);
    return { signer: member, claimed: claim.value as bigint };
  });
  say(`claim-rewards: ${feeShares.map((s) => s.claimed).join(" + ")} uSTX paid out`);

  const accounting = chain.read("get-accounting") as Record<string, Plain>;
  if (accounting.total !== accounting.balance) throw new LocalNetworkError("the contract's accounting does not add up to its balance");

  return {
    committee: committee.map((signer, i) => ({
      index: i + 1,
      signer,
      identityKey: toHex(identities.get(signer)!.publicKey),
      shareKey: toHex(storedShareKeys[i]),
    })),
    epoch,
    threshold: t,
    groupPublicKey: toHex(storedGroupKey),
    dkg: {
      messagesPosted: dkg.messagesPosted,
      bytesPosted: dkg.bytesPosted,
      qualified: dkg.results[0].qualified,
      disqualified: dkg.results[0].disqualified.map((f) => f.dealer),
    },
    request: { messageHash: toHex(hash), requester, fee, deadline: request.value as bigint },
    partials: onChain.map((p, i) => ({ index: p.index, signer: committee[i], signature: toHex(p.signature), validPerWatchtower: verdicts[i] })),
    aggregate: { signature: toHex(aggregate), combinedFrom: combined.signers, verifiesAgainstStoredGroupKey: verifies },
    feeShares,
    treasury: chain.read("get-treasury") as bigint,
    accounting,
    blockHeight: chain.blockHeight,
  };
}

/**
 * Every member runs its own DKG participant. Each phase, members post their frames with
 * post-dkg-message; every participant then receives the frames exactly as the contract
 * printed them, with the sender index the contract vouched for.
 */
function runDkgThroughContract(
  chain: SimnetChain,
  epoch: number,
  t: number,
  committee: string[],
  identities: Map<string, IdentityKeyPair>,
): { results: (DkgResult & { share?: SecretShare })[]; messagesPosted: number; bytesPosted: number } {
  const identityKeys = committee.map((member) => identities.get(member)!.publicKey);
  const participants = committee.map(
    (member, i) =>
      new DkgParticipant({ epoch, threshold: t, identityKeys, self: { index: i + 1, identitySecret: identities.get(member)!.secretKey } }),
  );
  let messagesPosted = 0;
  let bytesPosted = 0;
  const phase = (phaseNumber: number, frames: (p: DkgParticipant) => Uint8Array[]) => {
    const printed: { from: number; payload: Uint8Array }[] = [];
    participants.forEach((participant, i) => {
      for (const frame of frames(participant)) {
        const outcome = chain.mustCall("post-dkg-message", [Cl.uint(epoch), Cl.uint(phaseNumber), Cl.buffer(frame)], committee[i]);
        const event = outcome.events.find((e) => e.topic === "dkg-message")!;
        printed.push({ from: Number(event.index), payload: fromHex((event.payload as string).slice(2)) });
        messagesPosted += 1;
        bytesPosted += frame.length;
      }
    });
    for (const participant of participants) for (const message of printed) participant.receive(message.from, message.payload);
  };
  phase(1, (p) => p.deal());
  phase(2, (p) => p.complain());
  phase(3, (p) => p.justify());
  const results = participants.map((p) => p.finish());
  const key = toHex(results[0].groupKey);
  if (results.some((r) => toHex(r.groupKey) !== key)) throw new LocalNetworkError("DKG participants disagree on the group key");
  return { results, messagesPosted, bytesPosted };
}
