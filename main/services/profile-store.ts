/** The member profile of this device (name and colour shown to the community), kept in the data directory. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { profileSchema, type MemberProfile } from '../../shared/host-api';

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
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(profile, null, 2));
  await rename(`${path}.tmp`, path);
}
