import { describe, expect, it } from "vitest";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { LocalNetworkError, runLocalNetwork } from "../../src/local/network.js";
import { DST, fromHex, messageHash } from "../../src/crypto/index.js";

// npm start's session, checked end to end: the result must be an ordinary BLS signature
// under the group key, and every micro-STX must be accounted for.
describe("runLocalNetwork", () => {
  it("runs register, rotate, DKG through the contract, sign, aggregate, verify and pay", async () => {
    const lines: string[] = [];
    const report = await runLocalNetwork({ n: 4, t: 3, message: "test message", fee: 1_000_003n, progress: (l) => lines.push(l) });

    expect(report.committee).toHaveLength(4);
    expect(report.committee.map((m) => m.index)).toEqual([1, 2, 3, 4]);
    expect(report.dkg.qualified).toEqual([1, 2, 3, 4]);
    expect(report.dkg.disqualified).toEqual([]);
    expect(report.request.messageHash).toBe(Buffer.from(messageHash("test message")).toString("hex"));

    // An independent verification with noble's own API and the POP DST.
    const hm = bls12_381.longSignatures.hash(messageHash("test message"), DST);
    expect(bls12_381.longSignatures.verify(fromHex(report.aggregate.signature), hm, fromHex(report.groupPublicKey))).toBe(true);
    expect(bls12_381.longSignatures.verify(fromHex(report.aggregate.signature), hm, fromHex(report.committee[0].shareKey))).toBe(false);
    expect(report.partials.every((p) => p.validPerWatchtower)).toBe(true);
    expect(report.aggregate.combinedFrom).toHaveLength(3);

    // Fee 1_000_003 split four ways: 250_000 each, 3 to the treasury; nothing left pending.
    expect(report.feeShares.map((s) => s.claimed)).toEqual([250_000n, 250_000n, 250_000n, 250_000n]);
    expect(report.treasury).toBe(3n);
    expect(report.accounting["pending-fees"]).toBe(0n);
    expect(report.accounting.rewards).toBe(0n);
    expect(report.accounting.total).toBe(report.accounting.balance);
    expect(report.accounting.stakes).toBe(5n * 100_000_000n);

    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.join("\n")).toContain("verifies against the stored group key");
  });

  it("refuses a threshold without an honest majority before touching the chain", async () => {
    await expect(runLocalNetwork({ n: 4, t: 2, message: "m", fee: 1000n })).rejects.toThrow(LocalNetworkError);
    await expect(runLocalNetwork({ n: 33, t: 17, message: "m", fee: 1000n })).rejects.toThrow(/n must be 1..32/);
  });
});
