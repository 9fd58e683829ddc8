// The aggregator role in-process against the simnet backend: competing aggregators, an
// invalid aggregate by someone else that the watchtowers reject before the valid one lands,
// and a burst of requests aggregated together. Also npm start's --faulty check
// (src/network/run.ts) when the faulty member's partial lands after the aggregate.
import { afterEach, describe, expect, it } from "vitest";
import { partialSign, verify } from "../../src/crypto/index.js";
import { aggregator, FEE, fromHex0x, network, request, signInvalidPartial, signPartial, startTowers, TOWERS, until, watchtower, type RoleHandle } from "./watchtower-fixture.js";
import type { Watchtower } from "../../src/roles/watchtower.js";
import { Store } from "../../src/roles/store.js";
import { RoleStore } from "../../src/roles/watchtower-store.js";
import { Aggregator } from "../../src/roles/aggregator.js";
import { MAX_TXS_IN_FLIGHT } from "../../src/roles/parallel.js";
import type { ContractEvent } from "../../src/chain/backend.js";
import type { DtsClient } from "../../src/chain/client.js";
import { FAULTY_EXTRA_REQUESTS, NetworkError, ProcessNetwork, type RoleInfo, type SignResult } from "../../src/network/run.js";
import { tmpdir } from "node:os";

const running: RoleHandle<Watchtower | Aggregator>[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.role.stop();
    r.store.close();
  }
});

