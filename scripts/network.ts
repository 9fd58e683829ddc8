// npm run network: the whole DTS network on this machine, one process per role (see
// src/network/cli.ts and src/network/run.ts; `--help` for the options).
import { buildNetworkProgram, runNetworkCli, type NetworkCliOptions } from "../src/network/cli.js";

const program = buildNetworkProgram("npm run network --").parse();
process.exit(await runNetworkCli(program.opts<NetworkCliOptions>()));
