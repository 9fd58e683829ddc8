// The dts and deploy command lines without a chain: usage errors (exit 2, JSON with --json),
// arguments refused before any network access, principals' mistakes named, --version, and
// the README's generated command reference. In-process for speed; a few runs as processes
// check the real exit codes.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runDts, buildDtsProgram } from "../../src/cli/dts.js";
import { MAX_CODE_BODY_BYTES, runDeploy } from "../../src/cli/deploy.js";
import { DEVNET_DEPLOYER } from "../../src/cli/common.js";
import { REFERENCE_END, REFERENCE_START, cliReference } from "../../src/cli/reference.js";
import { FUNCTIONS, type FunctionSpec } from "../../src/chain/functions.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tsx = join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "cli.mjs");
const VERSION = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
// Nothing listens here: a command that reached the network would fail with exit 1, not 2.
const OFFLINE = ["--node-url", "http://127.0.0.1:9"];
// A valid address with its last character changed: the checksum no longer matches.
const BAD_CHECKSUM = `${DEVNET_DEPLOYER.slice(0, -1)}${DEVNET_DEPLOYER.endsWith("M") ? "N" : "M"}`;
const SECRET_KEY = "8a5f6ba9e4f0a9b3c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738" + "01";

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a CLI in this process with its output captured; the exit code is process.exitCode. */
async function inProcess(run: (argv: string[]) => Promise<void>, words: string[]): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  try {
    await run(["node", "cli", ...words]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

const dts = (...words: string[]) => inProcess(runDts, words);
const deploy = (...words: string[]) => inProcess(runDeploy, words);

/** Runs a script as its own process with no DTS_* variables but the given ones. */
function processRun(script: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DTS_")));
  return new Promise((resolve) => {
    execFile(process.execPath, [tsx, join(root, "scripts", script), ...args], { cwd: root, env: { ...clean, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let savedEnv: Record<string, string | undefined>;
beforeEach(() => {
  savedEnv = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("DTS_")).map((k) => [k, process.env[k]]));
  for (const k of Object.keys(savedEnv)) delete process.env[k];
});
afterEach(() => {
  for (const k of Object.keys(process.env).filter((k) => k.startsWith("DTS_"))) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

describe("usage errors", () => {
  const cases: [string, string[], RegExp][] = [
    ["a missing argument", ["get-request"], /missing required argument 'message-hash'/],
    ["an extra argument", ["get-config", "surplus"], /too many arguments/],
    ["an unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
    ["no command", [], /no command given/],
    ["an unknown network", ["get-config", "--network", "foo"], /argument 'foo' is invalid/],
    ["a bad fee", ["increase-stake", "5", "--fee", "abc"], /'--fee <micro-stx>' argument 'abc' is invalid/],
    ["a bad timeout", ["get-config", "--timeout", "0"], /must be a positive integer/],
    ["an unknown option", ["get-config", "--bogus"], /unknown option '--bogus'/],
  ];

  it.each(cases)("dts: %s exits 2", async (_, words, message) => {
    const run = await dts(...words);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
  });

  // --json belongs to the commands: before one, it is the unknown option.
  it.each(cases.filter(([, words]) => words.length))("dts: %s with --json prints the error as JSON, before or after the mistake", async (_, [command, ...rest], message) => {
    for (const run of [await dts(command!, "--json", ...rest), await dts(command!, ...rest, "--json")]) {
      expect(run.code).toBe(2);
      const body = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(["ok", "error", "message"]);
      expect(body).toMatchObject({ ok: false, error: "usage" });
      expect(body.message).toMatch(message);
      expect(body.message).not.toMatch(/^error:/);
    }
  });

  it("a --json after -- is an argument, not the option", async () => {
    const run = await dts("get-config", ...OFFLINE, "--", "--json");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
  });

  it.each([
    ["an unknown option", ["--bogus"], /unknown option '--bogus'/],
    ["a stray argument", ["stray"], /too many arguments/],
    ["an unknown network", ["--network", "foo"], /argument 'foo' is invalid/],
    ["a bad fee", ["--fee", "abc"], /'--fee <micro-stx>' argument 'abc' is invalid/],
    ["a bad nonce", ["--nonce", "-1"], /must be a non-negative integer/],
  ])("deploy: %s exits 2, and prints JSON with --json", async (_, words, message) => {
    const plain = await deploy(...words, "--dry-run");
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(message);
    const json = await deploy("--dry-run", ...words, "--json");
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: "usage", message: expect.stringMatching(message) });
  });

  it("--help, help <command> and --version exit 0", async () => {
    for (const words of [["--help"], ["get-request", "--help"], ["help", "get-request"]]) {
      const run = await dts(...words);
      expect(run.code, words.join(" ")).toBe(0);
      expect(run.stdout).toMatch(/^Usage: dts/);
    }
    expect(await dts("--version")).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect(await dts("-V")).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect((await deploy("--help")).code).toBe(0);
    expect(await deploy("--version")).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it("exits 2 and 0 as processes too", async () => {
    const [fee, help, version, unknown] = await Promise.all([
      processRun("dts.ts", ["get-config", "--fee", "abc", "--json"]),
      processRun("dts.ts", ["--help"]),
      processRun("deploy.ts", ["--version"]),
      processRun("deploy.ts", ["--bogus", "--json"], { DTS_PRIVATE_KEY: SECRET_KEY }),
    ]);
    expect(fee.code).toBe(2);
    expect(JSON.parse(fee.stdout)).toEqual({ ok: false, error: "usage", message: "option '--fee <micro-stx>' argument 'abc' is invalid. must be a whole number of micro-STX" });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("get-request");
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toEqual({ ok: false, error: "usage", message: "unknown option '--bogus'" });
    expect(unknown.stdout + unknown.stderr).not.toContain(SECRET_KEY.slice(0, 12));
  });
});

/** A valid command-line value for an argument of this type. */
function validText(type: FunctionSpec["args"][number]["type"]): string {
  if (type === "uint128") return "1";
  if (type === "principal") return DEVNET_DEPLOYER;
  if (type === "bool") return "true";
  if (typeof type === "object" && "buffer" in type) return "ab".repeat(type.buffer.length);
  throw new Error(`no sample for ${JSON.stringify(type)}`);
}

describe("arguments refused before anything is sent or read", () => {
  const readOnly = Object.entries(FUNCTIONS as Record<string, FunctionSpec>).filter(([, spec]) => spec.access === "read_only");
  const withBuffers = readOnly.flatMap(([name, spec]) =>
    spec.args.flatMap((a, i) => (typeof a.type === "object" && "buffer" in a.type ? [[name, i, a.name, a.type.buffer.length] as const] : [])),
  );

  it("covers every read-only function with a buffer argument", () => {
    expect(new Set(withBuffers.map(([name]) => name))).toEqual(
      new Set(["get-signer-by-key", "get-epoch-key-votes", "get-request", "get-partial-signature", "get-claim", "get-aggregate-claim", "get-liveness-penalty"]),
    );
  });

  it.each(withBuffers)("%s: a 2-byte argument %i (%s) is refused, exit 2", async (name, index, argName, length) => {
    const spec = (FUNCTIONS as Record<string, FunctionSpec>)[name]!;
    const words = spec.args.map((a, i) => (i === index ? "0xabcd" : validText(a.type)));
    const run = await dts(name, ...words, ...OFFLINE);
    expect(run).toEqual({ code: 2, stdout: "", stderr: `error: ${argName} must be ${length} bytes of hex, got 2 bytes\n` });
    const json = await dts(name, ...words, ...OFFLINE, "--json");
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: "usage", message: `${argName} must be ${length} bytes of hex, got 2 bytes` });
  });

  it("a read with valid arguments does reach for the node (so the refusals above are the arguments')", async () => {
    const run = await dts("get-request", "ab".repeat(32), ...OFFLINE);
    expect(run.code).toBe(1);
  });
});

describe("principals", () => {
  const whole = (text: string) => JSON.stringify(text);

  it("a bad checksum is named, with the whole input", async () => {
    const run = await dts("get-signer-info", BAD_CHECKSUM, ...OFFLINE);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: signer must be a Stacks principal (ST... or SP..., optionally .contract-name), got ${whole(BAD_CHECKSUM)}: the address's checksum is wrong (a character mistyped, missing or extra)\n`,
    );
  });

  it.each([
    ["a wrong first letter", `X${DEVNET_DEPLOYER.slice(1)}`, "an address starts with S (SP or SM on mainnet, ST or SN on testnet)"],
    ["a non-c32 character", `${DEVNET_DEPLOYER.slice(0, 10)}U${DEVNET_DEPLOYER.slice(11)}`, `the address contains "U", which is not a c32 character (0-9 and A-Z without I, L, O, U)`],
    ["an unknown network letter", `SX${DEVNET_DEPLOYER.slice(2)}`, "the address's second character is its network: P or M (mainnet), T or N (testnet)"],
    ["a bad contract name", `${DEVNET_DEPLOYER}.9lives`, `the contract name "9lives" must be a letter then at most 39 of a-z, A-Z, 0-9, - and _`],
    ["two dots", `${DEVNET_DEPLOYER}.a.b`, "it has more than one '.'"],
    ["a short address", "ST1PQ", "the address is too short (5 characters)"],
    ["nothing", "", "it is empty"],
  ])("%s is named", async (_, text, problem) => {
    const run = await dts("get-reputation", text, ...OFFLINE);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: signer must be a Stacks principal (ST... or SP..., optionally .contract-name), got ${whole(text)}: ${problem}\n`);
  });

  it("in a list, in --sender and in --contract too", async () => {
    const listed = await dts("rotate-signers", `${DEVNET_DEPLOYER},${BAD_CHECKSUM}`, ...OFFLINE);
    expect(listed.code).toBe(2);
    expect(listed.stderr).toContain(`committee[1] must be a Stacks principal (ST... or SP..., optionally .contract-name), got ${whole(BAD_CHECKSUM)}: the address's checksum is wrong`);
    const sender = await dts("get-config", "--sender", BAD_CHECKSUM, ...OFFLINE);
    expect(sender.code).toBe(2);
    expect(sender.stderr).toContain(`--sender must be a Stacks principal`);
    expect(sender.stderr).toContain(`${whole(BAD_CHECKSUM)}: the address's checksum is wrong`);
    const contract = await dts("get-config", "--contract", `${BAD_CHECKSUM}.dts`, ...OFFLINE);
    expect(contract.code).toBe(2);
    expect(contract.stderr).toContain(`--contract's address must be a Stacks principal`);
  });
});

describe("deploy", () => {
  it("names a contract too large for @stacks/transactions instead of its bare codec error", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "dts-cli-")), "big.clar");
    writeFileSync(file, `;; ${"x".repeat(MAX_CODE_BODY_BYTES)}\n`);
    process.env.DTS_PRIVATE_KEY = SECRET_KEY;
    const run = await deploy("--network", "testnet", "--dry-run", "--contract-file", file);
    expect(run).toEqual({ code: 2, stdout: "", stderr: `error: ${file} is ${MAX_CODE_BODY_BYTES + 4} bytes; @stacks/transactions deploys at most ${MAX_CODE_BODY_BYTES}\n` });
  });
});

describe("the README's command reference", () => {
  it("has a row for every subcommand, with every argument of the function table", () => {
    const rows = cliReference().split("\n").slice(2);
    expect(rows.map((r) => r.split(" | ")[0]!.replace(/^\| `|`$/g, ""))).toEqual(buildDtsProgram().commands.map((c) => c.name()));
    for (const [name, spec] of Object.entries(FUNCTIONS as Record<string, FunctionSpec>)) {
      const row = rows.find((r) => r.startsWith(`| \`${name}\` |`))!;
      expect(row).toContain(`| ${spec.access === "public" ? "public" : "read-only"} |`);
      for (const a of spec.args) expect(row).toContain(`\`<${a.name}>\``);
    }
    expect(rows.find((r) => r.startsWith("| `get-request` |"))).toBe("| `get-request` | `<message-hash>` (buff 32) | read-only | a signing request |");
  });

  it("is what `npm run -s cli-reference` prints", async () => {
    const printed = await processRun("cli-reference.ts", []);
    expect(printed).toEqual({ code: 0, stdout: `${cliReference()}\n`, stderr: "" });
  });

  it("is in README.md, exactly, between the cli-reference markers", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    expect(start, `README.md has no ${REFERENCE_START}`).toBeGreaterThanOrEqual(0);
    expect(end, `README.md has no ${REFERENCE_END} after ${REFERENCE_START}`).toBeGreaterThan(start);
    expect(readme.slice(start + REFERENCE_START.length, end).trim(), "README.md's table is stale: paste `npm run -s cli-reference` between the markers").toBe(cliReference());
  });
});
