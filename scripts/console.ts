// npm run console: Clarity and dts calls on the simnet, interactively or from piped input.
import { createInterface } from "node:readline";
import { Command } from "commander";
import { DtsConsole, isIncomplete } from "../src/devnet/console.js";

const program = new Command()
  .name("npm run console --")
  .description(
    "A console over the simnet with dts deployed: Clarity expressions, ::call / ::read of dts as any devnet account, ::mine and ::mine-burn. " +
      "Reads commands from stdin; with piped input there is no prompt, and the exit code is 1 if any line could not be run.",
  )
  .option("--manifest <path>", "Clarinet.toml of the project", "./Clarinet.toml")
  .parse();

const { manifest } = program.opts<{ manifest: string }>();
const tty = Boolean(process.stdin.isTTY);
// process.stdout directly: the simnet silences console.log while it runs.
const io = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`) };

let session: DtsConsole;
try {
  session = await DtsConsole.open(io, manifest);
} catch (e) {
  process.stderr.write(`console failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

if (tty) {
  io.out(`DTS console: ${session.contractId} on simnet, stacks-block-height ${session.simnet.blockHeight}. ::help for commands, ::quit to leave.`);
}
const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty, prompt: "dts> " });
let failures = 0;
let pending = "";
if (tty) rl.prompt();
for await (const line of rl) {
  pending = pending ? `${pending}\n${line}` : line;
  if (!pending.trim().startsWith("::") && isIncomplete(pending)) {
    if (tty) {
      rl.setPrompt("...> ");
      rl.prompt();
    }
    continue;
  }
  const input = pending;
  pending = "";
  const result = session.run(input);
  if (result.failed) failures++;
  if (result.quit) break;
  if (tty) {
    rl.setPrompt("dts> ");
    rl.prompt();
  }
}
rl.close();
if (pending.trim()) {
  io.err("error: input ended inside an unfinished expression");
  failures++;
}
process.exitCode = !tty && failures > 0 ? 1 : 0;
