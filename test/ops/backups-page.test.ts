// @storage
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { decodeBackup } from "../../engine/ops/backup-file.js";
import { Backups } from "../../engine/ops/backups.js";
import { PG_DUMP_COMMAND } from "../../engine/web/configure/backups/backups-page.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

// Configure > Backups (issue 24): a Public Site administrator makes a backup while the server runs
// with a plain POST (CSRF, no JavaScript), sees it listed with size, time and the SHA-256 sha256sum
// prints, and downloads exactly that file; nobody else reaches the page, the button or a file. On
// PostgreSQL the page shows pg_dump and the button is refused.
const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; dir: string }>(`Configure > Backups [${testBackend}]`);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

t.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "formgate-backups-page-"));
  ctx.env = await startTestEnv({ DATA_DIR: ctx.dir, BACKUP_SCHEDULE: "daily@02:00" });
  const s = ctx.env.services;
  const pub = await s.sites.publicSite();
  await s.users.create({ siteId: pub.id, username: "root", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: pub.id, username: "maker", password: PASSWORD, role: "designer" });
  const acme = await s.sites.create("acme", "Acme Ltd");
  await s.users.create({ siteId: acme.id, username: "acme-admin", password: PASSWORD, role: "admin" });
});
t.after(async (ctx) => {
  await ctx.env.close();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const backupsDir = (dir: string) => join(dir, "backups");
const filesIn = (dir: string) => {
  try {
    return readdirSync(backupsDir(dir)).sort();
  } catch {
    return [];
  }
};

if (testBackend === "pglite") {
  t(
    "Back up now: a plain POST with CSRF; the list shows the file, its size and SHA-256; the download is the file",
    async ({ env, dir }) => {
      env.clock.set("2026-03-04T05:06:07Z");
      const c = new TestClient(env.app);
      await c.signIn("root", PASSWORD);
      const empty = await c.get("/configure/backups");
      assert.is(empty.res.status, 200);
      assert.match(empty.html, /No backup yet\./);
      assert.match(empty.html, /<form method="post" action="\/configure\/backups"><input type="hidden" name="_csrf"/);
      assert.match(empty.html, /BACKUP_SCHEDULE=daily@02:00<\/code> \(UTC\)[^<]*keeps the newest\s+7/);
      assert.match(empty.html, /<a href="\/configure\/backups" aria-current="page">Backups<\/a>/);

      // Without the CSRF field: refused, nothing written.
      const forged = await c.request("/configure/backups", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "",
      });
      assert.is(forged.status, 403);
      assert.equal(filesIn(dir), []);

      const made = await c.post("/configure/backups", {});
      assert.is(made.res.status, 303, made.html.slice(0, 3000));
      assert.is(made.res.headers.get("location"), "/configure/backups");
      const files = filesIn(dir);
      assert.equal(files, ["formgate-manual-20260304T050607Z.fgbackup"], "one file, no .partial left");
      const bytes = readFileSync(join(backupsDir(dir), files[0]!));
      const { header } = decodeBackup(bytes);
      assert.is(header.createdAt, "2026-03-04T05:06:07.000Z");
      assert.is(header.madeBy, "page");
      assert.ok(header.secretKeyId, "the header names the key by its id");

      const page = await c.get("/configure/backups");
      assert.match(page.html, /<p role="status" class="flash">Backup formgate-manual-20260304T050607Z\.fgbackup made/);
      const row = new RegExp(`<tr data-backup="${files[0]!.replace(/\./g, "\\.")}">([\\s\\S]*?)</tr>`).exec(page.html);
      assert.ok(row, "the backup is listed");
      assert.match(row[1]!, /<time datetime="2026-03-04T05:06:07\.000Z">2026-03-04 05:06 UTC<\/time>/);
      assert.match(row[1]!, new RegExp(`title="${bytes.length} bytes"`));
      assert.match(row[1]!, new RegExp(`<code class="checksum">${sha256(bytes)}</code>`));
      assert.match(row[1]!, /By hand/);

      const download = await c.request(`/configure/backups/${files[0]}`);
      assert.is(download.status, 200);
      assert.is(download.headers.get("content-disposition"), `attachment; filename="${files[0]}"`);
      assert.is(download.headers.get("cache-control"), "no-store");
      const got = Buffer.from(await download.arrayBuffer());
      assert.ok(got.equals(bytes), "the download is the file, byte for byte");

      // Both are audited on the Public Site.
      const { rows } = await env.db.query<{ action: string; details: { file: string } }>(
        "SELECT action, details FROM audit_log WHERE action LIKE 'backup.%' ORDER BY at, action",
      );
      assert.equal(
        rows.map((r) => [r.action, r.details.file]),
        [
          ["backup.create", files[0]],
          ["backup.download", files[0]],
        ],
      );
    },
  );

  t("the times are in the site's time zone, named as elsewhere in the console", async ({ env, dir }) => {
    const s = env.services;
    const pub = (await s.sites.publicSite()).id;
    // 20:30 UTC on 20 March is 05:30 on 21 March in Tokyo.
    env.clock.set("2026-03-20T20:30:00Z");
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    assert.is((await c.post("/configure/backups", {})).res.status, 303);
    const name = filesIn(dir).find((f) => f.includes("20260320T203000Z"))!;
    await s.sites.setTimeZone(pub, "Asia/Tokyo");
    try {
      const page = await c.get("/configure/backups");
      const row = new RegExp(`<tr data-backup="${name.replace(/\./g, "\\.")}">([\\s\\S]*?)</tr>`).exec(page.html);
      assert.ok(row, "the backup is listed");
      assert.match(
        row[1]!,
        /<td><time datetime="2026-03-20T20:30:00\.000Z">2026-03-21 05:30 Asia\/Tokyo<\/time><\/td>/,
      );
      assert.not.match(row[1]!, /UTC/);
    } finally {
      await s.sites.setTimeZone(pub, "UTC");
    }
  });

  t(
    "two at the same second get two names; a file from elsewhere is listed as Unknown; no such file is 404",
    async ({ env, dir }) => {
      env.clock.set("2026-03-05T00:00:00Z");
      const c = new TestClient(env.app);
      await c.signIn("root", PASSWORD);
      const [a, b] = await Promise.all([c.post("/configure/backups", {}), c.post("/configure/backups", {})]);
      assert.is(a.res.status, 303);
      assert.is(b.res.status, 303);
      const made = filesIn(dir).filter((f) => f.includes("20260305T000000Z"));
      assert.equal(made, ["formgate-manual-20260305T000000Z-2.fgbackup", "formgate-manual-20260305T000000Z.fgbackup"]);
      writeFileSync(join(backupsDir(dir), "copied-by-hand.fgbackup"), "not a backup");
      writeFileSync(join(backupsDir(dir), "notes.txt"), "kept, not listed");
      const page = await c.get("/configure/backups");
      assert.match(page.html, /<tr data-backup="copied-by-hand\.fgbackup">[\s\S]*?<td>Unknown<\/td>/);
      assert.not.match(page.html, /notes\.txt/);
      for (const path of [
        "/configure/backups/nothing-here.fgbackup",
        "/configure/backups/..%2Fsecret.key",
        "/configure/backups/%2E%2E%2Fsecret.key",
        "/configure/backups/notes.txt",
      ]) {
        assert.is((await c.request(path)).status, 404, path);
      }
    },
  );

  t(
    "a full disk: Back up now answers 507 with the page saying why, nothing kept, nothing audited, no unhandled error",
    async ({ env, dir }) => {
      env.clock.set("2026-03-06T00:00:00Z");
      const s = env.services;
      const real = s.backups;
      // The disk fills up after 64 KiB: write(2) cuts the write short, then fails with ENOSPC.
      let room = 65_536;
      const write = (fd: number, b: Buffer, o: number, l: number) => {
        if (room === 0) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
        const n = writeSync(fd, b, o, Math.min(l, room));
        room -= n;
        return n;
      };
      s.backups = new Backups(s.db, env.clock, dir, null, { write });
      try {
        const c = new TestClient(env.app);
        await c.signIn("root", PASSWORD);
        const before = filesIn(dir);
        const lines = env.logLines.length;
        const full = await c.post("/configure/backups", {});
        assert.is(full.res.status, 507, full.html.slice(0, 2000));
        assert.match(
          full.html,
          /<p class="notice error" role="alert" id="backup-error">No backup was made: no space left in .*backups for the backup \(\d+ bytes\): free some space, then back up again\.<\/p>/,
        );
        assert.equal(filesIn(dir), before, "no file, no .partial");
        const logged = env.logLines.slice(lines).map((l) => JSON.parse(l) as { msg: string; level: string });
        assert.not.ok(
          logged.some((l) => l.msg === "unhandled error"),
          "not an unhandled error",
        );
        assert.ok(logged.some((l) => l.msg === "backup failed" && l.level === "warn"));
        const { rows } = await env.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM audit_log WHERE action = 'backup.create' AND details->>'file' LIKE '%20260306%'",
        );
        assert.is(rows[0]!.n, 0, "no backup.create for a backup not made");
        // Nearly full: room for the file but not for the database's reserve beside it. Refused before writing.
        s.backups = new Backups(s.db, env.clock, dir, null, { freeBytes: () => 25 * 1024 * 1024 });
        const near = await c.post("/configure/backups", {});
        assert.is(near.res.status, 507);
        assert.match(near.html, /the database keeps 24\.0 MiB free there for its own writes/);
        assert.equal(filesIn(dir), before);
      } finally {
        s.backups = real;
      }
    },
  );

  t(
    "the list: a symbolic link is neither listed nor served; a backup cut short is marked damaged",
    async ({ env, dir }) => {
      env.clock.set("2026-03-07T00:00:00Z");
      const c = new TestClient(env.app);
      await c.signIn("root", PASSWORD);
      assert.is((await c.post("/configure/backups", {})).res.status, 303);
      const name = "formgate-manual-20260307T000000Z.fgbackup";
      const whole = readFileSync(join(backupsDir(dir), name));
      writeFileSync(join(backupsDir(dir), "cut-short.fgbackup"), whole.subarray(0, 3000));
      const secret = join(dir, "outside.txt");
      writeFileSync(secret, "a file outside the backups folder");
      symlinkSync(secret, join(backupsDir(dir), "link.fgbackup"));
      const page = await c.get("/configure/backups");
      assert.not.match(page.html, /link\.fgbackup/);
      assert.is((await c.request("/configure/backups/link.fgbackup")).status, 404);
      const cut = /<tr data-backup="cut-short\.fgbackup">([\s\S]*?)<\/tr>/.exec(page.html);
      assert.ok(cut, "the damaged file is listed");
      assert.match(cut[1]!, new RegExp(`Damaged, cannot be restored: cut short: 3000 of ${whole.length} bytes`));
      const good = new RegExp(`<tr data-backup="${name.replace(/\./g, "\\.")}">([\\s\\S]*?)</tr>`).exec(page.html);
      assert.ok(good);
      assert.not.match(good[1]!, /Damaged/);
    },
  );
}

