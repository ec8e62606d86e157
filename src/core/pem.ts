import { SigilError } from './errors.js';

export interface PemBlock {
  label: string;
  der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** All PEM blocks in `text`, in order. `where` (a file name, a flag) goes into errors. */
export function decodePemBlocks(text: string, where: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const body = (match[2] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new SigilError('BAD_PEM', `${where}: PEM block "${match[1]}" has an invalid base64 body`);
    }
    blocks.push({ label: match[1] ?? '', der: Buffer.from(body, 'base64') });
  }
  if (blocks.length === 0) throw new SigilError('BAD_PEM', `${where}: no PEM block found`);
  return blocks;
}

/** The single PEM block in `text`, which must carry one of `labels`. */
export function decodePem(text: string, where: string, labels: readonly string[]): PemBlock {
  const [block] = decodePemBlocks(text, where);
  if (!block || !labels.includes(block.label)) {
    throw new SigilError(
      'BAD_PEM',
      `${where}: expected a PEM block of type ${labels.join(' or ')}, found "${block?.label}"`,
    );
  }
  return block;
}

export function encodePem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
