/** Where the embedded store keeps its state unless `--state-dir` says otherwise. */
export const DEFAULT_STATE_DIR = ".driftwatch";
