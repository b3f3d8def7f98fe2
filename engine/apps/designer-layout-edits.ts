import type { AppDefinition, AppOpenTo, FormSection, ListView } from "../schema/types.js";
import { OPEN_TO } from "./open-to.js";
import { clone, finish, locate, tidySections, type EditContext, type EditResult } from "./designer-edits.js";

// The visual designer's changes to the form's layout and the app as a whole: move a field, add a
// section, the list view and the settings. Pure functions, checked by finish() like every change.

/** The top-level fields in form order, grouped by section (the last group: fields in no section). */
function groups(def: AppDefinition): { section: number | null; fields: string[] }[] {
  const sections = def.form?.sections ?? [];
  const placed = new Set(sections.flatMap((s) => s.fields));
  const out: { section: number | null; fields: string[] }[] = sections.map((s, i) => ({
    section: i,
    fields: [...s.fields],
  }));
  out.push({ section: null, fields: Object.keys(def.record.properties).filter((n) => !placed.has(n)) });
  return out;
}

function applyGroups(def: AppDefinition, gs: { section: number | null; fields: string[] }[]) {
  const sections = def.form?.sections ?? [];
  gs.forEach((g) => {
    if (g.section !== null) sections[g.section]!.fields = g.fields;
  });
  const order = gs.flatMap((g) => g.fields);
  def.record.properties = Object.fromEntries(order.map((n) => [n, def.record.properties[n]]));
  tidySections(def);
}

/**
 * Where to move a field: a step up or down, before another field, to the end
 * of a section (1-based; 0: the fields in no section), or last among its
 * siblings (drag and drop onto the end of a group's list).
 */
export type Move = { direction: "up" | "down" } | { before: string } | { section: number } | { last: true };

/** Moves a field; a step past a section's edge moves it into the neighbouring section. */
export function moveField(draft: AppDefinition, path: string, move: Move, ctx: EditContext): EditResult {
  const def = clone(draft);
  const at = locate(def, path);
  if (!at) return { ok: false, errors: { _: "There is no such field." } };
  const label = at.field.title ?? at.name;
  if (at.parentPath.length) {
    const names = Object.keys(at.holder.properties ?? {});
    const i = names.indexOf(at.name);
    names.splice(i, 1);
    let to: number;
    if ("direction" in move) to = move.direction === "up" ? i - 1 : i + 1;
    else if ("before" in move) to = names.indexOf(move.before);
    else if ("last" in move) to = names.length;
    else return { ok: false, errors: { section: "Fields of a group stay in their group." } };
    if (to < 0 || to > names.length) {
      return {
        ok: false,
        errors: {
          _: "before" in move ? `There is no field "${move.before}" beside it.` : `"${label}" cannot move further.`,
        },
      };
    }
    names.splice(to, 0, at.name);
    at.holder.properties = Object.fromEntries(names.map((n) => [n, at.holder.properties![n]]));
    return finish(def, ctx, `Moved "${label}".`);
  }
  const gs = groups(def);
  const g = gs.findIndex((x) => x.fields.includes(at.name));
  const i = gs[g]!.fields.indexOf(at.name);
  gs[g]!.fields.splice(i, 1);
  if ("direction" in move) {
    if (move.direction === "up") {
      if (i > 0) gs[g]!.fields.splice(i - 1, 0, at.name);
      else {
        const prev = g - 1;
        if (prev < 0) return { ok: false, errors: { _: `"${label}" is already first.` } };
        gs[prev]!.fields.push(at.name);
      }
    } else if (i < gs[g]!.fields.length) gs[g]!.fields.splice(i + 1, 0, at.name);
    else {
      const next = g + 1 < gs.length && (gs[g + 1]!.section !== null || gs[g + 1]!.fields.length) ? g + 1 : -1;
      if (next < 0) return { ok: false, errors: { _: `"${label}" is already last.` } };
      gs[next]!.fields.unshift(at.name);
    }
  } else if ("before" in move) {
    const tg = gs.findIndex((x) => x.fields.includes(move.before));
    if (tg < 0) return { ok: false, errors: { before: `There is no field "${move.before}" in the form.` } };
    gs[tg]!.fields.splice(gs[tg]!.fields.indexOf(move.before), 0, at.name);
  } else if ("last" in move) {
    gs[g]!.fields.push(at.name);
  } else {
    const target = move.section === 0 ? gs.at(-1) : gs.find((x) => x.section === move.section - 1);
    if (!target) return { ok: false, errors: { section: `There is no section ${move.section} in this form.` } };
    target.fields.push(at.name);
  }
  applyGroups(def, gs);
  return finish(def, ctx, `Moved "${label}".`);
}

