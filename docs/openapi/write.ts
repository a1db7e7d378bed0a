// `pnpm docs:openapi`: writes the OpenAPI document of every service to docs/public/openapi/<service>.json, where
// the docs site serves it. Run it after changing a route or a schema; the drift test fails until you do.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { documentPath, documentText, OUTPUT_DIR, SERVICES } from './documents.js';

await mkdir(OUTPUT_DIR, { recursive: true });
for (const service of SERVICES) {
  const file = documentPath(service);
  await writeFile(file, await documentText(service));
  process.stdout.write(`${path.relative(process.cwd(), file)}\n`);
}
