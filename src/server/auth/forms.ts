import * as v from "valibot";
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from "~/lib/domain/password";

export const Email = v.pipe(
  v.string("Enter your email address."),
  v.trim(),
  v.toLowerCase(),
  v.nonEmpty("Enter your email address."),
  v.maxLength(254, "That email address is too long."),
  v.email("Enter a valid email address."),
);

export const NewPassword = v.pipe(
  v.string("Choose a password."),
  v.minLength(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters.`),
  v.check((value) => new TextEncoder().encode(value).length <= PASSWORD_MAX_BYTES, `Use at most ${PASSWORD_MAX_BYTES} bytes.`),
);

export const Password = v.pipe(v.string("Enter your password."), v.nonEmpty("Enter your password."), v.maxLength(1024));

const Next = v.optional(v.string(), "/");

export const SignInForm = v.object({ email: Email, password: Password, next: Next });
export const MagicLinkForm = v.object({ email: Email, next: Next });
export const LocalProviderForm = v.object({ next: Next });
export const SignUpForm = v.object({ email: Email, password: NewPassword, next: Next });
export const ForgotPasswordForm = v.object({ email: Email });
export const UpdatePasswordForm = v.pipe(
  v.object({ password: NewPassword, confirm: v.string() }),
  v.forward(
    v.check((input) => input.password === input.confirm, "The passwords do not match."),
    ["confirm"],
  ),
);
export const SignOutForm = v.object({ scope: v.optional(v.picklist(["local", "global"]), "local") });
