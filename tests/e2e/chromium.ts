/** Browsers cannot be downloaded here: the browser suite and the bundle bench drive the system Chromium (Debian's package). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  // Without these Chromium keeps trying to reach Google's services on a closed network.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
