// Deploys contracts/dts.clar: see `npx tsx scripts/deploy.ts --help` and src/cli/deploy.ts.
import { runDeploy } from "../src/cli/deploy.js";

await runDeploy(process.argv);
