// npm run demo: a whole DTS network, end to end, in one process on the embedded simnet
// (every role in this process, no HTTP). `npm start` runs the process network instead
// (scripts/start.ts, src/network/).
import { Command, InvalidArgumentError } from "commander";
import { toJson } from "../src/chain/clarity.js";
import { runLocalNetwork } from "../src/local/network.js";

const integer = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError("expected a whole number");
  return parsed;
};

const program = new Command()
  .name("npm run demo --")
  .description("Run a whole DTS network on the embedded simnet: register, rotate, DKG through the contract, sign, aggregate, verify, pay.")
  .option("-n, --signers <n>", "committee size n (1..32)", integer, 5)
  .option("-t, --threshold <t>", "threshold t, n/2 < t <= n (default: the smallest majority)", integer)
  .option("-m, --message <text>", "the message to sign", "hello from DTS")
  .option("--fee <ustx>", "request fee in micro-STX", (v) => BigInt(integer(v)), 1_000_000n)
  .option("--json", "print the whole session as JSON on stdout")
  .parse();

const options = program.opts<{ signers: number; threshold?: number; message: string; fee: bigint; json?: boolean }>();
const n = options.signers;
const t = options.threshold ?? Math.floor(n / 2) + 1;
let step = 0;

try {
  const report = await runLocalNetwork({
    n,
    t,
    message: options.message,
    fee: options.fee,
    progress: (line) => process.stderr.write(`[${++step}] ${line}\n`),
  });
  if (options.json) {
    process.stdout.write(`${toJson(report)}\n`);
  } else {
    console.log(`\nDTS ${t}-of-${n} on simnet, epoch ${report.epoch}`);
    console.log(`group public key  ${report.groupPublicKey}`);
    console.log(`message hash      ${report.request.messageHash}`);
    console.log(`signature         ${report.aggregate.signature}`);
    console.log(`verifies (BLS12-381 min-pk, POP DST) against the group key stored in the contract: ${report.aggregate.verifiesAgainstStoredGroupKey}`);
    console.log(`fee ${report.request.fee} uSTX: ${report.feeShares.map((s) => s.claimed).join(" + ")} to the signers, ${report.treasury} to the treasury`);
    console.log(`contract balance ${report.accounting.balance} uSTX = stakes ${report.accounting.stakes} + bonds ${report.accounting.bonds} + treasury ${report.accounting.treasury}`);
  }
} catch (error) {
  process.stderr.write(`dts start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
