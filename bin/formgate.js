#!/usr/bin/env node
// The `formgate` command: rebuilds dist/ if a source changed since the last build, then runs it.
import { bundleUrl, ensureBuilt } from "./build.js";

await ensureBuilt();
await import(bundleUrl("cli"));
