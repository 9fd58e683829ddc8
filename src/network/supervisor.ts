// A small process supervisor: runs each DTS role (`scripts/<role>.ts --config <file> --json`)
// as its own OS process, reads its JSON-lines stdout (one object per notable action) and its
// stderr (progress for people), and stops, restarts or replaces it.
//
// No orphans: every child runs in its own process group (a terminal's Ctrl-C reaches the
// supervisor only, which then stops the children in order); stopping a child signals its
// whole group, SIGTERM first and SIGKILL after a grace period; when the supervisor's process
// exits for any reason its `exit` hook signals every group still running; and if the
// supervisor dies without running any hook (SIGKILL), each child's stdin pipe closes and
// src/network/guard.ts, loaded into every child, stops it.
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

/** The project's root (scripts/ and node_modules/ live there). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX_LOADER = fileURLToPath(import.meta.resolve("tsx"));
const GUARD = fileURLToPath(new URL("./guard.ts", import.meta.url));

export interface ProcessSpec {
  /** Unique name, e.g. "signer-3". */
  name: string;
  /** Script path relative to the project root, e.g. "scripts/signer.ts". */
  script: string;
  args?: string[];
  /** Added to the supervisor's environment (secrets go here, never into args). */
  env?: Record<string, string>;
  /** Restart after an unexpected exit (not one asked for by stop/restart), at most this many times. */
  restarts?: number;
  /** Append every stdout and stderr line to this file (the role's log in the run directory). */
  logFile?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One JSON object a child printed on stdout. */
export type ChildEvent = Record<string, unknown> & { event?: string };

export interface SupervisorEvents {
  /** A JSON line from a child's stdout. */
  event: [name: string, event: ChildEvent];
  /** A line from a child's stderr, or a stdout line that is not JSON. */
  log: [name: string, line: string];
  started: [name: string, pid: number];
  exit: [name: string, info: ExitInfo, expected: boolean];
}

export class ProcessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProcessError";
  }
}

const TAIL_LINES = 40;

/** A supervised child process (one incarnation after another across restarts). */
export class Managed {
  child: ChildProcess | null = null;
  /** Every JSON event of every incarnation, oldest first. */
  readonly events: ChildEvent[] = [];
  /** The last stderr lines (for error messages). */
  readonly tail: string[] = [];
  /** Raw stdout of the current incarnation (the first lines), for one-shot commands that print pretty JSON. */
  readonly stdout: string[] = [];
  restartsLeft: number;
  starts = 0;
  private stopping = false;
  private exitWaiters: ((info: ExitInfo) => void)[] = [];
  lastExit: ExitInfo | null = null;

