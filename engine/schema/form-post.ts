import { isVisible, type FieldNode } from "./field-nodes.js";
import { dropHiddenFields } from "./hidden-fields.js";
import type { FormMode } from "./record-validation.js";

/** A posted form: every name with all the values sent for it, in order. */
export type FormBody = Record<string, string[]>;

/** Names the engine itself posts beside the fields. */
export const RESERVED_NAMES = new Set([
  "_csrf",
  "_version",
  "_action",
  "_field",
  "_dialog",
  "_submission",
  "_list",
  "confirm",
]);
/** Marks a row of a repeatable group, so a row whose inputs are all blank or unchecked still counts. */
export const ROW_MARKER = "_row";
/** Repeatable groups take at most this many rows from a post, whatever the schema says. */
const MAX_ROWS = 1000;

/**
 * What a form post asks for: save, add an item to the array at `path`, remove item `index` of it,
 * or only re-render.
 */
export type FormAction =
  | { kind: "save" }
  | { kind: "add"; path: string }
  | { kind: "remove"; path: string; index: number }
  /** Re-render only (an unknown action never saves). */
  | { kind: "refresh" };

/**
 * A submitted record form read against its app schema: the typed values, the top-level fields it
 * decides, the writeOnly fields kept and the action asked for.
 */
export interface ParsedForm {
  /**
   * The typed record: strings converted to the schema's types. A value that
   * does not convert (e.g. "12a" for an integer) stays a string, so validation
   * reports it in that field's slot and the form shows what the user typed.
   */
  values: Record<string, unknown>;
  /** Top-level fields this post decides: the store replaces these and keeps every other stored key. */
  fields: string[];
  /** writeOnly fields left blank on edit: they keep their stored value. */
  unchanged: string[];
  /** Posted names that are no field of the form. */
  unknown: string[];
  action: FormAction;
  /** The version the user edited (optimistic concurrency), when the form sent one. */
  version: number | null;
}

const INTEGER = /^[+-]?\d{1,400}$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$/;
const LOCAL_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/** The last value posted under a name (a repeated name keeps the last), or undefined. */
export const lastValue = (values: string[] | undefined): string | undefined => values?.[values.length - 1];
const last = lastValue;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface Ctx {
  body: FormBody;
  mode: FormMode;
  consumed: Set<string>;
  unchanged: string[];
}

function convertScalar(node: FieldNode, raw: string): unknown {
  if (node.options) {
    const match = node.options.find((o) => String(o.value) === raw);
    if (match) return match.value;
    // Not an option (any more): a removed option the record keeps comes back typed as it is stored.
  }
  switch (node.scalarType) {
    case "integer":
      // Digits beyond what a number holds exactly stay text: validation calls them too large.
      return INTEGER.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
    case "number":
      return NUMBER.test(raw) && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    case "boolean":
      return parseBoolean(raw);
    default:
      // <input type="datetime-local"> sends no seconds and no zone; times are stored in UTC.
      if (node.widget === "datetime" && LOCAL_DATETIME.test(raw)) return `${raw.length === 16 ? `${raw}:00` : raw}Z`;
      return raw;
  }
}

function parseBoolean(raw: string | undefined): unknown {
  if (raw === undefined || raw === "false") return false;
  if (raw === "true" || raw === "on" || raw === "1") return true;
  return raw;
}

function parseScalar(node: FieldNode, key: string, ctx: Ctx): unknown {
  ctx.consumed.add(key);
  const raw = last(ctx.body[key]);
  if (raw === undefined) return undefined;
  // Free text keeps its spaces; single-line values (numbers, dates, choices) do not.
  const keepsSpaces = node.widget === "textarea" || node.widget === "password";
  const value = keepsSpaces ? raw : raw.trim();
  if (value.trim() === "") return undefined;
  return convertScalar(node, value);
}

function rowIndices(key: string, ctx: Ctx): number[] {
  const re = new RegExp(`^${escapeRe(key)}\\.(\\d{1,4})(\\.|$)`);
  const found = new Set<number>();
  for (const name of Object.keys(ctx.body)) {
    const m = re.exec(name);
    if (m) found.add(Number(m[1]));
    if (found.size > MAX_ROWS) break;
  }
  return [...found].sort((a, b) => a - b);
}

function parseNode(node: FieldNode, key: string, ctx: Ctx, topLevel: boolean): unknown {
  switch (node.widget) {
    case "readonly":
      return undefined;
    case "fieldset": {
      const child = parseNodes(node.children ?? [], `${key}.`, ctx, false);
      return Object.keys(child).length || node.required ? child : undefined;
    }
    case "rows": {
      const rows = rowIndices(key, ctx).flatMap((i) => {
        const rowKey = `${key}.${i}`;
        if (node.children) {
          ctx.consumed.add(`${rowKey}.${ROW_MARKER}`);
          return [parseNodes(node.children, `${rowKey}.`, ctx, false)];
        }
        const v = parseScalar(node.item!, rowKey, ctx);
        return v === undefined ? [] : [v];
      });
      return rows.length || node.required ? rows : undefined;
    }
    case "checkboxes":
    case "multiselect": {
      ctx.consumed.add(key);
      const picked = (ctx.body[key] ?? []).filter((v) => v !== "").map((v) => convertScalar(node, v));
      return picked.length || node.required ? picked : undefined;
    }
    case "switch":
    case "checkbox":
      ctx.consumed.add(key);
      // An unchecked box sends nothing: absent means false.
      return parseBoolean(last(ctx.body[key]));
    case "password": {
      const v = parseScalar(node, key, ctx);
      if (v === undefined && ctx.mode === "edit" && topLevel) ctx.unchanged.push(node.name);
      return v;
    }
    default:
      return parseScalar(node, key, ctx);
  }
}

