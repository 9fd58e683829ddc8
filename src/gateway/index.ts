// The HTTP gateway of a DTS network: see server.ts and README.md, section "HTTP gateway".
import type { RoleConfig } from "../roles/config.js";
import { connect } from "../roles/config.js";
import { Gateway, type GatewayOptions } from "./server.js";

export { Gateway, type GatewayOptions } from "./server.js";
export { Monitor, LATENCY_BUCKETS } from "./monitor.js";
export { ROUTE_SCHEMAS, TEXT_ROUTES } from "./schemas.js";
export { parseHash, stateOf, type RequestState } from "./requests.js";

/** A gateway for a role configuration: its [chain], [account] and [gateway] sections. */
export async function createGateway(
  config: RoleConfig,
  extra: Partial<Pick<GatewayOptions, "log" | "emit" | "signWaitMs" | "port" | "host">> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<Gateway> {
  const { client, backend, address } = await connect(config, env);
  const section = config.gateway ?? { host: "127.0.0.1", port: 8080, defaultFee: 1_000_000n };
  return new Gateway({
    client,
    backend,
    address,
    host: extra.host ?? section.host,
    port: extra.port ?? section.port,
    defaultFee: section.defaultFee,
    pollIntervalMs: config.chain.pollIntervalMs,
    signWaitMs: extra.signWaitMs,
    log: extra.log,
    emit: extra.emit,
  });
}
