// How the process-network tests start the network: `npm start --` (scripts/start.ts).
export const START_COMMAND = ["start", "--"];
