/**
 * The data-directory lock across real processes: a second host is refused while the first lives, a
 * lock left by a dead process is taken over, and processes racing for a stale lock get one winner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDir, DataDirBusyError, lockPath, readLock } from '../../main/services/data-dir';

describe('acquireDataDir', () => {
  let lockDir: string;
  let children: ChildProcess[];
  let childScript: string;
  let raceScript: string;
  let exitScript: string;
  let scratch: string;

  beforeAll(async () => {
    // Other processes that take the lock with the real module, bundled from its TypeScript source.
    scratch = await mkdtemp(join(tmpdir(), 'commonplace-lock-child-'));
    await build({
      entryPoints: [fileURLToPath(new URL('../../main/services/data-dir.ts', import.meta.url))],
      outfile: join(scratch, 'data-dir.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
    });
    childScript = join(scratch, 'hold-lock.mjs');
    await writeFile(
      childScript,
      [
        "import { acquireDataDir } from './data-dir.mjs';",
        "acquireDataDir(process.argv[2], { host: 'child', url: 'http://127.0.0.1:1/?token=secret-token-of-the-child-host-0123' });",
        "process.stdout.write('locked\\n');",
        'setInterval(() => {}, 60_000);',
      ].join('\n'),
    );
    raceScript = join(scratch, 'race-lock.mjs');
    await writeFile(
      raceScript,
      [
        "import { acquireDataDir, DataDirBusyError } from './data-dir.mjs';",
        "process.stdout.write('ready\\n');",
        "process.stdin.once('data', (chunk) => {",
        '  const at = Number(chunk.toString());',
        '  while (Date.now() < at); // every racer starts in the same millisecond',
        '  let outcome;',
        '  try {',
        "    acquireDataDir(process.argv[2], { host: 'racer' });",
        "    outcome = 'won';",
        '  } catch (error) {',
        "    outcome = error instanceof DataDirBusyError ? 'busy' : `error: ${error.message}`;",
        '  }',
        "  process.stdout.write(`${outcome}\\n`);",
        '  setInterval(() => {}, 60_000); // the winner stays alive, holding the lock',
        '});',
      ].join('\n'),
    );
    exitScript = join(scratch, 'lock-and-exit.mjs');
    await writeFile(
      exitScript,
      [
        "import { acquireDataDir } from './data-dir.mjs';",
        "acquireDataDir(process.argv[2], { host: 'child' });",
        "process.stdout.write(`${process.pid}\\n`);",
        'process.exit(0); // without releasing: the lock stays behind',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  beforeEach(async () => {
    lockDir = await mkdtemp(join(tmpdir(), 'commonplace-lock-'));
    children = [];
  });

  afterEach(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(lockDir, { recursive: true, force: true });
  });

  function holdInChild(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [childScript, lockDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('locked')) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}: ${stderr}`)));
    });
  }

  /** The next line a child writes to stdout. */
  function nextLine(child: ChildProcess): Promise<string> {
    return new Promise((resolve, reject) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        const end = text.indexOf('\n');
        if (end < 0) return;
        child.stdout!.off('data', onData);
        resolve(text.slice(0, end));
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before writing a line`)));
    });
  }

  /** The state letter in /proc/PID/stat (R, S, Z, ...), or null once the process is gone. */
  function procState(pid: number): string | null {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
    } catch {
      return null;
    }
  }

  function exited(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => child.once('exit', () => resolve()));
  }

  function deadPid(): number {
    for (let pid = 999_999; pid < 1_100_000; pid++) {
      try {
        process.kill(pid, 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ESRCH') return pid;
      }
    }
    throw new Error('no free pid found');
  }

  it('writes a lock with this process’s pid and removes it on release', () => {
    const lock = acquireDataDir(lockDir, { host: 'web host' });
    const info = JSON.parse(readFileSync(lockPath(lockDir), 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ pid: process.pid, host: 'web host' });
    expect(readLock(lockDir)).toMatchObject({ pid: process.pid });
    lock.update({ url: 'http://127.0.0.1:4321/' });
    expect(readLock(lockDir)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:4321/' });
    lock.release();
    expect(readLock(lockDir)).toBeNull();
    expect(() => readFileSync(lockPath(lockDir))).toThrow(/ENOENT/);
    acquireDataDir(lockDir, { host: 'web host' }).release();
  });

  it('refuses a second holder while another live process holds the lock, then takes it once that process dies', async () => {
    const child = await holdInChild();
    let error: unknown = null;
    try {
      acquireDataDir(lockDir, { host: 'electron' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataDirBusyError);
    expect((error as DataDirBusyError).holder).toMatchObject({ pid: child.pid, host: 'child' });
    // The message names the holder's address but not its token: it ends up in terminals and logs.
    expect((error as DataDirBusyError).message).toContain('http://127.0.0.1:1/');
    expect((error as DataDirBusyError).message).not.toContain('secret-token');
    expect(JSON.parse(readFileSync(lockPath(lockDir), 'utf8'))).toMatchObject({ pid: child.pid });

    child.kill('SIGKILL'); // it never releases: the lock file stays behind with a dead pid
    await exited(child);
    expect(JSON.parse(readFileSync(lockPath(lockDir), 'utf8'))).toMatchObject({ pid: child.pid });
    const lock = acquireDataDir(lockDir, { host: 'electron' });
    expect(JSON.parse(readFileSync(lockPath(lockDir), 'utf8'))).toMatchObject({ pid: process.pid, host: 'electron' });
    lock.release();
  });

  it('refuses a second acquire in the same process while the first still holds the lock', () => {
    const first = acquireDataDir(lockDir, { host: 'web host' });
    try {
      expect(() => acquireDataDir(lockDir, { host: 'electron' })).toThrow(DataDirBusyError);
      expect(JSON.parse(readFileSync(lockPath(lockDir), 'utf8'))).toMatchObject({ pid: process.pid, host: 'web host' });
    } finally {
      first.release();
    }
    const second = acquireDataDir(lockDir, { host: 'electron' });
    first.release(); // a repeated release of the old holder must not drop the new holder's lock
    expect(JSON.parse(readFileSync(lockPath(lockDir), 'utf8'))).toMatchObject({ pid: process.pid, host: 'electron' });
    expect(() => acquireDataDir(lockDir, { host: 'web host' })).toThrow(DataDirBusyError);
    second.release();
    expect(readLock(lockDir)).toBeNull();
  });

  it('takes over a stale lock left by a dead pid', async () => {
    const pid = deadPid();
    await writeFile(lockPath(lockDir), JSON.stringify({ pid, host: 'web host', startedAt: new Date(0).toISOString() }));
    expect(readLock(lockDir)).toBeNull();
    const lock = acquireDataDir(lockDir, { host: 'electron' });
    expect(JSON.parse(readFileSync(lockPath(lockDir), 'utf8'))).toMatchObject({ pid: process.pid, host: 'electron' });
    lock.release();
  });

  it('takes over an unreadable lock file', async () => {
    await writeFile(lockPath(lockDir), 'not json at all');
    const lock = acquireDataDir(lockDir, { host: 'electron' });
    expect(readLock(lockDir)).toMatchObject({ pid: process.pid });
    lock.release();
  });
  it('gives a stale lock to exactly one of several processes racing for it; the others say busy', async () => {
    for (let round = 0; round < 8; round++) {
      const dir = await mkdtemp(join(tmpdir(), 'commonplace-lock-race-'));
      try {
        await writeFile(lockPath(dir), JSON.stringify({ pid: deadPid(), host: 'crashed host', startedAt: new Date(0).toISOString() }));
        const racers = Array.from({ length: 3 }, () => {
          const child = spawn(process.execPath, [raceScript, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
          children.push(child);
          return child;
        });
        await Promise.all(racers.map(nextLine));
        const outcomes = racers.map(nextLine);
        const at = Date.now() + 150;
        for (const racer of racers) racer.stdin!.write(String(at));
        expect((await Promise.all(outcomes)).sort(), `round ${round}`).toEqual(['busy', 'busy', 'won']);
        const winner = racers[(await Promise.all(outcomes)).indexOf('won')]!;
        expect(readLock(dir)).toMatchObject({ pid: winner.pid, host: 'racer' });
        expect(readdirSync(dir), 'no takeover markers or temporary files are left').toEqual(['host.lock']);
        for (const racer of racers) racer.kill('SIGKILL');
        await Promise.all(racers.map(exited));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }, 60_000);

  it.runIf(process.platform === 'linux')('takes over a lock whose holder has exited but was never reaped (a zombie)', async () => {
    // sh starts the holder in the background, then becomes sleep, which never waits for its child.
    const parent = spawn('sh', ['-c', '"$0" "$1" "$2" & exec sleep 60', process.execPath, exitScript, lockDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(parent);
    const pid = Number(await nextLine(parent));
    for (let i = 0; i < 200 && procState(pid) !== 'Z'; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(procState(pid)).toBe('Z');
    expect(() => process.kill(pid, 0)).not.toThrow(); // signal 0 still reaches a zombie
    expect(JSON.parse(readFileSync(lockPath(lockDir), 'utf8'))).toMatchObject({ pid });
    expect(readLock(lockDir)).toBeNull();
    const lock = acquireDataDir(lockDir, { host: 'electron' });
    expect(readLock(lockDir)).toMatchObject({ pid: process.pid, host: 'electron' });
    lock.release();
  });

  it('never counts pid 0 or a negative pid as a live holder (kill would signal a whole group)', async () => {
    for (const pid of [0, -1]) {
      await writeFile(lockPath(lockDir), JSON.stringify({ pid, host: 'forged', startedAt: new Date(0).toISOString() }));
      expect(readLock(lockDir)).toBeNull();
      acquireDataDir(lockDir, { host: 'electron' }).release();
    }
  });
});
