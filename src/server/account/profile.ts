import { eq } from "drizzle-orm";
import * as v from "valibot";
import { USERNAME_MISSING, USERNAME_TAKEN } from "~/lib/domain/form-messages";
import { USERNAME_PATTERN, USERNAME_RULE_MESSAGE } from "~/lib/domain/username";
import { postgresErrorCode } from "~/server/db/errors";
import { profiles } from "~/server/db/schema";
import { userAction, userQuery } from "~/server/boundary/server-function";
import { FormError, parseForm } from "~/server/forms";

const UsernameForm = v.object({
  username: v.pipe(v.string(USERNAME_MISSING), v.trim(), v.toLowerCase(), v.regex(USERNAME_PATTERN, USERNAME_RULE_MESSAGE)),
});

export const getAccount = userQuery("getAccount", async ({ claims, read }) => {
  const [profile] = await read((tx) =>
    tx
      .select({ username: profiles.username, usernameSet: profiles.usernameSet })
      .from(profiles)
      .where(eq(profiles.id, claims.sub)),
  );
  return { email: claims.email ?? "", username: profile?.username ?? "", usernameSet: profile?.usernameSet ?? false };
});

export const updateUsername = userAction("updateUsername", async ({ claims, rls }, form) => {
  const { username } = parseForm(UsernameForm, form);
  try {
    await rls((tx) => tx.update(profiles).set({ username }).where(eq(profiles.id, claims.sub)));
  } catch (error) {
    if (postgresErrorCode(error) === "23505") throw new FormError(USERNAME_TAKEN);
    throw error;
  }
  return { username };
});
