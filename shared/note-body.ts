/**
 * A note body outside any UI: a headless Lexical editor with the editor's node list, bound to the
 * body's Y.XmlText in the note's own document through @lexical/yjs. Used to seed new notes, and to
 * read or convert stored ones.
 */
import { createHeadlessEditor } from '@lexical/headless';
import { createYjsBinding, syncLexicalUpdateToYjs, syncYjsChangesToLexical, type Binding, type Provider } from '@lexical/yjs';
import { $getNodeByKey, $getRoot, $isElementNode, $isTextNode, $parseSerializedNode, type EditorState, type LexicalEditor, type LexicalNode, type NodeKey } from 'lexical';
import * as Y from 'yjs';
import { EDITOR_NODES, EXCLUDED_PROPERTIES } from './editor-nodes';
import { isEmptyList, startsTextRun } from './note-content';
import { noteBodyOf } from './note-doc';
import { transactAs } from './doc-clients';

/** A provider with no awareness: headless edits carry no cursor. */
export const HEADLESS_PROVIDER: Provider = {
  awareness: {
    getLocalState: () => null,
    getStates: () => new Map(),
    off: () => {},
    on: () => {},
    setLocalState: () => {},
    setLocalStateField: () => {},
  },
  connect: () => {},
  disconnect: () => {},
  off: () => {},
  on: () => {},
};

export function createNoteEditor(): LexicalEditor {
  return createHeadlessEditor({
    namespace: 'commonplace',
    nodes: [...EDITOR_NODES],
    onError: (error) => {
      throw error;
    },
  });
}

/**
 * What a load of a body would not show, to be removed before it: letters a block holds before any text
 * node's properties map (left when a node was deleted while a member typed in it, or sent so by a peer),
 * which @lexical/yjs drops as it loads but goes on counting, and so deleted the text after them as well;
 * and plain text nodes left empty by concurrent deletions, which Lexical removes as it loads without
 * telling the binding (that binding would then never match its editor); and lists left with no items.
 */
function strayContent(text: Y.XmlText, out: Array<[Y.XmlText, number, number]> = []): Array<[Y.XmlText, number, number]> {
  let offset = 0;
  let inTextNode = false;
  /** Where the plain text node whose letters are still to come starts, if any. */
  let emptySoFar: number | null = null;
  for (const op of text.toDelta() as Array<{ insert: unknown }>) {
    const insert = op.insert;
    if (typeof insert === 'string') {
      if (!inTextNode) out.push([text, offset, insert.length]);
      emptySoFar = null;
      offset += insert.length;
      continue;
    }
    if (emptySoFar !== null) out.push([text, emptySoFar, 1]);
    inTextNode = startsTextRun(insert);
    emptySoFar = insert instanceof Y.Map && insert.get('__type') === 'text' ? offset : null;
    // A list with no items (each deleted by another member): Lexical never makes one, and cannot edit at it.
    if (isEmptyList(insert)) out.push([text, offset, 1]);
    else if (insert instanceof Y.XmlText) strayContent(insert, out);
    offset += 1;
  }
  if (emptySoFar !== null) out.push([text, emptySoFar, 1]);
  return out;
}

/**
 * Loads what the binding's XmlText already holds into its editor. A binding made on a filled
 * XmlText starts blank: @lexical/yjs only syncs changes that arrive after it exists.
 * These two calls are @lexical/yjs internals (the path its own restore test takes); a test pins them.
 */
export function hydrateEditorFromYjs(binding: Binding): void {
  const body = binding.root._xmlText;
  const stray = strayContent(body);
  // Backwards, so each deletion leaves the offsets of those before it as they were.
  if (stray.length > 0) body.doc!.transact(() => stray.reverse().forEach(([text, at, length]) => text.delete(at, length)), binding);
  binding.editor.update(
    () => {
      binding.root.applyChildrenYjsDelta(binding, binding.root._xmlText.toDelta());
      binding.root.syncChildrenFromYjs(binding);
    },
    { discrete: true, tag: 'collaboration', skipTransforms: true },
  );
}

/**
 * Forgets the collab nodes a previous binding cached on the body's shared types (@lexical/yjs keeps
 * them in `_collabNode` and never clears them), so a new binding builds its own tree instead of
 * reusing a stale one and duplicating content. Call only when no binding on this body is live.
 */
export function releaseCollabNodes(type: unknown): void {
  if (!(type instanceof Y.AbstractType)) return;
  delete (type as { _collabNode?: unknown })._collabNode;
  if (type instanceof Y.XmlText) {
    for (const op of type.toDelta() as Array<{ insert: unknown }>) {
      releaseCollabNodes(op.insert);
    }
  } else if (type instanceof Y.Map) {
    type.forEach((value) => releaseCollabNodes(value));
  } else if (type instanceof Y.XmlElement) {
    for (const child of type.toArray()) releaseCollabNodes(child);
  }
}

export interface NoteBodyBinding {
  binding: Binding;
  editor: LexicalEditor;
  dispose: () => void;
}

