// Checks test/go-regexp/table.json against Go's own regexp package, so the table sigil's
// compileGoRegexp is tested with is what Go does, not what someone believed Go does. No dependencies.
module sigil.test/go-regexp

go 1.22
