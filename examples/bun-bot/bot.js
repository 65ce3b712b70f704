// bot.js: the Node.js example bot (../node-bot/bot.js) under Bun, with heap
// snapshots taken from inside by heapdiff-snapshots.js. Try it:
//
//   HEAPDIFF_DIR=/tmp/bun-snaps HEAPDIFF_EVERY_MS=60000 bun examples/bun-bot/bot.js --leak
//   kill -USR2 <pid>                   # a snapshot now
//   heapdiff trend /tmp/bun-snaps
"use strict";

const { startHeapSnapshots } = require("./heapdiff-snapshots.js");
startHeapSnapshots();
require("../node-bot/bot.js");
