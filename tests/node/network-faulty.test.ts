// `--once --faulty 1`, as a child process against a devnet node the test owns (so the chain
// can be read after the run): the sample verifies with @chainsafe/blst against the group key
// read from the contract, the faulty signer's partial was confirmed invalid and it was
// slashed, the run exited 0 and left no process behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blstVerifies, eventOf, processesOf, readClient, runNpm, startDevnetProcess, type DevnetProcess } from "./network-fixture.js";
import { START_COMMAND } from "./network-command.js";

describe(`npm ${START_COMMAND.join(" ")} --once --faulty 1`, () => {
  let devnet: DevnetProcess;
  beforeAll(async () => {
    devnet = await startDevnetProcess();
  }, 180_000);
  afterAll(async () => {
    await devnet?.stop();
  }, 60_000);

  it("signs through the gateway, the watchtowers slash the faulty signer, exit 0", async () => {
    const run = await runNpm([...START_COMMAND, "--once", "--faulty", "1", "--json", "--node-url", devnet.url], { timeoutMs: 840_000 });
    expect(run.code, run.stderr.slice(-30).join("\n")).toBe(0);
    const result = eventOf(run, "result");
    const sample = result.sample as { messageHash: string; signature: string; epoch: number };
    const client = readClient(devnet.url, result.contractId as string);

    // The aggregate on-chain is the one printed, and verifies (blst) against the stored group key.
    const request = (await client.getRequest(sample.messageHash))!;
    expect(request.aggregateSignature).toBe(sample.signature);
    const epoch = (await client.getEpoch(Number(request.epoch)))!;
    expect(epoch.status).toBe("active");
    expect(blstVerifies(epoch.groupPublicKey!, sample.messageHash, request.aggregateSignature!)).toBe(true);
    expect(blstVerifies(epoch.groupPublicKey!, sample.messageHash.replace(/.$/, (c) => (c === "0" ? "1" : "0")), request.aggregateSignature!)).toBe(false);

    // The faulty member: its partial on the sample was confirmed invalid, and it was slashed for it.
    const faulty = (result.roles as { name: string; address: string; faulty?: boolean }[]).filter((r) => r.faulty);
    expect(faulty).toHaveLength(1);
    const address = faulty[0].address;
    expect(epoch.committee).toContain(address);
    const partial = (await client.getPartialSignature(sample.messageHash, address))!;
    expect(partial.invalid).toBe(true);
    const slashes = (await client.events(0, "signer-slashed")).filter((e) => e.data.signer === address);
    expect(slashes.map((e) => [e.data.reason, e.data["message-hash"]])).toEqual([["invalid-partial", sample.messageHash]]);
    const info = (await client.getSignerInfo(address))!;
    expect(info.slashingHistory.totalSlashes).toBe(1n);
    expect(info.stake).toBeLessThan(100_000n);
    // Honest members were not slashed.
    for (const member of epoch.committee.filter((m) => m !== address)) expect((await client.getSignerInfo(member))!.slashingHistory.totalSlashes).toBe(0n);

    // Nothing of the run is left running.
    expect(await processesOf(result.runDir as string)).toEqual([]);
  }, 900_000);
});
