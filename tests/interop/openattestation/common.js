// Shared helpers for the interop drivers: read one JSON request from stdin, write one JSON answer.
"use strict";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
    process.stdin.on("error", reject);
  });
}

function main(handler) {
  readStdin()
    .then(handler)
    .then((out) => {
      process.stdout.write(JSON.stringify(out));
    })
    .catch((err) => {
      process.stderr.write(String((err && err.stack) || err));
      process.exit(1);
    });
}

module.exports = { main };
