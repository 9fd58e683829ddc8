// Prints the README's table of `dts` subcommands (src/cli/reference.ts): paste it between the
// README's cli-reference markers; tests/node/cli.test.ts fails while they differ.
import { cliReference } from "../src/cli/reference.js";

process.stdout.write(`${cliReference()}\n`);
