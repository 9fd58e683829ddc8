// npm run bench:costs — the execution cost (runtime, reads, writes) of every public function
// of dts.clar as the simnet measures it, and how many complete signing rounds fit in one
// block's budget. JSON on stdout, progress on stderr.
import { Cl } from "@stacks/transactions";
import { Command } from "commander";
import { toJson } from "../src/chain/clarity.js";
import { SimnetChain, type ExecutionCost } from "../src/chain/simnet.js";
import { runLocalNetwork } from "../src/local/network.js";
import { committeeArgument, currentProposal } from "../src/chain/committee.js";
import { DIMENSIONS, measureRotation } from "./rotation-cost.js";
import { messageHash, partialSign } from "../src/crypto/index.js";

const ROUNDS: [number, number][] = [
  [3, 5],
  [11, 15],
  [22, 32],
];

new Command().name("npm run bench:costs").description("Execution costs of dts.clar's public functions, as JSON").parse();
const progress = (line: string) => process.stderr.write(`${line}\n`);

type Summary = { calls: number } & ExecutionCost;

function summarize(chain: SimnetChain): Record<string, Summary> {
  const byFn: Record<string, ExecutionCost[]> = {};
  for (const entry of chain.log) if (entry.ok && entry.cost) (byFn[entry.fn] ??= []).push(entry.cost);
  // The most expensive successful call of each function: what a user must budget for.
  return Object.fromEntries(
    Object.entries(byFn)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([fn, costs]) => [
        fn,
        { calls: costs.length, ...Object.fromEntries(DIMENSIONS.map((d) => [d, Math.max(...costs.map((c) => c[d]))])) } as Summary,
      ]),
  );
}

const add = (a: ExecutionCost, b: ExecutionCost, times = 1): ExecutionCost =>
  Object.fromEntries(DIMENSIONS.map((d) => [d, a[d] + b[d] * times])) as unknown as ExecutionCost;
const zero = Object.fromEntries(DIMENSIONS.map((d) => [d, 0])) as unknown as ExecutionCost;

