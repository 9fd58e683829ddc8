// rotate-signers costs at most 1% of every block limit with 128 registered signers and a
// committee of 32 (issue 9): measured with the simnet's cost tracking, the same way
// `npm run bench:costs` reports it, so a contract change that makes rotation costlier fails here.
import { describe, expect, it } from "vitest";
import { DIMENSIONS, measureRotation } from "../../scripts/rotation-cost.js";

describe("rotate-signers' cost", () => {
  it("stays under 1% of every block limit with 128 registered signers into a committee of 32", async () => {
    const measured = await measureRotation(128);
    expect(measured.committee).toBe(32);
    for (const dimension of DIMENSIONS) {
      expect(measured.worst[dimension], dimension).toBeGreaterThan(0);
      expect(measured.shareOfBlock[dimension], `${dimension}: ${measured.worst[dimension]} of ${measured.blockLimit[dimension]}`).toBeLessThan(0.01);
    }
  }, 120_000);
});
