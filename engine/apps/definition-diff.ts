import type { AppDefinition, FieldSchema } from "../schema/types.js";
import { designerTypeOf, fieldTypeInfo, optionsText } from "./field-types.js";
import { plainText } from "../util/plain-text.js";

/** One property of a field (or of the app) before and after; "" when absent. */
export interface PropertyChange {
  property: string;
  before: string;
  after: string;
}

/**
 * What happened to one field between two versions: added, removed, renamed (a field removed and
 * one added beside it with the same type and label: probably a rename, since values are stored by
 * name) or changed, with the properties that differ.
 */
export interface FieldChange {
  /** The field's dot path in the newer version (the older one for a removed field). */
  path: string;
  label: string;
  kind: "added" | "removed" | "renamed" | "changed";
  /** For a rename: the old path. */
  from?: string;
  changes: PropertyChange[];
}

type Holder = { properties?: Record<string, FieldSchema | undefined>; required?: string[] };

const nestedOf = (f: FieldSchema): Holder | null =>
  f.type === "object" ? f : f.type === "array" && f.items?.type === "object" ? f.items : null;

/** The designer's view of a field's properties, as text, for comparing two versions. */
function propertiesOf(def: AppDefinition, holder: Holder, name: string, path: string): Record<string, string> {
  const f = holder.properties![name]!;
  const rule = f["x-visibleWhen"];
  const section = (def.form?.sections ?? []).find((s) => s.fields.includes(name));
  const out: Record<string, string> = {
    Label: f.title ?? "",
    Type: fieldTypeInfo(designerTypeOf(f)).label,
    Required: (holder.required ?? []).includes(name) ? "yes" : "no",
    "Help text": def.form?.help?.[path] ?? "",
    Options: optionsText(f).replace(/\n/g, ", "),
    Default: f.default === undefined ? "" : plainText(f.default),
    Minimum: f.minimum === undefined ? "" : String(f.minimum),
    Maximum: f.maximum === undefined ? "" : String(f.maximum),
    "Maximum length": f.maxLength === undefined ? "" : String(f.maxLength),
    Pattern: f.pattern ?? "",
    "Read-only": f.readOnly ? "yes" : "no",
    "Visible when": rule
      ? `${rule.field} is ${"equals" in rule ? String(rule.equals) : (rule.in ?? []).join(" or ")}`
      : "always",
    Placeholder: f["x-placeholder"] ?? "",
  };
  if (!path.includes(".")) out.Section = section?.title ?? (section ? "(untitled)" : "");
  return out;
}

function compareProps(a: Record<string, string>, b: Record<string, string>): PropertyChange[] {
  return Object.keys(b)
    .filter((k) => (a[k] ?? "") !== b[k])
    .map((k) => ({ property: k, before: a[k] ?? "", after: b[k]! }));
}

function compareHolders(
  a: AppDefinition,
  b: AppDefinition,
  ha: Holder,
  hb: Holder,
  parent: string[],
  out: FieldChange[],
) {
  const pa = ha.properties ?? {};
  const pb = hb.properties ?? {};
  const removed = Object.keys(pa).filter((n) => !pb[n]);
  const at = (n: string) => [...parent, n].join(".");
  for (const n of Object.keys(pb)) {
    const path = at(n);
    const fb = pb[n]!;
    if (!pa[n]) {
      const twin = removed.find(
        (r) => designerTypeOf(pa[r]!) === designerTypeOf(fb) && (pa[r]!.title ?? r) === (fb.title ?? n),
      );
      if (twin) {
        removed.splice(removed.indexOf(twin), 1);
        const changes = compareProps(propertiesOf(a, ha, twin, at(twin)), propertiesOf(b, hb, n, path));
        out.push({ path, label: fb.title ?? n, kind: "renamed", from: at(twin), changes });
      } else out.push({ path, label: fb.title ?? n, kind: "added", changes: [] });
      continue;
    }
    const changes = compareProps(propertiesOf(a, ha, n, path), propertiesOf(b, hb, n, path));
    if (changes.length) out.push({ path, label: fb.title ?? n, kind: "changed", changes });
    const na = nestedOf(pa[n]);
    const nb = nestedOf(fb);
    if (na && nb) compareHolders(a, b, na, nb, [...parent, n], out);
  }
  for (const n of removed) out.push({ path: at(n), label: pa[n]!.title ?? n, kind: "removed", changes: [] });
}

/**
 * What changed between two versions of a definition, field by field (in the newer version's
 * order, removed fields last), nested fields by their dot path.
 */
export function fieldChanges(a: AppDefinition, b: AppDefinition): FieldChange[] {
  const out: FieldChange[] = [];
  compareHolders(a, b, a.record, b.record, [], out);
  return out;
}

/** What changed in the app as a whole: title, description, who may open it, sections and the list view. */
export function appChanges(a: AppDefinition, b: AppDefinition): PropertyChange[] {
  const view = (d: AppDefinition): Record<string, string> => ({
    Title: d.title,
    Description: d.description ?? "",
    "Who may open it": d.openTo ?? (d.adminOnly ? "admin" : "user"),
    Sections: (d.form?.sections ?? []).map((s, i) => s.title ?? `Section ${i + 1}`).join(", "),
    "List columns": (d.list?.columns ?? []).join(", "),
    Searchable: (d.list?.searchable ?? []).join(", "),
    "Default sort": d.list?.sort ?? "",
  });
  return compareProps(view(a), view(b));
}