/** Adds a Section: a titled part of the form holding the picked fields (or, if none are picked, the fields in no section yet). */
export function addSection(
  draft: AppDefinition,
  input: { title?: string; fields: string[] },
  ctx: EditContext,
): EditResult {
  const def = clone(draft);
  const title = (input.title ?? "").trim();
  if (!title) return { ok: false, errors: { title: "Give the section a title." } };
  const gs = groups(def);
  const picked = input.fields.length ? input.fields : gs.at(-1)!.fields;
  const unknown = picked.find((n) => !Object.hasOwn(def.record.properties, n));
  if (unknown) return { ok: false, errors: { fields: `There is no field "${unknown}" in the form.` } };
  def.form = { ...(def.form ?? {}) };
  const sections = (def.form.sections ?? []).map((s): FormSection => ({
    ...s,
    fields: s.fields.filter((n) => !picked.includes(n)),
  }));
  sections.push({ title, fields: picked });
  def.form.sections = sections;
  tidySections(def);
  const placedOrder = def.form?.sections?.flatMap((s) => s.fields) ?? [];
  const restOrder = Object.keys(def.record.properties).filter((n) => !placedOrder.includes(n));
  def.record.properties = Object.fromEntries([...placedOrder, ...restOrder].map((n) => [n, def.record.properties[n]]));
  return finish(def, ctx, `Added the section "${title}".`);
}

/** Changes the list view: its columns, the fields a search looks in, and the default sort ("name" or "-name"). */
export function setList(
  draft: AppDefinition,
  input: { columns: string[]; searchable: string[]; sort: string },
  ctx: EditContext,
): EditResult {
  const def = clone(draft);
  if (!input.columns.length) return { ok: false, errors: { columns: "Pick at least one column." } };
  const list: ListView = { ...(def.list ?? {}), columns: input.columns as ListView["columns"] };
  if (input.searchable.length) list.searchable = input.searchable;
  else delete list.searchable;
  if (input.sort.trim()) list.sort = input.sort.trim();
  else delete list.sort;
  def.list = list;
  return finish(def, ctx, "Saved the list.");
}

/** Changes the app's title, description and who may open it (openTo: "user", "designer" or "admin"; see open-to.ts). */
export function setSettings(
  draft: AppDefinition,
  input: { title: string; description: string; openTo: string },
  ctx: EditContext,
): EditResult {
  const def = clone(draft);
  def.title = input.title.trim();
  if (input.description.trim()) def.description = input.description.trim();
  else delete def.description;
  if (!(OPEN_TO as readonly string[]).includes(input.openTo)) {
    return { ok: false, errors: { openTo: "Pick who may open the app." } };
  }
  // openTo replaces the older adminOnly; "user" is the default and is left out.
  delete def.adminOnly;
  if (input.openTo === "user") delete def.openTo;
  else def.openTo = input.openTo as AppOpenTo;
  return finish(def, ctx, "Saved the settings.");
}

/** Why a section number names no section, or null: sections are numbered from 1 in form order. */
function noSuchSection(def: AppDefinition, n: number): string | null {
  const count = def.form?.sections?.length ?? 0;
  return Number.isInteger(n) && n >= 1 && n <= count ? null : `There is no section ${n} in this form.`;
}

/**
 * Renames section `n` (1-based). The message of a refusal is keyed `section-<n>`, the slot beside
 * that section in the designer's outline.
 */
export function renameSection(draft: AppDefinition, n: number, title: string, ctx: EditContext): EditResult {
  const key = `section-${n}`;
  const missing = noSuchSection(draft, n);
  if (missing) return { ok: false, errors: { [key]: missing } };
  const t = title.trim();
  if (!t) return { ok: false, errors: { [key]: "Give the section a title." } };
  if (t.length > 200) return { ok: false, errors: { [key]: "A section's title is at most 200 characters." } };
  const def = clone(draft);
  const section = def.form!.sections![n - 1]!;
  const before = section.title ?? `Section ${n}`;
  section.title = t;
  return finish(def, ctx, `Renamed the section "${before}" to "${t}".`);
}

/**
 * Deletes section `n` (1-based) when it holds no field; a section with fields is refused (keyed
 * `section-<n>`), so no field changes place without the designer moving it.
 */
export function deleteSection(draft: AppDefinition, n: number, ctx: EditContext): EditResult {
  const key = `section-${n}`;
  const missing = noSuchSection(draft, n);
  if (missing) return { ok: false, errors: { [key]: missing } };
  const def = clone(draft);
  const sections = def.form!.sections!;
  const section = sections[n - 1]!;
  const label = section.title ?? `Section ${n}`;
  if (section.fields.length) {
    const count = section.fields.length;
    return {
      ok: false,
      errors: {
        [key]: `"${label}" holds ${count} field${count === 1 ? "" : "s"}: move ${count === 1 ? "it" : "them"} to another section first, then delete the empty section.`,
      },
    };
  }
  sections.splice(n - 1, 1);
  tidySections(def);
  return finish(def, ctx, `Deleted the empty section "${label}".`);
}
