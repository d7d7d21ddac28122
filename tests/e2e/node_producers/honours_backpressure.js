// A producer that honours backpressure: it writes BYTES (argv[2]) to stdout through
// fs.createWriteStream, and whenever write() answers false it waits for 'drain'.
// Its memory stays flat however slowly the reader drains the pipe.
'use strict';
const fs = require('fs');

const total = Number(process.argv[2]);
const chunkSize = 64 * 1024;
const out = fs.createWriteStream(null, { fd: 1 });
let sent = 0;

function writeSome() {
  while (sent < total) {
    sent += chunkSize;
    if (!out.write(Buffer.alloc(chunkSize, 0x68))) {
      out.once('drain', writeSome);
      return;
    }
  }
  out.end();
}

writeSome();
