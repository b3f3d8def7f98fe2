import type { Hono } from "hono";
import { setList, setSettings } from "../../../apps/designer-layout-edits.js";
import { NotFoundError } from "../../../errors.js";
import { appChanges, fieldChanges } from "../../../apps/definition-diff.js";
import { isOn } from "../../../apps/designer-edits.js";
import { OPEN_TO, openToOf } from "../../../apps/open-to.js";
import { bindsUsers } from "../../../schema/app-definition.js";
import type { Services } from "../../../services.js";
import { lineDiff } from "../../../util/line-diff.js";
import type { AppEnv } from "../../http/env.js";
import { readForm } from "../../http/form-body.js";
import { sendPage } from "../../http/page.js";
import { queryParams } from "../../http/query.js";
import { type DesignerConflict, type DesignerContext } from "./designer-context.js";
import { DesignerHistoryPage } from "./designer-history-page.js";
import { DesignerListPage, DesignerSettingsPage } from "./designer-list-settings-pages.js";

/**
 * Settings values the form does not offer: an `openTo` that is none of the roles (or, for an app
 * over user accounts, anything but administrators), an `adminOnly` that is not on or off, or on
 * beside an `openTo` that is not administrators. Messages keyed by form field.
 */
function settingsRefusals(one: Record<string, string>, kept: string, overUsers: boolean): Record<string, string> {
  const errors: Record<string, string> = {};
  const openTo = one.openTo;
  if (openTo !== undefined && !(OPEN_TO as readonly string[]).includes(openTo))
    errors.openTo = "Pick who may open the app: users, designers or administrators.";
  else if (overUsers && openTo !== undefined && openTo !== kept)
    errors.openTo = "An app over user accounts is for administrators only.";
  const adminOnly = one.adminOnly;
  if (adminOnly !== undefined) {
    if (!/^(|on|off|true|false|yes|no|1|0)$/i.test(adminOnly.trim()))
      errors._ = "adminOnly must be on or off; the form sets it as Who may open it.";
    else if (isOn(adminOnly) && openTo !== undefined && openTo !== "admin" && !errors.openTo)
      errors.openTo = "adminOnly (administrators only) contradicts this choice: pick administrators here instead.";
  }
  return errors;
}

/** The designer's List, Settings and History tabs (GET shows the tab, POST saves it into the draft). */
export function designerTabRoutes(routes: Hono<AppEnv>, s: Services, d: DesignerContext) {
  const { siteOf, state, shell, apply } = d;

  routes.get("/configure/apps/:appId/list", async (c) => {
    const st = await state(c);
    const l = st.working.list;
    const input = { columns: l?.columns ?? [], searchable: l?.searchable ?? [], sort: l?.sort ?? "" };
    return sendPage(c, <DesignerListPage {...await shell(c, st)} definition={st.working} input={input} errors={{}} />);
  });

  routes.post("/configure/apps/:appId/list", async (c) => {
    const st = await state(c);
    const { one, all } = await readForm(c);
    const input = { columns: all.columns ?? [], searchable: all.searchable ?? [], sort: one.sort ?? "" };
    const fail = async (errors: Record<string, string>, conflict?: DesignerConflict) => {
      const now = conflict?.st ?? st;
      const frame = await shell(c, now, conflict?.message);
      const page = <DesignerListPage {...frame} definition={now.working} input={input} errors={errors} />;
      return sendPage(c, page, conflict ? 409 : 422);
    };
    return apply(c, st, setList(st.working, input, st.ctx), fail, "/list");
  });

  routes.get("/configure/apps/:appId/settings", async (c) => {
    const st = await state(c);
    const w = st.working;
    const input = { title: w.title, description: w.description ?? "", openTo: openToOf(w, false) as string };
    return sendPage(
      c,
      <DesignerSettingsPage {...await shell(c, st)} input={input} errors={{}} bindsUsers={bindsUsers(w)} />,
    );
  });

  routes.post("/configure/apps/:appId/settings", async (c) => {
    const st = await state(c);
    const { one } = await readForm(c);
    // A client that sends no openTo keeps the current one; an app over user accounts stays administrators only.
    const kept = openToOf(st.working, false);
    const refused = settingsRefusals(one, kept, bindsUsers(st.working));
    const openTo = bindsUsers(st.working) ? kept : (one.openTo ?? (isOn(one.adminOnly) ? "admin" : kept));
    const input = { title: one.title ?? "", description: one.description ?? "", openTo };
    const fail = async (errors: Record<string, string>, conflict?: DesignerConflict) => {
      const now = conflict?.st ?? st;
      const frame = await shell(c, now, conflict?.message);
      const page = (
        <DesignerSettingsPage {...frame} input={input} errors={errors} bindsUsers={bindsUsers(now.working)} />
      );
      return sendPage(c, page, conflict ? 409 : 422);
    };
    const result = Object.keys(refused).length
      ? { ok: false as const, errors: refused }
      : setSettings(st.working, input, st.ctx);
    return apply(c, st, result, fail, "/settings");
  });

  routes.get("/configure/apps/:appId/history", async (c) => {
    const st = await state(c);
    const history = await s.apps.history(siteOf(c), st.app.id);
    const q = queryParams(c);
    let diff = null;
    if (q.from !== undefined || q.to !== undefined) {
      const from = /^\d{1,9}$/.test(q.from ?? "") ? Number(q.from) : -1;
      const to = /^\d{1,9}$/.test(q.to ?? "") ? Number(q.to) : -1;
      const a = from >= 0 ? await s.apps.definitionAt(siteOf(c), st.app.id, from) : null;
      const b = to >= 0 ? await s.apps.definitionAt(siteOf(c), st.app.id, to) : null;
      if (!a || !b) throw new NotFoundError("There is no such version of this app.");
      diff = {
        from,
        to,
        fields: fieldChanges(a, b),
        app: appChanges(a, b),
        lines: lineDiff(JSON.stringify(a, null, 2), JSON.stringify(b, null, 2)),
      };
    }
    return sendPage(c, <DesignerHistoryPage {...await shell(c, st)} history={history} diff={diff} />);
  });
}
