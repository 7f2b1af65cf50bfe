/** What the login page says about a mail or OAuth link that could not sign the user in. */
export const linkProblemMessages: Record<string, string> = {
  link_expired: "That link has expired. Request a new one below.",
  link_used: "That link was already used. Sign in, or request a new link.",
  link_invalid: "That link is not valid. Request a new one below.",
  link_other_browser: "Open the link in the browser you requested it from, or request a new one here.",
};
