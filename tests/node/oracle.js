// The parity tests' oracle: Node's own fs streams copy one file, and this script prints
// the numbers bpcopy's jsonl trace must reproduce (tests/e2e/test_e2e_node_parity.py).
// It knows nothing of bpcopy; it only uses Node's public stream API.
//
//   node oracle.js SRC DST MARK [pump|pipe]
//
// MARK is the highWaterMark of both the read stream and the write stream.
//   pump  the tutorial's loop: pause() when write() answers false, resume() on 'drain'
//   pipe  readable.pipe(writable), which applies the same rule itself
//
// stdout gets one JSON object a line, with bpcopy's field names:
//   {"event":"chunk", seq, bytes, write_ok, readable_length, writable_length,
//    need_drain, paused, drains, pauses}       after each 'data' has been handled
//   {"event":"drain", drains, writable_length, readable_length}    on each 'drain'
//   {"event":"summary", mode, node, readable_high_water_mark, writable_high_water_mark,
//    chunks, bytes, pauses, drains, max_readable_length, max_writable_length}  at 'finish'
'use strict';

const fs = require('fs');

function usage(problem) {
  process.stderr.write(`oracle.js: ${problem}\nusage: node oracle.js SRC DST MARK [pump|pipe]\n`);
  process.exit(2);
}

const [source, destination, markText, mode = 'pump'] = process.argv.slice(2);
if (destination === undefined || markText === undefined) usage('SRC, DST and MARK are needed');
const mark = Number(markText);
if (!Number.isInteger(mark) || mark < 0) usage(`MARK must be a non-negative integer: ${markText}`);
if (mode !== 'pump' && mode !== 'pipe') usage(`unknown mode: ${mode}`);

const readable = fs.createReadStream(source, { highWaterMark: mark });
const writable = fs.createWriteStream(destination, { highWaterMark: mark });

const totals = { chunks: 0, bytes: 0, pauses: 0, drains: 0,
                 max_readable_length: 0, max_writable_length: 0 };
const emit = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);

// pipe() calls write() itself, so the answer is caught on its way out of write().
let lastWriteAnswer = true;
const nodeWrite = writable.write;
writable.write = function answerRememberingWrite(...args) {
  lastWriteAnswer = nodeWrite.apply(this, args);
  return lastWriteAnswer;
};

function recordChunk(chunk) {
  totals.chunks += 1;
  totals.bytes += chunk.length;
  totals.max_readable_length = Math.max(totals.max_readable_length, readable.readableLength);
  totals.max_writable_length = Math.max(totals.max_writable_length, writable.writableLength);
  emit({ event: 'chunk', seq: totals.chunks, bytes: chunk.length, write_ok: lastWriteAnswer,
         readable_length: readable.readableLength, writable_length: writable.writableLength,
         need_drain: writable.writableNeedDrain, paused: readable.isPaused(),
         drains: totals.drains, pauses: totals.pauses });
}

// Node emits 'pause' only when the stream actually stops flowing, as bpcopy counts pauses.
readable.on('pause', () => { totals.pauses += 1; });
// Registered before the pump's resume(), so the record shows the state at 'drain' itself.
writable.on('drain', () => {
  totals.drains += 1;
  emit({ event: 'drain', drains: totals.drains, writable_length: writable.writableLength,
         readable_length: readable.readableLength });
});

if (mode === 'pipe') {
  readable.pipe(writable);
  // Added after pipe()'s own 'data' listener, so the record sees any pause() pipe made.
  readable.on('data', recordChunk);
} else {
  readable.on('data', (chunk) => {
    if (!writable.write(chunk)) readable.pause();
    recordChunk(chunk);
  });
  writable.on('drain', () => readable.resume());
  readable.on('end', () => writable.end());
}

for (const stream of [readable, writable]) {
  stream.on('error', (error) => {
    process.stderr.write(`oracle.js: ${error.message}\n`);
    process.exit(1);
  });
}

writable.on('finish', () => emit({
  event: 'summary', mode, node: process.version,
  readable_high_water_mark: readable.readableHighWaterMark,
  writable_high_water_mark: writable.writableHighWaterMark,
  ...totals,
}));
