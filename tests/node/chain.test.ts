import { beforeEach, describe, expect, it } from "vitest";
import { SimnetBackend } from "../../src/chain/simnet.js";
import { DtsClient } from "../../src/chain/client.js";
import { ContractCallError } from "../../src/chain/clarity.js";
import { ArgumentError, DecodeError } from "../../src/chain/errors.js";
import { SignerInfoDecoder } from "../../src/chain/functions.js";
import { generateIdentity, toHex } from "../../src/crypto/index.js";

const MIN_STAKE = 100_000_000n;

describe("the typed client on the simnet backend", () => {
  let backend: SimnetBackend;
  let client: DtsClient;
  let deployer: string;
  let wallet1: string;
  let wallet2: string;

  beforeEach(async () => {
    backend = await SimnetBackend.open();
    deployer = backend.chain.simnet.deployer;
    wallet1 = backend.chain.account("wallet_1");
    wallet2 = backend.chain.account("wallet_2");
    client = new DtsClient(backend, deployer);
  }, 60_000);

  it("initializes and reads the configuration back as typed values", async () => {
    const init = await client.initialize(MIN_STAKE, 3n, 4, 144n, 3n);
    expect(init.value).toBe(true);
    expect(init.events.map((e) => e.topic)).toEqual(["initialized"]);
    const config = await client.getConfig();
    expect(config).toMatchObject({ initialized: true, paused: false, guardian: deployer, minStake: MIN_STAKE, requiredSigners: 3n, totalSigners: 4n, rotationPeriod: 144n, signatureThreshold: 3n });
    expect(typeof config.signingTimeout).toBe("bigint");
  });

  it("registers a signer with a real BLS key and decodes its record", async () => {
    await client.initialize(MIN_STAKE, 1n, 1n, 10n, 1n);
    const identity = generateIdentity();
    const balance = await backend.balance(wallet1);
    const height = await backend.blockHeight();
    const tx = await client.as(wallet1).registerSigner(identity.publicKey);
    expect(tx.value).toBe(true);
    expect(tx.blockHeight).toBe(height + 1);
    expect(tx.events).toHaveLength(1);
    expect(tx.events[0]).toMatchObject({ topic: "signer-registered", blockHeight: height + 1, data: { signer: wallet1, "public-key": `0x${toHex(identity.publicKey)}`, stake: MIN_STAKE } });
    expect(await backend.balance(wallet1)).toBe(balance - MIN_STAKE);

    const info = await client.getSignerInfo(wallet1);
    expect(info).not.toBeNull();
    expect(info!.publicKey).toBe(`0x${toHex(identity.publicKey)}`);
    expect(info!.stake).toBe(MIN_STAKE);
    expect(info!.status).toBe("backup");
    expect(info!.reputationScore).toBe(5000n);
    // The event's block is the block the transaction ran in.
    expect(info!.registeredAt).toBe(BigInt(tx.blockHeight));
    expect(info!.performanceMetrics).toEqual({ signingSpeed: 0n, uptime: 100n, stakeDuration: info!.performanceMetrics.stakeDuration, accuracy: 100n, totalSignatures: 0n, validSignatures: 0n });
    expect(info!.slashingHistory).toEqual({ totalSlashes: 0n, lastSlashHeight: 0n, slashedAmount: 0n });
    expect(await client.getSignerInfo(wallet2)).toBeNull();
    expect(await client.getSignerByKey(toHex(identity.publicKey))).toBe(wallet1);
    expect(await client.getSigners()).toEqual([wallet1]);
    expect(await client.getReputation(wallet1)).toBe(5000n);
    const ranking = await client.getRanking();
    expect(ranking).toHaveLength(1);
    expect(ranking[0]).toMatchObject({ signer: wallet1, stake: MIN_STAKE, reputation: 5000n, exiting: false });
    expect(await client.getProposalCount()).toBe(0n);
    // The committee rotate-signers accepts, computed from the chain, and the rotation itself.
    const committee = await client.proposedCommittee();
    expect(committee).toEqual([wallet1]);
    const rotated = await client.as(wallet2).rotateSigners(committee);
    expect(rotated.value).toBe(1n);
    expect(rotated.events.map((e) => e.topic)).toContain("committee-rotated");
    expect((await client.getEpoch(1n))?.committee).toEqual([wallet1]);
    expect(await client.getProposal(1n)).toBeNull();
    const accounting = await client.getAccounting();
    expect(accounting.stakes).toBe(MIN_STAKE);
    expect(accounting.total).toBe(accounting.balance);
  });

  it("reports a contract error by name and changes nothing", async () => {
    const key = generateIdentity().publicKey;
    const err = await client.as(wallet1).registerSigner(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractCallError);
    expect((err as ContractCallError).message).toBe("register-signer failed with ERR-NOT-INITIALIZED (u112)");
    await client.initialize(MIN_STAKE, 1n, 1n, 10n, 1n);
    await client.as(wallet1).registerSigner(key);
    await expect(client.as(wallet2).registerSigner(key)).rejects.toThrow("ERR-KEY-IN-USE (u116)");
    await expect(client.as(wallet1).initialize(1n, 1n, 1n, 1n, 1n)).rejects.toThrow("ERR-UNAUTHORIZED");
    await expect(client.initialize(MIN_STAKE, 1n, 1n, 10n, 1n)).rejects.toThrow("ERR-ALREADY-INITIALIZED");
    expect(await client.getSignerInfo(wallet2)).toBeNull();
    // A read-only (err uN) is an error too.
    await expect(client.getReputation(wallet2)).rejects.toThrow("get-reputation failed with ERR-NOT-REGISTERED (u114)");
    // send() returns the raw outcome without throwing.
    const outcome = await client.send("register-signer", [key], { sender: wallet2 });
    expect(outcome).toMatchObject({ ok: false, value: 116n });
  });

  it("refuses bad arguments before anything is sent", async () => {
    const height = await backend.blockHeight();
    await expect(client.as(wallet1).registerSigner("0x1234")).rejects.toThrow(new ArgumentError("public-key must be 48 bytes of hex, got 2 bytes"));
    await expect(client.as(wallet1).registerSigner("zz")).rejects.toThrow(/public-key must be 48 bytes of hex/);
    await expect(client.initialize(-1n, 1n, 1n, 1n, 1n)).rejects.toThrow("min-stake must be a non-negative integer below 2^128, got -1");
    await expect(client.getSignerInfo("not-a-principal")).rejects.toThrow(/signer must be a Stacks principal/);
    await expect(client.call("initialize", [1n, 1n, 1n] as never)).rejects.toThrow("initialize takes 5 argument(s)");
    await expect(new DtsClient(backend).registerSigner(generateIdentity().publicKey)).rejects.toThrow("needs a sender");
    expect(await backend.blockHeight()).toBe(height);
  });

  it("decodes records by field name: extra fields are ignored, missing ones are named", () => {
    const raw = {
      stake: 1n, "public-key": "0xab", "reputation-score": 2n, "last-active": 3n,
      "performance-metrics": { "signing-speed": 0n, uptime: 100n, "stake-duration": 0n, accuracy: 100n, "total-signatures": 0n, "valid-signatures": 0n, "new-metric": 7n },
      "slashing-history": { "total-slashes": 0n, "last-slash-height": 0n, "slashed-amount": 0n },
      "registered-at": 4n, seq: 1n, unbonding: 0n, "unbonding-release": 0n, exiting: false, status: "backup", "claim-until": 0n, "excluded-from": 0n, "added-later": true,
    };
    const info = SignerInfoDecoder.decode(raw, "get-signer-info");
    expect(info.stake).toBe(1n);
    expect(info.performanceMetrics.uptime).toBe(100n);
    expect("addedLater" in info).toBe(false);
    const { seq: _seq, ...missing } = raw;
    expect(() => SignerInfoDecoder.decode(missing, "get-signer-info")).toThrow(new DecodeError("get-signer-info: missing field seq"));
    expect(() => SignerInfoDecoder.decode({ ...raw, stake: "1" }, "get-signer-info")).toThrow(/get-signer-info.stake: expected uint/);
  });

  it("reads the contract's events in order from a given block, and follows new ones", async () => {
    const start = await backend.blockHeight();
    await client.initialize(MIN_STAKE, 1n, 1n, 10n, 1n);
    const middle = (await backend.blockHeight()) + 1;
    await client.as(wallet1).registerSigner(generateIdentity().publicKey);
    backend.mine(3);
    await client.as(wallet2).registerSigner(generateIdentity().publicKey);
    await client.pause();

    const all = await client.events(start);
    expect(all.map((e) => e.topic)).toEqual(["initialized", "signer-registered", "signer-registered", "paused"]);
    expect(all.map((e) => e.data.signer ?? null)).toEqual([null, wallet1, wallet2, null]);
    const heights = all.map((e) => e.blockHeight);
    expect(heights).toEqual([...heights].sort((a, b) => a - b));
    expect(heights[2]! - heights[1]!).toBe(4);
    expect((await client.events(middle)).map((e) => e.topic)).toEqual(["signer-registered", "signer-registered", "paused"]);
    expect((await client.events(start, "signer-registered")).length).toBe(2);
    expect(await client.events(heights[3]! + 1)).toEqual([]);

    // The follower yields the history, then new events as they land, each once.
    const controller = new AbortController();
    const seen: string[] = [];
    const follow = (async () => {
      for await (const event of client.watch(start, { intervalMs: 10, signal: controller.signal })) {
        seen.push(event.topic);
        if (seen.length === 5) controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await client.unpause();
    await follow;
    expect(seen).toEqual(["initialized", "signer-registered", "signer-registered", "paused", "unpaused"]);
  });
});
