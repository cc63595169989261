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
