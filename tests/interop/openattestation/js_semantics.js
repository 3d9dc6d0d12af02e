// JavaScript's own answers for the semantics govledger reproduces: String(n) and JSON.stringify(s).
// stdin: {"numbers": [..], "strings": [..]}   stdout: {"numbers": [String(n)..], "strings": [JSON.stringify(s)..]}
"use strict";
const { main } = require("./common");

main(async (req) => ({
  numbers: req.numbers.map((n) => String(n)),
  strings: req.strings.map((s) => JSON.stringify(s)),
}));
