import type { MailStore } from "../mailbox/store.ts";

/** The kinds of mail GoTrue sends; each is also the `type` its link verifies with. */
export type MailType = "signup" | "magiclink" | "recovery" | "email_change" | "invite";

export interface MailRequest {
  to: string;
  type: MailType;
  /** Stored token (sha224 hex, `pkce_`-prefixed for PKCE flows): `{{ .TokenHash }}`. */
  tokenHash: string;
  /** Six-digit code: `{{ .Token }}`. */
  otp: string;
  /** Where the user lands after verifying (already checked against the allow list). */
  redirectTo: string;
  /** For email_change: the address being confirmed. */
  newEmail?: string;
}

const subjects: Record<MailType, string> = {
  signup: "Confirm Your Signup",
  magiclink: "Your Magic Link",
  recovery: "Reset Your Password",
  email_change: "Confirm Email Change",
  invite: "You have been invited",
};

const intros: Record<MailType, string> = {
  signup: "Follow this link to confirm your user:",
  magiclink: "Follow this link to sign in:",
  recovery: "Follow this link to reset the password for your user:",
  email_change: "Follow this link to confirm the update of your email:",
  invite: "You have been invited to create a user. Follow this link to accept the invite:",
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * The app link the SSR guides put in templates:
 * `{{ .SiteURL }}/auth/confirm?token_hash={{ .TokenHash }}&type=<type>&next={{ .RedirectTo }}`.
 * When redirect_to already is an `/auth/confirm` URL it is used as the base instead.
 */
export function appConfirmUrl(siteUrl: string, mail: MailRequest): string {
  const redirect = new URL(mail.redirectTo);
  const base = redirect.pathname.endsWith("/auth/confirm")
    ? redirect
    : new URL("/auth/confirm", siteUrl.endsWith("/") ? siteUrl : `${siteUrl}/`);
  base.searchParams.set("token_hash", mail.tokenHash);
  base.searchParams.set("type", mail.type);
  if (base !== redirect) base.searchParams.set("next", mail.redirectTo);
  return base.toString();
}

/** GoTrue's `{{ .ConfirmationURL }}`: the API's own verify endpoint, which redirects back. */
export function verifyUrl(issuer: string, mail: MailRequest): string {
  const url = new URL(`${issuer}/verify`);
  url.searchParams.set("token", mail.tokenHash);
  url.searchParams.set("type", mail.type);
  url.searchParams.set("redirect_to", mail.redirectTo);
  return url.toString();
}

export class Mailer {
  constructor(
    private readonly store: MailStore,
    private readonly issuer: string,
    private readonly siteUrl: string,
    private readonly log: (line: string) => void,
  ) {}

  /** GoTrue's reauthentication mail carries only the code, which `PUT /user` takes as `nonce`. */
  sendReauthentication(to: string, otp: string): void {
    const subject = "Confirm Reauthentication";
    this.store.add({
      from: { Name: "Embedded Supabase", Address: "admin@email.com" },
      to: [{ Name: "", Address: to }],
      subject,
      text: `Enter the code: ${otp}`,
      html: `<h2>${subject}</h2>\n<p>Enter the code: <strong>${escapeHtml(otp)}</strong></p>`,
    });
    this.log(`mail: reauthentication to ${to}`);
  }

  send(mail: MailRequest): void {
    const confirmation = verifyUrl(this.issuer, mail);
    const app = appConfirmUrl(this.siteUrl, mail);
    const subject = subjects[mail.type];
    const change = mail.newEmail ? ` from ${mail.to} to ${mail.newEmail}` : "";
    const text = [
      `${intros[mail.type].replace(":", change ? `${change}:` : ":")}`,
      confirmation,
      "",
      `Or open it in the app: ${app}`,
      "",
      `Or enter this code: ${mail.otp}`,
    ].join("\n");
    const html = `<h2>${escapeHtml(subject)}</h2>
<p>${escapeHtml(intros[mail.type].replace(":", change ? `${change}:` : ":"))}</p>
<p><a href="${escapeHtml(confirmation)}">${escapeHtml(subject)}</a></p>
<p>Or open it in the app: <a href="${escapeHtml(app)}">${escapeHtml(app)}</a></p>
<p>Or enter this code: <strong>${escapeHtml(mail.otp)}</strong></p>`;
    this.store.add({
      from: { Name: "Embedded Supabase", Address: "admin@email.com" },
      to: [{ Name: "", Address: mail.to }],
      subject,
      text,
      html,
    });
    this.log(`mail: ${mail.type} to ${mail.to}`);
  }
}
