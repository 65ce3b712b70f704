// Package bunbot holds no Go code: it is the directory of the Bun example
// (bot.js, and heapdiff-snapshots.js, the snippet that takes heap snapshots
// from inside a Bun process), and of the test that runs them under real Bun
// and Node.js and reads what they write with heapdiff's loader.
package bunbot
