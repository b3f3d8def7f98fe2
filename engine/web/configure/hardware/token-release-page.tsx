import { ResetConfirm } from "../../../render/reset-confirm.js";
import { Layout } from "../../../render/layout.js";
import type { HardwareToken } from "../../../mfa/hardware/token-registry.js";
import { BASE, type HardwarePageCommon } from "./token-list-pages.js";

// Configure > MFA Hardware: the confirmation of Release reservation (the token back to everyone).

/** The value of the `confirm` field without which Release only asks (ReleaseConfirmPage). */
export const RELEASE_CONFIRM = "release-reservation";

/**
 * The answer to Release… (every time, with or without JavaScript): whose reservation ends and what
 * that means, a Confirm POST form (confirm=release-reservation) and Cancel back to the token.
 */
export function ReleaseConfirmPage(
  props: HardwarePageCommon & { token: HardwareToken; username: string; action: string },
) {
  const { serialNumber } = props.token;
  return (
    <Layout
      title={`Release token ${serialNumber}?`}
      csrfToken={props.csrfToken}
      user={props.user}
      siteName={props.siteName}
    >
      <h1>Release token {serialNumber}?</h1>
      <ResetConfirm
        csrfToken={props.csrfToken}
        username=""
        action={props.action}
        fields={[]}
        confirm={RELEASE_CONFIRM}
        consequences={[
          `Token ${serialNumber} is no longer reserved for ${props.username}: their setup page no longer fills it in.`,
          "The token stays registered with its secret key, available to any user, who activates it with its serial number and a code.",
        ]}
        cancelUrl={`${BASE}?${new URLSearchParams({ q: serialNumber })}`}
        inDialog={false}
        droppedPassword={false}
        lead={`Releasing token ${serialNumber} ends its reservation for ${props.username}.`}
      />
    </Layout>
  );
}
