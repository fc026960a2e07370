/**
 * NODE_OPTIONS' words as Node splits them: on spaces, except inside double
 * quotes, which keep their spaces and take a backslash as an escape; the quotes
 * themselves go.
 */
export function splitNodeOptions(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted && c === '\\' && i + 1 < text.length) word = (word ?? '') + (text[++i] as string);
    else if (c === '"') {
      quoted = !quoted;
      word ??= '';
    } else if (!quoted && /\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}
