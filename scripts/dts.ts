// The DTS command line: one subcommand per contract function (src/cli/dts.ts).
import { runDts } from "../src/cli/dts.js";

await runDts(process.argv);
