// The inline check of one field (htmx, on change): the field's error slot and the fields whose
// x-visibleWhen depends on it, re-rendered from the posted values. Nothing is stored.
import { HTTPException } from "hono/http-exception";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { CompiledApp } from "../../apps/compiled-app.js";
import { Field, slotId } from "../../render/fields.js";
import { ErrorSlot } from "../../render/form-field.js";
import type { FieldNode } from "../../schema/field-nodes.js";
import { lastValue, parseForm, type FormBody } from "../../schema/form-post.js";
import { type FieldErrors, type FormMode } from "../../schema/record-validation.js";
import { recordProblems } from "../../apps/record-rules.js";

function containerOf(values: Record<string, unknown>, path: string[]): Record<string, unknown> | undefined {
  let cur: unknown = values;
  for (const part of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur && typeof cur === "object" && !Array.isArray(cur) ? (cur as Record<string, unknown>) : undefined;
}

function nodesAt(fields: FieldNode[], path: string[]): FieldNode[] | undefined {
  let level: FieldNode[] | undefined = fields;
  for (const part of path) {
    if (/^\d+$/.test(part)) continue;
    level = level?.find((f) => f.name === part)?.children;
  }
  return level;
}

/**
 * The answer to POST …/check: `hx-partial`s for the error slot of the field named by `_field` and
 * for every field whose x-visibleWhen depends on it. `textErrors` (unstorable text) wins over the
 * schema's messages. Throws HTTPException 400 when `_field` names no field path.
 */
export function checkField(app: CompiledApp, mode: FormMode, body: FormBody, textErrors: FieldErrors): JSX.Element {
  const field = lastValue(body._field) ?? "";
  if (!/^[A-Za-z0-9_.]{1,300}$/.test(field)) throw new HTTPException(400, { message: "No field to check." });
  const parsed = parseForm(app.fields, body, mode);
  // The store's rules, as a save applies them (engine/apps/record-rules.ts).
  const errors = { ...recordProblems(app, mode, parsed.values), ...textErrors };
  const path = field.split(".");
  const parentPath = path.slice(0, -1);
  const name = path[path.length - 1]!;
  const siblings = containerOf(parsed.values, parentPath) ?? {};
  const dependents = (nodesAt(app.fields, parentPath) ?? []).filter((n) => n.visibleWhen?.field === name);
  const ctx = { errors: {}, mode };
  return (
    <>
      <hx-partial hx-target={`#err-${slotId(path)}`} hx-swap="outerHTML">
        <ErrorSlot sid={slotId(path)} message={errors[field]} />
      </hx-partial>
      {dependents.map((node) => (
        <hx-partial hx-target={`#field-${slotId([...parentPath, node.name])}`} hx-swap="outerHTML">
          <Field
            node={node}
            value={siblings[node.name] ?? node.schema.default}
            path={[...parentPath, node.name]}
            siblings={siblings}
            ctx={ctx}
          />
        </hx-partial>
      ))}
    </>
  );
}
