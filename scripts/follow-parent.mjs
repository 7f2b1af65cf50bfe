/*
 * Loaded into the app's dev server by scripts/dev.ts (`node --import`). The server runs in a
 * process group of its own, so no terminal signal reaches it; when `npm run dev` is killed
 * outright (SIGKILL, an IDE ending its task), this ends the server and the workers of its group
 * instead of leaving them holding the port.
 */
const supervisor = Number(process.env.DEV_SUPERVISOR_PID);
// Only the server follows the supervisor: the workers it forks inherit this preload, not the variable.
delete process.env.DEV_SUPERVISOR_PID;

if (supervisor > 0 && process.ppid === supervisor) {
  setInterval(() => {
    if (process.ppid === supervisor) return;
    try {
      process.kill(-process.pid, "SIGTERM");
    } catch {
      process.exit(1);
    }
  }, 1_000).unref();
}
