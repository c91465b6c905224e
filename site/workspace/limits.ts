// Limits the workspace shares with the agent. Kept as a copy (the site imports the protocol as
// types only); site/test/limits.test.ts fails if it drifts from docker/agent/protocol.ts.
/** files larger than this are not opened in the editor (the agent refuses to store them) */
export const maxFileBytes = 256 * 1024;