/**
 * Binds an editor (headless by default) to one note's body, both ways: local edits go to Yjs, and
 * changes arriving in the doc from elsewhere go to the editor. Only one binding per body may be live.
 */
/** Block properties whose difference changes what a note shows (list kind, check state, heading level…). */
const SHAPE_PROPERTIES = ['__tag', '__listType', '__checked', '__start', '__language', '__url', '__format', '__indent'];

function propertiesShape(read: (key: string) => unknown): string {
  return SHAPE_PROPERTIES.map((key) => {
    const value = read(key);
    return value === undefined || value === null || value === '' || value === 0 || value === false ? '' : `${key}=${String(value)}`;
  }).join(',');
}

/** The structure and text of a body as Yjs holds it: `<type{props}` text children `>` per block, `[type]` per decorator or line break. */
function yjsShape(text: Y.XmlText, out: string[]): void {
  // Text counts only after a text node's properties map: text left without one (its node deleted while a
  // member typed in it) is dropped by any editor that loads the body, so it is not what the note shows.
  let inTextNode = false;
  for (const op of text.toDelta() as Array<{ insert: unknown }>) {
    const insert = op.insert;
    if (typeof insert !== 'string') inTextNode = startsTextRun(insert);
    if (typeof insert === 'string') {
      if (inTextNode) out.push(insert);
    } else if (insert instanceof Y.XmlText) {
      // A list with no items is removed by a load (below), so it is not what the note shows.
      if (isEmptyList(insert)) continue;
      out.push(`<${String(insert.getAttribute('__type'))}{${propertiesShape((key) => insert.getAttribute(key))}}`);
      yjsShape(insert, out);
      out.push('>');
    } else if (insert instanceof Y.XmlElement) out.push(`[${String(insert.getAttribute('__type'))}]`);
    // A text node's properties are a map before its text; a line break is a map alone.
    else if (insert instanceof Y.Map && insert.get('__type') === 'linebreak') out.push('[linebreak]');
  }
}

/** The same shape read from the editor (only properties the binding syncs). */
function $editorShape(node: LexicalNode, synced: (type: string, key: string) => boolean, out: string[]): void {
  for (const child of $isElementNode(node) ? node.getChildren() : []) {
    if ($isElementNode(child)) {
      const type = child.getType();
      const record = child as unknown as Record<string, unknown>;
      out.push(`<${type}{${propertiesShape((key) => (synced(type, key) ? record[key] : undefined))}}`);
      $editorShape(child, synced, out);
      out.push('>');
    } else if ($isTextNode(child)) out.push(child.getTextContent());
    else out.push(`[${child.getType()}]`); // a decorator or a line break
  }
}

type CollabElement = Binding['root'];

/** Whether every text node the binding keeps is the editor's node of that key, with the same text. */
function $collabTextMatches(node: CollabElement): boolean {
  for (const child of node._children) {
    if ('_text' in child) {
      const shown = $getNodeByKey(child._key);
      if (!$isTextNode(shown) || shown.__text !== child._text) return false;
    } else if ('_children' in child && !$collabTextMatches(child)) return false;
  }
  return true;
}

/**
 * Whether the editor shows what the body holds: the same blocks, nested the same way, with the same
 * kinds and the same text, and the binding's text nodes are the editor's (its next local edit is
 * written where it was made). @lexical/yjs 0.52 can leave a bound editor out of step with the document
 * after some concurrent structure edits (the Yjs state itself still converges); this is how a binding
 * notices.
 */
export function editorMatchesBody(binding: Binding): boolean {
  const held: string[] = [];
  yjsShape(binding.root._xmlText, held);
  const synced = (type: string, key: string) => {
    const klass = binding.editor._nodes.get(type)?.klass;
    return binding.nodeProperties.get(type)?.[key] !== undefined && !(klass && binding.excludedProperties.get(klass)?.has(key));
  };
  const shown: string[] = [];
  return binding.editor.getEditorState().read(() => {
    $editorShape($getRoot(), synced, shown);
    return held.join('') === shown.join('') && $collabTextMatches(binding.root);
  });
}

/** Checks after a remote change take longer than this in big notes: then they run at most once a second. */
const DESYNC_CHECK_BUDGET_MS = 4;