if (testBackend === "pg") {
  t("on PostgreSQL the page shows pg_dump and Back up now is refused", async ({ env, dir }) => {
    const c = new TestClient(env.app);
    await c.signIn("root", PASSWORD);
    const page = await c.get("/configure/backups");
    assert.is(page.res.status, 200);
    assert.match(page.html, /Back PostgreSQL up with pg_dump/);
    assert.ok(page.html.includes(PG_DUMP_COMMAND.replace(/"/g, "&quot;")), "the command is shown");
    assert.not.match(page.html, /postgres:\/\//, "never the URL (it holds a password)");
    assert.not.match(page.html, /Back up now/);
    const post = await c.post("/configure/backups", {});
    assert.is(post.res.status, 409);
    assert.match(post.html, /back it up with pg_dump/);
    assert.equal(filesIn(dir), []);
  });
}

t(
  "only administrators of the Public Site: another site's administrator and a designer get 403",
  async ({ env, dir }) => {
    const before = filesIn(dir);
    for (const who of ["acme-admin", "maker"]) {
      const c = new TestClient(env.app);
      await c.signIn(who, PASSWORD);
      const page = await c.get("/configure/backups");
      assert.is(page.res.status, 403, who);
      assert.match(page.html, /only administrators of the Public Site/);
      assert.is((await c.post("/configure/backups", {})).res.status, 403, who);
      for (const f of before) assert.is((await c.request(`/configure/backups/${f}`)).status, 403, `${who} ${f}`);
      const nav = (await c.get("/configure")).html;
      assert.not.match(nav, /href="\/configure\/backups"/, `${who} has no Backups in the navigation`);
    }
    const anonymous = new TestClient(env.app);
    const res = await anonymous.request("/configure/backups");
    assert.is(res.status, 303);
    assert.is(res.headers.get("location"), "/login?next=%2Fconfigure%2Fbackups");
    assert.equal(filesIn(dir), before);
  },
);

t.run();
