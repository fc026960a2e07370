/**
 * Makes a string safe to print on a terminal. A report, or a command line
 * read from /proc, is data from another process: a name holding ESC or CR
 * could rewrite the screen, a bidirectional override reorder what is
 * shown. Control characters become visible `\xNN` escapes; line
 * separators and bidirectional controls, `\u{NNNN}`.
 */
export function sanitizeText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
