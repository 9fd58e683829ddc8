// How the process-network tests start the network: `npm start --` once it runs the process
// network, `npm run network --` before.
export const START_COMMAND = ["run", "network", "--"];
