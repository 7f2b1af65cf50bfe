import { action, query } from "@solidjs/router";

export const getAccount = query(async () => {
  "use server";
  return (await import("~/server/account/profile")).getAccount();
}, "getAccount");

export const updateUsername = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/account/profile")).updateUsername(form);
}, "updateUsername");
