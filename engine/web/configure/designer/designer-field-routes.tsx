import type { Context, Hono } from "hono";
import { fieldInputFrom, fieldInputOf, locate, type FieldInput } from "../../../apps/designer-edits.js";
import { addField, deleteField, updateField } from "../../../apps/designer-field-edits.js";
import { addSection, deleteSection, moveField, renameSection, type Move } from "../../../apps/designer-layout-edits.js";
import { designerTypeOf, isDesignerType, type DesignerType } from "../../../apps/field-types.js";
import { NotFoundError } from "../../../errors.js";
import type { AppDefinition } from "../../../schema/types.js";
import type { AppEnv } from "../../http/env.js";
import { readForm } from "../../http/form-body.js";
import { queryParams } from "../../http/query.js";
import { FIELD_PATH } from "../../../schema/identifiers.js";
import { type DesignerConflict, type DesignerContext, type DesignerState } from "./designer-context.js";

function newType(raw: string | undefined): DesignerType | null {
  const t = (raw ?? "").trim();
  return isDesignerType(t) ? t : null;
}

/** The posted field properties; a pattern preset fills a blank pattern. */
function postedInput(one: Record<string, string>): FieldInput {
  const input = fieldInputFrom(one);
  if (!(input.pattern ?? "").trim() && one.patternPreset) input.pattern = one.patternPreset;
  return input;
}

/**
 * The Form tab's changes, one field at a time: add a field or a section
 * (`…/fields/new`), change a field's properties (`…/fields/:name`), delete it
 * and move it; rename a section (`…/sections/:section`, 1-based) and delete
 * it when empty. Each lands in the draft through DesignerContext.apply; a
 * refused section change shows its message beside that section (422).
 */
