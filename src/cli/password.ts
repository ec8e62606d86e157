/**
 * The key password, as cosign reads it: COSIGN_PASSWORD when set (even empty), else a prompt on the
 * terminal without echo, else all of standard input (for pipes). A new key's password is asked twice.
 */
import { readFileSync } from 'node:fs';
import { SigilError } from '../core/index.js';

export async function readPassword(options: { confirm: boolean }): Promise<string> {
  const fromEnv = process.env.COSIGN_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  const password = await prompt('Enter password for private key: ');
  if (options.confirm && (await prompt('Enter password for private key again: ')) !== password) {
    throw new SigilError('BAD_PASSWORD', 'passwords do not match');
  }
  return password;
}

/** Reads one line from the terminal with echo off (raw mode), writing the prompt to stderr. */
function prompt(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let answer = '';
    const finish = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new SigilError('BAD_PASSWORD', 'password prompt interrupted'));
        if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1);
        else answer += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
