// `--once --rotate`: the nodes reshare; the group key read from the contract after the
// reshare equals the one before, and a request made while the new epoch was forming was
// signed (by the serving epoch) and verifies with @chainsafe/blst.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blstVerifies, eventOf, processesOf, readClient, runNpm, startDevnetProcess, type DevnetProcess } from "./network-fixture.js";
import { START_COMMAND } from "./network-command.js";

describe(`npm ${START_COMMAND.join(" ")} --once --rotate`, () => {
  let devnet: DevnetProcess;
  beforeAll(async () => {
    devnet = await startDevnetProcess();
  }, 180_000);
  afterAll(async () => {
    await devnet?.stop();
  }, 60_000);

  it("reshares to the same group key and keeps signing during the switch", async () => {
    const run = await runNpm([...START_COMMAND, "--once", "--rotate", "--json", "--node-url", devnet.url], { timeoutMs: 840_000 });
    expect(run.code, run.stderr.slice(-30).join("\n")).toBe(0);
    const result = eventOf(run, "result");
    const client = readClient(devnet.url, result.contractId as string);
    const rotation = result.rotation as { before: { epoch: number }; after: { epoch: number }; duringSwitch: { messageHash: string } };
    const afterRotation = result.afterRotation as { messageHash: string };

    const before = (await client.getEpoch(rotation.before.epoch))!;
    const after = (await client.getEpoch(rotation.after.epoch))!;
    expect(after.status).toBe("active");
    expect(after.previous).toBe(BigInt(rotation.before.epoch));
    expect((await client.getNetworkState()).currentEpoch).toBe(BigInt(rotation.after.epoch));
    expect(after.groupPublicKey).not.toBeNull();
    expect(after.groupPublicKey).toBe(before.groupPublicKey);

    // The request made during the switch: created after the rotation, before the new epoch
    // activated, served by the old epoch, finalized, and valid under the (unchanged) key.
    const during = (await client.getRequest(rotation.duringSwitch.messageHash))!;
    expect(during.epoch).toBe(BigInt(rotation.before.epoch));
    expect(during.createdAt).toBeGreaterThanOrEqual(after.createdAt);
    expect(during.createdAt).toBeLessThan(after.activatedAt);
    expect(during.aggregateSignature).not.toBeNull();
    expect(blstVerifies(before.groupPublicKey!, rotation.duringSwitch.messageHash, during.aggregateSignature!)).toBe(true);

    // And the new epoch signs too, under the same key.
    const next = (await client.getRequest(afterRotation.messageHash))!;
    expect(next.epoch).toBe(BigInt(rotation.after.epoch));
    expect(blstVerifies(after.groupPublicKey!, afterRotation.messageHash, next.aggregateSignature!)).toBe(true);

    expect(await processesOf(result.runDir as string)).toEqual([]);
  }, 900_000);
});
