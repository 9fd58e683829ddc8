// A supervisor process for tests/node/network-supervisor.test.ts: starts a devnet node under
// the supervisor, prints {"child": pid} once it is ready, then waits to be killed.
import { Supervisor } from "../../src/network/supervisor.js";

const supervisor = new Supervisor();
const devnet = supervisor.start({ name: "devnet", script: "scripts/devnet.ts", args: ["--port", "0", "--block-time", "0", "--no-deploy", "--json"] });
await devnet.waitFor((e) => typeof e.url === "string", { timeoutMs: 120_000 });
process.stdout.write(`${JSON.stringify({ child: devnet.pid })}\n`);
if (process.argv[2] === "throw") throw new Error("the supervisor fails");
setInterval(() => {}, 1 << 30);
