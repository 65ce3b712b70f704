'use strict';
// admin-session.js: a module main.js loads only after its first snapshot,
// defining a second class named UserSession.

class UserSession {
  constructor(id) {
    this.id = id;
    this.admin = true;
  }
}

module.exports = {UserSession};
