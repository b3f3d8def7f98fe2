#!/usr/bin/env node
// `npm start`: rebuilds dist/ if a source changed since the last build, then runs the server from it.
import { bundleUrl, ensureBuilt } from "./build.js";

await ensureBuilt();
await import(bundleUrl("main"));
