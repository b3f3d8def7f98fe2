import { USERNAME_PATTERN } from "../../../auth/user-accounts.js";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Session } from "../../../auth/sessions.js";
import type { AppEnv } from "../../http/env.js";
import { queryParam, queryParams } from "../../http/query.js";
import { flash } from "../../http/flash.js";
import { sendPage } from "../../http/page.js";
import { readForm } from "../../http/form-body.js";
import {
  NO_SUCH_TOKEN,
  releaseRefusal,
  TokenInputError,
  TokenStateError,
} from "../../../mfa/hardware/token-registry.js";
import { plural } from "../../../util/plural.js";
import { DEFAULT_TIME_ZONE } from "../../../util/zoned-dates.js";
import { ConflictError, NotFoundError } from "../../../errors.js";
import { checkTokenInput, type TokenInputValues } from "../../../mfa/hardware/token-input.js";
import { MAX_CODE_INPUT_LENGTH, normaliseCode } from "../../../mfa/totp.js";
import { resetConsequences } from "../../../render/reset-confirm.js";
import { compileSchema } from "../../../schema/ajv.js";
import type { Services } from "../../../services.js";
import {
  BASE,
  DELETE_CONFIRM,
  DeleteConfirmPage,
  FindPage,
  TokenListPage,
  TokenTable,
  UnassignConfirmPage,
} from "./token-list-pages.js";
import { RegisterPage } from "./token-register-page.js";
import { RELEASE_CONFIRM, ReleaseConfirmPage } from "./token-release-page.js";
import { tokenImportRoutes } from "./token-import-routes.js";

/**
 * The 403 message for an administrator of another site who opens MFA Hardware: tokens are managed
 * on the Public Site only.
 */
export const NOT_PUBLIC_SITE_MESSAGE =
  "Hardware tokens are managed on the Public Site: only administrators of the Public Site can open " +
  "Configure > MFA Hardware (/configure/mfa-hardware). Ask one of them to register, import or unassign a token.";

const listQuery = compileSchema<{ q?: string; after?: string; done?: string }>({
  type: "object",
  properties: {
    q: { type: "string", maxLength: 100 },
    after: { type: "string", maxLength: 64 },
    done: { type: "string", maxLength: 100 },
  },
  additionalProperties: true,
});

const DONE: Record<string, string> = {
  disabled: "Token {} is disabled: nobody can activate it.",
  enabled: "Token {} is enabled and back in the pool.",
  deleted: "Token {} and its key are deleted.",
  released: "Token {} is no longer reserved: any user may activate it.",
};

const REGISTER_LABELS: Record<string, string> = {
  name: "Name",
  serialNumber: "Serial number",
  timeInterval: "Time interval",
  model: "Model",
  secretKey: "Secret key",
  digits: "Digits",
  algorithm: "Algorithm",
  assignTo: "Assign to user",
};

const actorOf = (session: Session) => ({ id: session.user.id, name: session.user.username });

/**
 * Routes of Configure > MFA Hardware (list, register, import with preview (tokenImportRoutes), find by code, disable,
 * enable, delete, release a reservation, unassign), for administrators of the Public Site only (403 otherwise); an id that
 * names no token is a 404 (NotFoundError) and a token in the wrong state a 409 (TokenStateError),
 * through the one error mapping. Delete deletes only with confirm=delete-token; without it, it
 * answers the confirmation page.
 */
