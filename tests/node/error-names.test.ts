import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ContractCallError, ERROR_NAMES } from "../../src/chain/clarity.js";

// The client's table of error names must say exactly what the contract defines.
describe("ERROR_NAMES", () => {
  const source = readFileSync(new URL("../../contracts/dts.clar", import.meta.url), "utf8");
  const defined = Object.fromEntries(
    [...source.matchAll(/\(define-constant (ERR-[A-Z0-9-]+) \(err u(\d+)\)\)/g)].map((m) => [Number(m[2]), m[1]]),
  );

  it("names every error constant of dts.clar, and nothing else", () => {
    expect(Object.keys(defined).length).toBeGreaterThan(40);
    expect(ERROR_NAMES).toEqual(defined);
  });

  it("gives a ContractCallError a message with the name and the code", () => {
    const error = new ContractCallError("register-signer", 116);
    expect(error.message).toBe("register-signer failed with ERR-KEY-IN-USE (u116)");
    expect(error.code).toBe(116);
  });
});
