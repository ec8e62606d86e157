/**
 * matchImageReferences globs as Kyverno compiles them (gobwas/glob without separators): `*` and `**` match
 * any text, `/` included; `?` one character; `[abc]`, `[a-z]`, `[!a]` classes; `{a,b}` alternatives; `\`
 * escapes the next character.
 */
import { SigilError } from '../../core/index.js';

export function globPattern(glob: string, where: string): RegExp {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\') {
      const next = glob[++i];
      if (next === undefined) throw new SigilError('BAD_INPUT', `${where}: glob ends with an escape`);
      out += literal(next);
    } else if (c === '*') {
      while (glob[i + 1] === '*') i++;
      out += '[\\s\\S]*';
    } else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0)
        throw new SigilError('BAD_INPUT', `${where}: unexpected end of input in ${JSON.stringify(glob)}`);
      const body = glob.slice(i + 1, end);
      out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += literal(c);
  }
  if (depth > 0) throw new SigilError('BAD_INPUT', `${where}: unclosed { in ${JSON.stringify(glob)}`);
  return new RegExp(`^${out}$`);
}

function literal(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
