//go:build race

package pseudo_test

// raceEnabled is set when the tests run under the race detector, which
// slows the HMACs of the large property tests about tenfold.
const raceEnabled = true
