/** Limits on what an import accepts, so hostile or mistaken input cannot exhaust memory or time. */

/** One Markdown file may be at most this large; larger files are refused without being read whole. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** An import (a folder, a vault, or everything inflated out of a zip) holds at most this many files. */
export const MAX_IMPORT_FILES = 20_000;
/** Everything inflated out of one zip, or read from one folder, together. */
export const MAX_IMPORT_TOTAL_BYTES = 256 * 1024 * 1024;
/** A file name inside an export is at most this many UTF-8 bytes, extension included. */
export const MAX_FILE_NAME_BYTES = 120;