/** The calls that one lifetime of every other public function takes, on a live network. */
async function exerciseEverythingElse(chain: SimnetChain, t: number) {
  const deployer = chain.simnet.deployer;
  const epoch = chain.read("get-current-epoch") as bigint;
  const committee = (chain.read("get-epoch", [Cl.uint(epoch)]) as { committee: string[] }).committee;
  const requester = chain.account("wallet_13");
  // Three watchtowers: the supermajority of three active ones is all three (quorum 3).
  const towers = [chain.account("wallet_14"), chain.fundedAccount("tower-2", 1_000_000_000n), chain.fundedAccount("tower-3", 1_000_000_000n)];
  for (const tower of towers.slice(1)) chain.mustCall("register-watchtower", [], tower);
  const config = () => chain.read("get-config") as Record<string, bigint>;

  // A request that gets t-1 partials, one of them invalid, and then expires.
  const hash = messageHash("a request that expires");
  chain.mustCall("request-signature", [Cl.buffer(hash), Cl.uint(5000)], requester);
  const wrongShare = { index: 1, value: 12345n };
  chain.mustCall("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(partialSign(wrongShare, hash).signature)], committee[0]);
  for (const tower of towers) chain.mustCall("report-invalid-signature", [Cl.buffer(hash), Cl.principal(committee[0])], tower);
  // Reports: the third one about a signer reaches the supermajority and applies it.
  for (const member of committee.slice(1, 4)) {
    const total = (chain.read("get-signer-info", [Cl.principal(member)]) as { "performance-metrics": { "total-signatures": bigint } })[
      "performance-metrics"
    ]["total-signatures"];
    chain.mustCall("submit-watchtower-report", [Cl.principal(member), Cl.uint(99), Cl.uint(2), Cl.uint(total)], towers[0]);
    chain.mustCall("submit-watchtower-report", [Cl.principal(member), Cl.uint(97), Cl.uint(3), Cl.uint(total)], towers[1]);
  }
  for (const member of committee.slice(1, 4)) chain.mustCall("update-metrics", [Cl.principal(member), Cl.uint(2), Cl.uint(98), Cl.uint(100)], towers[2]);
  chain.mine(Number(config()["signing-timeout"]) + 1);
  for (const member of committee.slice(1, t)) chain.mustCall("penalize-missed-signature", [Cl.buffer(hash), Cl.principal(member)], requester);
  chain.mustCall("reclaim-fee", [Cl.buffer(hash)], requester);
  chain.mustCall("claim-rewards", [], towers[0]);

  // A claim that never reaches the supermajority, and expires (the claimant forfeits bond).
  const other = messageHash("a claim that expires");
  chain.mustCall("request-signature", [Cl.buffer(other), Cl.uint(5000)], requester);
  chain.mustCall("submit-partial-signature", [Cl.buffer(other), Cl.buffer(partialSign({ index: 2, value: 777n }, other).signature)], committee[1]);
  chain.mustCall("report-invalid-signature", [Cl.buffer(other), Cl.principal(committee[1])], towers[0]);
  chain.mine(Number(config()["claim-window"]) + 1);
  chain.mustCall("expire-claim", [Cl.buffer(other), Cl.principal(committee[1])], requester);

  // A junk aggregate that the watchtowers reject (costs do not depend on validity), then an
  // aggregate that stands: one claim against it expires, and the fee is settled.
  const junked = messageHash("a junk aggregate");
  chain.mustCall("request-signature", [Cl.buffer(junked), Cl.uint(5000)], requester);
  for (const [i, member] of committee.slice(0, t).entries())
    chain.mustCall("submit-partial-signature", [Cl.buffer(junked), Cl.buffer(partialSign({ index: i + 1, value: 1000n + BigInt(i) }, junked).signature)], member);
  const junk = (seed: number) => Uint8Array.from({ length: 96 }, (_, i) => (i === 0 ? 0x80 : (i + seed) % 256));
  chain.mustCall("submit-aggregate-signature", [Cl.buffer(junked), Cl.buffer(junk(0))], requester);
  for (const tower of towers) chain.mustCall("report-invalid-aggregate", [Cl.buffer(junked)], tower);
  chain.mustCall("submit-aggregate-signature", [Cl.buffer(junked), Cl.buffer(junk(1))], requester);
  chain.mustCall("report-invalid-aggregate", [Cl.buffer(junked)], towers[0]);
  chain.mine(Number(config()["claim-window"]) + 1);
  chain.mustCall("expire-aggregate-claim", [Cl.buffer(junked), Cl.buffer(junk(1))], requester);
  chain.mustCall("settle-fee", [Cl.buffer(junked)], requester);

  // The next rotation (its period has passed), stake movements of a backup signer, pause,
  // a watchtower leaving.
  // Slashed members fell below min-stake: they top up to stay eligible.
  for (const member of committee.slice(0, t)) chain.mustCall("increase-stake", [Cl.uint(20_000_000)], member);
  chain.mine(Number(config()["rotation-period"]));
  chain.mustCall("rotate-signers", [committeeArgument(await currentProposal((fn, args) => chain.read(fn, args)))], requester);
  const latest = (chain.read("get-network-state") as { "latest-epoch": bigint })["latest-epoch"];
  const next = (chain.read("get-epoch", [Cl.uint(latest)]) as { committee: string[] }).committee;
  const backup = (chain.read("get-signers") as string[]).find((s) => !next.includes(s) && !committee.includes(s))!;
  const { stake } = chain.read("get-signer-info", [Cl.principal(backup)]) as { stake: bigint };
  chain.mustCall("request-unstake", [Cl.uint(stake)], backup);
  // The new epoch never gets a key: after dkg-timeout anyone cancels it (its silent members
  // are penalized).
  chain.mine(Number(config()["dkg-timeout"]) + 1);
  chain.mustCall("cancel-epoch", [Cl.uint(latest)], requester);

  // Governance: a parameter change, a treasury spend and a guardian change, each voted by
  // three members and executed after the voting period.
  const voters = committee.slice(0, 3);
  const treasury = chain.read("get-treasury") as bigint;
  const proposals = [
    chain.mustCall("propose-parameter-change", [Cl.stringAscii("min-fee"), Cl.uint(2000)], voters[0]).value as bigint,
    chain.mustCall("propose-treasury-spend", [Cl.uint(treasury / 2n), Cl.principal(requester)], voters[1]).value as bigint,
    chain.mustCall("propose-guardian", [Cl.principal(deployer)], voters[2]).value as bigint,
  ];
  for (const id of proposals) for (const voter of voters) chain.mustCall("vote-on-proposal", [Cl.uint(id), Cl.bool(true)], voter);
  chain.mine(Number(config()["voting-period"]));
  for (const id of proposals) chain.mustCall("execute-proposal", [Cl.uint(id)], requester);

  chain.mustCall("pause", [], deployer);
  chain.mustCall("unpause", [], deployer);
  chain.mustCall("leave-watchtower", [], towers[1]);
  chain.mine(Number(config()["unbonding-period"]) + 1);
  chain.mustCall("withdraw-stake", [], backup);
  chain.mustCall("withdraw-watchtower-bond", [], towers[1]);
}

/** Every public function of the contract, from the interface the simnet exposes. */
function publicFunctions(chain: SimnetChain): string[] {
  const contractInterface = chain.simnet.getContractsInterfaces().get(chain.contractId)!;
  return contractInterface.functions.filter((f) => f.access === "public").map((f) => f.name);
}

const rounds: Record<string, unknown> = {};
let functions: Record<string, Summary> = {};
let blockLimit: ExecutionCost | null = null;

for (const [t, n] of ROUNDS) {
  progress(`measuring a ${t}-of-${n} network…`);
  const chain = await SimnetChain.open({ trackCosts: true });
  await runLocalNetwork({ n, t, message: `costs ${t}-of-${n}`, fee: 1_000_000n, chain });
  blockLimit ??= chain.log.find((entry) => entry.blockLimit)?.blockLimit ?? null;
  if (t === ROUNDS[0][0]) {
    progress("measuring every other public function…");
    await exerciseEverythingElse(chain, t);
  }
  const measured = summarize(chain);
  if (t === ROUNDS[0][0]) functions = measured;
  if (t === ROUNDS[0][0]) {
    const missing = publicFunctions(chain).filter((fn) => !(fn in measured));
    if (missing.length) throw new Error(`bench:costs measured no successful call of: ${missing.join(", ")}`);
  }
  // A complete round: one request, t partials, one aggregate, one settlement.
  const round = add(
    add(add(add(zero, measured["request-signature"]), measured["submit-partial-signature"], t), measured["submit-aggregate-signature"]),
    measured["settle-fee"],
  );
  const perBlock = Object.fromEntries(DIMENSIONS.map((d) => [d, Math.floor(blockLimit![d] / round[d])]));
  const binding = DIMENSIONS.reduce((best, d) => (perBlock[d] < perBlock[best] ? d : best), DIMENSIONS[0]);
  rounds[`${t}-of-${n}`] = {
    perRound: round,
    partial: measured["submit-partial-signature"],
    aggregate: measured["submit-aggregate-signature"],
    settlement: measured["settle-fee"],
    epochKeyVote: measured["submit-epoch-key"],
    roundsPerBlock: perBlock,
    binding: { dimension: binding, rounds: perBlock[binding], shareOfBlockPerRound: round[binding] / blockLimit![binding] },
  };
}

const rotation: Record<string, unknown> = {};
for (const signers of [8, 32, 64, 128]) {
  progress(`measuring rotate-signers with ${signers} registered signers…`);
  const { blockLimit: _, ...measured } = await measureRotation(signers);
  rotation[`${signers}-signers`] = measured;
}

// Each function's worst case as a share of the block limit, dimension by dimension.
const withShares = Object.fromEntries(
  Object.entries(functions).map(([fn, cost]) => [
    fn,
    { ...cost, shareOfBlock: Object.fromEntries(DIMENSIONS.map((d) => [d, cost[d] / blockLimit![d]])) },
  ]),
);

process.stdout.write(`${toJson({ blockLimit, functions: withShares, rounds, rotation })}\n`);
