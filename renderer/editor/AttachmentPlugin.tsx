/**
 * Files in a note: paste or drop them, or choose them with "Attach file" (ATTACH_FILES_COMMAND). Images
 * the page can afford are drawn scaled to the column with their alt text; other files (and images too
 * large to decode safely) are chips that save the file. A file this device lacks says who added it and
 * is fetched from peers as soon as it is shown.
 */
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { mergeRegister } from '@lexical/utils';
import {
  $getNodeByKey,
  $insertNodes,
  COMMAND_PRIORITY_LOW,
  createCommand,
  DRAGOVER_COMMAND,
  DROP_COMMAND,
  PASTE_COMMAND,
  type LexicalCommand,
  type LexicalEditor,
  type NodeKey,
} from 'lexical';
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { formatBytes, isShownInline } from '../../shared/attachments/attachment';
import { $createAttachmentNode, $isAttachmentNode, AttachmentNode, type AttachmentFacts } from '../../shared/attachments/attachment-node';
import { errorMessage } from '../../shared/errors';
import { NotShownInline, type SpaceAttachments } from '../attachments/space-attachments';

export const ATTACH_FILES_COMMAND: LexicalCommand<File[]> = createCommand('ATTACH_FILES');

interface AttachmentContextValue {
  attachments: SpaceAttachments;
  /** The member id written into new attachments. */
  memberId: string;
  /** A member's name as this window shows it ("you" for this member). */
  memberName: (id: string) => string;
  /** Problems to show the member (a file over the limit, a failed save). */
  onProblem: (message: string) => void;
}

const AttachmentContext = createContext<AttachmentContextValue | null>(null);

export function AttachmentProvider({ value, children }: { value: AttachmentContextValue | null; children: ReactNode }) {
  return <AttachmentContext.Provider value={value}>{children}</AttachmentContext.Provider>;
}

async function insertFiles(editor: LexicalEditor, context: AttachmentContextValue, files: File[]): Promise<void> {
  for (const file of files) {
    try {
      const { facts, stored } = await context.attachments.add(file, context.memberId);
      editor.update(() => $insertNodes([$createAttachmentNode(facts)]));
      stored.catch((error: unknown) => context.onProblem(`${facts.name} could not be saved on this device: ${errorMessage(error)}`));
    } catch (error) {
      context.onProblem(errorMessage(error));
    }
  }
}

function filesOf(data: DataTransfer | null): File[] {
  return data ? Array.from(data.files) : [];
}

export function AttachmentPlugin(): null {
  const [editor] = useLexicalComposerContext();
  const context = useContext(AttachmentContext);
  useEffect(() => {
    if (!context) return;
    return mergeRegister(
      editor.registerCommand(
        ATTACH_FILES_COMMAND,
        (files) => {
          void insertFiles(editor, context, files);
          return true;
        },
        COMMAND_PRIORITY_LOW,
      ),
      editor.registerCommand(
        PASTE_COMMAND,
        (event) => {
          const files = filesOf(event instanceof ClipboardEvent ? event.clipboardData : null);
          if (files.length === 0 || !editor.isEditable()) return false;
          event.preventDefault();
          void insertFiles(editor, context, files);
          return true;
        },
        COMMAND_PRIORITY_LOW,
      ),
      editor.registerCommand(
        DRAGOVER_COMMAND,
        (event) => {
          if (!event.dataTransfer?.types.includes('Files')) return false;
          event.preventDefault();
          return true;
        },
        COMMAND_PRIORITY_LOW,
      ),
      editor.registerCommand(
        DROP_COMMAND,
        (event) => {
          const files = filesOf(event.dataTransfer);
          if (files.length === 0 || !editor.isEditable()) return false;
          event.preventDefault();
          void insertFiles(editor, context, files);
          return true;
        },
        COMMAND_PRIORITY_LOW,
      ),
    );
  }, [editor, context]);
  return null;
}

function useAvailability(attachments: SpaceAttachments, hash: string) {
  const subscribe = (onChange: () => void) => attachments.onChange((h) => h === hash && onChange());
  const snapshot = () => JSON.stringify(attachments.availability(hash));
  return JSON.parse(useSyncExternalStore(subscribe, snapshot)) as ReturnType<SpaceAttachments['availability']>;
}

function AttachmentView({ facts, nodeKey }: { facts: AttachmentFacts; nodeKey: NodeKey }) {
  const context = useContext(AttachmentContext);
  if (!context) return <span className="attachment-chip">{facts.name}</span>;
  return <LiveAttachment context={context} facts={facts} nodeKey={nodeKey} />;
}

