// The package ships JavaScript only: its default export is a vitest Environment.
declare module "vitest-environment-clarinet" {
  import type { Environment } from "vitest/environments";
  const environment: Environment;
  export default environment;
}
