import { packageTestConfig } from "../../vitest.shared.js";

// Chromium start-up and a whole cluster scenario need longer than unit tests.
export default packageTestConfig("web", { testMs: 120_000, hookMs: 120_000 });
