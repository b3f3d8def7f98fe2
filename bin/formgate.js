#!/usr/bin/env node
// The `formgate` command: runs engine/cli.ts through tsx, so no build step is needed.
import { register } from "tsx/esm/api";
register();
await import("../engine/cli.ts");