export function designerFieldRoutes(routes: Hono<AppEnv>, d: DesignerContext) {
  const { state, panelFor, formPage, apply, siblingsOf } = d;

  function fieldPath(c: Context<AppEnv>, st: DesignerState): string {
    const path = c.req.param("name") ?? "";
    if (!FIELD_PATH.test(path) || !locate(st.working, path)) {
      throw new NotFoundError("There is no such field in this app's draft.");
    }
    return path;
  }

  /**
   * The field's panel again with the errors of a refused change (422), or the message of a
   * conflict (409: the draft changed since the page was shown; the page then shows the draft now).
   */
  const refusedOn =
    (c: Context<AppEnv>, st: DesignerState, path: string) =>
    (errors: Record<string, string>, conflict?: DesignerConflict) => {
      const now = conflict?.st ?? st;
      const input = fieldInputOf(now.working, path);
      const panel = input ? panelFor(c, now, "edit", input.type as DesignerType, input, errors, path) : null;
      return formPage(c, now, panel, conflict ? 409 : 422, conflict?.message);
    };

  routes.get("/configure/apps/:appId/fields/new", async (c) => {
    const st = await state(c);
    const q = queryParams(c);
    const type = newType(q.type) ?? "text";
    const input: FieldInput = { type };
    const parent = (q.parent ?? "").trim();
    if (parent) {
      const at = FIELD_PATH.test(parent) ? locate(st.working, parent) : null;
      if (!at || !["group", "rows"].includes(designerTypeOf(at.field)))
        throw new NotFoundError("There is no such group or repeating rows field.");
      input.parent = parent;
    }
    return formPage(c, st, panelFor(c, st, "new", type, input, {}));
  });

  routes.post("/configure/apps/:appId/fields/new", async (c) => {
    const st = await state(c);
    const { one, all } = await readForm(c);
    const input = postedInput(one);
    const type = newType(input.type);
    const fail = (errors: Record<string, string>, conflict?: DesignerConflict) => {
      const now = conflict?.st ?? st;
      const panel = panelFor(c, now, "new", type ?? "text", input, errors);
      return formPage(c, now, panel, conflict ? 409 : 422, conflict?.message);
    };
    if (type === "section") {
      const result = addSection(st.working, { title: input.title ?? "", fields: all.fields ?? [] }, st.ctx);
      return apply(c, st, result, fail);
    }
    // With htmx the panel then shows the new field: the name its parent did not have before.
    const parent = (input.parent ?? "").trim();
    const namesAt = (def: AppDefinition) => Object.keys(siblingsOf(def, parent));
    const addedPath = (next: AppDefinition) => {
      const name = namesAt(next).find((n) => !namesAt(st.working).includes(n));
      return name ? [parent, name].filter(Boolean).join(".") : null;
    };
    return apply(c, st, addField(st.working, input, st.ctx), fail, "", addedPath);
  });

  routes.get("/configure/apps/:appId/fields/:name", async (c) => {
    const st = await state(c);
    const path = fieldPath(c, st);
    const input = fieldInputOf(st.working, path)!;
    return formPage(c, st, panelFor(c, st, "edit", input.type as DesignerType, input, {}, path));
  });

  routes.post("/configure/apps/:appId/fields/:name", async (c) => {
    const st = await state(c);
    const path = fieldPath(c, st);
    const { one } = await readForm(c);
    const input = postedInput(one);
    const shown = { ...fieldInputOf(st.working, path)!, ...input };
    const type = newType(shown.type) ?? designerTypeOf(locate(st.working, path)!.field);
    // A conflict shows the user's input over the field as the draft has it now (or as it was, if it went).
    const fail = (errors: Record<string, string>, conflict?: DesignerConflict) => {
      const now = conflict?.st ?? st;
      const at = locate(now.working, path) ? path : undefined;
      const panel = panelFor(c, now, "edit", type === "section" ? "text" : type, shown, errors, at);
      return formPage(c, now, panel, conflict ? 409 : 422, conflict?.message);
    };
    // With htmx the panel stays on the field, under its new name if it was renamed.
    const renamed = [...path.split(".").slice(0, -1), (input.name ?? "").trim() || path.split(".").pop()!].join(".");
    return apply(c, st, updateField(st.working, path, input, st.ctx), fail, "", () => renamed);
  });

  routes.post("/configure/apps/:appId/fields/:name/delete", async (c) => {
    const st = await state(c);
    const path = fieldPath(c, st);
    await readForm(c);
    return apply(c, st, deleteField(st.working, path, st.ctx), refusedOn(c, st, path));
  });

  routes.post("/configure/apps/:appId/fields/:name/move", async (c) => {
    const st = await state(c);
    const path = fieldPath(c, st);
    const { one } = await readForm(c);
    let move: Move | null = null;
    if (one.direction === "up" || one.direction === "down") move = { direction: one.direction };
    else if (one.before && FIELD_PATH.test(one.before)) move = { before: one.before };
    else if (/^\d{1,3}$/.test(one.section ?? "")) move = { section: Number(one.section) };
    else if (one.position === "last") move = { last: true };
    const fail = refusedOn(c, st, path);
    if (!move)
      return fail({ _: 'Say where to move it: direction "up" or "down", before another field, or a section.' });
    return apply(c, st, moveField(st.working, path, move, st.ctx), fail);
  });

  function sectionNumber(c: Context<AppEnv>, st: DesignerState): number {
    const raw = c.req.param("section") ?? "";
    const n = /^\d{1,3}$/.test(raw) ? Number(raw) : 0;
    if (n < 1 || n > (st.working.form?.sections?.length ?? 0)) {
      throw new NotFoundError("There is no such section in this app's draft.");
    }
    return n;
  }

  const refusedOnOutline =
    (c: Context<AppEnv>, st: DesignerState) => (errors: Record<string, string>, conflict?: DesignerConflict) =>
      formPage(c, conflict?.st ?? st, null, conflict ? 409 : 422, conflict?.message, errors);

  routes.post("/configure/apps/:appId/sections/:section", async (c) => {
    const st = await state(c);
    const n = sectionNumber(c, st);
    const { one } = await readForm(c);
    return apply(c, st, renameSection(st.working, n, one.title ?? "", st.ctx), refusedOnOutline(c, st));
  });

  routes.post("/configure/apps/:appId/sections/:section/delete", async (c) => {
    const st = await state(c);
    const n = sectionNumber(c, st);
    await readForm(c);
    return apply(c, st, deleteSection(st.working, n, st.ctx), refusedOnOutline(c, st));
  });
}
