/**
 * `npm run commonplace -- <command>`: export and import Markdown, list spaces and a note's history, from the command
 * line with no UI running. Exports read the data directory without writing to it. Imports go through
 * a running host when there is one (so the app sees them at once), and otherwise take the data
 * directory's lock while they write. Exit codes: 0 done, 1 failed, 2 wrong arguments.
 */
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as Y from 'yjs';
import { catalogMembers, listNotes, spaceName } from '../../shared/catalog';
import { MAX_UPDATE_BYTES } from '../../shared/host-api';
import { newId } from '../../shared/ids';
import { importIntoCatalog, IMPORT_AUTHOR_ID, type ImportSummary } from '../../shared/markdown/markdown-import';
import { DEFAULT_ATTACHMENT_LIMIT_BYTES } from '../../shared/attachments/attachment';
import { uploadAttachment } from '../../shared/attachments/space-files';
import { AttachmentStore, attachmentHashOf } from '../services/attachment-store';
import { acquireDataDir, DataDirBusyError, defaultDataDir, readLock, withoutToken } from '../services/data-dir';
import { DocStore } from '../services/doc-store';
import { readImportSource, writeExport } from '../services/markdown-files';
import { BodyBatcher, importIntoStore } from '../services/markdown-host';
import { exportMarkdownFiles, findSpace, readOnlySource, storeSource, type ExportScope, type SpaceSource } from '../services/markdown-service';
import { chainStart, HISTORY_FILE, readHistoryFile, stateAtVersion } from '../services/history-log';
import { connectToHost, type HostConnection } from './host-connection';
import { decodeAnyInvite, InviteError, type AnyInvite } from '../../shared/invite';
import { mergeRelays } from '../../shared/relays';
import { errorMessage } from '../../shared/errors';

const USAGE = `usage: npm run commonplace -- <command> [options]

  spaces  --data-dir DIR
      List the spaces with their ids and note counts.

  serve   --data-dir DIR [--port N] [--signaling-port N] [--no-lan] [--attachment-limit-mb N]
          [--signaling-cert FILE --signaling-key FILE [--signaling-tls-port N]]
      Run the host with no window and sync every space it holds with the members it finds,
      itself (an always-on machine keeps the spaces available). Takes the web host's flags;
      with certificate files its signalling is also a rendezvous over wss:// for members
      beyond the LAN.

  join    --data-dir DIR --code CODE
      Join a space with an invite code, through the host running on DIR (serve, or npm run
      web). --code - reads the code from standard input (a code on the command line shows
      in the process list).

  relays  --data-dir DIR --code CODE
      Take the rendezvous and TURN servers an invite names for a space this device holds
      already (an always-on host that joined before the space named them), through the
      running host. --code - reads the code from standard input.

  export  --data-dir DIR (--space NAME_OR_ID [--note ID [--version N]] | --all) --out PATH [--zip] [--wikilinks] [--no-comments]
      Write Markdown files with YAML front matter (a folder, or a .zip with --zip),
      and the files notes show in attachments/.
      --all puts every space in its own subfolder; --note exports one note, and
      --version one of its versions (see history). Links between notes are relative
      links, or [[wiki-links]] with --wikilinks. A note's open comment threads follow
      its body in a "Discussion" section, unless --no-comments.

  history --data-dir DIR --space NAME_OR_ID --note ID
      List the versions this device kept of a note, newest first: number, time,
      who, words added and removed.

  import  --data-dir DIR --space NAME_OR_ID --from PATH [--folder-tags] [--author NAME]
      Import a folder of Markdown files, an Obsidian vault, a .zip or one .md file,
      with the images and files its notes show.
      A --space that matches no space's name or id creates a space with that name.
      --folder-tags tags each note with the folders it sits in.

  --data-dir defaults to ${defaultDataDir()}`;