export function bindNoteBody(
  doc: Y.Doc,
  noteId: string,
  options: {
    editor?: LexicalEditor;
    provider?: Provider;
    /** Called when a remote change left the editor showing something other than the body: rebind it. */
    onDesync?: () => void;
    /** The member whose edits these are: recorded in the document, so history can name them. */
    author?: string;
  } = {},
): NoteBodyBinding {
  const editor = options.editor ?? createNoteEditor();
  const provider = options.provider ?? HEADLESS_PROVIDER;
  const body = noteBodyOf(doc, noteId);
  releaseCollabNodes(body);
  const binding = createYjsBinding({
    doc,
    docMap: new Map([[noteId, doc]]),
    editor,
    excludedProperties: EXCLUDED_PROPERTIES,
    getXmlText: () => body,
    id: noteId,
  });
  // Start from an empty editor (a remount may reuse one), then load the body; nothing listens yet.
  editor.update(() => $getRoot().clear(), { discrete: true, tag: 'skip-collab' });
  // Loading merges adjacent text nodes of one format that Yjs may hold apart (two members typing at one
  // spot). The binding must hear of those merges, or the member's next edit lands off by the merged text;
  // @lexical/yjs takes them as it takes merges a remote change causes, writing the merge to the body.
  let merged: Set<NodeKey> | null = null;
  const offLoad = editor.registerUpdateListener(({ normalizedNodes }) => {
    if (normalizedNodes.size > 0) merged = new Set(normalizedNodes);
  });
  hydrateEditorFromYjs(binding);
  offLoad();
  if (merged !== null) {
    // Not the member's edit: written without naming them, so opening a note does not count as editing it.
    const state = editor.getEditorState();
    syncLexicalUpdateToYjs(binding, provider, state, state, new Map(), new Set(), merged, new Set(['collaboration']));
  }
  const onYjsChanges = (events: Array<Y.YEvent<Y.XmlText>>, transaction: Y.Transaction) => {
    if (transaction.origin !== binding) {
      syncYjsChangesToLexical(binding, provider, events, transaction.origin instanceof Y.UndoManager);
    }
  };
  body.observeDeep(onYjsChanges);
  let disposed = false;
  let lastCheckMs = 0;
  let lastCheckAt = 0;
  let pendingCheck: ReturnType<typeof setTimeout> | null = null;
  const checkSync = () => {
    pendingCheck = null;
    if (disposed || !options.onDesync) return;
    const started = Date.now();
    const inSync = editorMatchesBody(binding);
    lastCheckAt = Date.now();
    lastCheckMs = lastCheckAt - started;
    if (!inSync) options.onDesync();
  };
  const removeListener = editor.registerUpdateListener(
    ({ prevEditorState, editorState, dirtyElements, dirtyLeaves, normalizedNodes, tags }) => {
      if (tags.has('skip-collab')) return;
      // The binding's own transaction joins this one, so the update it makes names its author.
      transactAs(doc, options.author, binding, () =>
        syncLexicalUpdateToYjs(binding, provider, prevEditorState, editorState, dirtyElements, dirtyLeaves, normalizedNodes, tags),
      );
      // Only remote changes can desync the editor; big notes are checked at most once a second.
      if (options.onDesync && (tags.has('collaboration') || tags.has('historic')) && pendingCheck === null) {
        if (lastCheckMs <= DESYNC_CHECK_BUDGET_MS) checkSync();
        else pendingCheck = setTimeout(checkSync, Math.max(0, 1000 - (Date.now() - lastCheckAt)));
      }
    },
  );
  return {
    binding,
    editor,
    dispose: () => {
      disposed = true;
      if (pendingCheck !== null) clearTimeout(pendingCheck);
      body.unobserveDeep(onYjsChanges);
      removeListener();
      binding.root.destroy(binding);
      releaseCollabNodes(body);
    },
  };
}

/** Reads a note's body as Lexical's serialized editor state (for tests and diagnostics). */
export function readNoteState(doc: Y.Doc, noteId: string): EditorState {
  // A copy: loading may tidy what it loads (above), and a read must not write to the note it reads.
  const copy = new Y.Doc({ guid: doc.guid });
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  const editor = createNoteEditor();
  try {
    return readNoteBodyWith(copy, noteId, editor, () => editor.getEditorState());
  } finally {
    copy.destroy();
  }
}

/** Copies a body into another note's (empty) document, through editors like any edit. */
export function copyNoteBody(source: Y.Doc, sourceId: string, target: Y.Doc, targetId: string, author?: string): void {
  const children = readNoteState(source, sourceId).toJSON().root.children;
  const { editor, dispose } = bindNoteBody(target, targetId, { author });
  try {
    editor.update(() => $getRoot().append(...children.map((child) => $parseSerializedNode(child))), { discrete: true });
  } finally {
    dispose();
  }
}

/**
 * Reads a note's body with a headless editor bound one way and only for the read (exports): no
 * observers, one hydrating update. Only for docs no live editor is bound to (hosts, the CLI).
 */
export function readNoteBodyWith<T>(doc: Y.Doc, noteId: string, editor: LexicalEditor, read: () => T): T {
  const body = noteBodyOf(doc, noteId);
  releaseCollabNodes(body);
  const binding = createYjsBinding({ doc, docMap: new Map([[noteId, doc]]), editor, excludedProperties: EXCLUDED_PROPERTIES, getXmlText: () => body, id: noteId });
  try {
    editor.update(() => $getRoot().clear(), { discrete: true, tag: 'skip-collab' });
    hydrateEditorFromYjs(binding);
    return editor.getEditorState().read(read);
  } finally {
    binding.root.destroy(binding);
    releaseCollabNodes(body);
  }
}
