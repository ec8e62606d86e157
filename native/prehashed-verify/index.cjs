'use strict';
// The compiled addon; requiring this throws when it was not built (no compiler at install time).
module.exports = require('./build/Release/prehashed_verify.node');
