// One migration run in a process of its own, for the test that races two processes on one database.
// Usage: node --import tsx migrate-process.ts <connection string> <directory>; prints the result as JSON.
import { migrate } from '../../src/migrator.js';

const [connectionString, directory] = process.argv.slice(2);
if (!connectionString || !directory)
  throw new Error('usage: migrate-process.ts <connection string> <directory>');
const result = await migrate({ connectionString, directory });
process.stdout.write(JSON.stringify(result));
