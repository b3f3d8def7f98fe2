import type { AppDefinition } from "../../engine/schema/types.js";
import type { Services } from "../../engine/services.js";

/**
 * Adds a designer field "department" to the user-accounts app of a site, searchable in the list
 * (so a rollout's search matches it), and sets it for the named users.
 */
export async function addDepartments(s: Services, siteId: string, departments: Record<string, string> = {}) {
  const app = (await s.apps.get(siteId, "user-accounts"))!;
  const definition = structuredClone<AppDefinition>(app.definition);
  definition.record.properties.department = { type: "string", title: "Department", maxLength: 50 };
  definition.form!.sections![0]!.fields.push("department");
  definition.list!.searchable = [...(definition.list!.searchable ?? []), "department"];
  await s.apps.save(siteId, definition, { id: null, name: "designer" }, app.version);
  for (const [username, department] of Object.entries(departments)) {
    await s.db.query("UPDATE users SET data = data || jsonb_build_object('department', $2::text) WHERE username = $1", [
      username,
      department,
    ]);
  }
}
