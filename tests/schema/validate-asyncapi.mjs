// Validates an AsyncAPI document with the maintained parser (@asyncapi/parser): the
// AsyncAPI 3.0 JSON Schema, every $ref, and the parser's Spectral ruleset. Any
// diagnostic of severity error fails; warnings are printed so they get looked at.
import { readFile } from 'node:fs/promises';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const path = process.argv[2];
if (!path) {
  console.error('usage: node validate-asyncapi.mjs <asyncapi.yaml>');
  process.exit(2);
}
const source = await readFile(path, 'utf8');
const { document, diagnostics } = await new Parser().parse(source, { source: path });
const label = (s) => ['error', 'warning', 'info', 'hint'][s] ?? String(s);
for (const d of diagnostics) {
  if (d.severity <= DiagnosticSeverity.Warning) {
    console.log(`${label(d.severity)} ${d.code} at ${d.path.join('.') || '(root)'}: ${d.message}`);
  }
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
if (!document || errors.length > 0) {
  console.error(`${path}: ${errors.length} error(s); not a valid AsyncAPI document`);
  process.exit(1);
}
const ops = document.operations().length;
const msgs = document.allMessages().length;
console.log(`${path}: valid AsyncAPI ${document.version()} (${ops} operations, ${msgs} messages)`);
