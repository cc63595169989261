/**
 * A version of a note, read-only, as history shows it: its blocks with what was added (underlined,
 * in the author's colour) and what was removed (struck through), each saying who did it.
 */
import type { ReactNode } from 'react';
import type { VersionBlock, VersionRun } from '../../../shared/history/version-view';

/** Lexical's text format bits. */
const BOLD = 1;
const ITALIC = 2;
const STRIKETHROUGH = 4;
const UNDERLINE = 8;
const CODE = 16;

export interface RunLabels {
  /** The name to show for a member id. */
  name(memberId: string | undefined): string;
  color(memberId: string | undefined): string | undefined;
}

function formatted(run: VersionRun, text: ReactNode): ReactNode {
  const format = run.format ?? 0;
  let out = text;
  if (format & CODE) out = <code>{out}</code>;
  if (format & BOLD) out = <strong>{out}</strong>;
  if (format & ITALIC) out = <em>{out}</em>;
  if (format & UNDERLINE) out = <u>{out}</u>;
  if (format & STRIKETHROUGH) out = <s>{out}</s>;
  return out;
}

function Run({ run, labels }: { run: VersionRun; labels: RunLabels }) {
  const content = formatted(run, run.noteId ? <span className="version-link">{run.text}</span> : run.text);
  if (!run.change) return <>{content}</>;
  const who = labels.name(run.by);
  const title = run.change === 'added' ? `added by ${who}` : `removed by ${who}`;
  const style = run.change === 'added' ? { textDecorationColor: labels.color(run.by) } : undefined;
  return run.change === 'added' ? (
    <ins title={title} aria-label={`${title}: ${run.text}`} style={style}>
      {content}
    </ins>
  ) : (
    <del title={title} aria-label={`${title}: ${run.text}`}>{content}</del>
  );
}

function Runs({ block, labels }: { block: VersionBlock; labels: RunLabels }) {
  if (block.runs.length === 0) return <br />;
  return (
    <>
      {block.runs.map((run, i) => (
        <Run key={i} run={run} labels={labels} />
      ))}
    </>
  );
}

function Block({ block, labels }: { block: VersionBlock; labels: RunLabels }) {
  const className = block.change ? `version-${block.change}` : undefined;
  const children = block.children.map((child, i) => <Block key={i} block={child} labels={labels} />);
  switch (block.type) {
    case 'heading': {
      const Tag = (['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].includes(block.tag ?? '') ? block.tag : 'h3') as 'h1';
      return (
        <Tag className={className}>
          <Runs block={block} labels={labels} />
        </Tag>
      );
    }
    case 'quote':
      return (
        <blockquote className={className}>
          <Runs block={block} labels={labels} />
        </blockquote>
      );
    case 'code':
      return (
        <pre className={className}>
          <Runs block={block} labels={labels} />
        </pre>
      );
    case 'list':
      return block.listType === 'number' ? <ol className={className}>{children}</ol> : <ul className={className}>{children}</ul>;
    case 'listitem':
      return (
        <li className={className}>
          {block.checked !== undefined && <span aria-label={block.checked ? 'done' : 'not done'}>{block.checked ? '☑ ' : '☐ '}</span>}
          <Runs block={block} labels={labels} />
          {children}
        </li>
      );
    case 'horizontalrule':
      return <hr className={className} />;
    default:
      return (
        <p className={className}>
          <Runs block={block} labels={labels} />
          {children}
        </p>
      );
  }
}

export function VersionContent({ blocks, labels, label }: { blocks: VersionBlock[]; labels: RunLabels; label: string }) {
  return (
    <div className="version-content" aria-label={label} role="document">
      {blocks.map((block, i) => (
        <Block key={i} block={block} labels={labels} />
      ))}
    </div>
  );
}
