// The committee that `rotate-signers` accepts, computed off-chain from public state. The
// contract checks a proposal in one pass over its ranking; exactly one committee passes,
// and this is it: walk the eligible signers from the best rank down, keep every member of
// the serving committee, admit newcomers while fewer than the churn limit have joined,
// stop when the committee is full.
import { Cl, type ClarityValue } from "@stacks/transactions";

/** One row of the contract's `get-ranking`. */
export interface RankingEntry {
  signer: string;
  stake: bigint;
  reputation: bigint;
  seq: bigint;
  exiting: boolean;
  excludedFrom: bigint;
}

export interface RotationInputs {
  ranking: RankingEntry[];
  /** The serving (active) committee, empty before the first epoch. */
  serving: string[];
  /** The number of the epoch the rotation forms (latest epoch + 1). */
  epoch: bigint;
  totalSigners: bigint;
  threshold: bigint;
  maxChurn: bigint;
  minStake: bigint;
  minReputation: bigint;
}

export function isEligible(entry: RankingEntry, inputs: Pick<RotationInputs, "epoch" | "minStake" | "minReputation">): boolean {
  return entry.stake >= inputs.minStake && !entry.exiting && entry.reputation >= inputs.minReputation && entry.excludedFrom !== inputs.epoch;
}

/** a before b: higher stake x reputation, ties to the earlier registration. */
export function compareRank(a: RankingEntry, b: RankingEntry): number {
  const scoreA = a.stake * a.reputation;
  const scoreB = b.stake * b.reputation;
  if (scoreA !== scoreB) return scoreA > scoreB ? -1 : 1;
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

/** The committee to propose, in rank order (a member's position is its share index). */
export function proposeCommittee(inputs: RotationInputs): string[] {
  const eligible = inputs.ranking.filter((entry) => isEligible(entry, inputs)).sort(compareRank);
  const serving = new Set(inputs.serving);
  const staying = eligible.filter((entry) => serving.has(entry.signer)).length;
  const limit = BigInt(staying) < inputs.threshold ? inputs.totalSigners : inputs.maxChurn;
  const committee: string[] = [];
  let joined = 0n;
  for (const entry of eligible) {
    if (BigInt(committee.length) >= inputs.totalSigners) break;
    if (serving.has(entry.signer)) committee.push(entry.signer);
    else if (joined < limit) {
      committee.push(entry.signer);
      joined += 1n;
    }
  }
  return committee;
}

/** A `get-ranking` row as `decode` (src/chain/clarity.ts) returns it. */
export function rankingEntryFrom(row: Record<string, unknown>): RankingEntry {
  return {
    signer: row.signer as string,
    stake: row.stake as bigint,
    reputation: row.reputation as bigint,
    seq: row.seq as bigint,
    exiting: row.exiting as boolean,
    excludedFrom: row["excluded-from"] as bigint,
  };
}

/** Rotation inputs from decoded read-only results: `get-ranking`, `get-config`,
 *  `get-network-state` and the serving epoch's committee (from `get-epoch`). */
export function rotationInputsFrom(state: {
  ranking: Record<string, unknown>[];
  config: Record<string, unknown>;
  networkState: Record<string, unknown>;
  serving: string[];
}): RotationInputs {
  return {
    ranking: state.ranking.map(rankingEntryFrom),
    serving: state.serving,
    epoch: (state.networkState["latest-epoch"] as bigint) + 1n,
    totalSigners: state.config["total-signers"] as bigint,
    threshold: state.config["signature-threshold"] as bigint,
    maxChurn: state.config["max-churn"] as bigint,
    minStake: state.config["min-stake"] as bigint,
    minReputation: state.config["min-reputation"] as bigint,
  };
}

/** Reads what a rotation needs through any read-only caller (simnet or HTTP, decoded by
 *  src/chain/clarity.ts) and returns the committee rotate-signers accepts now. */
export async function currentProposal(read: (fn: string, args: ClarityValue[]) => unknown): Promise<string[]> {
  const networkState = (await read("get-network-state", [])) as Record<string, unknown>;
  const current = networkState["current-epoch"] as bigint;
  const serving = current === 0n ? [] : ((await read("get-epoch", [Cl.uint(current)])) as { committee: string[] }).committee;
  return proposeCommittee(
    rotationInputsFrom({
      ranking: (await read("get-ranking", [])) as Record<string, unknown>[],
      config: (await read("get-config", [])) as Record<string, unknown>,
      networkState,
      serving,
    }),
  );
}

/** The rotate-signers argument for a committee. */
export const committeeArgument = (committee: string[]): ClarityValue => Cl.list(committee.map((member) => Cl.principal(member)));
