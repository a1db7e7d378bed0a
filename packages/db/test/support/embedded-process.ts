// Starts an embedded PostgreSQL in a process of its own, prints "ready" and waits: for the tests that kill
// that process outright, as `kill -9` of `pnpm start` would, and look at what it left behind.
import { startEmbeddedPostgres } from '../../src/embedded.js';

const [dataDir, port] = process.argv.slice(2);
if (!dataDir || !port) throw new Error('usage: embedded-process.ts <dataDir> <port>');
await startEmbeddedPostgres({ dataDir, port: Number(port) });
process.stdout.write('ready\n');
// Until killed.
setInterval(() => undefined, 60_000);
