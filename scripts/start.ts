// npm start: the whole DTS network on this machine, one process per role — a devnet node,
// the contract deployed and initialized, 7 signer nodes, 3 watchtowers, an aggregator and
// the gateway — that registers, runs the DKG, signs a sample message requested through the
// gateway and keeps serving until Ctrl-C (src/network/; `npm start -- --help`). The earlier
// single-process session on the embedded simnet is `npm run demo`.
import { buildNetworkProgram, runNetworkCli, type NetworkCliOptions } from "../src/network/cli.js";

const program = buildNetworkProgram("npm start --").parse();
process.exit(await runNetworkCli(program.opts<NetworkCliOptions>()));
