// The aggregator role in-process against the simnet backend: competing aggregators, and an
// invalid aggregate by someone else that the watchtowers reject before the valid one lands.
import { afterEach, describe, expect, it } from "vitest";
import { partialSign, verify } from "../../src/crypto/index.js";
import { aggregator, FEE, fromHex0x, network, request, signInvalidPartial, signPartial, startTowers, TOWERS, until, watchtower, type RoleHandle } from "./watchtower-fixture.js";
import type { Watchtower } from "../../src/roles/watchtower.js";
import type { Aggregator } from "../../src/roles/aggregator.js";
import { Store } from "../../src/roles/store.js";
import { RoleStore } from "../../src/roles/watchtower-store.js";

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
});
