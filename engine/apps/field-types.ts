import type { AppScalar, FieldOption, FieldSchema } from "../schema/types.js";

/** The field types of the visual designer, as the HTTP contract names them (`type`). */
export const DESIGNER_TYPES = [
  "text",
  "textarea",
  "number",
  "integer",
  "date",
  "datetime",
  "email",
  "url",
  "boolean",
  "choice",
  "multichoice",
  "group",
  "rows",
  "section",
] as const;
/** A field type the visual designer offers (one of DESIGNER_TYPES). */
export type DesignerType = (typeof DESIGNER_TYPES)[number];
/** Every designer type but Section, which is layout and holds no value. */
export type DesignerFieldType = Exclude<DesignerType, "section">;

/** Properties a field of a type may set in the designer, beyond label, name, help, required and read-only. */
export type FieldProperty =
  "default" | "minimum" | "maximum" | "maxLength" | "pattern" | "options" | "visibleWhen" | "placeholder";

/** One entry of the catalogue: the designer's word for a type, a hint, and what it may set. */
export interface FieldTypeInfo {
  type: DesignerType;
  label: string;
  hint: string;
  properties: FieldProperty[];
}

const SCALAR: FieldProperty[] = ["default", "visibleWhen"];
/** The text-like types: their input shows a placeholder while empty. */
const TEXT_LIKE: FieldProperty[] = [...SCALAR, "placeholder"];

/** The field-type catalogue, in the order the designer offers it. */
export const FIELD_TYPES: FieldTypeInfo[] = [
  { type: "text", label: "Text", hint: "One line of text", properties: [...TEXT_LIKE, "maxLength", "pattern"] },
  { type: "textarea", label: "Long text", hint: "Several lines of text", properties: [...TEXT_LIKE, "maxLength"] },
  {
    type: "number",
    label: "Number",
    hint: "A number, decimals allowed",
    properties: [...TEXT_LIKE, "minimum", "maximum"],
  },
  {
    type: "integer",
    label: "Whole number",
    hint: "A number without decimals",
    properties: [...TEXT_LIKE, "minimum", "maximum"],
  },
  { type: "date", label: "Date", hint: "A calendar date", properties: SCALAR },
  { type: "datetime", label: "Date and time", hint: "A date with a time of day", properties: SCALAR },
  { type: "email", label: "Email", hint: "An email address", properties: [...TEXT_LIKE, "maxLength"] },
  { type: "url", label: "Link", hint: "A web address", properties: [...TEXT_LIKE, "maxLength"] },
  { type: "boolean", label: "Yes/No", hint: "A switch", properties: SCALAR },
  { type: "choice", label: "Choice", hint: "One of a list of options", properties: [...SCALAR, "options"] },
  {
    type: "multichoice",
    label: "Multiple choice",
    hint: "Any of a list of options",
    properties: ["options", "visibleWhen"],
  },
  { type: "group", label: "Group", hint: "Fields kept together under one heading", properties: ["visibleWhen"] },
  {
    type: "rows",
    label: "Repeating rows",
    hint: "A table of rows, each with the same fields",
    properties: ["visibleWhen"],
  },
  { type: "section", label: "Section", hint: "A titled part of the form (layout only)", properties: [] },
];

/**
 * The label, help and schema shape of a designer field type; `type` must be one of DESIGNER_TYPES
 * (check with isDesignerType first).
 */
export const fieldTypeInfo = (type: DesignerType): FieldTypeInfo => FIELD_TYPES.find((t) => t.type === type)!;
/**
 * True when `s` names a field type the visual designer offers; narrows a submitted string to
 * DesignerType.
 */
export const isDesignerType = (s: string): s is DesignerType => (DESIGNER_TYPES as readonly string[]).includes(s);

/** Pattern presets offered beside the pattern box: label and regular expression (ECMAScript, as Ajv uses). */
export const PATTERN_PRESETS: { label: string; pattern: string }[] = [
  { label: "Capital letters, digits and dashes", pattern: "^[A-Z0-9-]+$" },
  { label: "Digits only", pattern: "^[0-9]+$" },
  { label: "Letters and spaces", pattern: "^[A-Za-z ]+$" },
  { label: "Phone number (digits, spaces, + ( ) -)", pattern: "^[0-9 +()-]{5,20}$" },
  { label: "Postcode-like (letters, digits, spaces)", pattern: "^[A-Za-z0-9 ]{2,10}$" },
];

