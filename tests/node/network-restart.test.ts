// A signer node killed during a run (SIGKILL, as a crash) and restarted from its
// configuration, database and keystore: the network keeps signing while it is down (t of n
// up), it signs again once back (proved by a request only t members, itself included, can
// serve), and nothing is signed twice: exactly one partial per member per request on-chain.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessNetwork, type SignResult } from "../../src/network/run.js";
import { blstVerifies, processesOf } from "./network-fixture.js";

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
