import type { Child } from "hono/jsx";
import type { AppVersionInfo } from "../../../apps/app-registry.js";
import { when } from "./designer-shell.js";

/**
 * An app's saved versions, newest first, one row each: number (and what it was restored from),
 * when and by whom it was saved, and what may be done with it (`action`, per version). The
 * designer's History tab and the JSON editor both list them.
 */
export function AppVersionsTable(props: {
  history: AppVersionInfo[];
  /** The heading of the date column ("Published", "Saved"). */
  dateLabel: string;
  action: (version: AppVersionInfo) => Child;
  /** The site's time zone the dates are shown in (the page frame's; absent: UTC). */
  timeZone: string | undefined;
}) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">{props.dateLabel}</th>
          <th scope="col">By</th>
          <th scope="col"></th>
        </tr>
      </thead>
      <tbody>
        {props.history.map((h) => (
          <tr>
            <td>
              {h.version === 0 ? "0 (built-in)" : h.version}
              {h.restoredFrom !== null ? ` (restored from ${h.restoredFrom})` : ""}
            </td>
            <td>{when(h.createdAt, props.timeZone)}</td>
            <td>{h.createdBy ?? ""}</td>
            <td>{props.action(h)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
