import { systemNote } from "./system-meanings.js";
import type { AppDefinition, AppScalar, FieldSchema, RecordSchema, SystemBinding, VisibleWhen } from "./types.js";

/**
 * Names no field may have: Object.prototype's own names (`constructor`, `toString`, `__proto__`…)
 * and `prototype`. Records, form posts and `x-visibleWhen` look fields up by name in plain
 * objects, which answer these names from their prototype (a function, not a field) or, for
 * `__proto__`, replace the prototype itself.
 */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  "prototype",
]);

/** The widget a field is rendered with; chosen once from its schema (see widgetFor). */
export type Widget =
  | "text"
  | "textarea"
  | "password"
  | "email"
  | "url"
  | "date"
  | "datetime"
  | "number"
  | "select"
  | "radio"
  | "checkboxes"
  | "multiselect"
  | "switch"
  | "checkbox"
  | "readonly"
  | "fieldset"
  | "rows";

/** The JSON Schema types a single form input holds. */
export type ScalarType = "string" | "integer" | "number" | "boolean";

/**
 * One choice of a field: its stored value and the label shown (the `oneOf` title, or the value
 * itself for an `enum`).
 */
export interface FieldOptionView {
  value: AppScalar;
  label: string;
}

/** One field of a record schema, with what rendering and parsing need already worked out. */
export interface FieldNode {
  name: string;
  /** Property names from the record root; array rows are not in it (see paths in form-post.ts). */
  names: string[];
  schema: FieldSchema;
  widget: Widget;
  label: string;
  help?: string;
  /** Listed in the parent's `required`. */
  required: boolean;
  /** The JSON type of the value, or of each item for arrays of scalars. */
  scalarType?: ScalarType;
  options?: FieldOptionView[];
  /** Fields of a nested object, or of each row of an array of objects. */
  children?: FieldNode[];
  /** The item of an array of scalars rendered as rows. */
  item?: FieldNode;
  visibleWhen?: VisibleWhen;
  /** The hint shown inside an empty text-like input (x-placeholder). */
  placeholder?: string;
  system?: SystemBinding;
  readOnly: boolean;
  writeOnly: boolean;
}

