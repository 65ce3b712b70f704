'use strict';
// user-session.js: the sessions main.js leaks. Each keeps a profile of its
// own (a 3000-character string) and the last file its user uploaded.

class UserSession {
  constructor(id, profile, upload) {
    this.id = id;
    this.profile = profile;
    this.lastUpload = upload;
  }
}

module.exports = {UserSession};
