/** Markdown transformers shared by the editor's typing shortcuts and the headless converter. */
import { $createHorizontalRuleNode, $isHorizontalRuleNode, HorizontalRuleNode } from '@lexical/extension';
import { CHECK_LIST, TRANSFORMERS, type ElementTransformer, type Transformer } from '@lexical/markdown';
import type { LexicalNode } from 'lexical';

/** `---`, `***` or `___` on a line of its own becomes a horizontal rule (not in @lexical/markdown). */
export const HORIZONTAL_RULE: ElementTransformer = {
  dependencies: [HorizontalRuleNode],
  export: (node: LexicalNode) => ($isHorizontalRuleNode(node) ? '---' : null),
  regExp: /^(---|\*\*\*|___)\s?$/,
  replace: (parentNode, _children, _match, isImport) => {
    const line = $createHorizontalRuleNode();
    if (isImport || parentNode.getNextSibling() != null) {
      parentNode.replace(line);
    } else {
      parentNode.insertBefore(line);
    }
    line.selectNext();
  },
  type: 'element',
};

/** Check lists first so `- [ ] ` is a task, not a bullet that starts with brackets. */
export const COMMONPLACE_TRANSFORMERS: Transformer[] = [HORIZONTAL_RULE, CHECK_LIST, ...TRANSFORMERS];
