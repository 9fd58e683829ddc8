import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { publicKeyOf, toHex } from "../../src/crypto/index.js";
import { isIncomplete, tokenize } from "../../src/devnet/console.js";

const WALLET_1 = "ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5";

/** Runs `npm run console` (tsx scripts/console.ts) with `input` piped to stdin. */
function runConsole(input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/console.ts"], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("npm run console (piped)", () => {
  it("initializes, registers a signer with a real BLS key, reads it back, and advances both chains", async () => {
    const key = toHex(publicKeyOf(0xc0ffeen));
    const session = [
      "(+ u1 u2)",
      "::call deployer initialize u100000000 u3 u5 u144 u3",
      "::call wallet_1 initialize u1 u3 u5 u144 u3",
      `::call wallet_1 register-signer 0x${key}`,
      `::read get-signer-info 'ST1SJ3DTE5DN7X54YDH5D64R3BCB6A2AG2ZQ8YPD5`,
      "::read get-signer-info wallet_2",
      "::height",
      "::mine 10",
      "::mine-burn 3",
      "::read get-signer-info wallet_1",
      "(let ((a u6)",
      "      (b u7))",
      "  (* a b))",
      "::balance wallet_1",
      "::events 1",
      "::quit",
      "::call deployer this-is-after-quit",
    ].join("\n");
    const { code, stdout, stderr } = await runConsole(session);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("u3");
    expect(lines[1]).toMatch(/^\(ok true\) {2}\(block \d+\)$/);
    expect(lines[2]).toMatch(/^ {2}print \{.*"topic":"initialized"/);
    expect(lines[2]).toContain('"min-stake":"100000000"');
    expect(lines[3]).toMatch(/^\(err u100\) ERR-UNAUTHORIZED {2}\(block \d+\)$/);
    // the stake moves into the contract, and the registration event is decoded
    expect(lines[4]).toMatch(/^\(ok true\)/);
    expect(lines[5]).toBe(`  stx 100000000 uSTX ${WALLET_1} -> ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.dts`);
    expect(lines[6]).toContain(`"public-key":"0x${key}"`);
    expect(lines[6]).toContain('"topic":"signer-registered"');
    expect(lines[7]).toMatch(/^\(some \(tuple /);
    expect(lines[7]).toContain(`(public-key 0x${key})`);
    expect(lines[7]).toContain("(stake u100000000)");
    expect(lines[7]).toContain("(stake-duration u0)");
    expect(lines[8]).toBe("none");
    const [, stacks, burn] = lines[9].match(/^stacks-block-height (\d+), burn-block-height (\d+)$/)!.map(Number);
    expect(lines[10]).toBe(`stacks-block-height ${stacks + 10}, burn-block-height ${burn}`);
    expect(lines[11]).toBe(`stacks-block-height ${stacks + 13}, burn-block-height ${burn + 3}`);
    expect(lines[12]).toContain("(stake-duration u13)");
    expect(lines[13]).toBe("u42");
    expect(lines[14]).toBe("99999900000000 uSTX");
    expect(lines[15]).toMatch(/^block \d+ register-signer: \{.*"topic":"signer-registered"/);
    expect(lines).toHaveLength(16); // nothing after ::quit ran
  });

  it("reports lines it cannot run on stderr, keeps going, and exits 1", async () => {
    const { code, stdout, stderr } = await runConsole(
      ["::call nobody initialize u1 u3 u5 u144 u3", "::call deployer initialize u1", "::read initialize", "::frobnicate", "::read get-config", "(unclosed"].join("\n"),
    );
    expect(code).toBe(1);
    expect(stderr.split("\n").filter(Boolean)).toEqual([
      "error: unknown account nobody (::accounts lists them)",
      "error: initialize takes 5 argument(s): (min-stake uint) (required-signers uint) (total-signers uint) (rotation-period uint) (signature-threshold uint)",
      "error: initialize is public: use ::call",
      "error: unknown command ::frobnicate (::help lists them)",
      "error: input ended inside an unfinished expression",
    ]);
    expect(stdout).toMatch(/^\(tuple .*\(initialized false\)/);
  });
});

describe("console input parsing", () => {
  it("keeps lists, tuples and strings in one argument", () => {
    expect(tokenize(`::call wallet_1 f (list u1 u2) {a: u1, b: "x y"} "s (" 'ST1.c`)).toEqual(["::call", "wallet_1", "f", "(list u1 u2)", '{a: u1, b: "x y"}', '"s ("', "'ST1.c"]);
    expect(() => tokenize("::call wallet_1 f (list u1")).toThrow(/unbalanced/);
    expect(isIncomplete("(begin (+ u1")).toBe(true);
    expect(isIncomplete('(print ")")')).toBe(false);
    expect(isIncomplete("(+ u1 u2) ;; (")).toBe(false);
  });
});
