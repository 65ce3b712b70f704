// Package v8 reads what V8 (Node.js, Chromium, Bun) writes about its heap,
// for package profile to turn into heapdiff's model. It does not depend on
// that model: it returns its own, neutral data.
package v8
