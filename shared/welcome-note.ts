/** The first note a new member sees: what Commonplace is and how to use it. */
export const WELCOME_TITLE = 'Welcome to Commonplace';

export const WELCOME_MARKDOWN = `Commonplace is your community's notebook. Write down what you learn in practice, and share it with the people who practise the same craft.

## Everything stays with you

- Notes live on **this device**. Commonplace works fully offline: no server, no account.
- Members on the same network sync directly with each other, and edits made apart merge when you meet again.
- Your notes export to plain Markdown whenever you want them elsewhere.

## Writing

Type Markdown as you go: \`# \` for a heading, \`- \` for a list, \`[ ] \` for a task, \`> \` for a quote, and three backticks for code. Select text to make it **bold**, *italic* or \`code\`, or use the toolbar.

Type [[ to link to another note; the notes that link here are listed under **Backlinks**. Tags and search are in the sidebar, and Ctrl+K jumps to any note.

## With your community

**Share space** gives you an invite code for the members of your community; they open it with **Join space**, and everyone on the same network stays in sync. **Markdown** exports a note, this space or everything, and imports folders of Markdown files (Obsidian vaults too).

- [ ] Create your first note with **New note**
- [ ] Give it a title that says what you learned
- [ ] Share this space with a colleague

---

Happy note-taking.`;
