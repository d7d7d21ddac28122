// A producer that ignores backpressure: it writes BYTES (argv[2]) to stdout through
// fs.createWriteStream in one synchronous loop and never looks at write()'s answer.
// Whatever the pipe does not take at once piles up in the process's memory.
'use strict';
const fs = require('fs');

const total = Number(process.argv[2]);
const chunkSize = 64 * 1024;
const out = fs.createWriteStream(null, { fd: 1 });
for (let sent = 0; sent < total; sent += chunkSize) {
  out.write(Buffer.alloc(chunkSize, 0x69)); // a new buffer each time, as real data is
}
out.end();
