/** The member profile of this device (name and colour shown to the community), kept in the data directory. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MemberProfile } from '../../shared/host-api';
import { profileSchema } from '../../shared/host-schemas';
import { ensurePrivateDir, writeFileAtomic } from './private-files';

const FILE = 'profile.json';

export async function readProfile(dataDir: string): Promise<MemberProfile | null> {
  try {
    const parsed = profileSchema.safeParse(JSON.parse(await readFile(join(dataDir, FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeProfile(dataDir: string, profile: MemberProfile): Promise<void> {
  await ensurePrivateDir(dataDir);
  await writeFileAtomic(join(dataDir, FILE), JSON.stringify(profile, null, 2));
}
