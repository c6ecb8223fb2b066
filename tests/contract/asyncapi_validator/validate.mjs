// Reads an AsyncAPI document on stdin; prints the parser's diagnostics as JSON lines and exits
// 1 when any is an error (severity 0): the AsyncAPI 3.0 JSON schema and the parser's rules.
import { Parser } from '@asyncapi/parser';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const parser = new Parser();
const { document, diagnostics } = await parser.parse(Buffer.concat(chunks).toString('utf8'));
for (const d of diagnostics) {
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
}
const errors = diagnostics.filter((d) => d.severity === 0);
if (!document || errors.length > 0) process.exit(1);
console.log(JSON.stringify({ version: document.version(), channels: document.channels().all().map((c) => c.id()) }));