/** "inspectedOn" -> "Inspected on": the label of a field without a title. */
export function humanise(name: string): string {
  const words = name
    .replace(/_/g, " ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The choices a field schema allows, from `oneOf` of `const` + `title`, or from `enum`; undefined
 * when the field is free input.
 */
export function optionsOf(schema: FieldSchema): FieldOptionView[] | undefined {
  if (schema.oneOf) return schema.oneOf.map((o) => ({ value: o.const, label: o.title }));
  if (schema.enum) return schema.enum.map((v) => ({ value: v, label: String(v) }));
  return undefined;
}

const isScalarType = (t: FieldSchema["type"]): t is ScalarType =>
  t === "string" || t === "integer" || t === "number" || t === "boolean";

/**
 * The widget a field schema renders as: read-only when `readOnly`, else by its type, its choices
 * and its `x-widget` hint (e.g. a boolean is a switch unless the hint asks for a checkbox).
 */
export function widgetFor(schema: FieldSchema): Widget {
  const w = schema["x-widget"];
  if (schema.readOnly) return "readonly";
  switch (schema.type) {
    case "boolean":
      return w === "checkbox" ? "checkbox" : "switch";
    case "object":
      return "fieldset";
    case "array":
      if (schema.items && optionsOf(schema.items)) return w === "select" ? "multiselect" : "checkboxes";
      return "rows";
    case "integer":
    case "number":
      if (optionsOf(schema)) return w === "radio" ? "radio" : "select";
      return "number";
    case "string":
      if (optionsOf(schema)) return w === "radio" ? "radio" : "select";
      if (schema.writeOnly || w === "password") return "password";
      if (w === "textarea") return "textarea";
      if (w === "text") return "text";
      if (schema.format === "email") return "email";
      if (schema.format === "uri") return "url";
      if (schema.format === "date") return "date";
      if (schema.format === "date-time") return "datetime";
      // Long texts get room to write; a designer can force either with x-widget.
      if ((schema.maxLength ?? 0) > 255) return "textarea";
      return "text";
  }
}

function buildNode(
  name: string,
  schema: FieldSchema,
  parentNames: string[],
  required: boolean,
  help: Record<string, string | undefined>,
): FieldNode {
  const names = [...parentNames, name];
  const node: FieldNode = {
    name,
    names,
    schema,
    widget: widgetFor(schema),
    label: schema.title ?? humanise(name),
    required,
    readOnly: schema.readOnly === true,
    writeOnly: schema.writeOnly === true,
  };
  const key = names.join(".");
  // A relabelled system field also says what it means to the engine (see system-meanings.ts).
  const note = systemNote(schema["x-system"], schema.title);
  const helpText = [Object.hasOwn(help, key) ? help[key] : schema.description, note].filter(Boolean).join(" ");
  if (helpText) node.help = helpText;
  if (schema["x-visibleWhen"]) node.visibleWhen = schema["x-visibleWhen"];
  if (schema["x-placeholder"]) node.placeholder = schema["x-placeholder"];
  if (schema["x-system"]) node.system = schema["x-system"];
  if (isScalarType(schema.type)) {
    node.scalarType = schema.type;
    const options = optionsOf(schema);
    if (options) node.options = options;
  }
  if (schema.type === "object") {
    node.children = buildNodes(schema.properties ?? {}, schema.required ?? [], names, help);
  }
  if (schema.type === "array" && schema.items) {
    const items = schema.items;
    if (isScalarType(items.type)) {
      node.scalarType = items.type;
      const options = optionsOf(items);
      if (options) node.options = options;
      // Blank rows are dropped, so a row's input is never "required" on its own.
      if (!options) node.item = buildNode(name, items, parentNames, false, {});
    } else if (items.type === "object") {
      node.children = buildNodes(items.properties ?? {}, items.required ?? [], names, help);
    }
  }
  return node;
}

function buildNodes(
  properties: Record<string, FieldSchema | undefined>,
  required: string[],
  parentNames: string[],
  help: Record<string, string | undefined>,
): FieldNode[] {
  return Object.entries(properties).flatMap(([name, schema]) =>
    schema ? [buildNode(name, schema, parentNames, required.includes(name), help)] : [],
  );
}

/** The top-level fields of a record schema, in property order. */
export function fieldTree(record: RecordSchema, help: Record<string, string | undefined> = {}): FieldNode[] {
  return buildNodes(record.properties, record.required ?? [], [], help);
}

/** One section of a form: optional title and description, and its fields in order. */
export interface FormSectionView {
  title?: string;
  description?: string;
  fields: FieldNode[];
}

/**
 * The heading of the fields no section names, shown after titled sections so that those fields do
 * not read as part of the last one (the designer's outline lists them as "Not in a section").
 */
export const OTHER_FIELDS_TITLE = "Other fields";

/**
 * The form's sections; fields no section names follow in a last one, titled OTHER_FIELDS_TITLE when
 * a section before it has a title (untitled when none has: there is nothing to tell them apart from).
 */
export function formSections(definition: AppDefinition, fields: FieldNode[]): FormSectionView[] {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const placed = new Set<string>();
  const sections: FormSectionView[] = [];
  for (const s of definition.form?.sections ?? []) {
    const inSection = s.fields.flatMap((n) => {
      const f = byName.get(n);
      if (!f || placed.has(n)) return [];
      placed.add(n);
      return [f];
    });
    if (!inSection.length) continue; // an empty section (the designer's drop target) is not shown
    const view: FormSectionView = { fields: inSection };
    if (s.title) view.title = s.title;
    if (s.description) view.description = s.description;
    sections.push(view);
  }
  const rest = fields.filter((f) => !placed.has(f.name));
  if (rest.length)
    sections.push(sections.some((s) => s.title) ? { title: OTHER_FIELDS_TITLE, fields: rest } : { fields: rest });
  return sections;
}

/** Whether a field with x-visibleWhen is shown, given the values of its object. */
export function isVisible(node: FieldNode, siblings: Record<string, unknown> | undefined): boolean {
  const rule = node.visibleWhen;
  if (!rule) return true;
  const value = siblings?.[rule.field];
  if ("equals" in rule) return value === rule.equals;
  return (rule.in ?? []).some((v) => v === value);
}

/** Looks a field up by its dot path ("checklist.0.item"), skipping row indices. */
export function findField(fields: FieldNode[], path: string): FieldNode | undefined {
  let level: FieldNode[] | undefined = fields;
  let found: FieldNode | undefined;
  for (const part of path.split(".")) {
    if (/^\d+$/.test(part)) {
      if (!found || found.schema.type !== "array") return undefined;
      continue;
    }
    found = level?.find((f) => f.name === part);
    if (!found) return undefined;
    level = found.children;
  }
  return found;
}
