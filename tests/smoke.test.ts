import { describe, expect, it } from "vitest";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { Cl } from "@stacks/transactions";
describe("smoke", () => {
  it("noble in clarinet env", () => {
    const sk = bls12_381.utils.randomSecretKey();
    const pk = bls12_381.longSignatures.getPublicKey(sk);
    expect(pk.toBytes(true).length).toBe(48);
    const r = simnet.callReadOnlyFn("dts", "ping", [], simnet.deployer);
    expect(r.result).toStrictEqual(Cl.uint(1));
    expect(r.result).toBeUint(1);
  });
});
