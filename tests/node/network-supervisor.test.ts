// The supervisor under src/network: JSON lines, stop and restart, and no orphan when the
// supervising process dies, whether it fails (an uncaught error) or is killed outright.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT, Supervisor } from "../../src/network/supervisor.js";

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));

async function gone(pid: number, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/** Runs network-orphan-parent.ts; resolves with the parent and the child's pid once ready. */
function parent(mode: "wait" | "throw"): Promise<{ parent: ReturnType<typeof spawn>; child: number; exited: Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", "tests/node/network-orphan-parent.ts", mode], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise((r) => p.once("exit", r));
    p.on("error", reject);
    p.on("exit", (code) => code !== 1 && reject(new Error(`parent exited ${code} before the child was ready`)));
    createInterface({ input: p.stdout! }).on("line", (line) => {
      if (line.startsWith("{")) resolve({ parent: p, child: (JSON.parse(line) as { child: number }).child, exited });
    });
  });
}

describe("src/network supervisor", () => {
  it("reads a child's JSON line, stops it cleanly, restarts it, and stops everything", async () => {
    const supervisor = new Supervisor();
    const devnet = supervisor.start({ name: "devnet", script: "scripts/devnet.ts", args: ["--port", "0", "--block-time", "0", "--no-deploy", "--json"] });
    const ready = await devnet.waitFor((e) => typeof e.url === "string", { timeoutMs: 120_000 });
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const info = await fetch(`${ready.url as string}/v2/info`).then((r) => r.json() as Promise<{ stacks_tip_height: number }>);
    expect(info.stacks_tip_height).toBeGreaterThan(0);
    const firstPid = devnet.pid!;
    const since = devnet.events.length;
    await devnet.restart();
    expect(devnet.pid).not.toBe(firstPid);
    expect(await gone(firstPid)).toBe(true);
    await devnet.waitFor((e) => typeof e.url === "string", { timeoutMs: 120_000, since });
    const secondPid = devnet.pid!;
    await supervisor.stopAll();
    expect(devnet.lastExit).toEqual({ code: 0, signal: null }); // the devnet's own clean stop on SIGTERM
    expect(await gone(secondPid)).toBe(true);
  }, 300_000);

  it("leaves no child behind when the supervisor is killed with SIGKILL", async () => {
    const { parent: p, child } = await parent("wait");
    expect(alive(child)).toBe(true);
    p.kill("SIGKILL");
    expect(await gone(child)).toBe(true);
  }, 300_000);

  it("leaves no child behind when the supervisor fails with an uncaught error", async () => {
    const { child, exited } = await parent("throw");
    await exited;
    expect(await gone(child)).toBe(true);
  }, 300_000);
});