/** The designer's type of a stored field schema (the reverse of schemaForType). */
export function designerTypeOf(f: FieldSchema): DesignerFieldType {
  switch (f.type) {
    case "boolean":
      return "boolean";
    case "object":
      return "group";
    case "array":
      return f.items?.type === "object" ? "rows" : "multichoice";
    case "integer":
    case "number":
      return f.oneOf || f.enum ? "choice" : f.type;
    case "string":
      if (f.oneOf || f.enum) return "choice";
      if (f.format === "email") return "email";
      if (f.format === "uri") return "url";
      if (f.format === "date") return "date";
      if (f.format === "date-time") return "datetime";
      return f["x-widget"] === "textarea" ? "textarea" : "text";
  }
}

/** Options as the designer writes them: one per line, `value|Label` or just a value that is its own label. */
export function optionsText(f: FieldSchema): string {
  const s = f.type === "array" ? f.items : f;
  if (!s) return "";
  if (s.oneOf)
    return s.oneOf.map((o) => (String(o.const) === o.title ? o.title : `${String(o.const)}|${o.title}`)).join("\n");
  return (s.enum ?? []).map(String).join("\n");
}

/** Parses the options box; returns the options or why they are refused. */
export function parseOptions(text: string): { ok: true; options: FieldOption[] } | { ok: false; message: string } {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (!lines.length) return { ok: false, message: "Give at least one option, one per line (value|Label, or a value)." };
  if (lines.length > 500) return { ok: false, message: "At most 500 options." };
  const seen = new Set<string>();
  const options: FieldOption[] = [];
  for (const [i, line] of lines.entries()) {
    const bar = line.indexOf("|");
    const value = (bar < 0 ? line : line.slice(0, bar)).trim();
    const title = (bar < 0 ? line : line.slice(bar + 1)).trim();
    if (!value || !title) return { ok: false, message: `Line ${i + 1} needs a value and a label ("value|Label").` };
    if (title.length > 200) return { ok: false, message: `Line ${i + 1}: a label has at most 200 characters.` };
    if (seen.has(value)) return { ok: false, message: `The value "${value}" is listed twice.` };
    seen.add(value);
    options.push({ const: value, title });
  }
  return { ok: true, options };
}

/** A fresh nested field, so a new Group or Repeating rows is valid from the start (an object needs a property). */
const starterChild = (): FieldSchema => ({ type: "string", title: "Name", maxLength: 200 });

/**
 * The schema keywords a designer type fixes. Properties (label, limits,
 * options…) are added by the caller; `keep` carries the nested fields of a
 * Group or Repeating rows across an edit.
 */
export function schemaForType(type: DesignerFieldType, options: FieldOption[] | null, keep?: FieldSchema): FieldSchema {
  const nested = (): FieldSchema => {
    const from =
      keep?.type === "object" ? keep : keep?.type === "array" && keep.items?.type === "object" ? keep.items : null;
    const out: FieldSchema = {
      type: "object",
      additionalProperties: false,
      properties: from?.properties ?? { name: starterChild() },
    };
    if (from?.required?.length) out.required = from.required;
    return out;
  };
  switch (type) {
    case "text":
      return { type: "string" };
    case "textarea":
      return { type: "string", "x-widget": "textarea" };
    case "number":
      return { type: "number" };
    case "integer":
      return { type: "integer" };
    case "date":
      return { type: "string", format: "date" };
    case "datetime":
      return { type: "string", format: "date-time" };
    case "email":
      return { type: "string", format: "email" };
    case "url":
      return { type: "string", format: "uri" };
    case "boolean":
      return { type: "boolean" };
    case "choice":
      return { type: "string", oneOf: options as [FieldOption, ...FieldOption[]] };
    case "multichoice":
      return {
        type: "array",
        uniqueItems: true,
        "x-widget": "checkboxes",
        items: { type: "string", oneOf: options as [FieldOption, ...FieldOption[]] },
      };
    case "group":
      return nested();
    case "rows":
      return { type: "array", items: nested() };
  }
}

/** "Visit date" -> "visitDate": a field name from a label (letters and digits, camelCase, starts with a letter). */
export function nameFromLabel(label: string): string {
  const words = label
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  let name = words
    .map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1)))
    .join("");
  if (!/^[A-Za-z]/.test(name)) name = `field${name}`;
  return name.slice(0, 60);
}

/** Parses a typed default or visible-when value for a field of a JSON type; undefined when it does not fit. */
export function scalarFor(type: FieldSchema["type"], raw: string): AppScalar | undefined {
  const t = raw.trim();
  if (type === "boolean") return /^(true|yes|on)$/i.test(t) ? true : /^(false|no|off)$/i.test(t) ? false : undefined;
  if (type === "integer") return /^-?\d{1,15}$/.test(t) ? Number(t) : undefined;
  if (type === "number") return t !== "" && Number.isFinite(Number(t)) ? Number(t) : undefined;
  if (type === "string") return raw;
  return undefined;
}
