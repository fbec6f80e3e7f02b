export * from "./types.js";
export { cidrAround, cidrContains, parseCidr, parseIp, type Cidr, type IpAddress } from "./cidr.js";
export * from "./manifest.js";
export * from "./evaluate.js";
export * from "./explain.js";
export * from "./matrix.js";
export {
  modelForStep,
  NETPOL_SCENARIOS,
  SCENARIO_NAMESPACES,
  SCENARIO_POD_NAMES,
  SCENARIO_PORTS,
  scenarioModel,
  scenarioPodManifest,
  type Scenario,
  type ScenarioModel,
  type ScenarioProbe,
  type ScenarioStep,
} from "./scenarios.js";
export * from "./firewall-types.js";
export * from "./namespace-manifest.js";
export * from "./firewall.js";
export * from "./selector-string.js";
