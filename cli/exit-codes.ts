/** Exit codes of `driftwatch detect`, for cron jobs and CI (documented in the README). */
export const EXIT_OK = 0;
/** An error prevented the run, or nothing could be observed (no resolver answered, no feed read). */
export const EXIT_ERROR = 1;
/**
 * New drift that a firewall owner must act on: a `high` event first committed by this run, or
 * locally by an earlier run that was killed or interrupted before its report.
 */
export const EXIT_DRIFT = 2;
/** Interrupted by SIGINT (Ctrl-C): 128 + 2, as shells report it. What was saved is kept. */
export const EXIT_SIGINT = 130;
/** Stopped by SIGTERM (a scheduler, `kill`): 128 + 15. What was saved is kept. */
export const EXIT_SIGTERM = 143;