class UsageError extends Error {}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(USAGE);
    return command === undefined ? 2 : 0;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        'data-dir': { type: 'string' },
        space: { type: 'string' },
        note: { type: 'string' },
        version: { type: 'string' },
        all: { type: 'boolean', default: false },
        out: { type: 'string' },
        from: { type: 'string' },
        zip: { type: 'boolean', default: false },
        wikilinks: { type: 'boolean', default: false },
        'no-comments': { type: 'boolean', default: false },
        'folder-tags': { type: 'boolean', default: false },
        author: { type: 'string' },
        code: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const dataDir = resolve(String(values['data-dir'] ?? defaultDataDir()));
  switch (command) {
    case 'spaces':
      return listSpaces(dataDir);
    case 'join':
      return runJoin(dataDir, values);
    case 'relays':
      return runRelays(dataDir, values);
    case 'export':
      return runExport(dataDir, values);
    case 'import':
      return runImport(dataDir, values);
    case 'history':
      return listHistory(dataDir, values);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function listSpaces(dataDir: string): Promise<number> {
  const source = readOnlySource(dataDir, (problem) => process.stderr.write(`warning: ${problem}\n`));
  const ids = await source.listSpaceIds();
  if (ids.length === 0) out(`no spaces in ${dataDir}`);
  for (const id of ids) {
    const { catalog } = await source.open(id);
    out(`${id}\t${listNotes(catalog).length} notes\t${spaceName(catalog) || '(unnamed)'}`);
  }
  await source.close();
  return 0;
}

async function runExport(dataDir: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  const outPath = values.out;
  if (typeof outPath !== 'string') throw new UsageError('export needs --out PATH');
  if (values.all === (typeof values.space === 'string')) throw new UsageError('export needs either --space NAME_OR_ID or --all');
  if (values.note !== undefined && values.all) throw new UsageError('--note goes with --space, not --all');
  const source = readOnlySource(dataDir, (problem) => process.stderr.write(`warning: ${problem}\n`));
  let scope: ExportScope = { kind: 'all' };
  if (typeof values.space === 'string') {
    const space = await findSpace(source, values.space);
    if (!space) {
      process.stderr.write(`Commonplace: no space is named or has the id ${JSON.stringify(values.space)} in ${dataDir}. Run \`npm run commonplace -- spaces --data-dir ${dataDir}\` to list them.\n`);
      return 1;
    }
    scope = typeof values.note === 'string' ? { kind: 'note', spaceId: space.id, noteId: values.note } : { kind: 'space', spaceId: space.id };
  }
  let reading: SpaceSource = source;
  if (values.version !== undefined) {
    if (scope.kind !== 'note') throw new UsageError('--version goes with --space and --note');
    const n = versionNumber(values.version);
    const { versions, read } = await readHistoryFile(join(dataDir, 'spaces', scope.spaceId, HISTORY_FILE), historyWarning);
    const state = await stateAtVersion(versions.get(scope.noteId) ?? [], n, read);
    if (!state) {
      process.stderr.write(`Commonplace: note ${scope.noteId} has no version ${n} that can be rebuilt on this device. Run \`npm run commonplace -- history\` to list its versions.\n`);
      await source.close();
      return 1;
    }
    reading = withBody(source, scope.noteId, state);
  }
  const started = performance.now();
  const { files, noteCount, missing } = await exportMarkdownFiles(reading, scope, { wikilinks: Boolean(values.wikilinks), comments: !values['no-comments'] });
  await source.close();
  await writeExport(files, outPath, Boolean(values.zip));
  for (const line of missing) process.stderr.write(`warning: ${line}\n`);
  out(`exported ${noteCount} notes (${files.length} files) to ${outPath} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return 0;
}

function versionNumber(value: unknown): number {
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError('--version needs a version number (see history)');
  return n;
}

const historyWarning = (offset: number, detail: string) => process.stderr.write(`warning: a damaged history record at byte ${offset} was skipped (${detail})\n`);

/** The same spaces, with one note's body replaced by a given state (a version of it). */
function withBody(source: SpaceSource, noteId: string, state: Uint8Array): SpaceSource {
  return {
    ...source,
    open: async (id) => {
      const space = await source.open(id);
      return {
        ...space,
        body: async (wanted) => {
          if (wanted !== noteId) return space.body(wanted);
          const doc = new Y.Doc({ guid: noteId });
          Y.applyUpdate(doc, state);
          return doc;
        },
      };
    },
  };
}

async function listHistory(dataDir: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  if (typeof values.space !== 'string' || typeof values.note !== 'string') throw new UsageError('history needs --space NAME_OR_ID and --note ID');
  const source = readOnlySource(dataDir, (problem) => process.stderr.write(`warning: ${problem}\n`));
  try {
    const space = await findSpace(source, values.space);
    if (!space) {
      process.stderr.write(`Commonplace: no space is named or has the id ${JSON.stringify(values.space)} in ${dataDir}.\n`);
      return 1;
    }
    const { catalog } = await source.open(space.id);
    const { versions } = await readHistoryFile(join(dataDir, 'spaces', space.id, HISTORY_FILE), historyWarning);
    const list = versions.get(values.note) ?? [];
    if (list.length === 0) {
      out(`no versions of note ${values.note} on this device`);
      return 0;
    }
    const name = (id: string) => (id ? catalogMembers(catalog).get(id)?.name || id : 'someone');
    for (let i = list.length - 1; i >= 0; i--) {
      const meta = list[i]!;
      const rebuildable = chainStart(list, i) >= 0 ? '' : '\t(damaged: cannot be rebuilt)';
      out(`${meta.n}\t${new Date(meta.at).toISOString()}\t${meta.kind}\t${meta.authors.map(name).join(', ')}\t+${meta.wordsAdded} -${meta.wordsRemoved} words${meta.discussion?.[0] ? `, ${meta.discussion[0]} comments` : ''}${meta.discussion?.[1] ? `, ${meta.discussion[1]} resolved` : ''}${rebuildable}`);
    }
    return 0;
  } finally {
    await source.close();
  }
}

function printReport(summary: ImportSummary, skippedFolders: string[]): void {
  for (const folder of skippedFolders) out(`skipped  ${folder} (app settings, trash or version control)`);
  for (const report of summary.reports) {
    if (report.status === 'imported' && report.messages.length === 0) continue;
    const label = report.status === 'imported' ? 'warning ' : report.status === 'skipped' ? 'skipped ' : 'FAILED  ';
    out(`${label} ${report.path}: ${report.messages.join('; ')}`);
  }
  out(`imported ${summary.imported}, skipped ${summary.skipped}, failed ${summary.failed}`);
}

/** Sends a file to the running host in chunks (each checked there), as a window does; resolves to its hash. */
async function sendAttachment(host: HostConnection, spaceId: string, bytes: Uint8Array): Promise<string> {
  const hash = attachmentHashOf(bytes);
  const [size] = (await host.call('attachment.stat', { spaceId, hashes: [hash] })).sizes;
  if (size == null) await uploadAttachment(host, spaceId, hash, bytes);
  return hash;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The invite of --code (or standard input with --code -), or null after saying what is wrong with it. */
async function readInvite(command: string, values: Record<string, string | boolean | undefined>): Promise<AnyInvite | null> {
  if (typeof values.code !== 'string' || !values.code.trim()) throw new UsageError(`${command} needs --code CODE (or --code - to read it from standard input)`);
  // A code on the command line shows in the process list and the shell's history; `-` reads it from standard input.
  const code = values.code.trim() === '-' ? (await readStdin()).trim() : values.code.trim();
  try {
    return decodeAnyInvite(code);
  } catch (error) {
    process.stderr.write(`Commonplace: ${error instanceof InviteError ? error.message.replace(/\.?$/, '.') : 'this is not a valid invite code.'}\n`);
    return null;
  }
}

/** The running host on a data directory, or null after saying that none runs. */
async function runningHost(dataDir: string, then: string): Promise<HostConnection | null> {
  const lock = readLock(dataDir);
  if (!lock?.url || lock.pid === process.pid) {
    process.stderr.write(`Commonplace: no host is running on ${dataDir}. Start one first (npm run commonplace -- serve --data-dir ${dataDir}), then ${then} through it.\n`);
    return null;
  }
  return connectToHost(lock.url);
}

/** Adds the rendezvous and TURN servers an invite names to a space this device holds, as "Beyond this network" does. */
async function runRelays(dataDir: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  const invite = await readInvite('relays', values);
  if (!invite) return 1;
  if (invite.kind !== 'token' || !invite.relays) {
    process.stderr.write('Commonplace: this invite names no rendezvous or TURN server.\n');
    return 1;
  }
  const host = await runningHost(dataDir, 'set the relays');
  if (!host) return 1;
  try {
    const sharing = await host.call('space.sharing', { spaceId: invite.spaceId, create: false });
    if (!sharing.room) {
      process.stderr.write(`Commonplace: this device does not sync space ${invite.spaceId}: join it first.\n`);
      return 1;
    }
    const { relays } = await host.call('space.setRelays', { spaceId: invite.spaceId, relays: mergeRelays(sharing.relays, invite.relays) });
    out(`space ${invite.spaceId}: rendezvous ${relays.rendezvous.join(', ') || 'none'}; TURN ${relays.turn.map((t) => t.url).join(', ') || 'none'}`);
    return 0;
  } catch (error) {
    process.stderr.write(`Commonplace: could not set the relays: ${errorMessage(error).replace(/^space\.\w+: /, '')}\n`);
    return 1;
  } finally {
    host.close();
  }
}

/** Joins a space with an invite code, through the running host (`serve`, the web host or the app), as the Join dialog does. */
async function runJoin(dataDir: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  const invite = await readInvite('join', values);
  if (!invite) return 1;
  if (invite.kind === 'token' && invite.expires < Date.now()) {
    process.stderr.write('Commonplace: this invite has expired: ask for a new one.\n');
    return 1;
  }
  const host = await runningHost(dataDir, 'join');
  if (!host) return 1;
  try {
    if (invite.kind === 'key') await host.call('space.join', { spaceId: invite.spaceId, name: invite.name, secret: invite.secret, addresses: invite.addresses });
    else await host.call('space.redeemInvite', { spaceId: invite.spaceId, token: invite.token, expires: invite.expires, addresses: invite.addresses, ...(invite.relays ? { relays: invite.relays } : {}) });
    out(`joined space ${invite.spaceId}`);
    return 0;
  } catch (error) {
    process.stderr.write(`Commonplace: could not join: ${errorMessage(error).replace(/^space\.\w+: /, '')}\n`);
    return 1;
  } finally {
    host.close();
  }
}

async function runImport(dataDir: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  if (typeof values.space !== 'string' || !values.space.trim()) throw new UsageError('import needs --space NAME_OR_ID');
  if (typeof values.from !== 'string') throw new UsageError('import needs --from PATH');
  const from = values.from;
  let { files, skippedFolders } = await readImportSource(from);
  const author = { id: IMPORT_AUTHOR_ID, name: typeof values.author === 'string' ? values.author : 'Markdown import' };
  const options = { author, folderTags: Boolean(values['folder-tags']) };
  const spaceArg = values.space.trim();
  const lock = readLock(dataDir);

  let summary: ImportSummary;
  let where: string;
  if (lock && lock.pid !== process.pid) {
    // A host owns the store: hand it the change, so it is durable and every open window sees it. The
    // lock (this user's only) holds the host's address with its token, which /api requires.
    if (!lock.url) {
      process.stderr.write(`Commonplace: ${dataDir} is in use by Commonplace (pid ${lock.pid}) and it has no address to import through. Close it and run the import again.\n`);
      return 1;
    }
    let host;
    try {
      host = await connectToHost(lock.url);
    } catch (error) {
      process.stderr.write(`Commonplace: ${dataDir} is in use by the host at ${withoutToken(lock.url)}, which did not accept a connection (${errorMessage(error)}). Nothing was imported; stop it or try again.\n`);
      return 1;
    }
    try {
      const { attachmentLimit = DEFAULT_ATTACHMENT_LIMIT_BYTES } = await host.call('app.info', {});
      // The files were read against the default attachment limit; this host may keep larger or smaller ones.
      if (attachmentLimit !== DEFAULT_ATTACHMENT_LIMIT_BYTES) ({ files, skippedFolders } = await readImportSource(from, { attachmentLimit }));
      const { spaces } = await host.call('spaces.list', {});
      const match = spaces.find((s) => s.id === spaceArg) ?? spaces.find((s) => s.name.trim().toLowerCase() === spaceArg.toLowerCase());
      const spaceId = match?.id ?? newId();
      const catalog = new Y.Doc();
      if (match) Y.applyUpdate(catalog, (await host.call('space.sync', { spaceId, stateVector: Y.encodeStateVector(catalog) })).update);
      // Bodies go to the host in batches as they are written; the catalog's entries last, in one change.
      const bodies = new BodyBatcher(async (updates) => void (await host.call('notes.push', { spaceId, updates })));
      const result = await importIntoCatalog(catalog, files, {
        ...options,
        onBody: bodies.add,
        newSpaceName: match ? undefined : spaceArg,
        storeAttachment: (bytes) => sendAttachment(host, spaceId, bytes),
        attachmentLimit,
      });
      await bodies.flush();
      summary = result.summary;
      if (result.catalogUpdate) {
        if (result.catalogUpdate.byteLength > MAX_UPDATE_BYTES) throw new Error(`the import's catalog change is ${result.catalogUpdate.byteLength} bytes, above the host's limit; import it in parts`);
        await host.call('space.append', { spaceId, update: result.catalogUpdate });
      }
      where = `${match ? 'space' : 'new space'} "${match?.name ?? spaceArg}" (${spaceId}) through the running host at ${withoutToken(lock.url)}`;
    } finally {
      host.close();
    }
  } else {
    let held;
    try {
      held = acquireDataDir(dataDir, { host: 'command-line import' });
    } catch (error) {
      if (error instanceof DataDirBusyError) {
        process.stderr.write(`Commonplace: ${error.message}. Nothing was imported.\n`);
        return 1;
      }
      throw error;
    }
    const store = new DocStore(dataDir, { onProblem: (p) => process.stderr.write(`${p.kind === 'migrated' ? 'note' : 'warning'}: ${p.kind} in space ${p.spaceId}: ${p.detail}\n`) });
    try {
      const found = await findSpace(storeSource(store), spaceArg);
      const spaceId = found?.id ?? newId();
      const space = await store.space(spaceId);
      // No host runs (this process holds the lock): the space's attachment folder is this process's to write.
      const attachments = new AttachmentStore(join(space.dir, 'attachments'), DEFAULT_ATTACHMENT_LIMIT_BYTES);
      const result = await importIntoStore(space, files, { ...options, newSpaceName: found ? undefined : spaceArg, attachments });
      summary = result.summary;
      await store.flush();
      where = `${found ? 'space' : 'new space'} "${found?.name ?? spaceArg}" (${spaceId}) in ${join(dataDir)}`;
    } finally {
      await store.close();
      held.release();
    }
  }
  printReport(summary, skippedFolders);
  out(`into ${where} from ${basename(resolve(from))}`);
  return summary.imported > 0 || (summary.failed === 0 && summary.reports.length > 0) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`Commonplace: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