  constructor(
    readonly spec: ProcessSpec,
    private readonly owner: Supervisor,
  ) {
    this.restartsLeft = spec.restarts ?? 0;
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts a new incarnation. */
  start(): void {
    if (this.child) throw new ProcessError(`${this.name} is already running`);
    this.stopping = false;
    const child = spawn(process.execPath, ["--import", TSX_LOADER, "--import", GUARD, resolve(PROJECT_ROOT, this.spec.script), ...(this.spec.args ?? [])], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...this.spec.env },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    this.child = child;
    this.starts += 1;
    // The pipe stays open and silent: its end tells the child the supervisor is gone.
    child.stdin!.on("error", () => {});
    this.stdout.length = 0;
    const file = this.spec.logFile ? createWriteStream(this.spec.logFile, { flags: "a", mode: 0o600 }) : null;
    file?.on("error", () => {});
    file?.write(`--- ${new Date().toISOString()} start #${this.starts + 1}\n`);
    child.once("close", () => file?.end());
    createInterface({ input: child.stdout! }).on("line", (line) => {
      file?.write(`${line}\n`);
      if (this.stdout.length < 5000) this.stdout.push(line);
      const text = line.trim();
      if (text.startsWith("{")) {
        try {
          const event = JSON.parse(text) as ChildEvent;
          this.events.push(event);
          this.owner.emit("event", this.name, event);
          return;
        } catch {
          // not JSON: a log line
        }
      }
      if (text) this.log(text);
    });
    createInterface({ input: child.stderr! }).on("line", (line) => {
      file?.write(`${line}\n`);
      if (line.trim()) this.log(line);
    });
    child.on("error", (error) => this.log(`spawn failed: ${error.message}`));
    child.on("exit", (code, signal) => {
      const info: ExitInfo = { code, signal };
      this.child = null;
      this.lastExit = info;
      const expected = this.stopping;
      this.owner.forget(child);
      this.owner.emit("exit", this.name, info, expected);
      for (const waiter of this.exitWaiters.splice(0)) waiter(info);
      if (!expected && !this.owner.closing && this.restartsLeft > 0) {
        this.restartsLeft -= 1;
        this.log(`exited unexpectedly (${describeExit(info)}); restarting`);
        this.start();
      }
    });
    this.owner.track(child);
    if (child.pid !== undefined) this.owner.emit("started", this.name, child.pid);
  }

  private log(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    this.owner.emit("log", this.name, line);
  }

  /** Resolves when the current incarnation exits (at once if none is running). */
  exited(): Promise<ExitInfo> {
    if (!this.child) return Promise.resolve(this.lastExit ?? { code: null, signal: null });
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves with the exit. */
  async stop(graceMs = 15_000, signal: NodeJS.Signals = "SIGTERM"): Promise<ExitInfo> {
    const child = this.child;
    if (!child) return this.lastExit ?? { code: null, signal: null };
    this.stopping = true;
    const exited = this.exited();
    signalGroup(child, signal);
    const timer = setTimeout(() => signalGroup(child, "SIGKILL"), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process group at once (as a crash would), without a restart. */
  async kill(): Promise<ExitInfo> {
    return this.stop(0, "SIGKILL");
  }

  async restart(graceMs?: number): Promise<void> {
    await this.stop(graceMs);
    this.start();
  }

  /** The first event (of any incarnation, past or future) that `match` accepts. */
  waitFor(match: (event: ChildEvent) => boolean, options: { timeoutMs?: number; what?: string; since?: number } = {}): Promise<ChildEvent> {
    const past = this.events.slice(options.since ?? 0).find(match);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const onEvent = (name: string, event: ChildEvent) => {
        if (name === this.name && match(event)) finish(() => resolve(event));
      };
      const onExit = (name: string, info: ExitInfo, expected: boolean) => {
        if (name !== this.name || this.child) return; // restarted: keep waiting
        finish(() =>
          reject(new ProcessError(`${this.name} exited (${describeExit(info)})${expected ? " on request" : ""} before ${options.what ?? "the awaited event"}${this.tailText()}`)),
        );
      };
      const timer =
        options.timeoutMs === undefined
          ? null
          : setTimeout(() => finish(() => reject(new ProcessError(`${this.name}: no ${options.what ?? "awaited event"} within ${options.timeoutMs} ms${this.tailText()}`))), options.timeoutMs);
      const finish = (settle: () => void) => {
        if (timer) clearTimeout(timer);
        this.owner.off("event", onEvent);
        this.owner.off("exit", onExit);
        settle();
      };
      this.owner.on("event", onEvent);
      this.owner.on("exit", onExit);
    });
  }

  tailText(): string {
    return this.tail.length ? `; last output: ${this.tail.slice(-5).join(" | ")}` : "";
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}

// Every child of every supervisor in this process, for the exit hook.
const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const child of live) signalGroup(child, "SIGTERM");
  });
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly processes = new Map<string, Managed>();
  closing = false;

  constructor() {
    super();
    hookExit();
  }

  /** @internal */
  track(child: ChildProcess): void {
    live.add(child);
  }

  /** @internal */
  forget(child: ChildProcess): void {
    live.delete(child);
  }

  /** Starts a process under a new name. */
  start(spec: ProcessSpec): Managed {
    if (this.closing) throw new ProcessError("the supervisor is stopping");
    if (this.processes.get(spec.name)?.running) throw new ProcessError(`${spec.name} is already running`);
    const managed = new Managed(spec, this);
    this.processes.set(spec.name, managed);
    managed.start();
    return managed;
  }

  get(name: string): Managed {
    const managed = this.processes.get(name);
    if (!managed) throw new ProcessError(`no process named ${name}`);
    return managed;
  }

  list(): Managed[] {
    return [...this.processes.values()];
  }

  /** Runs a process to completion: its exit and its JSON events; a non-zero exit throws. */
  async run(spec: ProcessSpec, options: { timeoutMs?: number } = {}): Promise<ChildEvent[]> {
    const managed = this.start(spec);
    const timer = options.timeoutMs === undefined ? null : setTimeout(() => void managed.stop(2000), options.timeoutMs);
    const info = await managed.exited();
    if (timer) clearTimeout(timer);
    if (info.code !== 0) throw new ProcessError(`${spec.name} failed (${describeExit(info)})${managed.tailText()}`);
    if (managed.events.length === 0) {
      // A command that printed one pretty-printed JSON document.
      try {
        const whole = JSON.parse(managed.stdout.join("\n")) as ChildEvent;
        if (typeof whole === "object" && whole !== null) return [whole];
      } catch {
        // not JSON
      }
    }
    return managed.events;
  }

  /**
   * Stops every process: all at once except the `last` names, which then stop one after
   * another in that order (the chain node last). Resolves when none is left.
   */
  async stopAll(options: { last?: string[]; graceMs?: number } = {}): Promise<void> {
    this.closing = true;
    const grace = options.graceMs ?? 15_000;
    const last = new Set(options.last ?? []);
    const rest = this.list().filter((m) => !last.has(m.name));
    await Promise.all(rest.map((m) => m.stop(grace)));
    for (const name of options.last ?? []) await this.processes.get(name)?.stop(grace);
  }
}