function LiveAttachment({ context, facts, nodeKey }: { context: AttachmentContextValue; facts: AttachmentFacts; nodeKey: NodeKey }) {
  const [editor] = useLexicalComposerContext();
  const { attachments } = context;
  const availability = useAvailability(attachments, facts.hash);
  const [refused, setRefused] = useState<string | null>(null);
  // What the note says decides the layout; the file's own header decides whether it is drawn (see acquireImage).
  const inline = facts.hash !== '' && refused === null && isShownInline(facts.mime, facts.width, facts.height);
  const [url, setUrl] = useState<string | null>(null);
  const [altDraft, setAltDraft] = useState<string | null>(null);

  useEffect(() => {
    if (facts.hash) void attachments.ensure(facts.hash);
  }, [attachments, facts.hash]);

  useEffect(() => {
    if (!inline || availability.state !== 'stored') return;
    let live = true;
    const held = attachments.acquireImage(facts.hash);
    held.url.then(
      (u) => live && setUrl(u),
      (error: unknown) => live && error instanceof NotShownInline && setRefused(error.message),
    );
    return () => {
      live = false;
      held.release();
    };
  }, [attachments, facts.hash, inline, availability.state]);

  const save = async () => {
    try {
      await attachments.download(facts.hash, facts.name);
    } catch (error) {
      context.onProblem(`${facts.name} could not be saved: ${errorMessage(error)}`);
    }
  };

  const setAlt = (alt: string) =>
    editor.update(() => {
      const node = $getNodeByKey(nodeKey);
      if ($isAttachmentNode(node)) node.setAlt(alt);
    });

  const who = facts.by ? context.memberName(facts.by) : 'someone';
  const waiting =
    availability.state === 'fetching'
      ? `Fetching from a member… ${Math.floor((availability.received / Math.max(1, availability.size)) * 100)}%`
      : availability.state === 'unavailable'
        ? `Not on this device yet, and no member online has it. ${who === 'you' ? 'You' : who[0]!.toUpperCase() + who.slice(1)} added it.`
        : availability.state === 'checking'
          ? 'Looking for this file…'
          : null;

  if (inline) {
    const style = { aspectRatio: `${facts.width} / ${facts.height}`, width: `min(100%, ${facts.width}px)` };
    return (
      <span className="attachment-image" data-attachment={facts.hash}>
        {url && availability.state === 'stored' ? (
          <img src={url} alt={facts.alt} width={facts.width} height={facts.height} style={style} draggable={false} />
        ) : (
          <span className="attachment-placeholder" style={style} role="img" aria-label={facts.alt || facts.name}>
            <span>{facts.name}</span>
            {waiting && <span className="attachment-waiting">{waiting}</span>}
          </span>
        )}
        {editor.isEditable() && altDraft !== null ? (
          <form
            className="attachment-alt-form"
            onSubmit={(event) => {
              event.preventDefault();
              setAlt(altDraft.trim());
              setAltDraft(null);
            }}
          >
            <input aria-label="Alt text" value={altDraft} maxLength={500} onChange={(e) => setAltDraft(e.target.value)} autoFocus />
            <button type="submit">Apply</button>
          </form>
        ) : (
          <span className="attachment-caption">
            {facts.alt ? <span>{facts.alt}</span> : null}
            {editor.isEditable() && (
              <button type="button" className="link-button" onClick={() => setAltDraft(facts.alt)}>
                {facts.alt ? 'Edit alt text' : 'Add alt text'}
              </button>
            )}
          </span>
        )}
      </span>
    );
  }

  const tooLarge = refused ?? (facts.width > 0 && facts.mime.startsWith('image/') ? `${facts.width}×${facts.height}: too large to show here` : null);
  if (!facts.hash) return <span className="attachment-chip">{facts.name || 'attachment'}: damaged (no file named)</span>;
  return (
    <span className="attachment-chip" data-attachment={facts.hash}>
      <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">
        <path d="M10.5 4.5l-5 5a1.4 1.4 0 0 0 2 2l5.5-5.5a2.8 2.8 0 0 0-4-4L3.5 7.5a4.2 4.2 0 0 0 6 6l4-4" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" />
      </svg>
      <span className="attachment-name">{facts.name}</span>
      <span className="attachment-size">
        {formatBytes(facts.size)}
        {tooLarge ? `, ${tooLarge}` : ''}
      </span>
      {availability.state === 'stored' ? (
        <button type="button" className="link-button" onClick={() => void save()} aria-label={`Save ${facts.name}`}>
          Save
        </button>
      ) : (
        <span className="attachment-waiting">{waiting}</span>
      )}
    </span>
  );
}

AttachmentNode.render = (facts, nodeKey) => <AttachmentView facts={facts} nodeKey={nodeKey} />;
