import { execFileSync } from 'node:child_process';

/**
 * Suites that need something of the machine (root and network namespaces, the shared corpus) skip with
 * the reason on a developer's machine, but fail under CI (CI=true), where a skipped check would pass
 * as a green run without having run.
 */
export function skipUnlessAvailable(missing: string | null, suite: string): boolean {
  if (missing === null) return false;
  if (process.env.CI) throw new Error(`${suite} cannot run under CI: ${missing}`);
  console.warn(`${suite}: skipped: ${missing}`);
  return true;
}

/** Why `command` cannot run here (it is not installed: `apt-get install <pkg>`), or null. */
export function commandUnavailable(command: string, args: string[], debianPackage: string): string | null {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return null;
  } catch {
    return `${command} is missing (apt-get install ${debianPackage})`;
  }
}
