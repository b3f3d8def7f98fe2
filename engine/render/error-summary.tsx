// GOV.UK's error summary (design-system.service.gov.uk/components/error-summary): at the top of a
// form with errors, every problem as a link to its field. Console forms and record forms show it.
import { FORM_ERROR } from "../schema/record-validation.js";

/**
 * Every problem of a form, each linking to its field: `#field-<name>` for a name in `labels`, else
 * `#<fallback>`, unless `targetOf` says where a name's field is. The form-level message (key "",
 * FORM_ERROR) links to `fallback`. Renders nothing when `errors` is empty.
 */
export function ErrorSummary({
  errors,
  labels = {},
  fallback,
  targetOf,
}: {
  /** One message per field name (or dot path); "" for the form as a whole. */
  errors: Record<string, string>;
  labels?: Record<string, string>;
  /** The element id a message without a field of its own links to. */
  fallback: string;
  /** The element id of a field's slot, when names are not the ids `field-<name>` (record forms). */
  targetOf?: (name: string) => string | undefined;
}) {
  const entries = Object.entries(errors);
  if (!entries.length) return null;
  const target = (name: string) =>
    (name === FORM_ERROR ? undefined : targetOf ? targetOf(name) : labels[name] ? `field-${name}` : undefined) ??
    fallback;
  return (
    <article class="error-summary" role="alert" aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">There is a problem</h2>
      <ul>
        {entries.map(([field, message]) => (
          <li>
            <a href={`#${target(field)}`}>{message}</a>
          </li>
        ))}
      </ul>
    </article>
  );
}
