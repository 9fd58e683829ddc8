// Shared by the process-network tests: a devnet node as a child process (so that the chain
// outlives the run under test and can be read afterwards), the CLI as a child process with
// its JSON lines, a read-only client, and BLS verification with @chainsafe/blst.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import * as blst from "@chainsafe/blst";
import { HttpBackend } from "../../src/chain/http.js";
import { DtsClient } from "../../src/chain/client.js";
import { fromHex } from "../../src/crypto/index.js";
import { PROJECT_ROOT, Supervisor } from "../../src/network/supervisor.js";

export interface DevnetProcess {
  url: string;
  stop(): Promise<void>;
}

/** `scripts/devnet.ts --port 0 --no-deploy --json` as a child process. */
export async function startDevnetProcess(blockTimeMs = 1000): Promise<DevnetProcess> {
  const supervisor = new Supervisor();
  const devnet = supervisor.start({ name: "devnet", script: "scripts/devnet.ts", args: ["--port", "0", "--block-time", String(blockTimeMs), "--no-deploy", "--json"] });
  const ready = await devnet.waitFor((e) => typeof e.url === "string", { timeoutMs: 120_000, what: "the devnet's ready line" });
  return { url: ready.url as string, stop: () => supervisor.stopAll() };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  stderr: string[];
}

/** Runs `npm <args>` in the project and collects its JSON lines (stdout) and stderr. */
export function runNpm(args: string[], options: { timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
    const events: Record<string, unknown>[] = [];
    const stderr: string[] = [];
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a JSON line
      }
    });
    createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
    const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGTERM"), options.timeoutMs) : null;
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, events, stderr });
    });
  });
}

export function readClient(nodeUrl: string, contractId: string): DtsClient {
  return new DtsClient(new HttpBackend({ network: "devnet", nodeUrl, contractId, pollIntervalMs: 250 }));
}

/** BLS12-381 min-pk verification by @chainsafe/blst (the POP ciphersuite the contract's keys use). */
export function blstVerifies(groupKeyHex: string, messageHashHex: string, signatureHex: string): boolean {
  return blst.verify(fromHex(messageHashHex), blst.PublicKey.fromBytes(fromHex(groupKeyHex), true), blst.Signature.fromBytes(fromHex(signatureHex), true, true));
}

/** The one event of a kind, or a failure that shows the run's last lines. */
export function eventOf(run: CliRun, kind: string): Record<string, unknown> {
  const found = run.events.filter((e) => e.event === kind);
  if (found.length !== 1) throw new Error(`expected one "${kind}" event, got ${found.length}; exit ${run.code}; last stderr:\n${run.stderr.slice(-25).join("\n")}`);
  return found[0];
}

/** Processes whose command line names this run directory (none must outlive the run). */
export async function processesOf(runDir: string): Promise<string[]> {
  const { readdirSync, readFileSync } = await import("node:fs");
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(runDir)) out.push(`${pid}: ${cmd.trim()}`);
    } catch {
      // gone
    }
  }
  return out;
}
