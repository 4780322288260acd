// Validate an AsyncAPI document with the official parser (shipped with @eventcatalog/core).
// Usage: node validate-asyncapi.mjs FILE   (run from the folder whose node_modules has it)
import { Parser } from '@asyncapi/parser';
import { readFileSync } from 'node:fs';

const severities = ['error', 'warning', 'info', 'hint'];
const { document, diagnostics } = await new Parser().parse(readFileSync(process.argv[2], 'utf8'));
for (const d of diagnostics) {
  console.log(`asyncapi ${severities[d.severity]}: ${d.code} at ${d.path.join('.') || '/'}: ${d.message}`);
}
const failed = !document || diagnostics.some((d) => d.severity <= 1);
console.log(failed ? 'asyncapi: INVALID' : 'asyncapi: valid');
process.exit(failed ? 1 : 0);
