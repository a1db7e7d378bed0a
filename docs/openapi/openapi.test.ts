// The committed OpenAPI documents are the code's: each is generated again here and compared with its file, so a
// route or schema changed without `pnpm docs:openapi` fails. And each document is complete enough to be the
// reference: every operation has a summary, a tag and a declared response, and every error it lists is
// problem+json. VitePress checks links between pages but not links to files, so the links to the documents
// are checked here.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { documentPath, documentText, SERVICES } from './documents.js';

const DOCS_DIR = fileURLToPath(new URL('../', import.meta.url));

interface Operation {
  summary?: string;
  tags?: string[];
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
}

describe.each(SERVICES)('the OpenAPI document of %s', (service) => {
  it('is the one the code generates', async () => {
    const file = documentPath(service);
    const committed = await readFile(file, 'utf8').catch(() => '');
    const generated = await documentText(service);

    expect(
      committed === generated,
      `${path.relative(process.cwd(), file)} differs from what the code generates: run \`pnpm docs:openapi\``,
    ).toBe(true);
  });

  it('gives every operation a summary, a tag and its responses; errors are problem+json', async () => {
    const document = JSON.parse(await documentText(service)) as Document;
    const gaps: string[] = [];
    for (const [url, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${url}`;
        if (!operation.summary) gaps.push(`${name}: no summary`);
        if (!operation.tags?.length) gaps.push(`${name}: no tag`);
        if (!Object.keys(operation.responses).some((status) => Number(status) < 400)) {
          gaps.push(`${name}: no success response`);
        }
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!response.content && response.description === 'Default Response') {
            gaps.push(`${name}: no response declared`);
          }
          const readiness = url === '/ready' && status === '503';
          if (Number(status) >= 400 && !readiness && !response.content?.['application/problem+json']) {
            gaps.push(`${name}: ${status} is not application/problem+json`);
          }
        }
        if (url.startsWith('/internal/') && !('401' in operation.responses && '403' in operation.responses)) {
          gaps.push(`${name}: the guard's 401 and 403 are missing`);
        }
      }
    }

    expect(gaps).toEqual([]);
  });
});

describe('links to the OpenAPI documents', () => {
  it('name committed documents, and the API reference page links every one', async () => {
    const pages = (await readdir(DOCS_DIR)).filter((name) => name.endsWith('.md'));
    const linked = new Map<string, string[]>();
    for (const page of pages) {
      const text = await readFile(path.join(DOCS_DIR, page), 'utf8');
      linked.set(
        page,
        [...text.matchAll(/\(\/openapi\/([^)]*)\.json\)/g)].map(([, name = '']) => name),
      );
    }
    const unknown = [...linked].flatMap(([page, names]) =>
      names
        .filter((name) => !(SERVICES as readonly string[]).includes(name))
        .map((name) => `${page}: ${name}`),
    );

    expect(unknown).toEqual([]);
    expect(new Set(linked.get('api.md'))).toEqual(new Set(SERVICES));
  });
});
