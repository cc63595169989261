/**
 * Markdown export and import for the app's toolbar.
 *
 * Usage: `<MarkdownMenu host={getHost()} spaceId={route.spaceId} noteId={route.noteId} />`
 * - host: the renderer's HostApi; spaceId: the open space; noteId: the open note, or null.
 * - author (optional): who the imported notes are by; defaults to this device's profile.
 * Export offers this note / this space / every space, relative links or [[wiki-links]], and downloads a
 * .zip. Import takes a folder (an Obsidian vault too) or a .zip into the open space and shows a report
 * per file; the notes arrive through the space's usual 'space.update' sync.
 */
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { useRef, useState, type ChangeEvent } from 'react';
import { formatBytes } from '../../shared/attachments/attachment';
import { sha256Hex } from '../attachments/space-attachments';
import { uploadAttachment } from '../../shared/attachments/space-files';
import { MAX_IMPORT_CALL_BYTES, MAX_IMPORT_CALL_FILES, MAX_MARKDOWN_FILE_BYTES, type HostApi, type HostResults } from '../../shared/host-api';
import { FolderNames } from '../../shared/markdown/file-names';
import type { AuthorRef } from '../../shared/catalog';
import { Dialog } from './Dialog';
import { loadProfile } from '../profile/profile';
import { errorMessage } from '../../shared/errors';

type ExportScope = 'note' | 'space' | 'all';
type FileReport = HostResults['space.importMarkdown']['reports'][number];

export interface MarkdownMenuProps {
  host: HostApi;
  spaceId: string;
  noteId?: string | null;
  author?: AuthorRef;
}

interface Progress {
  label: string;
  done: number;
  total: number;
}

const MARKDOWN = /\.(md|markdown|mdown|mkd)$/i;

