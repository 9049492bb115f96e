// Reads what the user attached to a chat request (request.references) into text: a file (`#file`,
// a drag-and-dropped file: a Uri) as the editor has it (unsaved changes included), a selection (a
// Location) as the text of its range, a string as it is. Images come back separately, as data URLs.
import * as vscode from 'vscode';
import type { ResolvedReference } from './references';

export interface ResolvedAttachments {
  refs: ResolvedReference[];
  /** Attached images (ChatReferenceBinaryData with an image mime type) as data URLs. */
  images: string[];
  /** What to show as "used references" in the answer. */
  shown: (vscode.Uri | vscode.Location)[];
}

interface BinaryDataLike {
  mimeType: string;
  data(): Thenable<Uint8Array>;
}
function isBinaryData(value: unknown): value is BinaryDataLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { mimeType?: unknown }).mimeType === 'string' &&
    typeof (value as { data?: unknown }).data === 'function'
  );
}

function lines(range: vscode.Range): string {
  const first = range.start.line + 1;
  const last = range.end.line + 1;
  return first === last ? `${first}` : `${first}-${last}`;
}

interface Read {
  read: ResolvedReference;
  shown?: vscode.Uri | vscode.Location;
}

async function readReference(ref: vscode.ChatPromptReference): Promise<Read | BinaryDataLike | undefined> {
  const value = ref.value;
  if (typeof value === 'string') return { read: { label: ref.modelDescription ?? ref.id, kind: 'text', text: value } };
  if (isBinaryData(value)) return value;
  if (value instanceof vscode.Uri) {
    const label = vscode.workspace.asRelativePath(value);
    try {
      const doc = await vscode.workspace.openTextDocument(value);
      return { read: { label, kind: 'file', text: doc.getText(), language: doc.languageId }, shown: value };
    } catch (err) {
      // A folder or a binary file: say so rather than silently leaving it out.
      return { read: { label, kind: 'unreadable', text: err instanceof Error ? err.message : String(err) } };
    }
  }
  if (value instanceof vscode.Location) {
    const label = `${vscode.workspace.asRelativePath(value.uri)}:${lines(value.range)}`;
    try {
      const doc = await vscode.workspace.openTextDocument(value.uri);
      return {
        read: { label, kind: 'selection', text: doc.getText(value.range), language: doc.languageId },
        shown: value,
      };
    } catch (err) {
      return { read: { label, kind: 'unreadable', text: err instanceof Error ? err.message : String(err) } };
    }
  }
  if (ref.modelDescription)
    return {
      read: {
        label: ref.id,
        kind: 'unreadable',
        text: `an attachment of a kind Fugusashi cannot read (${ref.modelDescription})`,
      },
    };
  return undefined;
}

/** What a reference points at: the same file or range attached twice is one attachment. */
function referenceKey(ref: vscode.ChatPromptReference): unknown {
  const value = ref.value;
  if (value instanceof vscode.Uri) return `uri ${value.toString()}`;
  if (value instanceof vscode.Location) {
    const { start, end } = value.range;
    return `location ${value.uri.toString()} ${start.line}:${start.character}-${end.line}:${end.character}`;
  }
  if (typeof value === 'string') return `text ${ref.id} ${value}`;
  return value; // binary data and the like: by identity
}

/** The references with each one kept once, at its first place in the list (the newest, as VS Code lists them). */
export function withoutRepeats(references: readonly vscode.ChatPromptReference[]): vscode.ChatPromptReference[] {
  const seen = new Set<unknown>();
  return references.filter((ref) => {
    const key = referenceKey(ref);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The request's references, in prompt order (VS Code lists them last-first). */
export async function resolveAttachments(
  references: readonly vscode.ChatPromptReference[],
  acceptsImages: boolean,
): Promise<ResolvedAttachments> {
  const out: ResolvedAttachments = { refs: [], images: [], shown: [] };
  for (const ref of [...references].reverse()) {
    const read = await readReference(ref);
    if (!read) continue;
    if ('read' in read) {
      out.refs.push(read.read);
      if (read.shown) out.shown.push(read.shown);
      continue;
    }
    if (!/^image\//i.test(read.mimeType)) {
      out.refs.push({ label: ref.id, kind: 'unreadable', text: `binary data of type ${read.mimeType}` });
    } else if (!acceptsImages) {
      out.refs.push({ label: ref.id, kind: 'unreadable', text: 'an image, and no model in your pool accepts images' });
    } else {
      const bytes = await read.data();
      out.images.push(`data:${read.mimeType.toLowerCase()};base64,${Buffer.from(bytes).toString('base64')}`);
    }
  }
  return out;
}
