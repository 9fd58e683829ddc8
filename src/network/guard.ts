// Loaded into every supervised process (`node --import tsx --import <this> script.ts`): the
// supervisor holds the write end of the child's stdin and never writes to it, so the pipe
// ends exactly when the supervisor is gone, however it went (a crash, SIGKILL, an OOM). The
// child then stops as on SIGTERM (its own clean shutdown), and exits hard if that hangs.
// Supervised processes run in their own process group (so a terminal's Ctrl-C reaches the
// supervisor only and it decides the order of shutdown); this guard is what keeps them
// from outliving it.
const GRACE_MS = 10_000;

const stdin = process.stdin;
let fired = false;
const parentGone = () => {
  if (fired) return;
  fired = true;
  setTimeout(() => process.exit(1), GRACE_MS).unref();
  process.kill(process.pid, "SIGTERM");
};
stdin.on("data", () => {});
stdin.on("end", parentGone);
stdin.on("close", parentGone);
stdin.on("error", parentGone);
// Watching stdin must not keep a finished child alive.
(stdin as unknown as { unref?: () => void }).unref?.();