describe("aggregator", () => {
  it("two competing aggregators: exactly one aggregate lands, the fee is settled once, both stop cleanly", async () => {
    const net = await network(3, 2);
    const a = aggregator(net, net.chain.account("wallet_14"));
    // The second runs as a signer node would run it in-process: inside the signer's database.
    const signerDb = Store.open(":memory:", { role: "signer" });
    const b = aggregator(net, net.chain.account("faucet"), RoleStore.attach(signerDb, "aggregator"));
    running.push(a, b);
    await a.role.start();
    await b.role.start();

    const hash = await request(net, "aggregator: a race");
    for (const member of net.committee) await signPartial(net, member, hash);
    await until("an aggregate landed", () => net.events("signature-finalized").length > 0);
    await until("both aggregators handled the chain tip", () => [a, b].every((r) => r.role.next > net.chain.blockHeight));
    expect(net.events("signature-finalized")).toHaveLength(1);
    const landed = (await net.client.getRequest(hash))!;
    expect(verify(net.groupKey, fromHex0x(hash), fromHex0x(landed.aggregateSignature!))).toBe(true);
    const winners = [a, b].filter((r) => r.actions.some((x) => x.event === "aggregated"));
    expect(winners).toHaveLength(1);
    expect(landed.aggregator).toBe(winners[0]!.role.address);

    net.mine(Number(landed.settleAt - (await net.client.getClock()).burnNow) + 1);
    await until("the fee is settled", () => net.events("fee-settled").length > 0);
    await until("both aggregators handled the chain tip", () => [a, b].every((r) => r.role.next > net.chain.blockHeight));
    expect(net.events("fee-settled")).toHaveLength(1);
    expect(net.events("fee-settled")[0]!.data["fees-paid"]).toBe((FEE / 3n) * 3n);
    expect([a, b].flatMap((r) => r.actions.filter((x) => x.event === "settled"))).toHaveLength(1);
    // Both are done with the request: nothing left to do, nothing failed.
    for (const r of [a, b]) expect(r.store.isDone("finished", `${hash}:1`)).toBe(true);
    await a.role.stop();
    await b.role.stop();
    for (const r of [a, b]) expect(r.role.errors).toEqual([]);
    expect(signerDb.cursor("aggregator")).toBe(b.role.next);
    expect(signerDb.get("role")).toBe("signer");
  });

  it("an invalid aggregate submitted by someone else is rejected by the watchtowers; the aggregator then submits the valid one", async () => {
    const net = await network(3, 2);
    const towers = TOWERS.map((name) => watchtower(net, net.chain.account(name)));
    const agg = aggregator(net, net.chain.account("wallet_14"));
    running.push(...towers, agg);
    await startTowers(net, towers);
    await agg.role.start();

    const hash = await request(net, "aggregator: junk first");
    const [m1, m2] = net.committee as [string, string];
    await signPartial(net, m1, hash);
    await until("the roles handled the first partial", () => [...towers, agg].every((r) => r.role.next > net.chain.blockHeight));
    // The t-th partial and a junk aggregate (a well-formed G2 point: m1's partial) land
    // back to back, before the aggregator can act.
    const junk = partialSign(net.shareOf(m1), fromHex0x(hash)).signature;
    await signPartial(net, m2, hash);
    await net.client.as(net.chain.account("wallet_9")).submitAggregateSignature(hash, junk);
    expect((await net.client.getRequest(hash))!.aggregator).toBe(net.chain.account("wallet_9"));

    await until("the junk aggregate is rejected", () => net.events("aggregate-rejected").length === 1);
    const claims = net.events("invalid-aggregate-claim");
    expect(claims.map((c) => c.data.watchtower).sort()).toEqual(towers.map((t) => t.role.address).sort());
    expect(claims.map((c) => c.data.confirmed)).toEqual([false, false, true]);
    await until("the valid aggregate lands", async () => {
      const r = (await net.client.getRequest(hash))!;
      return r.aggregateSignature !== null && r.aggregator === agg.role.address;
    });
    const stored = (await net.client.getRequest(hash))!;
    expect(verify(fromHex0x((await net.client.getEpoch(1))!.groupPublicKey!), fromHex0x(hash), fromHex0x(stored.aggregateSignature!))).toBe(true);
    expect(net.events("signature-finalized")).toHaveLength(2);
    await until("the watchtowers checked the new aggregate", () => towers.every((t) => t.role.next > net.chain.blockHeight));
    expect(net.events("invalid-aggregate-claim")).toHaveLength(3);

    // An aggregate stood before the deadline (closed early): the member that never signed is not penalized.
    net.mine(Number(stored.settleAt - (await net.client.getClock()).burnNow) + 1);
    await until("the fee is settled", () => net.events("fee-settled").length === 1);
    await until("the watchtowers handled the tip", () => towers.every((t) => t.role.next > net.chain.blockHeight));
    expect((await net.client.getRequest(hash))!.closedEarly).toBe(true);
    expect(net.events("liveness-penalty")).toHaveLength(0);
    expect(net.events("fee-settled")[0]!.data["fees-paid"]).toBe(FEE);

    // The same junk submitted again after its rejection is a new aggregate: claimed and
    // rejected again. The aggregator, stopped meanwhile, resumes from its database and submits.
    await agg.role.stop();
    const hash2 = await request(net, "aggregator: junk twice");
    await signPartial(net, m1, hash2);
    await signPartial(net, m2, hash2);
    const junk2 = partialSign(net.shareOf(m2), fromHex0x(hash2)).signature;
    const rogue = net.client.as(net.chain.account("wallet_9"));
    await rogue.submitAggregateSignature(hash2, junk2);
    await until("the junk is rejected", () => net.events("aggregate-rejected").length === 2);
    await rogue.submitAggregateSignature(hash2, junk2);
    await until("the same junk is rejected again", () => net.events("aggregate-rejected").length === 3);
    expect(net.events("invalid-aggregate-claim")).toHaveLength(9);
    for (const t of towers) expect(t.actions.filter((a) => a.event === "claimed-aggregate" && a.messageHash === hash2)).toHaveLength(2);
    await agg.role.start();
    await until("the valid aggregate lands", async () => (await net.client.getRequest(hash2))!.aggregator === agg.role.address);
    expect(verify(net.groupKey, fromHex0x(hash2), fromHex0x((await net.client.getRequest(hash2))!.aggregateSignature!))).toBe(true);
    for (const r of [...towers, agg]) expect(r.role.errors).toEqual([]);
  });

  it("an aggregate dropped below t when an invalid partial is confirmed is recombined once a new valid partial arrives", async () => {
    const net = await network(3, 2);
    const towers = TOWERS.map((name) => watchtower(net, net.chain.account(name)));
    const agg = aggregator(net, net.chain.account("wallet_14"));
    running.push(...towers, agg);
    await startTowers(net, towers);
    await agg.role.start();

    const hash = await request(net, "aggregator: dropped below t");
    const [m1, m2, bad] = net.committee as [string, string, string];
    await signInvalidPartial(net, bad, hash);
    // t partials are in (one invalid): someone else's aggregate lands on them at once.
    await signPartial(net, m1, hash);
    const junk = partialSign(net.shareOf(m1), fromHex0x(hash)).signature;
    await net.client.as(net.chain.account("wallet_9")).submitAggregateSignature(hash, junk);

    await until("the aggregate is dropped", () => net.events("aggregate-dropped").length === 1);
    expect(net.events("aggregate-rejected")).toHaveLength(0);
    expect(net.events("signer-slashed").map((e) => e.data.signer)).toEqual([bad]);
    const dropped = (await net.client.getRequest(hash))!;
    expect(dropped.aggregateSignature).toBeNull();
    expect(dropped.partialCount).toBe(1n);
    await until("the roles handled the drop", () => [...towers, agg].every((r) => r.role.next > net.chain.blockHeight));
    expect(agg.actions.filter((a) => a.event === "aggregated")).toHaveLength(0);

    await signPartial(net, m2, hash);
    await until("the valid aggregate lands", async () => (await net.client.getRequest(hash))!.aggregator === agg.role.address);
    const stored = (await net.client.getRequest(hash))!;
    expect(verify(net.groupKey, fromHex0x(hash), fromHex0x(stored.aggregateSignature!))).toBe(true);
    expect(agg.actions.filter((a) => a.event === "aggregated").map((a) => a.signers)).toEqual(["1,2"]);

    net.mine(Number(stored.settleAt - (await net.client.getClock()).burnNow) + 1);
    await until("the fee is settled", () => net.events("fee-settled").length === 1);
    for (const m of [m1, m2]) expect(await net.client.getRewards(m)).toBe(FEE / 2n);
    // The junk aggregate's open claims closed without a charge when it was dropped.
    await until("the watchtowers handled the tip", () => towers.every((t) => t.role.next > net.chain.blockHeight));
    expect(net.events("claim-expired")).toHaveLength(0);
    for (const t of towers) expect((await net.client.getWatchtower(t.role.address))!.bond).toBe((await net.client.getConfig()).watchtowerBond);
    for (const r of [...towers, agg]) expect(r.role.errors).toEqual([]);
  });

  it("a burst of requests: their aggregates are submitted together, not one block each", async () => {
    const net = await network(3, 2);
    const hashes: string[] = [];
    for (let i = 0; i < 6; i++) hashes.push(await request(net, `aggregator: burst ${i}`));
    for (const hash of hashes) for (const member of net.committee.slice(0, 2)) await signPartial(net, member, hash);
    // Each submission takes a while, as a transaction waiting for its block does.
    const client = net.client.as(net.chain.account("wallet_14"));
    const slow = Object.create(client) as DtsClient;
    let inFlight = 0;
    let most = 0;
    slow.submitAggregateSignature = async (hash, signature) => {
      most = Math.max(most, ++inFlight);
      try {
        await new Promise((r) => setTimeout(r, 50));
        return await client.submitAggregateSignature(hash, signature);
      } finally {
        inFlight--;
      }
    };
    const store = RoleStore.open(":memory:", "aggregator");
    const role = new Aggregator({ client: slow, store, pollIntervalMs: 5 });
    running.push({ role, store, actions: [], lines: [] });
    await role.start();
    await until("every aggregate landed", () => net.events("signature-finalized").length === hashes.length);
    expect(most).toBe(Math.min(hashes.length, MAX_TXS_IN_FLIGHT));
    for (const hash of hashes) expect(verify(net.groupKey, fromHex0x(hash), fromHex0x((await net.client.getRequest(hash))!.aggregateSignature!))).toBe(true);
    expect(role.errors).toEqual([]);
  });
});

