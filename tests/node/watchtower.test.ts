// The watchtower role in-process against the simnet backend, with the aggregator role beside
// it: an epoch with real threshold keys, a request, partials of which one is invalid.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { partialSign, verify } from "../../src/crypto/index.js";
import { loadConfig } from "../../src/roles/config.js";
import { RoleStore } from "../../src/roles/watchtower-store.js";
import { Watchtower, type RoleAction } from "../../src/roles/watchtower.js";
import type { Aggregator } from "../../src/roles/aggregator.js";
import { aggregator, FEE, fromHex0x, MIN_STAKE, network, request, signInvalidPartial, signPartial, startTowers, TOWERS, until, watchtower } from "./watchtower-fixture.js";

const running: { role: Watchtower | Aggregator; store: RoleStore }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.role.stop();
    r.store.close();
  }
});

describe("watchtower", () => {
  it("three watchtowers each claim an invalid partial, it is slashed; the aggregator combines the valid ones and settles after the claim window", async () => {
    const net = await network(4, 3);
    const towers = TOWERS.map((name) => watchtower(net, net.chain.account(name)));
    const agg = aggregator(net, net.chain.account("wallet_14"));
    running.push(...towers, agg);
    await startTowers(net, towers);
    expect(await net.client.getWatchtowerSupermajority()).toBe(3n);
    await agg.role.start();

    const hash = await request(net, "watchtower: one bad partial");
    const [m1, m2, m3, bad] = net.committee as [string, string, string, string];
    // The invalid partial arrives first: t partials are in but only t - 1 are valid.
    await signInvalidPartial(net, bad, hash);
    await signPartial(net, m1, hash);
    await signPartial(net, m2, hash);
    await until("every role saw the t-th partial", () => [...towers, agg].every((r) => r.role.next > net.chain.blockHeight));
    expect(net.events("signature-finalized")).toHaveLength(0);
    await signPartial(net, m3, hash);

    await until("the invalid partial is slashed", () => net.events("signer-slashed").length === 1);
    const claims = net.events("invalid-signature-claim");
    expect(claims.map((c) => c.data.watchtower).sort()).toEqual(towers.map((t) => t.role.address).sort());
    expect(claims.every((c) => c.data.signer === bad)).toBe(true);
    expect(claims.map((c) => c.data.confirmed)).toEqual([false, false, true]);
    const slashed = net.events("signer-slashed")[0]!.data;
    expect(slashed.signer).toBe(bad);
    expect(slashed.amount).toBe(MIN_STAKE / 10n);
    expect((await net.client.getSignerInfo(bad))!.stake).toBe(MIN_STAKE - MIN_STAKE / 10n);
    expect((await net.client.getPartialSignature(hash, bad))!.invalid).toBe(true);
    for (const t of towers) expect(t.actions.filter((a) => a.event === "claimed")).toHaveLength(1);

    await until("the aggregate is on-chain", async () => (await net.client.getRequest(hash))!.aggregateSignature !== null);
    const stored = (await net.client.getRequest(hash))!;
    const epoch = (await net.client.getEpoch(1))!;
    expect(verify(fromHex0x(epoch.groupPublicKey!), fromHex0x(hash), fromHex0x(stored.aggregateSignature!))).toBe(true);
    expect(stored.aggregator).toBe(agg.role.address);
    expect(agg.actions.filter((a) => a.event === "aggregated")).toHaveLength(1);
    expect(agg.actions.find((a) => a.event === "aggregated")!.signers).toBe("1,2,3");
    // No watchtower claims a valid aggregate.
    expect(net.events("invalid-aggregate-claim")).toHaveLength(0);

    // The fee waits for the claim window (Bitcoin blocks) after the aggregate.
    expect(stored.feePaid).toBe(false);
    const burnNow = (await net.client.getClock()).burnNow;
    net.mine(Number(stored.settleAt - burnNow) + 1);
    await until("the fee is settled", () => net.events("fee-settled").length === 1);
    const settled = net.events("fee-settled")[0]!.data;
    expect(settled["fees-paid"]).toBe((FEE / 3n) * 3n);
    for (const m of [m1, m2, m3]) expect(await net.client.getRewards(m)).toBe(FEE / 3n);
    expect(await net.client.getRewards(bad)).toBe(0n);
    expect(agg.actions.filter((a) => a.event === "settled")).toHaveLength(1);

    // Every member signed and an aggregate stood before the deadline: nobody is penalized.
    await until("the watchtowers passed the deadline", () => towers.every((t) => t.role.next > net.chain.blockHeight));
    expect(net.events("liveness-penalty")).toHaveLength(0);
    for (const r of [...towers, agg]) expect(r.role.errors).toEqual([]);
  });

  it("keeps its state in its database: a restart resumes where it stopped and files nothing twice", async () => {
    const net = await network(3, 2);
    const file = join(mkdtempSync(join(tmpdir(), "dts-wt-")), "tower.db");
    const account = net.chain.account("wallet_10");
    const open = (fromBlock?: number) => {
      const store = RoleStore.open(file, "watchtower");
      const lines: string[] = [];
      const actions: RoleAction[] = [];
      const role = new Watchtower({ client: net.client.as(account), store, bond: true, report: false, pollIntervalMs: 5, fromBlock, log: (l) => lines.push(l), onAction: (a) => actions.push(a) });
      return { role, store, lines, actions };
    };
    const first = open();
    running.push(first);
    // Two more watchtowers by hand, so that claims stay open (one of three).
    for (const name of ["wallet_11", "wallet_12"]) await net.client.as(net.chain.account(name)).registerWatchtower();
    await first.role.start();
    const hash = await request(net, "watchtower: restart");
    const [m1, , bad] = net.committee as [string, string, string];
    await signInvalidPartial(net, bad, hash);
    await signPartial(net, m1, hash);
    await until("the claim is filed", () => first.actions.some((a) => a.event === "claimed"));
    await until("it handled the tip", () => first.role.next > net.chain.blockHeight);
    await first.role.stop();
    const stoppedAt = first.role.next;
    first.store.close();
    running.splice(running.indexOf(first), 1);

    // A database made by a watchtower is refused to an aggregator.
    expect(() => RoleStore.open(file, "aggregator")).toThrow(/belongs to a watchtower/);

    const second = open();
    running.push(second);
    expect(second.role.next).toBe(stoppedAt);
    await second.role.start();
    await net.client.as(net.committee[1]!).submitPartialSignature(hash, partialSign(net.shareOf(net.committee[1]!), fromHex0x(hash)).signature);
    await until("it handled the new block", () => second.role.next > net.chain.blockHeight);
    expect(second.actions).toEqual([]);
    expect(second.lines.some((l) => l.includes(`from block ${stoppedAt}`))).toBe(true);
    expect(net.events("invalid-signature-claim")).toHaveLength(1);
    expect(net.events("watchtower-registered").filter((e) => e.data.watchtower === account)).toHaveLength(1);
    expect(second.role.errors).toEqual([]);
    await second.role.stop();
    second.store.close();
    running.splice(running.indexOf(second), 1);

    // Even replaying the whole history, what the database records as done is not sent again.
    const claimsSent = () => net.chain.log.filter((c) => c.fn === "report-invalid-signature").length;
    expect(claimsSent()).toBe(1);
    const replay = open(0);
    running.push(replay);
    await replay.role.start();
    await until("the replay reached the tip", () => replay.role.next > net.chain.blockHeight);
    expect(claimsSent()).toBe(1);
    expect(replay.actions).toEqual([]);
    expect(replay.role.errors).toEqual([]);
  });

  it("examples/testnet/watchtower.toml is a valid watchtower and aggregator configuration", () => {
    const config = loadConfig(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples", "testnet", "watchtower.toml"));
    expect(config.chain.network).toBe("testnet");
    expect(config.account.privateKeyEnv).toBe("DTS_WATCHTOWER_KEY");
    expect(config.watchtower).toMatchObject({ bond: true, report: true });
    expect(config.watchtower!.database).toMatch(/examples\/testnet\/watchtower\.db$/);
    expect(config.aggregator!.database).toMatch(/examples\/testnet\/aggregator\.db$/);
  });
});
