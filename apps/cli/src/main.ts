#!/usr/bin/env node
import { runCli } from "./program.js";

// exitCode rather than exit(): pending stdout writes still flush before the process ends.
process.exitCode = await runCli(process.argv);
