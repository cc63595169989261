/** The first note a new member sees: what Commonplace is and how to use it. */
export const WELCOME_TITLE = 'Welcome to Commonplace';

export const WELCOME_MARKDOWN = `Commonplace is your community's notebook. Write down what you learn in practice, and share it with the people who practise the same craft.

## Everything stays with you

- Notes live on **this device**. Commonplace works fully offline: no server, no account.
- Members on the same network sync directly with each other, and edits made apart merge when you meet again.
- Your notes export to plain Markdown whenever you want them elsewhere.

## Writing

Type Markdown as you go: \`# \` for a heading, \`- \` for a list, \`[ ] \` for a task, \`> \` for a quote, and three backticks for code. Select text to make it **bold**, *italic* or \`code\`, or use the toolbar.

- [ ] Create your first note with **New note**
- [ ] Give it a title that says what you learned

---

Happy note-taking.`;
