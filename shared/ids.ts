/** Random url-safe identifiers for spaces and notes (128 bits, no coordination needed). */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Letters and digits only, for the first character: an id starting with '-' reads as an option on a command line. */
const FIRST = 62;

export function newId(length = 22): string {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  let id = '';
  for (const [i, b] of bytes.entries()) id += ALPHABET[i === 0 ? b % FIRST : b & 63];
  return id;
}