export function mfaHardwareRoutes(s: Services) {
  const app = new Hono<AppEnv>();
  const h = s.hardware;

  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    const session = c.var.session;
    if (!session || session.stage !== "full") return c.redirect("/login", 303);
    if (!(await s.sites.isPublicSiteAdmin(session.user)))
      throw new HTTPException(403, { message: NOT_PUBLIC_SITE_MESSAGE });
    return next();
  };
  app.use(BASE, guard);
  app.use(`${BASE}/*`, guard);

  const common = async (c: Context<AppEnv>) => {
    const session = c.var.session!;
    const site = await s.sites.byId(session.activeSiteId);
    return {
      csrfToken: c.var.csrfToken,
      user: session.user,
      siteName: site?.name,
      activeSiteId: session.activeSiteId,
      timeZone: site?.timeZone ?? DEFAULT_TIME_ZONE,
    };
  };
  const publicSiteId = async () => (await s.sites.publicSite()).id;

  app.get(BASE, async (c) => {
    const query = queryParams(c);
    if (!listQuery(query)) throw new HTTPException(400, { message: "The search is too long." });
    const q = query.q?.trim() ?? "";
    const page = await h.registry.list({ q, after: query.after });
    const frame = await common(c);
    // Active search swaps just the table.
    if ((c.req.header("hx-target") ?? "").endsWith("token-list")) {
      return sendPage(
        c,
        <TokenTable
          csrfToken={c.var.csrfToken}
          page={page}
          q={q}
          {...(query.after ? { after: query.after } : {})}
          activeSiteId={frame.activeSiteId}
          timeZone={frame.timeZone}
        />,
      );
    }
    const [action, ...serial] = (query.done ?? "").split(":");
    const notice = DONE[action ?? ""]?.replace("{}", serial.join(":"));
    return sendPage(
      c,
      <TokenListPage
        {...frame}
        page={page}
        q={q}
        {...(query.after ? { after: query.after } : {})}
        counts={await h.registry.counts()}
        notice={notice}
      />,
    );
  });

  const PAST: Record<string, string> = {
    disable: "disabled",
    enable: "enabled",
  };
  const tokenAction = (name: keyof typeof PAST, run: (id: string, session: Session) => Promise<string>) =>
    app.post(`${BASE}/:id/${name}`, async (c) => {
      const session = c.var.session!;
      // No such token is a 404 (NotFoundError), a token in the wrong state a 409 (TokenStateError).
      const serial = await run(c.req.param("id"), session);
      return c.redirect(`${BASE}?${new URLSearchParams({ q: serial, done: `${PAST[name]}:${serial}` })}`, 303);
    });
  tokenAction(
    "disable",
    async (id, session) =>
      (await h.registry.setDisabled(id, true, actorOf(session), await publicSiteId())).serialNumber,
  );
  tokenAction(
    "enable",
    async (id, session) =>
      (await h.registry.setDisabled(id, false, actorOf(session), await publicSiteId())).serialNumber,
  );
  // Deleting loses the token's key for good: the first press (any plain POST) answers what will be
  // deleted; only Confirm (confirm=delete-token) deletes.
  app.post(`${BASE}/:id/delete`, async (c) => {
    const session = c.var.session!;
    const confirmed = (await readForm(c)).one.confirm === DELETE_CONFIRM;
    const token = await h.registry.byId(c.req.param("id"));
    if (!token) throw new NotFoundError(NO_SUCH_TOKEN);
    if (!confirmed) {
      if (token.state.kind === "assigned") {
        throw new TokenStateError(
          `Token ${token.serialNumber} is assigned to ${token.state.username}: unassign it before deleting it.`,
        );
      }
      return sendPage(
        c,
        <DeleteConfirmPage {...await common(c)} token={token} action={`${BASE}/${token.id}/delete`} />,
      );
    }
    const { serialNumber } = await h.registry.delete(token.id, actorOf(session), await publicSiteId());
    return c.redirect(`${BASE}?${new URLSearchParams({ q: serialNumber, done: `deleted:${serialNumber}` })}`, 303);
  });
  // Release… ends a reservation (the token stays, available to all): the first press answers whose
  // reservation ends; only Confirm (confirm=release-reservation) releases.
  app.post(`${BASE}/:id/release`, async (c) => {
    const session = c.var.session!;
    const confirmed = (await readForm(c)).one.confirm === RELEASE_CONFIRM;
    const token = await h.registry.byId(c.req.param("id"));
    if (!token) throw new NotFoundError(NO_SUCH_TOKEN);
    if (!confirmed) {
      // The registry's own refusal (409), before asking anything; nothing is changed on this press.
      const refusal = releaseRefusal(token);
      if (refusal) throw refusal;
      return sendPage(
        c,
        <ReleaseConfirmPage
          {...await common(c)}
          token={token}
          username={await h.registry.usernameOf(token.reservedForUserId!)}
          action={`${BASE}/${token.id}/release`}
        />,
      );
    }
    const { serialNumber } = await h.registry.release(token.id, actorOf(session), await publicSiteId());
    return c.redirect(`${BASE}?${new URLSearchParams({ q: serialNumber, done: `released:${serialNumber}` })}`, 303);
  });
  // Unassign resets the user's MFA: the first press answers what that ends; only Confirm unassigns.
  app.post(`${BASE}/:id/unassign`, async (c) => {
    const session = c.var.session!;
    const confirmed = (await readForm(c)).one.confirm === "mfa-reset";
    const id = c.req.param("id");
    const token = await h.registry.byId(id);
    if (!token) throw new NotFoundError(NO_SUCH_TOKEN);
    if (token.state.kind !== "assigned") {
      throw new ConflictError("This token is not assigned to anyone.", { code: "token_not_assigned" });
    }
    const { userId, username } = token.state;
    const status = await s.mfa.statusOf(userId);
    const live = await s.credentialCounts.of(userId);
    if (!confirmed && status.state === "active") {
      // The reset ends the user's recovery codes and access pass too: the page says so.
      const ends = { ...live, ...(await s.credentialCounts.recovery(userId)) };
      const consequences = resetConsequences({
        method: "hardware",
        tokenSerial: token.serialNumber,
        tokenReserved: token.reservedForUserId === userId,
        ...ends,
      });
      return sendPage(
        c,
        <UnassignConfirmPage
          {...await common(c)}
          serialNumber={token.serialNumber}
          username={username}
          action={`${BASE}/${token.id}/unassign`}
          consequences={consequences}
        />,
      );
    }
    const done = await h.activation.unassign(token.id, { ...actorOf(session), siteId: null });
    if (!done) {
      throw new ConflictError("This token is not assigned to anyone.", { code: "token_not_assigned" });
    }
    const ended = `${plural(live.webSessions, "web session")} and ${plural(live.deviceTokens, "device token")}`;
    flash(
      c,
      `Unassigned token ${done.serialNumber} from ${done.username}: ${
        done.reserved
          ? `the token stays reserved for ${done.username} (Release… ends that)`
          : "the token is back in the pool"
      }, ${done.username}'s MFA was reset and ${ended} ended.`,
    );
    return c.redirect(`${BASE}?${new URLSearchParams({ q: done.serialNumber })}`, 303);
  });

  app.get(`${BASE}/register`, async (c) => {
    // ?assignTo=USERNAME: "Register and assign to USER", from the user's record.
    const assignTo = (queryParams(c).assignTo ?? "").trim().slice(0, 64);
    return sendPage(c, <RegisterPage {...await common(c)} {...(assignTo ? { assignTo } : {})} />);
  });

  app.post(`${BASE}/register`, async (c) => {
    const session = c.var.session!;
    const {
      one: f,
      unstorable,
      errors: textErrors,
    } = await readForm(c, { onInvalid: "report", labels: REGISTER_LABELS });
    const values: TokenInputValues = {
      name: f.name,
      serialNumber: f.serialNumber,
      timeInterval: f.timeInterval,
      model: f.model,
      secretKey: f.secretKey,
      digits: f.digits,
      algorithm: f.algorithm,
    };
    const assignName = (f.assignTo ?? "").trim();
    const assign = assignName ? { assignTo: assignName } : {};
    const { secretKey: _never, ...shown } = values; // what a form with errors shows: never the key
    if (unstorable.length) {
      const errors = Object.fromEntries(unstorable.map((n) => [n in REGISTER_LABELS ? n : "name", textErrors[n]!]));
      return sendPage(c, <RegisterPage {...await common(c)} values={shown} errors={errors} {...assign} />, 422);
    }
    // "Assign to USER": the user must exist (usernames are unique); other field errors come with it.
    const assignee = assignName && USERNAME_PATTERN.test(assignName) ? await s.users.byUsername(assignName) : null;
    if (assignName && !assignee) {
      const checked = checkTokenInput(values, "auto");
      const fieldErrors = checked.ok ? {} : checked.errors;
      if (checked.ok) checked.token.secret.fill(0);
      const duplicate = await h.registry.duplicateSerialError(values, fieldErrors);
      const assignTo = `There is no user ${assignName.slice(0, 64)}: type a username, or leave it empty.`;
      const errors = { ...fieldErrors, ...duplicate, assignTo };
      return sendPage(c, <RegisterPage {...await common(c)} values={shown} errors={errors} {...assign} />, 422);
    }
    try {
      const { token, encoding } = await h.registry.register(
        values,
        actorOf(session),
        await publicSiteId(),
        assignee ? { id: assignee.id, username: assignee.username, disabled: assignee.disabled } : undefined,
      );
      const secret = (await h.registry.params(token)).secret;
      const keyBytes = secret.length;
      secret.fill(0);
      // An assignee whose MFA is off is never asked for a code: the token waits for MFA to be on.
      const mfaOn = assignee ? (await s.mfa.statusOf(assignee.id)).enabled : false;
      const assigned = !assignee
        ? "available"
        : mfaOn
          ? `assigned to ${assignee.username}: they confirm it with its code at their next sign-in`
          : `assigned to ${assignee.username}, whose MFA is off: the token waits until MFA is switched on for them, then they confirm it with its code at their next sign-in`;
      // Post/Redirect/Get: a refresh of the next page does not post the form again.
      flash(
        c,
        `Token ${token.serialNumber}${token.name !== token.serialNumber ? ` (${token.name})` : ""} is registered and ${assigned}. Its secret key was read as ` +
          `${encoding === "hex" ? "hex" : "Base32"} (${keyBytes} bytes); it is stored encrypted and will not be shown again.`,
      );
      return c.redirect(`${BASE}?${new URLSearchParams({ q: token.serialNumber })}`, 303);
    } catch (err) {
      if (err instanceof TokenInputError) {
        return sendPage(c, <RegisterPage {...await common(c)} values={shown} errors={err.errors} {...assign} />, 422);
      }
      throw err;
    }
  });

  tokenImportRoutes(app, s, { common, actorOf, publicSiteId });

  app.get(`${BASE}/find`, async (c) => {
    const raw = queryParam(c, "code");
    if (raw === undefined) return sendPage(c, <FindPage {...await common(c)} />);
    const code = normaliseCode(raw);
    if (code === null) {
      return sendPage(
        c,
        <FindPage
          {...await common(c)}
          code={raw.slice(0, MAX_CODE_INPUT_LENGTH)}
          error="Enter the 6 or 8 digits the token shows."
        />,
        422,
      );
    }
    const matches = await h.registry.findByCode(code);
    return sendPage(c, <FindPage {...await common(c)} code={code} matches={matches} />);
  });

  return app;
}
