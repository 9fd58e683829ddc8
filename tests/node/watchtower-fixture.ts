// A DTS network on the simnet for the watchtower and aggregator tests: n signers with real
// BLS identity keys, a committee rotated in, and its epoch activated with real threshold
// keys (Shamir shares of a random group secret, voted in by t members as tests/helpers.ts
// activeEpoch does in the clarinet environment), all through the typed client.
import { expect } from "vitest";
import { SimnetBackend, SimnetChain } from "../../src/chain/simnet.js";
import { DtsClient } from "../../src/chain/client.js";
import type { ContractEvent } from "../../src/chain/backend.js";
import {
  generateIdentity,
  messageHash,
  partialSign,
  publicKeyOf,
  randomScalar,
  splitSecret,
  toHex,
  type SecretShare,
} from "../../src/crypto/index.js";
import { RoleStore } from "../../src/roles/watchtower-store.js";
import { Watchtower, type RoleAction, type WatchtowerOptions } from "../../src/roles/watchtower.js";
import { Aggregator } from "../../src/roles/aggregator.js";

export const MIN_STAKE = 100_000_000n;
export const FEE = 3_000_000n;

export interface Net {
  chain: SimnetChain;
  backend: SimnetBackend;
  /** Reads as the deployer. */
  client: DtsClient;
  committee: string[];
  threshold: number;
  groupKey: Uint8Array;
  shares: SecretShare[];
  shareKeys: Uint8Array[];
  requester: string;
  /** The committee member's share (by address). */
  shareOf(member: string): SecretShare;
  events(topic: string): ContractEvent[];
  /** Mines empty blocks (both clocks advance). */
  mine(blocks: number): void;
  /** Mines Stacks blocks only. */
  mineStacks(blocks: number): void;
}

export async function network(n: number, t: number, init: { rotationPeriod?: bigint } = {}): Promise<Net> {
  const chain = await SimnetChain.open();
  const backend = new SimnetBackend(chain);
  const deployer = chain.simnet.deployer;
  const client = new DtsClient(backend, deployer);
  await client.initialize(MIN_STAKE, t, n, init.rotationPeriod ?? 144n, t);
  const signers = Array.from({ length: n }, (_, i) => chain.account(`wallet_${i + 1}`));
  for (const signer of signers) await client.as(signer).registerSigner(generateIdentity().publicKey);
  const epoch = (await client.as(signers[0]!).rotateSigners(await client.proposedCommittee())).value;
  expect(epoch).toBe(1n);
  const committee = (await client.getEpoch(1))!.committee;
  expect(committee).toHaveLength(n);

  const secret = randomScalar();
  const { shares } = splitSecret(secret, t, n);
  const group = publicKeyOf(secret);
  const shareKeys = shares.map((s) => publicKeyOf(s.value));
  for (const [i, member] of committee.slice(0, t).entries()) {
    const vote = await client.as(member).submitEpochKey(1, group, shareKeys);
    expect(vote.value).toBe(i === t - 1);
  }
  expect(await client.getCurrentEpoch()).toBe(1n);
  const stored = (await client.getEpoch(1))!;
  expect(stored.groupPublicKey).toBe(`0x${toHex(group)}`);

  return {
    chain,
    backend,
    client,
    committee,
    threshold: t,
    groupKey: group,
    shares,
    shareKeys,
    requester: chain.account("wallet_13"),
    shareOf: (member) => shares[committee.indexOf(member)]!,
    events: (topic) => chain.eventLog.filter((e) => e.topic === topic),
    mine: (blocks) => chain.mine(blocks),
    mineStacks: (blocks) => chain.simnet.mineEmptyStacksBlocks(blocks),
  };
}

/** A request for `message` by the requester; returns its hash (0x-hex). */
export async function request(net: Net, message: string, fee = FEE): Promise<string> {
  const hash = `0x${toHex(messageHash(message))}`;
  await net.client.as(net.requester).requestSignature(hash, fee);
  return hash;
}

/** A member's valid partial on-chain. */
export async function signPartial(net: Net, member: string, hash: string): Promise<void> {
  const partial = partialSign(net.shareOf(member), fromHex0x(hash));
  await net.client.as(member).submitPartialSignature(hash, partial.signature);
}

/** A member's invalid partial on-chain: a well-formed G2 point signed with another member's share. */
export async function signInvalidPartial(net: Net, member: string, hash: string): Promise<Uint8Array> {
  const other = net.shares[(net.committee.indexOf(member) + 1) % net.shares.length]!;
  const bad = partialSign({ index: net.shareOf(member).index, value: other.value }, fromHex0x(hash)).signature;
  await net.client.as(member).submitPartialSignature(hash, bad);
  return bad;
}

export function fromHex0x(hex: string): Uint8Array {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  return Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** Polls `check` until it holds (the roles run on their own loops); fails after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface RoleHandle<R> {
  role: R;
  actions: RoleAction[];
  lines: string[];
  store: RoleStore;
}

export function watchtower(net: Net, account: string, options: Partial<WatchtowerOptions> = {}): RoleHandle<Watchtower> {
  const actions: RoleAction[] = [];
  const lines: string[] = [];
  const store = RoleStore.open(":memory:", "watchtower");
  const role = new Watchtower({
    client: net.client.as(account),
    store,
    bond: true,
    report: false,
    pollIntervalMs: 5,
    log: (line) => lines.push(line),
    onAction: (a) => actions.push(a),
    ...options,
  });
  return { role, actions, lines, store };
}

export function aggregator(net: Net, account: string, store = RoleStore.open(":memory:", "aggregator")): RoleHandle<Aggregator> {
  const actions: RoleAction[] = [];
  const lines: string[] = [];
  const role = new Aggregator({
    client: net.client.as(account),
    store,
    pollIntervalMs: 5,
    log: (line) => lines.push(line),
    onAction: (a) => actions.push(a),
  });
  return { role, actions, lines, store };
}

/** Starts the watchtowers and waits until each is an active, bonded watchtower. */
export async function startTowers(net: Net, towers: RoleHandle<Watchtower>[]): Promise<void> {
  for (const t of towers) await t.role.start();
  for (const t of towers) expect((await net.client.getWatchtower(t.role.address))?.isActive).toBe(true);
}

export const TOWERS = ["wallet_10", "wallet_11", "wallet_12"] as const;
