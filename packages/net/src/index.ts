// @backend-rebase/net: local ports (free or taken, and by which program) and the best-effort questions asked of
// the system about other processes.
export { commandOutput } from './command-output.js';
export { describePortOwner } from './port-owner.js';
export { findFreePort, isPortFree } from './ports.js';
