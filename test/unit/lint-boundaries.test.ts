/** The folder boundaries are enforced by lint: a file importing across them fails `npm run lint`. */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function restrictedImportErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals').map((m) => m.message);
}

describe('lint boundaries', () => {
  it.each([
    ['renderer/ui/Bad.tsx', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
    ['renderer/ui/Bad.tsx', "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;\n"],
    ['renderer/ui/Bad.tsx', "import { HostService } from '../../main/services/host-service';\nexport const x = HostService;\n"],
    ['main/services/bad.ts', "import { app } from 'electron';\nexport const x = app;\n"],
    ['main/services/bad.ts', "import { startWebHost } from '../web/web-host';\nexport const x = startWebHost;\n"],
    ['main/web/bad.ts', "import { app } from 'electron';\nexport const x = app;\n"],
    ['shared/bad.ts', "import { join } from 'node:path';\nexport const x = join;\n"],
    ['shared/bad.ts', "import { useState } from 'react';\nexport const x = useState;\n"],
    ['shared/bad.ts', 'export const x = () => document.title;\n'],
  ])('%s: %s fails lint', async (file, code) => {
    expect(await restrictedImportErrors(file, code)).not.toEqual([]);
  });

  it.each([
    ['renderer/ui/Good.tsx', "import * as Y from 'yjs';\nexport const x = Y;\n"],
    ['main/services/good.ts', "import { join } from 'node:path';\nexport const x = join;\n"],
    ['main/electron/good.ts', "import { app } from 'electron';\nexport const x = app;\n"],
    ['shared/good.ts', "import * as Y from 'yjs';\nexport const x = Y;\n"],
  ])('%s: %s passes', async (file, code) => {
    expect(await restrictedImportErrors(file, code)).toEqual([]);
  });
});
