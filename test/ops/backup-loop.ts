// A process for test/ops/backup-kill.test.ts: the real services on DATA_DIR making backups into
// DATA_DIR/backups one after another (Backups.create, as Back up now and the schedule do) until it
// is killed, printing "made NAME" after each. Only that test runs it.
import { loadConfig } from "../../engine/config.js";
import { silentLogger } from "../../engine/log.js";
import { bootServices } from "../../engine/start.js";

const services = await bootServices(loadConfig(), silentLogger, undefined, "the backup loop");
console.log("ready");
for (;;) console.log(`made ${(await services.backups.create("page")).name}`);
