'use strict';
// session-b.js: the other module with a class Session and a function set
// (see main.js). The sessions made here are replaced, not kept: their
// number stays the same.
// (The blank lines below put this module's Session and set on other lines
// than session-a.js's, as in two real modules.)


class Session {
  constructor(id) {
    this.id = id;
    this.entry = set(id);
  }
}

function set(id) {
  return {owner: 'b', id};
}

module.exports = {Session, set};
