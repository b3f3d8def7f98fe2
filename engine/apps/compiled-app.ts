import { openToOf } from "./open-to.js";
import { createHash } from "node:crypto";
import { bindsUsers } from "../schema/app-definition.js";
import { fieldTree, formSections, type FieldNode, type FormSectionView } from "../schema/field-nodes.js";
import { compileRecordValidators, type RecordValidators } from "../schema/record-validation.js";
import type { AppDefinition, AppOpenTo, SystemBinding } from "../schema/types.js";
import type { SortSpec } from "./record-store-contract.js";

/** An app definition with everything derived from it that requests need, built once per version. */
export interface CompiledApp {
  id: string;
  title: string;
  description?: string;
  /** 0 is the built-in file in forms/; designer saves count from 1 per site. */
  version: number;
  definition: AppDefinition;
  /** SHA-256 of the definition's JSON: equal definitions share compiled state. */
  hash: string;
  fields: FieldNode[];
  sections: FormSectionView[];
  validators: RecordValidators;
  list: {
    columns: FieldNode[];
    sort: SortSpec;
    searchable: string[];
    pageSize: number;
  };
  bindings: Map<SystemBinding, FieldNode>;
  /** Who may open it (engine/apps/open-to.ts); always "admin" for apps over user accounts. */
  openTo: AppOpenTo;
  /** Its records are user accounts (it binds user.* / mfa.* fields). */
  usersApp: boolean;
}

const DEFAULT_PAGE_SIZE = 25;

function listableByDefault(f: FieldNode): boolean {
  return !f.writeOnly && f.widget !== "fieldset" && f.widget !== "rows" && f.widget !== "readonly";
}

/**
 * SHA-256 of the definition's JSON text, as 64 lowercase hex characters: equal hashes mean the same
 * definition as written (key order counts), so a cached compilation can be reused.
 */
export function definitionHash(definition: AppDefinition): string {
  return createHash("sha256").update(JSON.stringify(definition)).digest("hex");
}

/** Derives fields, sections, validators and the list view. The definition must have passed checkDefinition. */
export function compileApp(definition: AppDefinition, version: number): CompiledApp {
  const fields = fieldTree(definition.record, definition.form?.help ?? {});
  const byName = new Map(fields.map((f) => [f.name, f]));
  const columnNames =
    definition.list?.columns ??
    fields
      .filter(listableByDefault)
      .slice(0, 4)
      .map((f) => f.name);
  const columns = columnNames.flatMap((n) => (byName.has(n) ? [byName.get(n)!] : []));
  const sortName = definition.list?.sort ?? columns[0]?.name ?? "";
  const searchable =
    definition.list?.searchable ?? columns.filter((c) => c.schema.type === "string" && !c.writeOnly).map((c) => c.name);
  const bindings = new Map<SystemBinding, FieldNode>();
  for (const f of fields) if (f.system) bindings.set(f.system, f);
  const usersApp = bindsUsers(definition);
  const app: CompiledApp = {
    id: definition.id,
    title: definition.title,
    version,
    definition,
    hash: definitionHash(definition),
    fields,
    sections: formSections(definition, fields),
    validators: compileRecordValidators(definition.record),
    list: {
      columns,
      sort: { field: sortName.replace(/^-/, ""), direction: sortName.startsWith("-") ? "desc" : "asc" },
      searchable,
      pageSize: definition.list?.pageSize ?? DEFAULT_PAGE_SIZE,
    },
    bindings,
    openTo: openToOf(definition, usersApp),
    usersApp,
  };
  if (definition.description) app.description = definition.description;
  return app;
}