function download(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function message(error: unknown): string {
  return errorMessage(error);
}

function ProgressBar({ progress }: { progress: Progress | null }) {
  if (!progress) return null;
  return (
    <div className="markdown-progress">
      <progress role="progressbar" aria-label={progress.label} max={Math.max(progress.total, 1)} value={progress.done} />
      <span>{progress.label}</span>
    </div>
  );
}

/**
 * Stores the folder's other files that a note names (by file name, as written or URL-encoded) as
 * attachments, so an import shows them; the rest are reported as not used. Returns what was stored.
 */
async function storeShownFiles(
  host: HostApi,
  spaceId: string,
  others: Array<{ path: string; file: File }>,
  texts: string[],
  reports: FileReport[],
  onProgress: (done: number) => void,
): Promise<Array<{ path: string; hash: string; size: number }>> {
  const { attachmentLimit } = await host.call('app.info', {});
  const stored: Array<{ path: string; hash: string; size: number }> = [];
  for (const [index, { path, file }] of others.entries()) {
    onProgress(index);
    const name = path.split('/').pop()!;
    if (!texts.some((text) => text.includes(name) || text.includes(encodeURI(name)) || text.includes(encodeURIComponent(name)))) {
      reports.push({ path, status: 'skipped', messages: ['not Markdown, and no note shows it: skipped'] });
      continue;
    }
    if (file.size > attachmentLimit) {
      reports.push({ path, status: 'failed', messages: [`larger than the ${formatBytes(attachmentLimit)} limit for attachments: not read`] });
      continue;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const hash = await sha256Hex(bytes);
    await uploadAttachment(host, spaceId, hash, bytes);
    stored.push({ path, hash, size: bytes.byteLength });
  }
  return stored;
}

export function MarkdownMenu({ host, spaceId, noteId = null, author }: MarkdownMenuProps) {
  const [open, setOpen] = useState(false);
  const [scope, setScope] = useState<ExportScope>(noteId ? 'note' : 'space');
  const [wikilinks, setWikilinks] = useState(false);
  const [comments, setComments] = useState(true);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [reports, setReports] = useState<FileReport[]>([]);
  const busy = progress !== null;
  const folderInput = useRef<HTMLInputElement>(null);
  const zipInput = useRef<HTMLInputElement>(null);
  const effectiveScope = scope === 'note' && !noteId ? 'space' : scope;

  async function runExport() {
    setStatus(null);
    try {
      if (effectiveScope !== 'all') {
        setProgress({ label: 'Exporting…', done: 0, total: 1 });
        const result = await host.call('space.exportMarkdown', { scope: effectiveScope, spaceId, noteId: noteId ?? undefined, wikilinks, comments });
        setProgress({ label: 'Exported', done: 1, total: 1 });
        download(result.zip, result.fileName);
        setStatus(`Exported ${result.noteCount} note${result.noteCount === 1 ? '' : 's'}.`);
        return;
      }
      // Every space: one call per space, so the bar shows real progress; each space gets its folder.
      const { spaces } = await host.call('spaces.list', {});
      const folders = new FolderNames();
      const tree: Zippable = {};
      let notes = 0;
      for (const [index, space] of spaces.entries()) {
        setProgress({ label: `Exporting ${space.name || 'a space'} (${index + 1} of ${spaces.length})…`, done: index, total: spaces.length });
        const result = await host.call('space.exportMarkdown', { scope: 'space', spaceId: space.id, wikilinks, comments });
        const folder = folders.pick(space.name || space.id, '');
        for (const [path, bytes] of Object.entries(unzipSync(result.zip))) tree[`${folder}/${path}`] = bytes;
        notes += result.noteCount;
      }
      if (spaces.length === 0) tree['README.md'] = strToU8('No spaces yet.\n');
      setProgress({ label: 'Exported', done: spaces.length, total: spaces.length });
      download(zipSync(tree), 'Commonplace.zip');
      setStatus(`Exported ${notes} notes from ${spaces.length} spaces.`);
    } catch (error) {
      setStatus(`Export failed: ${message(error)}`);
    } finally {
      setProgress(null);
    }
  }

  async function importFiles(files: File[], isZip: boolean) {
    setStatus(null);
    setReports([]);
    const local: FileReport[] = [];
    const all: FileReport[] = [];
    const who = author ?? loadProfile();
    const authorRef = { id: who.id, name: who.name || 'Markdown import' };
    try {
      if (isZip) {
        const zip = files[0]!;
        if (zip.size > MAX_IMPORT_CALL_BYTES) throw new Error(`${zip.name} is larger than ${MAX_IMPORT_CALL_BYTES / 1024 / 1024} MB; import its folder instead`);
        setProgress({ label: `Reading ${zip.name}…`, done: 0, total: 2 });
        const bytes = new Uint8Array(await zip.arrayBuffer());
        setProgress({ label: `Importing ${zip.name}…`, done: 1, total: 2 });
        const result = await host.call('space.importMarkdown', { spaceId, zip: bytes, author: authorRef });
        all.push(...result.reports);
      } else {
        // Read what can be imported; refuse what is too large by its size, without reading it.
        const batches: Array<Array<{ path: string; bytes: Uint8Array }>> = [[]];
        let batchBytes = 0;
        const others: Array<{ path: string; file: File }> = [];
        const texts: string[] = [];
        for (const [index, file] of files.entries()) {
          const path = (file.webkitRelativePath || file.name).split('/').slice(file.webkitRelativePath ? 1 : 0).join('/');
          setProgress({ label: `Reading ${path}…`, done: index, total: files.length * 2 });
          if (/(^|\/)(\.obsidian|\.trash|\.git)\//.test(path)) continue;
          if (!MARKDOWN.test(path)) {
            others.push({ path, file });
            continue;
          }
          if (file.size > MAX_MARKDOWN_FILE_BYTES) {
            local.push({ path, status: 'failed', messages: [`larger than the ${MAX_MARKDOWN_FILE_BYTES / 1024 / 1024} MB limit for one file: not read`] });
            continue;
          }
          if (batchBytes + file.size > MAX_IMPORT_CALL_BYTES || batches[batches.length - 1]!.length >= MAX_IMPORT_CALL_FILES) {
            batches.push([]);
            batchBytes = 0;
          }
          const bytes = new Uint8Array(await file.arrayBuffer());
          texts.push(new TextDecoder().decode(bytes));
          batches[batches.length - 1]!.push({ path, bytes });
          batchBytes += file.size;
        }
        // Files the notes may show (their names appear in a note) are stored first, so every part of the import can show them.
        const attachments = await storeShownFiles(host, spaceId, others, texts, local, (done) => setProgress({ label: 'Storing attached files…', done: files.length - others.length + done, total: files.length * 2 }));
        for (const [index, batch] of batches.entries()) {
          if (batch.length === 0) continue;
          setProgress({ label: `Importing (part ${index + 1} of ${batches.length})…`, done: files.length + Math.round(((index + 0.5) / batches.length) * files.length), total: files.length * 2 });
          const result = await host.call('space.importMarkdown', { spaceId, files: batch, attachments, author: authorRef });
          all.push(...result.reports);
        }
        if (batches.length > 1) setStatus('The folder was imported in parts; links between parts stay ordinary links.');
      }
      all.push(...local);
      // A stored file is offered to every part of a folder's import: it counts once, as imported where a note showed it.
      const rank = { imported: 0, failed: 1, skipped: 2 } as const;
      const byPath = new Map<string, FileReport>();
      for (const report of all) if (!byPath.has(report.path) || rank[report.status] < rank[byPath.get(report.path)!.status]) byPath.set(report.path, report);
      all.splice(0, all.length, ...byPath.values());
      setReports(all);
      const count = (s: FileReport['status']) => all.filter((r) => r.status === s).length;
      setStatus((previous) => `Imported ${count('imported')}, skipped ${count('skipped')}, failed ${count('failed')}.${previous ? ` ${previous}` : ''}`);
    } catch (error) {
      setReports(local);
      setStatus(`Import failed: ${message(error)}`);
    } finally {
      setProgress(null);
    }
  }

  function onPick(event: ChangeEvent<HTMLInputElement>, isZip: boolean) {
    const files = [...(event.target.files ?? [])];
    event.target.value = '';
    if (files.length > 0) void importFiles(files, isZip);
  }

  return (
    <div className="markdown-menu">
      <button type="button" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Markdown
      </button>
      <Dialog label="Markdown" open={open} onClose={() => setOpen(false)}>
        <div className="markdown-menu-panel" role="group" aria-label="Markdown export and import">
          <h2>Markdown</h2>
          <fieldset disabled={busy}>
            <legend>Export as Markdown files</legend>
            <div className="markdown-choices" role="radiogroup" aria-label="What to export">
              <label>
                <input type="radio" name="markdown-scope" checked={effectiveScope === 'note'} disabled={!noteId} onChange={() => setScope('note')} /> This note
              </label>
              <label>
                <input type="radio" name="markdown-scope" checked={effectiveScope === 'space'} onChange={() => setScope('space')} /> This space
              </label>
              <label>
                <input type="radio" name="markdown-scope" checked={effectiveScope === 'all'} onChange={() => setScope('all')} /> Every space
              </label>
            </div>
            <label className="markdown-option">
              <input type="checkbox" checked={wikilinks} onChange={(e) => setWikilinks(e.target.checked)} /> Links as [[wiki-links]] (Obsidian) instead of relative links
            </label>
            <label className="markdown-option">
              <input type="checkbox" checked={comments} onChange={(e) => setComments(e.target.checked)} /> Open comment threads, in a Discussion section after each note
            </label>
            <button type="button" className="primary" onClick={() => void runExport()}>
              Export .zip
            </button>
          </fieldset>
          <fieldset disabled={busy}>
            <legend>Import Markdown</legend>
            <p className="muted">A folder of Markdown files (an Obsidian vault too) or a .zip, into this space.</p>
            <button type="button" onClick={() => folderInput.current?.click()}>
              Import a folder…
            </button>
            <button type="button" onClick={() => zipInput.current?.click()}>
              Import a .zip…
            </button>
            {/* webkitdirectory is not in React's types; as an attribute it picks a whole folder. */}
            <input ref={folderInput} type="file" hidden multiple onChange={(e) => onPick(e, false)} {...{ webkitdirectory: '', directory: '' }} />
            <input ref={zipInput} type="file" hidden accept=".zip,application/zip" onChange={(e) => onPick(e, true)} />
          </fieldset>
          <ProgressBar progress={progress} />
          {status && <p role="status">{status}</p>}
          {reports.length > 0 && (
            <details open={reports.some((r) => r.status !== 'imported' || r.messages.length > 0)}>
              <summary>Report for {reports.length} files</summary>
              <ul className="markdown-report">
                {reports.map((report, index) => (
                  <li key={`${report.path}-${index}`} data-status={report.status}>
                    <strong>{report.status}</strong> {report.path}
                    {report.messages.length > 0 && `: ${report.messages.join('; ')}`}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <div className="dialog-actions">
            <button type="button" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
        </div>
      </Dialog>
    </div>
  );
}
