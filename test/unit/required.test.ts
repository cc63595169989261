/** Suites that need root, network namespaces or the corpus: skipped with a reason at a desk, failed under CI. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commandUnavailable, skipUnlessAvailable } from '../support/required';

afterEach(() => vi.unstubAllEnvs());

describe('a suite whose requirements are missing', () => {
  it('fails under CI, naming what is missing', () => {
    vi.stubEnv('CI', 'true');
    expect(() => skipUnlessAvailable('not running as root', 'p2p.e2e')).toThrow('p2p.e2e cannot run under CI: not running as root');
  });

  it('is skipped elsewhere, and runs when nothing is missing', () => {
    vi.stubEnv('CI', '');
    expect(skipUnlessAvailable('not running as root', 'p2p.e2e')).toBe(true);
    vi.stubEnv('CI', 'true');
    expect(skipUnlessAvailable(null, 'p2p.e2e')).toBe(false);
  });
});

describe('a command a suite needs', () => {
  it('is missing, saying which Debian package brings it, or there', () => {
    expect(commandUnavailable('commonplace-no-such-command', ['--version'], 'coturn')).toBe('commonplace-no-such-command is missing (apt-get install coturn)');
    expect(commandUnavailable(process.execPath, ['--version'], 'nodejs')).toBeNull();
  });
});
