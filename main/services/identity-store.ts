/**
 * This device's member identity (its key pairs), made on first use and kept in the data directory:
 * `identity.json`, readable by this user only, with the private keys encrypted by the operating
 * system's keychain where the desktop app can use it (Electron's safeStorage). The keys stay in the
 * host: the renderer only ever sees the public halves.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadIdentity, newIdentity, type Identity, type StoredIdentity } from './member-crypto';
import { writeFileAtomic } from './private-files';
import { errorMessage } from '../../shared/errors';

const FILE = 'identity.json';

/** Encrypts the private keys at rest (Electron's safeStorage); absent, they rely on the file's permissions. */
export interface KeyProtection {
  encrypt(plain: string): Buffer;
  decrypt(sealed: Buffer): string;
}

interface ProtectedFile {
  version: 1;
  protected: 'os-keychain';
  data: string;
}

function isStored(value: unknown): value is StoredIdentity {
  const v = value as StoredIdentity;
  return v?.version === 1 && typeof v.sign?.public === 'string' && typeof v.sign?.private === 'string' && typeof v.box?.public === 'string' && typeof v.box?.private === 'string';
}

/** Reads this device's identity, or makes and saves one. */
export async function readOrCreateIdentity(dataDir: string, protection?: KeyProtection): Promise<Identity> {
  const path = join(dataDir, FILE);
  let text: string | null = null;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
      if ((parsed as ProtectedFile).protected === 'os-keychain') {
        if (!protection) throw new Error('its keys are encrypted by the desktop app’s keychain, which this host cannot use');
        parsed = JSON.parse(protection.decrypt(Buffer.from((parsed as ProtectedFile).data, 'base64')));
      }
      if (!isStored(parsed)) throw new Error('it is not an identity file');
      return loadIdentity(parsed);
    } catch (error) {
      // Never replaced silently: a new identity would make this device a stranger to its spaces.
      throw new Error(`this device's identity (${path}) cannot be read: ${errorMessage(error)}`, { cause: error });
    }
  }
  const stored = newIdentity();
  const file: StoredIdentity | ProtectedFile = protection ? { version: 1, protected: 'os-keychain', data: protection.encrypt(JSON.stringify(stored)).toString('base64') } : stored;
  await writeFileAtomic(path, JSON.stringify(file));
  return loadIdentity(stored);
}
