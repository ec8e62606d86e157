// A node:test reporter: one line per test, failure details, and a closing "N passed, N failed, N skipped".
import { inspect } from 'node:util';

export default async function* reporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, details, skip, todo, file } = event.data;
    // Suites (describe blocks and files) report as tests too; count only the leaves, except a suite that
    // failed on its own (its body or a hook threw), which would otherwise hide its tests' absence.
    const ownFailure = event.type === 'test:fail' && details?.error?.failureType !== 'subtestsFailed';
    if (details?.type === 'suite' && !ownFailure) continue;
    const indent = '  '.repeat(nesting);
    if (event.type === 'test:pass' && (skip !== undefined || todo !== undefined)) {
      skipped++;
      yield `${indent}- ${name} # SKIP ${typeof skip === 'string' ? skip : ''}\n`;
    } else if (event.type === 'test:pass') {
      passed++;
      yield `${indent}ok ${name}\n`;
    } else {
      failed++;
      const error = details?.error?.cause ?? details?.error;
      failures.push(`${file ?? ''} › ${name}\n${inspect(error, { depth: 4 })}`);
      yield `${indent}FAIL ${name}\n`;
    }
  }
  for (const failure of failures) yield `\n--- ${failure}\n`;
  yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
