// rotate-signers' execution cost with many registered signers, measured on the simnet with
// cost tracking: used by npm run bench:costs and by tests/node/rotation-cost.test.ts, which
// holds it under 1% of every block limit at 128 signers.
import { Cl } from "@stacks/transactions";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { SimnetChain, type ExecutionCost } from "../src/chain/simnet.js";
import { committeeArgument, currentProposal } from "../src/chain/committee.js";

export const DIMENSIONS = ["runtime", "readCount", "readLength", "writeCount", "writeLength"] as const;

/**
 * rotate-signers with `signers` registered (stakes spread so that ranking matters) into a
 * committee of min(32, signers): the first rotation, and a second one over an active
 * committee, where the churn limit applies. The costlier of the two.
 */
export async function measureRotation(signers: number) {
  const chain = await SimnetChain.open({ trackCosts: true });
  const n = Math.min(32, signers);
  const t = Math.floor(n / 2) + 1;
  const deployer = chain.simnet.deployer;
  chain.mustCall("initialize", [Cl.uint(100_000_000), Cl.uint(t), Cl.uint(n), Cl.uint(144), Cl.uint(t)], deployer);
  const accounts = Array.from({ length: signers }, (_, i) => chain.fundedAccount(`rotation-${signers}-${i}`, 10_000_000_000n));
  accounts.forEach((account, i) => {
    const key = bls12_381.G1.Point.BASE.multiply(BigInt(i + 1)).toBytes(true);
    chain.mustCall("register-signer", [Cl.buffer(key)], account);
    if (i % 3 === 0) chain.mustCall("increase-stake", [Cl.uint(1_000_000 * (i + 1))], account);
  });
  const rotate = async () =>
    chain.mustCall("rotate-signers", [committeeArgument(await currentProposal((fn, args) => chain.read(fn, args)))], deployer);
  const first = (await rotate()).cost!;
  // Activate epoch 1 (any well-formed key: the contract cannot tell), let newcomers outrank.
  const committee = (chain.read("get-epoch", [Cl.uint(1)]) as { committee: string[] }).committee;
  const key = bls12_381.G1.Point.BASE.multiply(7n).toBytes(true);
  for (const member of committee.slice(0, t))
    chain.mustCall("submit-epoch-key", [Cl.uint(1), Cl.buffer(key), Cl.list(committee.map(() => Cl.buffer(key)))], member);
  for (const account of accounts.filter((a) => !committee.includes(a)).slice(0, n)) chain.mustCall("increase-stake", [Cl.uint(5_000_000_000)], account);
  chain.mine(144);
  const second = (await rotate()).cost!;
  const worst = first.runtime >= second.runtime ? first : second;
  const blockLimit: ExecutionCost = chain.log.find((entry) => entry.blockLimit)!.blockLimit!;
  const shareOfBlock = Object.fromEntries(DIMENSIONS.map((d) => [d, worst[d] / blockLimit[d]])) as Record<(typeof DIMENSIONS)[number], number>;
  return { signers, committee: n, first, second, worst, blockLimit, shareOfBlock };
}

