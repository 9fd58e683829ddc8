// The README's table of every `dts` subcommand, generated from the program the CLI builds
// (and so from the function table): `npm run -s cli-reference`, checked by tests/node/cli.test.ts.
import { Command } from "commander";
import { FUNCTIONS, type FunctionSpec } from "../chain/functions.js";
import { clarityType } from "./args.js";
import { AUTO_COMMITTEE, OTHER_COMMANDS, addContractOptions, buildDtsProgram } from "./dts.js";

/** The README's markers around the generated table. */
export const REFERENCE_START = "<!-- cli-reference:start -->";
export const REFERENCE_END = "<!-- cli-reference:end -->";

/** Options every command has (documented once in the README), left out of each row. */
function sharedOptions(): Set<string> {
  const shared = addContractOptions(new Command()).option("--sender <principal>").options.map((o) => o.long!);
  return new Set(shared);
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function functionArguments(name: string, spec: FunctionSpec): string {
  return spec.args
    .map((a) => `\`<${a.name}>\` ${clarityType(a.type)}${name === "rotate-signers" ? ` or \`${AUTO_COMMITTEE}\`` : ""}`)
    .join(", ");
}

function commandArguments(command: Command, shared: Set<string>): string {
  const args = command.registeredArguments.map((a) => `\`<${a.name()}>\``);
  const options = command.options.filter((o) => !shared.has(o.long!)).map((o) => `\`[${o.flags}]\``);
  return args.concat(options).join(", ");
}

function kindOf(name: string, spec: FunctionSpec | undefined): string {
  if (spec) return spec.access === "public" ? "public" : "read-only";
  const kind = (OTHER_COMMANDS as Record<string, string>)[name];
  if (!kind) throw new Error(`${name}: add it to OTHER_COMMANDS in src/cli/dts.ts (read-only or local)`);
  return kind;
}

/** One row per subcommand, in the order of `dts --help`. */
export function cliReference(): string {
  const shared = sharedOptions();
  const rows = buildDtsProgram().commands.map((command) => {
    const name = command.name();
    const spec = (FUNCTIONS as Record<string, FunctionSpec>)[name];
    const args = spec ? functionArguments(name, spec) : commandArguments(command, shared);
    const description = spec ? (spec.help ?? "") : command.description();
    return `| \`${name}\` | ${cell(args) || "–"} | ${kindOf(name, spec)} | ${cell(description)} |`;
  });
  return ["| command | arguments | kind | what it does |", "|---|---|---|---|", ...rows].join("\n");
}
