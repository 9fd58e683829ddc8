// The whole process network, end to end. One file, so that its runs never overlap (each
// starts a dozen processes; two at once on a 2-core machine starve the nodes' DKG).
//
// 1. `npm start -- --once --faulty 1 --rotate`, as a child process against a devnet node the
//    test owns (so that the chain can be read after the run): the sample verifies with
//    @chainsafe/blst against the group key read from the contract; the faulty member's
//    partials were confirmed invalid and only it was slashed; the nodes reshare to the same
//    group key; a request made while the new epoch formed was signed by the serving epoch;
//    the new epoch signs too; the run exited 0 and left no process behind.
// 2. A signer node killed during a run (SIGKILL, as a crash) and restarted from its
//    configuration, database and keystore: the network keeps signing while it is down (t of
//    n up), it signs again once back (proved by a request only t members, itself included,
//    can serve), and nothing is signed twice: exactly one partial per member per request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessNetwork, type SignResult } from "../../src/network/run.js";
import { blstVerifies, eventOf, processesOf, readClient, runNpm, startDevnetProcess, type DevnetProcess } from "./network-fixture.js";
import { START_COMMAND } from "./network-command.js";

describe(`npm ${START_COMMAND.join(" ")} --once --faulty 1 --rotate`, () => {
  let devnet: DevnetProcess;
  beforeAll(async () => {
    devnet = await startDevnetProcess();
  }, 180_000);
  afterAll(async () => {
    await devnet?.stop();
  }, 60_000);

  it("signs through the gateway, slashes only the faulty signer, reshares to the same key while signing, exit 0", async () => {
    const run = await runNpm([...START_COMMAND, "--once", "--faulty", "1", "--rotate", "--json", "--node-url", devnet.url], { timeoutMs: 840_000 });
    expect(run.code, run.stderr.slice(-30).join("\n")).toBe(0);
    const result = eventOf(run, "result");
    const sample = result.sample as { messageHash: string; signature: string; epoch: number };
    const client = readClient(devnet.url, result.contractId as string);

    // The sample: the aggregate on-chain is the one printed, and verifies (blst) against the stored group key.
    const request = (await client.getRequest(sample.messageHash))!;
    expect(request.aggregateSignature).toBe(sample.signature);
    const epoch = (await client.getEpoch(Number(request.epoch)))!;
    expect(blstVerifies(epoch.groupPublicKey!, sample.messageHash, request.aggregateSignature!)).toBe(true);
    expect(blstVerifies(epoch.groupPublicKey!, sample.messageHash.replace(/.$/, (c) => (c === "0" ? "1" : "0")), request.aggregateSignature!)).toBe(false);

    // The faulty member: its partial on the sample was confirmed invalid, and every slash it
    // took was for an invalid partial (the sample's among them); no honest member was slashed.
    const faulty = (result.roles as { name: string; address: string; faulty?: boolean }[]).filter((r) => r.faulty);
    expect(faulty).toHaveLength(1);
    const address = faulty[0].address;
    expect(epoch.committee).toContain(address);
    // Its partial on the sample was confirmed invalid; if it landed after the aggregate (too
    // late to count), the run signed more requests until one of its partials was slashed.
    const onSample = await client.getPartialSignature(sample.messageHash, address);
    const slashes = await client.events(0, "signer-slashed");
    const ofFaulty = slashes.filter((e) => e.data.signer === address);
    expect(ofFaulty.length).toBeGreaterThan(0);
    expect(ofFaulty.map((e) => e.data.reason)).toEqual(ofFaulty.map(() => "invalid-partial"));
    if (onSample) {
      expect(onSample.invalid).toBe(true);
      expect(ofFaulty.map((e) => e.data["message-hash"])).toContain(sample.messageHash);
    }
    const info = (await client.getSignerInfo(address))!;
    expect(info.slashingHistory.totalSlashes).toBe(BigInt(ofFaulty.length));
    expect(info.stake).toBeLessThan(100_000n);
    expect(slashes.filter((e) => e.data.signer !== address)).toEqual([]);
    expect((result.slashed as { signer: string }[]).map((s) => s.signer)).toEqual([address]);

    // The reshare: the new epoch is active, follows the old one, and has the same group key.
    const rotation = result.rotation as { before: { epoch: number }; after: { epoch: number }; duringSwitch: { messageHash: string } };
    const before = (await client.getEpoch(rotation.before.epoch))!;
    const after = (await client.getEpoch(rotation.after.epoch))!;
    expect(rotation.before.epoch).toBe(Number(request.epoch));
    expect(after.status).toBe("active");
    expect(after.previous).toBe(BigInt(rotation.before.epoch));
    expect((await client.getNetworkState()).currentEpoch).toBe(BigInt(rotation.after.epoch));
    expect(after.groupPublicKey).not.toBeNull();
    expect(after.groupPublicKey).toBe(before.groupPublicKey);
    // the slashed member fell below min-stake: the new committee does not seat it
    expect(after.committee).not.toContain(address);

    // The request made during the switch: created after the rotation, before the new epoch
    // activated, served by the old epoch, finalized, and valid under the (unchanged) key.
    const during = (await client.getRequest(rotation.duringSwitch.messageHash))!;
    expect(during.epoch).toBe(BigInt(rotation.before.epoch));
    expect(during.createdAt).toBeGreaterThanOrEqual(after.createdAt);
    expect(during.createdAt).toBeLessThan(after.activatedAt);
    expect(during.aggregateSignature).not.toBeNull();
    expect(blstVerifies(before.groupPublicKey!, rotation.duringSwitch.messageHash, during.aggregateSignature!)).toBe(true);

    // And the new epoch signs too, under the same key.
    const afterRotation = result.afterRotation as { messageHash: string };
    const next = (await client.getRequest(afterRotation.messageHash))!;
    expect(next.epoch).toBe(BigInt(rotation.after.epoch));
    expect(blstVerifies(after.groupPublicKey!, afterRotation.messageHash, next.aggregateSignature!)).toBe(true);

    // Nothing of the run is left running.
    expect(await processesOf(result.runDir as string)).toEqual([]);
  }, 900_000);
});

