// The watchtower's other duties, in-process against the simnet backend: missed signatures
// penalized after the deadline, per-interval metric reports, other watchtowers' false claims
// expired after their window, forming epochs cancelled after their DKG timeout.
import { afterEach, describe, expect, it } from "vitest";
import { combinePartials, partialSign } from "../../src/crypto/index.js";
import { fromHex0x, MIN_STAKE, network, request, signPartial, startTowers, TOWERS, until, watchtower, type RoleHandle } from "./watchtower-fixture.js";
import type { Watchtower } from "../../src/roles/watchtower.js";
import { ChainView } from "../../src/roles/chain-view.js";

const running: RoleHandle<Watchtower>[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.role.stop();
    r.store.close();
  }
});

const caughtUp = (net: { chain: { blockHeight: number } }, towers: RoleHandle<Watchtower>[]) => () =>
  towers.every((t) => t.role.next > net.chain.blockHeight);

describe("watchtower duties", () => {
  it("penalizes a missed signature once after the deadline, then reports every member's interval metrics", async () => {
    const net = await network(3, 2);
    const towers = TOWERS.map((name) => watchtower(net, net.chain.account(name), { report: true }));
    running.push(...towers);
    await startTowers(net, towers);

    const hash = await request(net, "duties: one member stays silent");
    const [m1, m2, silent] = net.committee as [string, string, string];
    await signPartial(net, m1, hash);
    await signPartial(net, m2, hash);
    const deadline = (await net.client.getRequest(hash))!.deadline;
    await until("the watchtowers saw the partials", caughtUp(net, towers));
    expect(net.events("liveness-penalty")).toHaveLength(0);

    // Up to the deadline (stacks-now) nothing is due; one block past it the silent member is penalized.
    net.mineStacks(Number(deadline - (await net.client.getClock()).stacksNow));
    await until("the watchtowers reached the deadline", caughtUp(net, towers));
    expect(net.events("liveness-penalty")).toHaveLength(0);
    net.mineStacks(1);
    await until("the missed signature is penalized", () => net.events("liveness-penalty").length === 1);
    await until("every watchtower is past the deadline", caughtUp(net, towers));
    const penalties = net.events("liveness-penalty");
    expect(penalties).toHaveLength(1);
    const penalty = penalties[0]!.data;
    expect(penalty.signer).toBe(silent);
    expect(penalty.slashed).toBe(MIN_STAKE / 100n);
    expect((await net.client.getSignerInfo(silent))!.stake).toBe(MIN_STAKE - MIN_STAKE / 100n);
    for (const m of [m1, m2]) expect((await net.client.getSignerInfo(m))!.stake).toBe(MIN_STAKE);
    const notifier = towers.find((t) => t.role.address === penalty.notifier)!;
    expect(notifier.actions.filter((a) => a.event === "penalized")).toEqual([expect.objectContaining({ signer: silent, messageHash: hash })]);
    expect(await net.client.getRewards(notifier.role.address)).toBe(MIN_STAKE / 100n / 10n);
    expect(towers.flatMap((t) => t.actions.filter((a) => a.event === "penalized"))).toHaveLength(1);

    // Reports: in the next interval, about the one this request was observed in.
    const config = await net.client.getConfig();
    const observed = await net.client.getCurrentInterval();
    const burnNow = (await net.client.getClock()).burnNow;
    net.mine(Number(config.reportInterval - (burnNow % config.reportInterval)));
    expect(await net.client.getCurrentInterval()).toBe(observed + 1n);
    await until("every watchtower reported every member", () => net.events("watchtower-report").length === 9);
    await until("the watchtowers are idle", caughtUp(net, towers));
    expect(net.events("watchtower-report")).toHaveLength(9);
    const requested = net.events("signature-requested")[0]!.blockHeight;
    const blockOf = (member: string) => net.events("partial-signature").find((e) => e.data.signer === member)!.blockHeight;
    for (const t of towers) {
      for (const [member, uptime, speed] of [
        [m1, 100n, BigInt(blockOf(m1) - requested)],
        [m2, 100n, BigInt(blockOf(m2) - requested)],
        [silent, 0n, config.signingTimeout],
      ] as const) {
        const report = await net.client.getWatchtowerReport(t.role.address, member, observed + 1n);
        expect(report).toEqual({ uptime, signingSpeed: speed, accuracy: 100n });
      }
    }
    // Three reports are the supermajority: the silent member's uptime is the agreed 0.
    expect((await net.client.getSignerInfo(silent))!.performanceMetrics.uptime).toBe(0n);
    for (const t of towers) expect(t.role.errors).toEqual([]);
  });

  it("expires another watchtower's claims (partial, aggregate) that closed without a supermajority; the claimant forfeits false-claim-bps of its bond per claim", async () => {
    const net = await network(3, 2);
    const towers = TOWERS.map((name) => watchtower(net, net.chain.account(name)));
    running.push(...towers);
    const rogue = net.chain.account("wallet_9");
    await net.client.as(rogue).registerWatchtower();
    await startTowers(net, towers);

    const hash = await request(net, "duties: a false claim");
    const [m1, m2] = net.committee as [string, string];
    await signPartial(net, m1, hash);
    await signPartial(net, m2, hash);
    expect((await net.client.as(rogue).reportInvalidSignature(hash, m1)).value).toBe(false);
    // A valid aggregate, falsely claimed by the same watchtower.
    const toPartial = (m: string) => partialSign(net.shareOf(m), fromHex0x(hash));
    const aggregate = combinePartials([toPartial(m1), toPartial(m2)]);
    await net.client.as(net.chain.account("wallet_14")).submitAggregateSignature(hash, aggregate);
    expect((await net.client.as(rogue).reportInvalidAggregate(hash)).value).toBe(false);
    await until("the watchtowers saw the claims", caughtUp(net, towers));
    // The partial and the aggregate are valid: no honest watchtower joins a claim.
    expect(net.events("invalid-signature-claim")).toHaveLength(1);
    expect(net.events("invalid-aggregate-claim")).toHaveLength(1);
    expect((await net.client.getClaim(hash, m1))!.claimants).toEqual([rogue]);
    expect((await net.client.getAggregateClaim(hash, aggregate))!.claimants).toEqual([rogue]);
    const settleAt = (await net.client.getRequest(hash))!.settleAt;

    const claimUntil = (await net.client.getPartialSignature(hash, m1))!.claimUntil;
    expect(settleAt).toBe(claimUntil); // both windows opened at the same burn height
    net.mine(Number(claimUntil - (await net.client.getClock()).burnNow));
    await until("the watchtowers reached the end of the window", caughtUp(net, towers));
    expect(net.events("claim-expired")).toHaveLength(0);
    net.mine(1);
    await until("both claims are expired", () => net.events("claim-expired").length === 2);
    const bond = (await net.client.getConfig()).watchtowerBond;
    const expired = net.events("claim-expired").map((e) => e.data);
    expect(expired.map((e) => e.claimants)).toEqual([[rogue], [rogue]]);
    expect(expired.map((e) => e.signer).sort()).toEqual([m1, null].sort());
    // Each expiry forfeits false-claim-bps (10%) of the bond as it then stands.
    const afterOne = bond - bond / 10n;
    expect(expired.map((e) => e.forfeited)).toEqual([bond / 10n, afterOne / 10n]);
    expect((await net.client.getWatchtower(rogue))!.bond).toBe(afterOne - afterOne / 10n);
    expect(await net.client.getClaim(hash, m1)).toBeNull();
    expect(await net.client.getAggregateClaim(hash, aggregate)).toBeNull();
    await until("the watchtowers are idle", caughtUp(net, towers));
    expect(towers.flatMap((t) => t.actions.filter((a) => a.event === "expired")).map((a) => a.kind).sort()).toEqual(["aggregate", "partial"]);
    for (const t of towers) expect((await net.client.getWatchtower(t.role.address))!.bond).toBe(bond);
    for (const t of towers) expect(t.role.errors).toEqual([]);
  });

  it("without a bond it still cancels a forming epoch past its DKG timeout", async () => {
    const net = await network(3, 2, { rotationPeriod: 10n });
    const tower = watchtower(net, net.chain.account("wallet_10"), { bond: false });
    running.push(tower);
    await tower.role.start();
    expect(await net.client.getWatchtower(tower.role.address)).toBeNull();

    net.mine(10);
    const epoch = (await net.client.as(net.committee[0]!).rotateSigners(await net.client.proposedCommittee())).value;
    expect(epoch).toBe(2n);
    const timeout = (await new ChainView(net.client).record("get-config"))!["dkg-timeout"] as bigint;
    // formed-at is burn-now at the rotation; cancel-epoch needs burn-now > formed-at + timeout.
    net.mine(Number(timeout));
    await until("the watchtower reached the timeout", caughtUp(net, [tower]));
    expect(net.events("epoch-cancelled")).toHaveLength(0);
    net.mine(1);
    await until("the epoch is cancelled", () => net.events("epoch-cancelled").length === 1);
    expect((await net.client.getEpoch(2))!.status).toBe("cancelled");
    expect(await net.client.getCurrentEpoch()).toBe(1n);
    const cancelled = net.events("epoch-cancelled")[0]!.data;
    expect(cancelled.notifier).toBe(tower.role.address);
    expect([...(cancelled.silent as string[])].sort()).toEqual([...net.committee].sort());
    expect(tower.actions.filter((a) => a.event === "cancelled")).toEqual([expect.objectContaining({ epoch: 2 })]);
    expect(tower.role.errors).toEqual([]);
  });
});
