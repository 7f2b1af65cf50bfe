import * as v from "valibot";
import {
  EMAIL_INVALID,
  EMAIL_MISSING,
  EMAIL_TOO_LONG,
  NEW_PASSWORD_MISSING,
  PASSWORD_MISSING,
  PASSWORD_TOO_LONG,
  PASSWORD_TOO_LONG_INPUT,
  PASSWORD_TOO_SHORT,
  PASSWORDS_DIFFER,
} from "~/lib/domain/form-messages";
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from "~/lib/domain/password";

export const Email = v.pipe(
  v.string(EMAIL_MISSING),
  v.trim(),
  v.toLowerCase(),
  v.nonEmpty(EMAIL_MISSING),
  v.maxLength(254, EMAIL_TOO_LONG),
  v.email(EMAIL_INVALID),
);

export const NewPassword = v.pipe(
  v.string(NEW_PASSWORD_MISSING),
  v.minLength(PASSWORD_MIN_LENGTH, PASSWORD_TOO_SHORT),
  v.check((value) => new TextEncoder().encode(value).length <= PASSWORD_MAX_BYTES, PASSWORD_TOO_LONG),
);

export const Password = v.pipe(
  v.string(PASSWORD_MISSING),
  v.nonEmpty(PASSWORD_MISSING),
  v.maxLength(1024, PASSWORD_TOO_LONG_INPUT),
);

const Next = v.optional(v.string(), "/");

export const SignInForm = v.object({ email: Email, password: Password, next: Next });
export const MagicLinkForm = v.object({ email: Email, next: Next });
export const LocalProviderForm = v.object({ next: Next });
export const SignUpForm = v.object({ email: Email, password: NewPassword, next: Next });
export const ForgotPasswordForm = v.object({ email: Email });
export const UpdatePasswordForm = v.pipe(
  v.object({ password: NewPassword, confirm: v.string() }),
  v.forward(
    v.check((input) => input.password === input.confirm, PASSWORDS_DIFFER),
    ["confirm"],
  ),
);
export const SignOutForm = v.object({ scope: v.optional(v.picklist(["local", "global"]), "local") });
