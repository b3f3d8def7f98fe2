import type { Child } from "hono/jsx";
import type { CompiledApp } from "../../apps/compiled-app.js";
import type { FieldInput } from "../../apps/designer-edits.js";
import {
  designerTypeOf,
  FIELD_TYPES,
  fieldTypeInfo,
  PATTERN_PRESETS,
  type DesignerType,
  type FieldProperty,
} from "../../apps/field-types.js";
import type { AppVersionInfo } from "../../apps/registry.js";
import { CsrfField, Layout } from "../../render/layout.js";
import type { PageFrame } from "../../render/record-pages.js";
import type { AppDefinition, FieldSchema } from "../../schema/types.js";
import { DesignerFeedback } from "./apps-pages.js";

const when = (d: Date | null) => (d ? `${d.toISOString().replace("T", " ").slice(0, 16)} UTC` : "");
const typeLabel = (f: FieldSchema) => fieldTypeInfo(designerTypeOf(f)).label;

/** The tabs of an app's designer; JSON is today's editor, for experts. */
export type DesignerTab = "form" | "list" | "settings" | "history" | "json";

/** The designer's tab bar (links: every tab is a page of its own, so it works without JavaScript). */
export function DesignerTabs({ appId, tab }: { appId: string; tab: DesignerTab }) {
  const base = `/configure/apps/${appId}`;
  const tabs: [DesignerTab, string, string][] = [
    ["form", "Form", base],
    ["list", "List", `${base}/list`],
    ["settings", "Settings", `${base}/settings`],
    ["history", "History", `${base}/history`],
    ["json", "JSON", `${base}?tab=json`],
  ];
  return (
    <nav aria-label="Designer" class="designer-tabs">
      <ul>
        {tabs.map(([key, label, href]) => (
          <li>
            <a href={href} aria-current={key === tab ? "page" : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Who has unpublished changes and when; a second designer is told it is someone else's draft. */
export interface DraftInfo {
  by: string;
  at: Date;
  mine: boolean;
  /** A version was published after the draft started: publishing it is refused. */
  stale: boolean;
}

/**
 * What every page of the visual designer shows about the app: its id, title, published version,
 * record count, the current draft and why the last action was refused.
 */
export interface DesignerFrame {
  frame: PageFrame;
  appId: string;
  title: string;
  publishedVersion: number;
  recordCount: number;
  listHref: string;
  draft: DraftInfo | null;
  /** Why the last action was refused as a whole (e.g. Publish after someone else published). */
  problem?: string;
}

function DraftBar(p: DesignerFrame) {
  const d = p.draft;
  return (
    <section class="draft-bar" aria-label="Draft">
      {d && !d.mine ? (
        <p class="notice warning" role="alert" id="other-designer">
          {d.by} is also changing this app: the draft was last changed by {d.by} on {when(d.at)}. Your changes go into
          the same draft.
        </p>
      ) : null}
      {d?.stale ? (
        <p class="notice error" role="alert">
          This app was published again after the draft started. Publishing the draft is refused: discard it and apply
          your changes again.
        </p>
      ) : null}
      <p>
        Published version: <strong>{p.publishedVersion === 0 ? "0 (built-in)" : p.publishedVersion}</strong> ·{" "}
        {p.recordCount} record{p.recordCount === 1 ? "" : "s"} ·{" "}
        {d ? (
          <span id="draft-state">
            Unpublished changes by {d.by}, {when(d.at)}
          </span>
        ) : (
          <span id="draft-state">No unpublished changes</span>
        )}{" "}
        · <a href={p.listHref}>Open the app</a>
      </p>
      {d ? (
        <div class="draft-actions">
          <form method="post" action={`/configure/apps/${p.appId}/publish`} class="inline">
            <CsrfField token={p.frame.csrfToken} />
            <button type="submit">Publish</button>
          </form>{" "}
          <form method="post" action={`/configure/apps/${p.appId}/discard`} class="inline">
            <CsrfField token={p.frame.csrfToken} />
            <button type="submit" class="secondary outline">
              Discard draft
            </button>
          </form>
        </div>
      ) : null}
    </section>
  );
}

/** The frame every designer tab shares: breadcrumb, title, message, draft bar and tabs. */
export function DesignerShell(p: DesignerFrame & { tab: DesignerTab; children?: Child }) {
  return (
    <Layout
      title={`Designer: ${p.title}`}
      csrfToken={p.frame.csrfToken}
      user={p.frame.user}
      siteName={p.frame.siteName}
    >
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/configure/apps">Apps</a>
          </li>
          <li>{p.title}</li>
        </ul>
      </nav>
      <h1>{p.title}</h1>
      {p.problem ? (
        <p class="notice error" role="alert" id="designer-problem">
          {p.problem}
        </p>
      ) : null}
      <DraftBar {...p} />
      <DesignerTabs appId={p.appId} tab={p.tab} />
      {p.children}
      <script src="/assets/sortable.min.js" defer></script>
      <script src="/public/designer.js" defer></script>
    </Layout>
  );
}

function Flags({
  f,
  required,
  siblings,
}: {
  f: FieldSchema;
  required: boolean;
  siblings: Record<string, FieldSchema | undefined>;
}) {
  const rule = f["x-visibleWhen"];
  const flags: string[] = [];
  if (required) flags.push("required");
  if (f.readOnly) flags.push("read-only");
  if (rule) {
    const control = siblings[rule.field];
    const value = "equals" in rule ? rule.equals : (rule.in ?? []).join(" or ");
    flags.push(`shown when ${control?.title ?? rule.field} is ${String(value)}`);
  }
  if (f["x-system"]) flags.push("system");
  return (
    <span class="field-flags">
      {flags.map((fl) => (
        <mark class={fl === "system" ? "flag system" : "flag"}>{fl === "system" ? "🔒 system" : fl}</mark>
      ))}
    </span>
  );
}

function MoveButtons({ appId, path, csrf }: { appId: string; path: string; csrf: string }) {
  const action = `/configure/apps/${appId}/fields/${path}/move`;
  return (
    <span class="move-buttons">
      <form method="post" action={action} class="inline">
        <CsrfField token={csrf} />
        <button
          type="submit"
          name="direction"
          value="up"
          class="secondary outline small"
          aria-label={`Move ${path} up`}
        >
          Up
        </button>
      </form>
      <form method="post" action={action} class="inline">
        <CsrfField token={csrf} />
        <button
          type="submit"
          name="direction"
          value="down"
          class="secondary outline small"
          aria-label={`Move ${path} down`}
        >
          Down
        </button>
      </form>
    </span>
  );
}

function FieldItems(p: {
  appId: string;
  csrf: string;
  holder: { properties?: Record<string, FieldSchema | undefined>; required?: string[] };
  names: string[];
  parent: string[];
  selected?: string;
  section?: number;
}) {
  return (
    <ol
      class="designer-fields"
      data-section={p.section === undefined ? undefined : String(p.section + 1)}
      data-parent={p.parent.join(".") || undefined}
    >
      {p.names.map((name) => {
        const f = p.holder.properties?.[name];
        if (!f) return null;
        const path = [...p.parent, name].join(".");
        const nested = f.type === "object" ? f : f.type === "array" && f.items?.type === "object" ? f.items : null;
        return (
          <li data-name={path} class={p.selected === path ? "selected" : undefined} id={`outline-${path}`}>
            <span class="drag-handle" aria-hidden="true">
              ⠿
            </span>
            <a href={`/configure/apps/${p.appId}/fields/${path}`} class="field-label">
              {f.title ?? name}
            </a>{" "}
            <small class="field-type">
              {typeLabel(f)} · <code>{name}</code>
            </small>{" "}
            <Flags f={f} required={(p.holder.required ?? []).includes(name)} siblings={p.holder.properties ?? {}} />
            <MoveButtons appId={p.appId} path={path} csrf={p.csrf} />
            {nested ? (
              <div class="nested">
                <FieldItems
                  appId={p.appId}
                  csrf={p.csrf}
                  holder={nested}
                  names={Object.keys(nested.properties ?? {})}
                  parent={[...p.parent, name]}
                  selected={p.selected}
                />
                <a href={`/configure/apps/${p.appId}/fields/new?parent=${path}`} class="add-inside">
                  Add a field to {f.title ?? name}
                </a>
              </div>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

/** The form's sections and fields in order, with type, flags, Up/Down buttons and drag handles. */
export function FieldOutline(p: { appId: string; csrf: string; definition: AppDefinition; selected?: string }) {
  const def = p.definition;
  const sections = def.form?.sections ?? [];
  const placed = new Set(sections.flatMap((s) => s.fields));
  const rest = Object.keys(def.record.properties).filter((n) => !placed.has(n));
  return (
    <div class="field-outline" id="field-outline" data-app={p.appId}>
      {sections.map((s, i) => (
        <section class="designer-section">
          <h3>
            {s.title ?? `Section ${i + 1}`} <small>section {i + 1}</small>
          </h3>
          <FieldItems
            appId={p.appId}
            csrf={p.csrf}
            holder={def.record}
            names={s.fields}
            parent={[]}
            selected={p.selected}
            section={i}
          />
        </section>
      ))}
      {rest.length || !sections.length ? (
        <section class="designer-section">
          {sections.length ? <h3>Not in a section</h3> : null}
          <FieldItems
            appId={p.appId}
            csrf={p.csrf}
            holder={def.record}
            names={rest}
            parent={[]}
            selected={p.selected}
            section={-1}
          />
        </section>
      ) : null}
    </div>
  );
}

function ErrorSlot({ name, errors }: { name: string; errors: Record<string, string> }) {
  return (
    <small class="field-error" id={`err-${name}`}>
      {errors[name] ?? ""}
    </small>
  );
}

const isOn = (v: string | undefined) => v !== undefined && /^(on|true|yes|1)$/i.test(v);
const invalid = (errors: Record<string, string>, name: string) => (errors[name] ? "true" : undefined);

/** The properties panel: a new field of a type, or an existing field (locked down to label and help for a system field). */
export function FieldForm(p: {
  appId: string;
  csrf: string;
  definition: AppDefinition;
  mode: "new" | "edit";
  path?: string;
  type: DesignerType;
  input: FieldInput;
  errors: Record<string, string>;
  system?: string;
  /** Why the name cannot change (records exist), or null. */
  nameLocked?: string | null;
  siblings: Record<string, FieldSchema | undefined>;
}) {
  const e = p.errors;
  const v = p.input;
  const info = fieldTypeInfo(p.type);
  const has = (prop: FieldProperty) => !p.system && info.properties.includes(prop);
  const action =
    p.mode === "new" ? `/configure/apps/${p.appId}/fields/new` : `/configure/apps/${p.appId}/fields/${p.path}`;
  const topLevel = !(v.parent ?? "") && !(p.path ?? "").includes(".");
  const sections = p.definition.form?.sections ?? [];
  const controls = Object.entries(p.siblings).filter(
    ([n, f]) =>
      f &&
      n !== p.path?.split(".").pop() &&
      ["string", "integer", "number", "boolean"].includes(f.type) &&
      !f.readOnly &&
      !f["x-visibleWhen"],
  );
  if (p.type === "section") {
    const placedIn = new Map(sections.flatMap((s, i) => s.fields.map((n) => [n, i + 1] as const)));
    return (
      <form method="post" action={action} id="field-form" class="field-form">
        <h2>New section</h2>
        <CsrfField token={p.csrf} />
        <input type="hidden" name="type" value="section" />
        <div class="notice error" role="alert" id="err-_" hidden={!e._}>
          {e._ ?? ""}
        </div>
        <label>
          Title
          <input
            name="title"
            value={v.title ?? ""}
            required
            maxlength={200}
            aria-invalid={invalid(e, "title")}
            aria-describedby="err-title"
          />
          <ErrorSlot name="title" errors={e} />
        </label>
        <fieldset>
          <legend>Fields it starts with (none picked: the fields not in a section yet)</legend>
          {Object.entries(p.definition.record.properties).map(([n, f]) => (
            <label>
              <input type="checkbox" name="fields" value={n} /> {f?.title ?? n}
              {placedIn.has(n) ? <small> (now in section {placedIn.get(n)})</small> : null}
            </label>
          ))}
          <ErrorSlot name="fields" errors={e} />
        </fieldset>
        <button type="submit">Add section</button>
      </form>
    );
  }
  return (
    <form method="post" action={action} id="field-form" class="field-form">
      <h2>
        {p.mode === "new" ? `New field: ${info.label}` : `${v.title || p.path}`}{" "}
        {p.system ? <mark class="flag system">🔒 system field ({p.system})</mark> : null}
      </h2>
      <CsrfField token={p.csrf} />
      {v.parent ? <input type="hidden" name="parent" value={v.parent} /> : null}
      <div class="notice error" role="alert" id="err-_" hidden={!e._}>
        {e._ ?? ""}
      </div>
      {p.system ? (
        <p class="notice">
          A system field is bound to engine behaviour: you can change its label and help text and move it, but not
          delete it or change its type.
        </p>
      ) : null}
      <label>
        Type
        {p.system || p.mode === "new" ? (
          <>
            <input type="hidden" name="type" value={p.type} />
            <input value={info.label} readonly aria-label="Type" />
          </>
        ) : (
          <select name="type" aria-invalid={invalid(e, "type")} aria-describedby="err-type">
            {FIELD_TYPES.filter((t) => t.type !== "section").map((t) => (
              <option value={t.type} selected={t.type === p.type}>
                {t.label}
              </option>
            ))}
          </select>
        )}
        <ErrorSlot name="type" errors={e} />
      </label>
      <label>
        Label
        <input
          name="title"
          value={v.title ?? ""}
          required
          maxlength={200}
          aria-invalid={invalid(e, "title")}
          aria-describedby="err-title"
        />
        <ErrorSlot name="title" errors={e} />
      </label>
      <label>
        Name <small>(how the value is stored; derived from the label when left blank)</small>
        <input
          name="name"
          value={v.name ?? ""}
          pattern="[A-Za-z][A-Za-z0-9_]{0,63}"
          readonly={p.system !== undefined || !!p.nameLocked}
          aria-invalid={invalid(e, "name")}
          aria-describedby="err-name"
        />
        {p.nameLocked ? <small>{p.nameLocked}</small> : null}
        <ErrorSlot name="name" errors={e} />
      </label>
      <label>
        Help text
        <textarea name="help" rows={2} maxlength={2000} aria-invalid={invalid(e, "help")} aria-describedby="err-help">
          {v.help ?? ""}
        </textarea>
        <ErrorSlot name="help" errors={e} />
      </label>
      {!p.system ? (
        <fieldset>
          {/* Unchecked boxes send nothing; the hidden "off" before each says so (the last value wins). */}
          <input type="hidden" name="required" value="off" />
          <label>
            <input type="checkbox" name="required" value="on" checked={isOn(v.required)} /> Required
          </label>
          <ErrorSlot name="required" errors={e} />
          <input type="hidden" name="readOnly" value="off" />
          <label>
            <input type="checkbox" name="readOnly" value="on" checked={isOn(v.readOnly)} /> Read-only (shown, never
            entered)
          </label>
          <ErrorSlot name="readOnly" errors={e} />
        </fieldset>
      ) : null}
      {has("options") ? (
        <label>
          Options <small>(one per line; value|Label, or a value that is its own label)</small>
          <textarea name="options" rows={5} aria-invalid={invalid(e, "options")} aria-describedby="err-options">
            {v.options ?? ""}
          </textarea>
          <ErrorSlot name="options" errors={e} />
        </label>
      ) : null}
      {has("default") ? (
        <label>
          Default
          <input
            name="default"
            value={v.default ?? ""}
            aria-invalid={invalid(e, "default")}
            aria-describedby="err-default"
          />
          <ErrorSlot name="default" errors={e} />
        </label>
      ) : null}
      {has("minimum") ? (
        <div class="grid">
          <label>
            Minimum
            <input
              name="minimum"
              inputmode="decimal"
              value={v.minimum ?? ""}
              aria-invalid={invalid(e, "minimum")}
              aria-describedby="err-minimum"
            />
            <ErrorSlot name="minimum" errors={e} />
          </label>
          <label>
            Maximum
            <input
              name="maximum"
              inputmode="decimal"
              value={v.maximum ?? ""}
              aria-invalid={invalid(e, "maximum")}
              aria-describedby="err-maximum"
            />
            <ErrorSlot name="maximum" errors={e} />
          </label>
        </div>
      ) : null}
      {has("maxLength") ? (
        <label>
          Maximum length
          <input
            name="maxLength"
            inputmode="numeric"
            value={v.maxLength ?? ""}
            aria-invalid={invalid(e, "maxLength")}
            aria-describedby="err-maxLength"
          />
          <ErrorSlot name="maxLength" errors={e} />
        </label>
      ) : null}
      {has("pattern") ? (
        <div class="grid">
          <label>
            Pattern <small>(a regular expression the value must match)</small>
            <input
              name="pattern"
              value={v.pattern ?? ""}
              aria-invalid={invalid(e, "pattern")}
              aria-describedby="err-pattern"
            />
            <ErrorSlot name="pattern" errors={e} />
          </label>
          <label>
            Or a preset
            <select name="patternPreset">
              <option value="">—</option>
              {PATTERN_PRESETS.map((pr) => (
                <option value={pr.pattern}>{pr.label}</option>
              ))}
            </select>
          </label>
        </div>
      ) : null}
      {has("visibleWhen") ? (
        <div class="grid">
          <label>
            Visible when
            <select name="visibleField" aria-invalid={invalid(e, "visibleField")} aria-describedby="err-visibleField">
              <option value="">always</option>
              {controls.map(([n, f]) => (
                <option value={n} selected={v.visibleField === n}>
                  {f!.title ?? n}
                </option>
              ))}
            </select>
            <ErrorSlot name="visibleField" errors={e} />
          </label>
          <label>
            has the value
            <input
              name="visibleValue"
              value={v.visibleValue ?? ""}
              list="visible-values"
              aria-invalid={invalid(e, "visibleValue")}
              aria-describedby="err-visibleValue"
            />
            <datalist id="visible-values">
              {controls.flatMap(([, f]) =>
                f!.type === "boolean"
                  ? [<option value="true" />, <option value="false" />]
                  : (f!.oneOf ?? []).map((o) => <option value={String(o.const)}>{o.title}</option>),
              )}
            </datalist>
            <ErrorSlot name="visibleValue" errors={e} />
          </label>
        </div>
      ) : null}
      {topLevel && sections.length ? (
        <label>
          Section
          <select name="section" aria-invalid={invalid(e, "section")} aria-describedby="err-section">
            {p.mode === "edit" ? <option value="">(keep)</option> : null}
            {sections.map((s, i) => (
              <option
                value={String(i + 1)}
                selected={v.section === String(i + 1) || (p.mode === "new" && !v.section && i === sections.length - 1)}
              >
                {s.title ?? `Section ${i + 1}`}
              </option>
            ))}
          </select>
          <ErrorSlot name="section" errors={e} />
        </label>
      ) : null}
      <button type="submit">{p.mode === "new" ? "Add field" : "Save field"}</button>{" "}
      <a href={`/configure/apps/${p.appId}`} role="button" class="secondary outline">
        Close
      </a>
    </form>
  );
}

function DeleteFieldForm({ appId, path, csrf }: { appId: string; path: string; csrf: string }) {
  return (
    <form method="post" action={`/configure/apps/${appId}/fields/${path}/delete`} class="delete-field">
      <CsrfField token={csrf} />
      <button type="submit" class="secondary outline">
        Delete this field
      </button>
      <small> Values already stored under its name are kept in the records.</small>
    </form>
  );
}

/** The "Add a field" picker: a GET form, so it works without JavaScript. */
function AddFieldPicker({ appId }: { appId: string }) {
  return (
    <form
      method="get"
      action={`/configure/apps/${appId}/fields/new`}
      class="add-field"
      role="search"
      aria-label="Add a field"
    >
      <select name="type" aria-label="Field type">
        {FIELD_TYPES.map((t) => (
          <option value={t.type}>
            {t.label} — {t.hint}
          </option>
        ))}
      </select>
      <button type="submit">Add a field</button>
    </form>
  );
}

/** The Form tab: outline on the left; the properties panel and the live preview on the right. */
export function DesignerFormPage(
  p: DesignerFrame & {
    definition: AppDefinition;
    preview: CompiledApp | null;
    panel: Parameters<typeof FieldForm>[0] | null;
    status?: number;
  },
) {
  const csrf = p.frame.csrfToken;
  return (
    <DesignerShell {...p} tab="form">
      <div class="designer-grid visual">
        <div>
          <h2>Fields</h2>
          <p class="hint">Drag a field by its handle to move it (also between sections), or use Up and Down.</p>
          <FieldOutline appId={p.appId} csrf={csrf} definition={p.definition} selected={p.panel?.path} />
          <AddFieldPicker appId={p.appId} />
        </div>
        <div>
          {p.panel ? (
            <article class="properties-panel">
              <FieldForm {...p.panel} />
              {p.panel.mode === "edit" && !p.panel.system ? (
                <DeleteFieldForm appId={p.appId} path={p.panel.path!} csrf={csrf} />
              ) : null}
            </article>
          ) : null}
          <DesignerFeedback problems={[]} breaking={[]} preview={p.preview} csrfToken={csrf} />
        </div>
      </div>
    </DesignerShell>
  );
}

/** The List tab: columns, searchable fields and the default sort. */
export function DesignerListPage(
  p: DesignerFrame & {
    definition: AppDefinition;
    input: { columns: string[]; searchable: string[]; sort: string };
    errors: Record<string, string>;
  },
) {
  const top = Object.entries(p.definition.record.properties).filter(([, f]) => f && !f.writeOnly) as [
    string,
    FieldSchema,
  ][];
  const columnable = top.filter(([, f]) => f.type !== "object" && !(f.type === "array" && f.items?.type === "object"));
  const text = top.filter(([, f]) => f.type === "string");
  const e = p.errors;
  return (
    <DesignerShell {...p} tab="list">
      <form method="post" action={`/configure/apps/${p.appId}/list`} id="list-form">
        <CsrfField token={p.frame.csrfToken} />
        <div class="notice error" role="alert" id="err-_" hidden={!e._}>
          {e._ ?? ""}
        </div>
        <fieldset>
          <legend>Columns (in form order)</legend>
          {columnable.map(([n, f]) => (
            <label>
              <input type="checkbox" name="columns" value={n} checked={p.input.columns.includes(n)} /> {f.title ?? n}
            </label>
          ))}
          <ErrorSlot name="columns" errors={e} />
        </fieldset>
        <fieldset>
          <legend>Searchable fields</legend>
          {text.map(([n, f]) => (
            <label>
              <input type="checkbox" name="searchable" value={n} checked={p.input.searchable.includes(n)} />{" "}
              {f.title ?? n}
            </label>
          ))}
          <ErrorSlot name="searchable" errors={e} />
        </fieldset>
        <label>
          Default sort
          <select name="sort" aria-invalid={invalid(e, "sort")} aria-describedby="err-sort">
            <option value="">(newest first)</option>
            {columnable.flatMap(([n, f]) => [
              <option value={n} selected={p.input.sort === n}>
                {f.title ?? n}, ascending
              </option>,
              <option value={`-${n}`} selected={p.input.sort === `-${n}`}>
                {f.title ?? n}, descending
              </option>,
            ])}
          </select>
          <ErrorSlot name="sort" errors={e} />
        </label>
        <button type="submit">Save list</button>
      </form>
    </DesignerShell>
  );
}

/** The Settings tab: title, description and who may open the app. */
export function DesignerSettingsPage(
  p: DesignerFrame & {
    input: { title: string; description: string; adminOnly: boolean };
    errors: Record<string, string>;
    bindsUsers: boolean;
  },
) {
  const e = p.errors;
  return (
    <DesignerShell {...p} tab="settings">
      <form method="post" action={`/configure/apps/${p.appId}/settings`} id="settings-form">
        <CsrfField token={p.frame.csrfToken} />
        <div class="notice error" role="alert" id="err-_" hidden={!e._}>
          {e._ ?? ""}
        </div>
        <label>
          Title
          <input
            name="title"
            value={p.input.title}
            required
            maxlength={200}
            aria-invalid={invalid(e, "title")}
            aria-describedby="err-title"
          />
          <ErrorSlot name="title" errors={e} />
        </label>
        <label>
          Description
          <textarea
            name="description"
            rows={3}
            maxlength={2000}
            aria-invalid={invalid(e, "description")}
            aria-describedby="err-description"
          >
            {p.input.description}
          </textarea>
          <ErrorSlot name="description" errors={e} />
        </label>
        <fieldset>
          <legend>Who may open the app</legend>
          {p.bindsUsers ? (
            <p>Administrators only: this app holds user accounts.</p>
          ) : (
            <>
              <label>
                <input type="radio" name="adminOnly" value="" checked={!p.input.adminOnly} /> Every signed-in user of
                the site (administrators change records)
              </label>
              <label>
                <input type="radio" name="adminOnly" value="on" checked={p.input.adminOnly} /> Administrators only
              </label>
            </>
          )}
        </fieldset>
        <button type="submit">Save settings</button>
      </form>
    </DesignerShell>
  );
}

/** One line of a diff: kept, removed (only in the older version) or added. */
export interface DiffLine {
  kind: " " | "-" | "+";
  text: string;
}

/** The History tab: every version, what changed between two, restore. */
export function DesignerHistoryPage(
  p: DesignerFrame & { history: AppVersionInfo[]; diff: { from: number; to: number; lines: DiffLine[] } | null },
) {
  const versions = p.history.map((h) => h.version);
  return (
    <DesignerShell {...p} tab="history">
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Published</th>
            <th scope="col">By</th>
            <th scope="col"></th>
          </tr>
        </thead>
        <tbody>
          {p.history.map((h) => (
            <tr>
              <td>
                {h.version === 0 ? "0 (built-in)" : h.version}
                {h.restoredFrom !== null ? ` (restored from ${h.restoredFrom})` : ""}
              </td>
              <td>{when(h.createdAt)}</td>
              <td>{h.createdBy ?? ""}</td>
              <td>
                {h.version === p.publishedVersion ? (
                  "live"
                ) : (
                  <form method="post" action={`/configure/apps/${p.appId}/restore`} class="inline">
                    <CsrfField token={p.frame.csrfToken} />
                    <input type="hidden" name="version" value={String(h.version)} />
                    <input type="hidden" name="_version" value={String(p.publishedVersion)} />
                    <button type="submit" class="secondary outline small">
                      Restore
                    </button>
                  </form>
                )}{" "}
                <a href={`/configure/apps/${p.appId}?version=${h.version}`}>JSON</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {versions.length > 1 ? (
        <form method="get" action={`/configure/apps/${p.appId}/history`} class="grid" id="compare">
          <label>
            From version
            <select name="from">
              {versions.map((v) => (
                <option value={String(v)} selected={p.diff ? p.diff.from === v : v === versions[1]}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <label>
            to version
            <select name="to">
              {versions.map((v) => (
                <option value={String(v)} selected={p.diff ? p.diff.to === v : v === versions[0]}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Show what changed</button>
        </form>
      ) : null}
      {p.diff ? (
        <section id="diff">
          <h2>
            What changed from version {p.diff.from} to {p.diff.to}
          </h2>
          <pre class="diff">
            {p.diff.lines.map((l) => (
              <span
                class={l.kind === "+" ? "added" : l.kind === "-" ? "removed" : "same"}
              >{`${l.kind} ${l.text}\n`}</span>
            ))}
          </pre>
        </section>
      ) : null}
    </DesignerShell>
  );
}

/** New app and Duplicate: a title and an id suggested from it. */
export function NewAppPage(p: {
  frame: PageFrame;
  heading: string;
  action: string;
  input: { title: string; id: string };
  errors: Record<string, string>;
}) {
  const e = p.errors;
  return (
    <Layout title={p.heading} csrfToken={p.frame.csrfToken} user={p.frame.user} siteName={p.frame.siteName}>
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/configure/apps">Apps</a>
          </li>
          <li>{p.heading}</li>
        </ul>
      </nav>
      <h1>{p.heading}</h1>
      <form method="post" action={p.action} id="new-app-form">
        <CsrfField token={p.frame.csrfToken} />
        <label>
          Title
          <input
            name="title"
            value={p.input.title}
            required
            maxlength={200}
            aria-invalid={invalid(e, "title")}
            aria-describedby="err-title"
          />
          <ErrorSlot name="title" errors={e} />
        </label>
        <label>
          Id <small>(used in web addresses; suggested from the title when left blank)</small>
          <input
            name="id"
            value={p.input.id}
            pattern="[a-z][a-z0-9\-]{0,62}"
            data-id-from="title"
            aria-invalid={invalid(e, "id")}
            aria-describedby="err-id"
          />
          <ErrorSlot name="id" errors={e} />
        </label>
        <button type="submit">Create app</button>
      </form>
      <script src="/public/designer.js" defer></script>
    </Layout>
  );
}

/** Asks before an app is deleted; the button says Confirm. */
export function DeleteAppPage(p: { frame: PageFrame; appId: string; title: string }) {
  return (
    <Layout title={`Delete ${p.title}`} csrfToken={p.frame.csrfToken} user={p.frame.user} siteName={p.frame.siteName}>
      <h1>Delete {p.title}?</h1>
      <p>
        The app has no records. Deleting it removes every version of its definition and its draft; this cannot be
        undone.
      </p>
      <form method="post" action={`/configure/apps/${p.appId}/delete`}>
        <CsrfField token={p.frame.csrfToken} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">Confirm</button>{" "}
        <a href="/configure/apps" role="button" class="secondary outline">
          Cancel
        </a>
      </form>
    </Layout>
  );
}
