// Fails `npm test` when the contract suites leave dts.clar under-tested: merges every record
// of lcov.info (the clarinet environment writes one per test), then requires at least
// --min-lines percent of its lines executed and every function called at least once.
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";

const options = new Command()
  .name("check-coverage")
  .description("Check the merged line and function coverage of a Clarity contract in lcov.info")
  .option("--lcov <file>", "the lcov report", "lcov.info")
  .option("--contract <suffix>", "the source file to check (path suffix)", "contracts/dts.clar")
  .option("--min-lines <percent>", "the least line coverage accepted", (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError("a percentage, 0..100");
    return n;
  }, 97)
  .option("--json", "print the result as JSON")
  .parse()
  .opts<{ lcov: string; contract: string; minLines: number; json?: boolean }>();

let text: string;
try {
  text = readFileSync(options.lcov, "utf8");
} catch {
  process.stderr.write(`check-coverage: no ${options.lcov}: run the contract suites with coverage (vitest run -- --coverage)\n`);
  process.exit(1);
}

const lineHits = new Map<number, number>();
const functionLines = new Map<string, number>();
const functionHits = new Map<string, number>();
let records = 0;
let inContract = false;
for (const line of text.split("\n")) {
  if (line.startsWith("SF:")) {
    inContract = line.slice(3).endsWith(options.contract);
    if (inContract) records += 1;
  } else if (line === "end_of_record") {
    inContract = false;
  } else if (inContract) {
    const [tag, rest] = [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)];
    if (tag === "DA") {
      const [lineNo, hits] = rest.split(",").map(Number);
      lineHits.set(lineNo, (lineHits.get(lineNo) ?? 0) + hits);
    } else if (tag === "FN") {
      const [lineNo, name] = rest.split(",");
      functionLines.set(name, Number(lineNo));
    } else if (tag === "FNDA") {
      const [hits, name] = rest.split(",");
      functionHits.set(name, (functionHits.get(name) ?? 0) + Number(hits));
    }
  }
}

if (records === 0) {
  process.stderr.write(`check-coverage: ${options.lcov} has no record of ${options.contract}\n`);
  process.exit(1);
}

const lines = [...lineHits.keys()].sort((a, b) => a - b);
const missedLines = lines.filter((l) => lineHits.get(l) === 0);
const percent = (100 * (lines.length - missedLines.length)) / lines.length;
const neverCalled = [...functionLines.keys()].filter((name) => (functionHits.get(name) ?? 0) === 0).sort();
const ok = percent >= options.minLines && neverCalled.length === 0;
const result = {
  contract: options.contract,
  records,
  lines: { total: lines.length, covered: lines.length - missedLines.length, percent: Number(percent.toFixed(2)), missed: missedLines },
  functions: { total: functionLines.size, neverCalled },
  minLines: options.minLines,
  ok,
};

if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  process.stdout.write(
    `${options.contract}: ${result.lines.covered}/${result.lines.total} lines (${result.lines.percent}%, at least ${options.minLines}% required), ` +
      `${functionLines.size - neverCalled.length}/${functionLines.size} functions called, merged over ${records} test records\n`,
  );
  if (missedLines.length) process.stdout.write(`lines never executed: ${missedLines.join(", ")}\n`);
  if (neverCalled.length) process.stdout.write(`functions never called: ${neverCalled.join(", ")}\n`);
}
if (!ok) process.exitCode = 1;
