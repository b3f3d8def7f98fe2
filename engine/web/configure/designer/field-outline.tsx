import { designerTypeOf, FIELD_TYPES, fieldTypeInfo } from "../../../apps/field-types.js";
import type { AppDefinition, FieldSchema } from "../../../schema/types.js";
import { OTHER_FIELDS_TITLE } from "../../../schema/field-nodes.js";
import { CsrfField } from "../../../render/layout.js";
import { InputField } from "../../../render/form-field.js";
import { ButtonForm, DraftStampField } from "./designer-shell.js";
import { LockIcon } from "../../../render/icons.js";

const typeLabel = (f: FieldSchema) => fieldTypeInfo(designerTypeOf(f)).label;

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
    const control = Object.hasOwn(siblings, rule.field) ? siblings[rule.field] : undefined;
    const value = "equals" in rule ? rule.equals : (rule.in ?? []).join(" or ");
    flags.push(`shown when ${control?.title ?? rule.field} is ${String(value)}`);
  }
  if (f["x-system"]) flags.push("system");
  return (
    <span class="field-flags">
      {flags.map((fl) => (
        <mark class={fl === "system" ? "flag system" : "flag"}>
          {fl === "system" ? (
            <>
              <LockIcon /> system
            </>
          ) : (
            fl
          )}
        </mark>
      ))}
    </span>
  );
}

/**
 * Up and Down, each only where it moves the field (the first field has no Up, the last no Down:
 * the server would refuse them); a gap keeps the other button where it stands in every row.
 */
function MoveButtons(p: { appId: string; path: string; csrf: string; up: boolean; down: boolean }) {
  const action = `/configure/apps/${p.appId}/fields/${p.path}/move`;
  return (
    <span class="move-buttons">
      {(["up", "down"] as const).map((direction) =>
        p[direction] ? (
          <ButtonForm
            action={action}
            csrf={p.csrf}
            name="direction"
            value={direction}
            class="secondary outline small"
            ariaLabel={`Move ${p.path} ${direction}`}
            label={direction === "up" ? "Up" : "Down"}
          />
        ) : (
          <span class="move-gap" />
        ),
      )}
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
  /** Whether the list's first field can move up (into the section before) and its last down. */
  firstUp?: boolean;
  lastDown?: boolean;
}) {
  const names = p.names.filter((n) => p.holder.properties?.[n]);
  return (
    <ol
      class="designer-fields"
      data-section={p.section === undefined ? undefined : String(p.section + 1)}
      data-parent={p.parent.join(".") || undefined}
    >
      {names.map((name, i) => {
        const f = p.holder.properties![name]!;
        const path = [...p.parent, name].join(".");
        const nested = f.type === "object" ? f : f.type === "array" && f.items?.type === "object" ? f.items : null;
        return (
          <li data-name={path} class={p.selected === path ? "selected" : undefined} id={`outline-${path}`}>
            <span class="drag-handle drag-only" aria-hidden="true">
              ⠿
            </span>
            <a href={`/configure/apps/${p.appId}/fields/${path}`} class="field-label">
              {f.title ?? name}
            </a>{" "}
            <small class="field-type">
              {typeLabel(f)} · <code>{name}</code>
            </small>{" "}
            <Flags f={f} required={(p.holder.required ?? []).includes(name)} siblings={p.holder.properties ?? {}} />
            <MoveButtons
              appId={p.appId}
              path={path}
              csrf={p.csrf}
              up={i > 0 || p.firstUp === true}
              down={i < names.length - 1 || p.lastDown === true}
            />
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

/**
 * Rename and Delete of section `n` (1-based), folded under the heading; open when a refusal
 * concerns it (its message in the slot `err-section-<n>`).
 */
function SectionTools(p: { appId: string; csrf: string; n: number; title: string; error: string | undefined }) {
  const action = `/configure/apps/${p.appId}/sections/${p.n}`;
  return (
    <details class="section-tools" open={!!p.error}>
      <summary>Rename or delete</summary>
      <form method="post" action={action} class="rename-section">
        <CsrfField token={p.csrf} />
        <DraftStampField />
        <InputField
          id={`section-${p.n}-title`}
          slot={`section-${p.n}`}
          name="title"
          label="Section title"
          value={p.title}
          error={p.error}
          required
          attrs={{ maxlength: 200 }}
        />
        <button type="submit" class="small">
          Rename
        </button>
      </form>
      <ButtonForm
        action={`${action}/delete`}
        csrf={p.csrf}
        label="Delete section"
        class="secondary outline small"
        ariaLabel={`Delete section ${p.n}`}
      />
      <small> Only an empty section can be deleted; its fields stay where you move them.</small>
    </details>
  );
}

/** The form's sections and fields in order, with type, flags, Up/Down buttons and drag handles. */
export function FieldOutline(p: {
  appId: string;
  csrf: string;
  definition: AppDefinition;
  selected?: string;
  /** Refusals of a section change, keyed `section-<n>`. */
  errors?: Record<string, string>;
}) {
  const def = p.definition;
  const sections = def.form?.sections ?? [];
  const placed = new Set(sections.flatMap((s) => s.fields));
  const rest = Object.keys(def.record.properties).filter((n) => !placed.has(n));
  // The form shows them under a heading of their own when a titled section is shown before them.
  const headed = sections.some((s) => s.title && s.fields.some((n) => Object.hasOwn(def.record.properties, n)));
  // Up and Down cross into the neighbouring group (designer-layout-edits.ts moveField): the
  // sections in order, then the fields in no section; only the very first and last fields stay.
  const lastSection = sections.length - 1;
  const items = (names: string[], section: number) => (
    <FieldItems
      appId={p.appId}
      csrf={p.csrf}
      holder={def.record}
      names={names}
      parent={[]}
      selected={p.selected}
      section={section}
      firstUp={section > 0 || (section === -1 && sections.length > 0)}
      lastDown={section !== -1 && (section < lastSection || rest.length > 0)}
    />
  );
  return (
    <div class="field-outline" id="field-outline" data-app={p.appId}>
      {sections.map((s, i) => (
        <section class="designer-section" id={`section-${i + 1}`}>
          <h3>
            {s.title ?? `Section ${i + 1}`} <small>section {i + 1}</small>
          </h3>
          <SectionTools
            appId={p.appId}
            csrf={p.csrf}
            n={i + 1}
            title={s.title ?? ""}
            error={p.errors?.[`section-${i + 1}`]}
          />
          {items(s.fields, i)}
          {s.fields.length ? null : (
            <p class="hint empty-section">
              No fields yet: drag one here, or pick this section in a field's properties.
            </p>
          )}
        </section>
      ))}
      {rest.length || !sections.length ? (
        <section class="designer-section">
          {sections.length ? <h3>Not in a section</h3> : null}
          {headed ? <p class="hint">The form shows these after the sections, under “{OTHER_FIELDS_TITLE}”.</p> : null}
          {items(rest, -1)}
        </section>
      ) : null}
    </div>
  );
}

/** The "Add a field" picker: a GET form, so it works without JavaScript. */
export function AddFieldPicker({ appId }: { appId: string }) {
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
