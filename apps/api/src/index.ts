import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./router/_app.js";

export { appRouter, type AppRouter } from "./router/_app.js";
export { createCallerFactory } from "./trpc.js";
export { ControlPlane, VERSION } from "./control-plane.js";
export { startControlPlane, type ControlPlaneStartOptions, type RunningControlPlane } from "./server.js";
export { readEnv, type Env } from "./env.js";
export type { NodeDTO, PodDTO, EventDTO, NodeFitDTO } from "./dto.js";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