// src/network/run.ts (npm start --faulty): a faulty member's partial that arrives after the
// aggregate is refused, leaving the watchtowers nothing to catch. The run then signs more
// requests until its partial lands, instead of waiting for a slash that never comes.
describe("npm start --faulty: the faulty member's partial after the aggregate", () => {
  const FAULTY = "ST2NEB84ASENDXKYGJPQW86YXQCEFEX2ZQPG87ND";
  function fake(landsOnRequest: number | null) {
    const lines: string[] = [];
    const net = new ProcessNetwork({ faulty: 1, baseDir: tmpdir(), progress: (line) => lines.push(line) });
    const role: RoleInfo = { name: "signer-5", role: "signer", address: FAULTY, config: "", faulty: true };
    net.roles.push({ name: "signer-1", role: "signer", address: "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5", config: "" }, role);
    const events: ContractEvent[] = [];
    const event = (topic: string, data: Record<string, unknown>, blockHeight: number) => ({ topic, data: { topic, ...data }, blockHeight, txid: null, txIndex: 0, eventIndex: 0 }) as ContractEvent;
    events.push(event("partial-signature", { signer: "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5", "message-hash": "0x01" }, 10));
    const signed: string[] = [];
    net.events = async () => events;
    net.sign = async (message: string) => {
      signed.push(message);
      const hash = `0x${String(signed.length + 1).padStart(2, "0")}`;
      if (signed.length === landsOnRequest) {
        events.push(event("partial-signature", { signer: FAULTY, "message-hash": hash }, 20));
        events.push(event("signer-slashed", { signer: FAULTY, reason: "invalid-partial", amount: 10000n, "message-hash": hash }, 25));
      }
      return { message, verifies: true } as SignResult;
    };
    net.client = { getSignerInfo: async () => ({ slashingHistory: { totalSlashes: 1n } }) } as unknown as DtsClient;
    return { net, lines, signed };
  }

  it("signs more requests until its partial lands, then reports its slash", async () => {
    const { net, lines, signed } = fake(2);
    const slashed = await net.faultySlashed(0, "check");
    expect(signed).toEqual(["check #1", "check #2"]);
    expect(slashed).toEqual([{ role: "signer-5", signer: FAULTY, amount: "10000", messageHash: "0x03", totalSlashes: 1 }]);
    expect(lines.filter((l) => l.startsWith("signer-5: no partial on-chain yet"))).toHaveLength(2);
  }, 20_000);

  it("gives up, with a clear error, after FAULTY_EXTRA_REQUESTS requests", async () => {
    const { net, signed } = fake(null);
    await expect(net.faultySlashed(0)).rejects.toThrow(NetworkError);
    await expect(fake(null).net.faultySlashed(0)).rejects.toThrow(`signer-5 got no partial on-chain in ${FAULTY_EXTRA_REQUESTS + 1} requests`);
    expect(signed).toHaveLength(FAULTY_EXTRA_REQUESTS);
  }, 20_000);
});