describe("process network: a signer node crashes and restarts", () => {
  const lines: string[] = [];
  const net = new ProcessNetwork({ progress: (line) => lines.push(line) });
  beforeAll(async () => {
    try {
      await net.start();
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${lines.slice(-30).join("\n")}`);
    }
  }, 600_000);
  afterAll(async () => {
    await net.stop();
    expect(await processesOf(net.runDir)).toEqual([]);
  }, 120_000);

  it("keeps signing while it is down, signs again after the restart, and signs nothing twice", async () => {
    const signed: SignResult[] = [];
    const first = await net.sign("before the crash");
    signed.push(first);
    const committee = (await net.client.getEpoch(first.epoch))!.committee;
    const nameOf = (address: string) => net.roles.find((r) => r.address === address)!.name;

    // The victim: a member whose partial on the first request is on-chain.
    const victimAddress = first.signers[0];
    const victim = net.role(nameOf(victimAddress));
    const exit = await victim.kill();
    expect(exit.signal).toBe("SIGKILL");
    expect(victim.running).toBe(false);

    // n - 1 members up: still signed, without the victim.
    const down = await net.sign("while a signer is down");
    signed.push(down);
    expect(down.verifies).toBe(true);
    expect(down.signers).not.toContain(victimAddress);
    expect(await net.client.getPartialSignature(down.messageHash, victimAddress)).toBeNull();

    // Back from its database and keystore; two other members go down, so that only t = 3
    // members (the victim among them) can serve the next request.
    victim.start();
    const others = committee.filter((m) => m !== victimAddress).slice(0, 2);
    for (const other of others) await net.role(nameOf(other)).kill();
    const back = await net.sign("after the restart");
    signed.push(back);
    expect(back.verifies).toBe(true);
    expect(back.signers).toContain(victimAddress);
    for (const other of others) net.role(nameOf(other)).start();

    // Every signature verifies (blst) against the contract's group key.
    for (const s of signed) expect(blstVerifies(s.groupPublicKey, s.messageHash, s.signature)).toBe(true);

    // Exactly one partial per member per request on-chain.
    const partials = (await net.client.events(0, "partial-signature")).map((e) => `${e.data["message-hash"]} ${e.data.signer}`);
    expect(new Set(partials).size).toBe(partials.length);
    for (const s of signed) {
      const request = (await net.client.getRequest(s.messageHash))!;
      expect(new Set(request.signers).size).toBe(request.signers.length);
      expect(partials.filter((p) => p.startsWith(s.messageHash)).length).toBe(request.signers.length);
    }
    // The victim, over both of its lives, sent one partial per request it signed.
    const victimSigned = victim.events.filter((e) => e.event === "signed").map((e) => e.messageHash as string);
    expect(new Set(victimSigned).size).toBe(victimSigned.length);
    expect(victimSigned).toContain(first.messageHash);
    expect(victimSigned).toContain(back.messageHash);
    expect(victimSigned.filter((h) => h === first.messageHash)).toHaveLength(1);
    expect(victim.starts).toBe(2);
  }, 900_000);
});
