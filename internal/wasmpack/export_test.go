package wasmpack

// AppendSleb is appendSleb, for the tests' module builder and its own table test.
var AppendSleb = appendSleb
