// `npm start` and `npm run network`: the process network of
// src/network/run.ts from the command line, with progress on stderr, the results on stdout
// (or everything as JSON lines with --json), a status line per block while it serves, and
// a clean stop of every process on Ctrl-C / SIGTERM.
import { Command, InvalidArgumentError } from "commander";
import { toJson } from "../chain/clarity.js";
import { INIT_PARAMS, ProcessNetwork, type SignResult } from "./run.js";

export interface NetworkCliOptions {
  once?: boolean;
  faulty: number;
  rotate?: boolean;
  json?: boolean;
  message: string;
  blockTime: number;
  requests: number;
  verbose?: boolean;
  nodeUrl?: string;
  sequential?: boolean;
}

const integer = (min: number, max: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`expected a whole number in ${min}..${max}`);
  return parsed;
};

export function buildNetworkProgram(name: string): Command {
  return new Command()
    .name(name)
    .description(
      "Run a whole DTS network on this machine, one process per role: a devnet node, the contract deployed and initialized " +
        `(${INIT_PARAMS.threshold}-of-${INIT_PARAMS.totalSigners}), 7 signer nodes, 3 watchtowers, an aggregator and the gateway; ` +
        "the nodes register, run the DKG, and sign a sample message requested through the gateway's POST /sign.",
    )
    .option("--once", "exit 0 after the sample signature (and the --faulty / --rotate checks)")
    .option("--faulty <k>", `k signers of the committee submit invalid partials; the watchtowers catch and slash them (0..${INIT_PARAMS.totalSigners - INIT_PARAMS.threshold})`, integer(0, INIT_PARAMS.totalSigners - INIT_PARAMS.threshold), 0)
    .option("--rotate", "then rotate with resharing by the nodes: same group key, and a request made during the switch is signed")
    .option("--json", "the run as JSON lines on stdout (one object per step, the results last)")
    .option("-m, --message <text>", "the sample message", "hello from DTS")
    .option("--block-time <ms>", "Stacks block time of the devnet", integer(200, 60_000), 1000)
    .option("--requests <n>", "after the sample, sign n more messages at once and report the median latency in blocks", integer(0, 200), 0)
    .option("--sequential", "with --requests: one request at a time (each after the previous aggregate) instead of all at once")
    .option("--node-url <url>", "use this running devnet node (npm run devnet -- --no-deploy) instead of starting one")
    .option("--verbose", "also show every role process's own log lines");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs the network; resolves with the exit code. */
export async function runNetworkCli(options: NetworkCliOptions): Promise<number> {
  const json = options.json === true;
  const out = (value: Record<string, unknown>) => process.stdout.write(`${toJson(value, 0)}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  let step = 0;
  const net = new ProcessNetwork({
    faulty: options.faulty,
    blockTimeMs: options.blockTime,
    verbose: options.verbose,
    nodeUrl: options.nodeUrl,
    progress: (line) => err(line.startsWith("  ") ? line : `[${++step}] ${line}`),
    record: json ? (event) => out(event) : undefined,
  });

  let interrupted: string | null = null;
  let wake: (() => void) | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      err(`${signal} again: killing every process now`);
      for (const managed of net.supervisor.list()) void managed.kill();
      return;
    }
    interrupted = signal;
    err(`${signal}: stopping every process…`);
    wake?.();
    void net.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    await net.start();
    const fromBlock = 0;
    const sample = await net.sign(options.message);
    report("sample", sample);
    const result: Record<string, unknown> = { event: "result", runDir: net.runDir, contractId: net.contractId, nodeUrl: net.nodeUrl, gatewayUrl: net.gatewayUrl, sample, roles: net.roles };
    if (!sample.verifies) throw new Error("the sample signature does not verify against the group key read from the contract");

    if (options.faulty > 0) {
      const slashed = await net.faultySlashed(fromBlock);
      for (const s of slashed) err(`[${++step}] watchtowers caught ${s.role} (${s.signer}): slashed ${s.amount} uSTX for an invalid partial on ${s.messageHash.slice(0, 18)}… (slashes on record: ${s.totalSlashes})`);
      result.slashed = slashed;
    }

    if (options.rotate) {
      const rotation = await net.rotateWithReshare(`${options.message} (during the rotation)`);
      result.rotation = rotation;
      if (!rotation.unchanged) throw new Error("the group key changed across the reshare");
      if (!rotation.duringSwitch.verifies) throw new Error("the request made during the switch does not verify");
      const next = await net.sign(`${options.message} (after the rotation)`);
      report("after rotation", next);
      result.afterRotation = next;
    }

    if (options.requests > 0) {
      err(`[${++step}] signing ${options.requests} more messages through the gateway ${options.sequential ? "one after another" : "at once"}…`);
      const messages = Array.from({ length: options.requests }, (_, i) => `${options.message} #${i + 1} ${Date.now()}`);
      let signed: SignResult[] = [];
      if (options.sequential) {
        for (const message of messages) signed.push(await net.finalized(message, await net.request(message)));
      } else {
        const requested = await Promise.all(messages.map((message) => net.request(message).then((r) => ({ message, r }))));
        signed = await Promise.all(requested.map(({ message, r }) => net.finalized(message, r)));
      }
      const latencies = signed.map((s) => s.latencyBlocks);
      const all = signed.every((s) => s.verifies);
      result.latency = { requests: signed.length, mode: options.sequential ? "sequential" : "concurrent", latencies, medianBlocks: median(latencies), allVerify: all };
      err(`[${++step}] ${signed.length} signatures, all verify: ${all}; latency request → aggregate in Stacks blocks: median ${median(latencies)}, min ${Math.min(...latencies)}, max ${Math.max(...latencies)}`);
      if (!all) throw new Error("a signature does not verify");
    }

    if (json) out(result);
    else summary(result);

    if (!options.once && !interrupted) {
      err(`serving; a status line per block; gateway ${net.gatewayUrl}; Ctrl-C stops every process`);
      net.onBlock = (height) => {
        net.statusLine(height).then(
          (line) => (json ? out({ event: "block", height, status: line }) : err(line)),
          () => {},
        );
      };
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (interrupted) resolve();
      });
    }
    await net.stop();
    err(`every process stopped; run directory ${net.runDir}`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await net.stop().catch(() => {});
    if (interrupted) {
      err(`stopped (${interrupted}); run directory ${net.runDir}`);
      return 0;
    }
    if (json) out({ event: "error", message });
    err(`dts network failed: ${message}`);
    err(`role configurations and databases: ${net.runDir}`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  function report(label: string, s: SignResult): void {
    const line = `${label}: "${s.message}" signed by epoch ${s.epoch} in ${s.latencyBlocks} Stacks blocks (request block ${s.requestedAt}, aggregate block ${s.finalizedAt}); verifies against the contract's group key: ${s.verifies}`;
    err(`[${++step}] ${line}`);
    if (json) out({ event: label === "sample" ? "sample" : "signed", ...s });
  }

  function summary(result: Record<string, unknown>): void {
    const s = result.sample as SignResult;
    const lines = [
      "",
      `DTS ${INIT_PARAMS.threshold}-of-${INIT_PARAMS.totalSigners} on a local devnet, ${net.roles.length} role processes (run directory ${net.runDir})`,
      `contract          ${net.contractId}`,
      `gateway           ${net.gatewayUrl}`,
      `message           ${JSON.stringify(s.message)}`,
      `message hash      ${s.messageHash}`,
      `group public key  ${s.groupPublicKey} (epoch ${s.epoch}, read from the contract)`,
      `signature         ${s.signature}`,
      `verifies (BLS12-381 min-pk) against the contract's group key: ${s.verifies}`,
    ];
    const slashed = result.slashed as { role: string; amount: string }[] | undefined;
    if (slashed) lines.push(`faulty signers slashed by the watchtowers: ${slashed.map((x) => `${x.role} (${x.amount} uSTX)`).join(", ")}`);
    const rotation = result.rotation as { before: { epoch: number }; after: { epoch: number; groupPublicKey: string }; unchanged: boolean; duringSwitch: SignResult } | undefined;
    if (rotation)
      lines.push(
        `rotation: epoch ${rotation.before.epoch} → ${rotation.after.epoch}, group key unchanged: ${rotation.unchanged}; request during the switch signed by epoch ${rotation.duringSwitch.epoch}, verifies: ${rotation.duringSwitch.verifies}`,
      );
    const latency = result.latency as { requests: number; medianBlocks: number } | undefined;
    if (latency) lines.push(`latency over ${latency.requests} requests: median ${latency.medianBlocks} Stacks blocks from request to aggregate`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}
