'use strict';
// session-a.js: one of two modules that each export a class Session and a
// function set (see main.js). The sessions made here leak.

class Session {
  constructor(id) {
    this.id = id;
    this.entry = set(id);
  }
}

function set(id) {
  return {owner: 'a', id};
}

module.exports = {Session, set};
