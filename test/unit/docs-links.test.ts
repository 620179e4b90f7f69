import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// The README is the front door and docs/ holds the reference: every link between them must land,
// on a file that exists and, with a #fragment, on a heading that exists (GitHub's anchor rules).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = join(ROOT, 'docs');
const pages = ['README.md', ...readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

/** Markdown without its fenced code blocks (their lines are blanked, so line numbers stay). */
function withoutFences(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(```|~~~)/.exec(line)?.[1];
    if (fence) {
      if (marker === fence) fence = undefined;
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    return line;
  });
}

/** A heading's anchor as GitHub makes it: the text lower-cased, punctuation dropped, spaces to '-'. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link counts by its text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[`*]/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

const anchorCache = new Map<string, Set<string>>();

/** Every anchor a markdown file has: its headings' (repeats get -1, -2, …) and explicit `<a id|name>`. */
function anchorsOf(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (anchors) return anchors;
  anchors = new Set();
  const seen = new Map<string, number>();
  for (const line of withoutFences(readFileSync(file, 'utf8'))) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(heading);
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

interface Link {
  page: string;
  line: number;
  target: string;
}

/** The inline links and images of a page, outside code. */
function linksOf(page: string): Link[] {
  const links: Link[] = [];
  withoutFences(readFileSync(join(ROOT, page), 'utf8')).forEach((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length)); // code spans are not links
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ page, line: i + 1, target: m[1]! });
  });
  return links;
}

/** What is wrong with a link, or undefined. */
function problemOf({ page, target }: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: — not checked here
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const file = path ? resolve(dirname(join(ROOT, page)), path) : join(ROOT, page);
  if (path.startsWith('/')) return 'an absolute path: links must be relative to the page';
  if (file !== ROOT.replace(/[\\/]$/, '') && !file.startsWith(ROOT)) return `${relative(ROOT, file)} is outside the repository`;
  if (!existsSync(file)) return `${relative(ROOT, file)} does not exist`;
  if (fragment === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return `#${fragment}: anchors are checked in markdown files only`;
  if (!anchorsOf(file).has(fragment)) return `#${fragment}: no such heading in ${relative(ROOT, file).split(sep).join('/')}`;
  return undefined;
}

describe('links in README.md and docs/', () => {
  it('follow GitHub’s anchor rules', () => {
    expect(githubSlug('API description: `/openapi.json` and `/docs`')).toBe('api-description-openapijson-and-docs');
    expect(githubSlug("Stored secrets' keys rotate")).toBe('stored-secrets-keys-rotate');
    expect(githubSlug('What was checked, and what was not')).toBe('what-was-checked-and-what-was-not');
    expect(githubSlug('3. Providers are adapters behind one interface')).toBe('3-providers-are-adapters-behind-one-interface');
    expect(githubSlug('The `flotilla` CLI')).toBe('the-flotilla-cli');
  });

  it('are found', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', join('docs', 'architecture.md'), join('docs', 'api.md')]));
    const relativeLinks = pages.flatMap(linksOf).filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target));
    expect(relativeLinks.length).toBeGreaterThan(30);
    expect(relativeLinks.filter((l) => l.target.includes('#')).length).toBeGreaterThan(20);
  });

  it('land on files that exist and on headings that exist', () => {
    const problems = pages
      .flatMap(linksOf)
      .map((link) => [link, problemOf(link)] as const)
      .filter(([, problem]) => problem)
      .map(([link, problem]) => `${link.page}:${link.line}: (${link.target}) ${problem}`);
    expect(problems).toEqual([]);
  });

  it('never point outside the repository', () => {
    for (const page of pages) expect(readFileSync(join(ROOT, page), 'utf8')).not.toMatch(/\.\.\/shared|\/work\/shared/);
  });
});

describe('the README as the front door', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('opens with the two commands a newcomer runs, and CI runs its test command', () => {
    const lines = readme.split('\n');
    expect(lines.slice(0, 3)).toEqual(['# Flotilla', '', '```sh']);
    expect(lines[3]).toMatch(/^npm ci && npm start(\s+#|$)/);
    expect(lines[4]).toMatch(/^npm ci && npm test(\s+#|$)/);
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8').trim().split('\n');
    expect(ci[ci.length - 1]).toBe('npm ci && npm test');
  });
});

describe('docs/architecture.md', () => {
  const architecture = readFileSync(join(DOCS, 'architecture.md'), 'utf8');
  const decisions = new Set([...architecture.matchAll(/^### (\d+)\. /gm)].map((m) => Number(m[1])));
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    // A comment's continuation lines read as one line, so a citation may wrap.
    .map((f) => ({ file: join('src', f), text: readFileSync(join(ROOT, 'src', f), 'utf8').replace(/\s*\n\s*(?:\*(?!\/)|\/\/)?\s*/g, ' ') }));

  it('has every decision the code cites', () => {
    const cited = sources.flatMap(({ file, text }) => [...text.matchAll(/docs\/architecture\.md, decisions? (\d+)/g)].map((m) => ({ file, n: Number(m[1]) })));
    expect(cited.length).toBeGreaterThanOrEqual(10);
    expect(cited.filter(({ n }) => !decisions.has(n))).toEqual([]);
  });

  it('is what the code cites, not a design document the repository does not hold', () => {
    expect(sources.filter(({ text }) => /DESIGN decision|DESIGN\.md/.test(text)).map(({ file }) => file)).toEqual([]);
  });
});
