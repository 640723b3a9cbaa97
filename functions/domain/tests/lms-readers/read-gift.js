// Reads an examfn GIFT export back with gift-pegjs and prints what it read as JSON, in the shape
// read.py prints (see there):
//
//     node read-gift.js READERS_DIR FILE.txt
//
// "credit" is the option's GIFT weight where it has one (%50%), else 100 for = and 0 for ~, as
// Moodle grades it. Each text's format is given too: an export's texts must all be "moodle", the
// format unmarked GIFT text has. A file gift-pegjs cannot parse exits with status 1.
'use strict';
const path = require('path');
const fs = require('fs');

const [readers, file] = process.argv.slice(2);
const gift = require(path.join(readers, 'node', 'node_modules', 'gift-pegjs'));
const version = require(path.join(readers, 'node', 'node_modules', 'gift-pegjs', 'package.json')).version;

let parsed;
try {
  parsed = gift.parse(fs.readFileSync(file, 'utf8'));
} catch (e) {
  const where = e.location ? ` at line ${e.location.start.line}, column ${e.location.start.column}` : '';
  console.error(`read-gift.js: gift-pegjs cannot parse ${file}${where}: ${e.message}`);
  process.exit(1);
}

const out = { readers: [`gift-pegjs ${version}`], checks: [], category: null, questions: [] };
for (const q of parsed) {
  if (q.type === 'Category') {
    out.category = q.title;
    continue;
  }
  if (q.type === 'TF') {
    out.questions.push({
      kind: 'truefalse',
      title: q.title,
      text: q.stem.text,
      format: q.stem.format,
      options: [
        { text: 'True', credit: q.isTrue ? 100 : 0, format: 'moodle' },
        { text: 'False', credit: q.isTrue ? 0 : 100, format: 'moodle' },
      ],
    });
    continue;
  }
  out.questions.push({
    kind: q.type === 'MC' ? 'multichoice' : `gift-pegjs type ${q.type}`,
    title: q.title,
    text: q.stem.text,
    format: q.stem.format,
    options: (q.choices || []).map((c) => ({
      text: c.text.text,
      format: c.text.format,
      credit: c.weight !== null && c.weight !== undefined ? c.weight : c.isCorrect ? 100 : 0,
    })),
  });
}
process.stdout.write(JSON.stringify(out));
