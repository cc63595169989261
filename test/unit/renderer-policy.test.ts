/**
 * One security policy for the renderer, whichever host serves it: the same Content-Security-Policy,
 * the same MIME types and the same external link schemes, written once. Behaviour is checked on the
 * web host over HTTP; a static read of the sources shows nobody keeps a copy of their own.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostService } from '../../main/services/host-service';
import { logger } from '../../main/services/logger';
import { CONTENT_SECURITY_POLICY, contentTypeFor, RENDERER_SECURITY_HEADERS } from '../../main/services/renderer-policy';
import { startWebHost, type WebHost } from '../../main/web/web-host';
import { EXTERNAL_LINK_SCHEMES, isAllowedExternalUrl } from '../../shared/host-api';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function sources(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of await readdir(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.tsx?$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    found.set(relative(root, path).split('\\').join('/'), await readFile(path, 'utf8'));
  }
  return found;
}

describe('the renderer policy, written once', () => {
  it('is the only place with CSP directives and MIME types', async () => {
    const holders: string[] = [];
    for (const dir of ['main', 'renderer', 'shared']) {
      for (const [path, text] of await sources(dir)) {
        // What type an attached file is (shared/attachments) is the file's own, not a type the hosts serve.
        if (path.startsWith('shared/attachments/') && !/['"`]default-src |['"`]connect-src['"`]|'text\/javascript/.test(text)) continue;
        if (/['"`]default-src |['"`]connect-src['"`]|'text\/javascript|'image\/svg\+xml'/.test(text)) holders.push(path);
      }
    }
    expect(holders).toEqual(['main/services/renderer-policy.ts']);
  });

  it('is the only place listing the link schemes that may open outside the app', async () => {
    const holders: string[] = [];
    for (const dir of ['main', 'renderer', 'shared']) {
      for (const [path, text] of await sources(dir)) if (/['"]mailto:['"]/.test(text)) holders.push(path);
    }
    expect(holders).toEqual(['shared/host-api.ts']);
    expect([...EXTERNAL_LINK_SCHEMES]).toEqual(['http:', 'https:', 'mailto:']);
    for (const url of ['https://example.org/', 'http://example.org/', 'mailto:a@example.org']) expect(isAllowedExternalUrl(url), url).toBe(true);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'commonplace://join/x', 'app://commonplace/', 'not a url']) expect(isAllowedExternalUrl(url), url).toBe(false);
  });

  it('is used by both hosts', async () => {
    const electronMain = await readFile(join(root, 'main/electron/main.ts'), 'utf8');
    const webHost = await readFile(join(root, 'main/web/web-host.ts'), 'utf8');
    for (const [name, text] of [['main/electron/main.ts', electronMain], ['main/web/web-host.ts', webHost]]) {
      expect(text, name).toMatch(/from '\.\.\/services\/renderer-policy'/);
      expect(text, name).toContain('RENDERER_SECURITY_HEADERS');
      expect(text, name).toContain('contentTypeFor(');
    }
  });

  it('gives each file of the build one type', () => {
    expect(contentTypeFor('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('/x/assets/index-abc.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('a.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeFor('a.map')).toBe('application/json; charset=utf-8');
    expect(contentTypeFor('icon.svg')).toBe('image/svg+xml');
    expect(contentTypeFor('no-extension')).toBe('application/octet-stream');
    expect(contentTypeFor('payload.exe')).toBe('application/octet-stream');
  });
});

describe('the web host serves the policy', () => {
  let dir: string;
  let service: HostService;
  let host: WebHost;

  beforeAll(async () => {
    logger.setQuiet(true);
    dir = await mkdtemp(join(tmpdir(), 'cp-policy-'));
    await mkdir(join(dir, 'renderer', 'assets'), { recursive: true });
    await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>policy</title>');
    await writeFile(join(dir, 'renderer', 'assets', 'app.js'), '');
    service = new HostService({ dataDir: join(dir, 'data'), host: 'web', version: 'test' });
    host = await startWebHost({ service, rendererDir: join(dir, 'renderer'), port: 0, fallbackToFreePort: false });
  });

  afterAll(async () => {
    await host.close();
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  const headersOf = (path: string) =>
    new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      request({ host: '127.0.0.1', port: host.port, path }, (res) => {
        res.resume();
        resolve(res.headers);
      })
        .on('error', reject)
        .end();
    });

  it.each(['/?token=TOKEN', '/assets/app.js'])('with every response (%s)', async (path) => {
    const headers = await headersOf(path.replace('TOKEN', host.token));
    expect(headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    for (const [name, value] of Object.entries(RENDERER_SECURITY_HEADERS)) expect(headers[name.toLowerCase()], name).toBe(value);
  });
});