function parseNodes(nodes: FieldNode[], prefix: string, ctx: Ctx, topLevel: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const node of nodes) {
    const v = parseNode(node, prefix + node.name, ctx, topLevel);
    if (v !== undefined) out[node.name] = v;
  }
  // Hidden fields are not part of the record, whatever the browser sent for them (the rule every
  // save follows: hidden-fields.ts). x-visibleWhen's control is never itself conditional, so dropping
  // first changes no other field's visibility.
  dropHiddenFields(nodes, out);
  for (const node of nodes) {
    // A field that becomes visible with this post was not on the form the user saw: it takes its default.
    if (!node.visibleWhen || !isVisible(node, out)) continue;
    if (out[node.name] === undefined && node.schema.default !== undefined && !(prefix + node.name in ctx.body)) {
      out[node.name] = structuredClone(node.schema.default);
    }
  }
  return out;
}

function parseAction(raw: string | undefined): FormAction {
  if (raw === undefined || raw === "save") return { kind: "save" };
  const add = /^add:([A-Za-z0-9_.]{1,300})$/.exec(raw);
  if (add) return { kind: "add", path: add[1]! };
  const remove = /^remove:([A-Za-z0-9_.]{1,300})\.(\d{1,4})$/.exec(raw);
  if (remove) return { kind: "remove", path: remove[1]!, index: Number(remove[2]) };
  return { kind: "refresh" };
}

/**
 * Turns a posted form into a typed record, as the schema says: numbers,
 * booleans (an absent switch is false), choices with their typed values,
 * arrays from repeated names or numbered rows, nested objects from dotted
 * names. Blank inputs are left out; on edit a blank writeOnly field means
 * "keep the stored value". Read-only fields are never taken from a post.
 */
export function parseForm(fields: FieldNode[], body: FormBody, mode: FormMode): ParsedForm {
  const ctx: Ctx = { body, mode, consumed: new Set(), unchanged: [] };
  const values = parseNodes(fields, "", ctx, true);
  const unknown = Object.keys(body).filter((k) => !ctx.consumed.has(k) && !RESERVED_NAMES.has(k));
  const rawVersion = last(body._version);
  const version = rawVersion && /^\d{1,9}$/.test(rawVersion) ? Number(rawVersion) : null;
  return {
    values,
    fields: fields.filter((f) => f.widget !== "readonly" && !ctx.unchanged.includes(f.name)).map((f) => f.name),
    unchanged: ctx.unchanged,
    unknown,
    action: parseAction(last(body._action)),
    version,
  };
}

/** The values a new record's form starts with: the schema's defaults. */
export function initialValues(fields: FieldNode[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.schema.default !== undefined) out[f.name] = structuredClone(f.schema.default);
    else if (f.widget === "fieldset") {
      const inner = initialValues(f.children ?? []);
      if (Object.keys(inner).length) out[f.name] = inner;
    }
  }
  return out;
}

/**
 * Applies "add a row" / "remove a row" to parsed values, so the form can be
 * re-rendered with one row more or less without saving anything. Returns
 * false when the path names no repeatable group.
 */
export function applyRowAction(
  fields: FieldNode[],
  values: Record<string, unknown>,
  action: FormAction & { path: string },
): boolean {
  const parts = action.path.split(".");
  let level: FieldNode[] = fields;
  let container: Record<string, unknown> = values;
  for (let i = 0; i < parts.length; i++) {
    const node = level.find((f) => f.name === parts[i]);
    if (!node) return false;
    const isLast = i === parts.length - 1;
    if (isLast) {
      if (node.widget !== "rows") return false;
      const rows = Array.isArray(container[node.name]) ? (container[node.name] as unknown[]) : [];
      if (action.kind === "add") {
        const max = node.schema.maxItems ?? MAX_ROWS;
        if (rows.length < max) rows.push(node.children ? initialValues(node.children) : "");
      } else if (action.kind === "remove") {
        if (action.index >= rows.length) return false;
        rows.splice(action.index, 1);
      }
      container[node.name] = rows;
      return true;
    }
    if (node.widget === "rows") {
      const index = Number(parts[++i]);
      const row = (container[node.name] as unknown[] | undefined)?.[index];
      if (!Number.isInteger(index) || typeof row !== "object" || row === null) return false;
      container = row as Record<string, unknown>;
    } else if (node.widget === "fieldset") {
      container[node.name] ??= {};
      container = container[node.name] as Record<string, unknown>;
    } else return false;
    level = node.children ?? [];
  }
  return false;
}
