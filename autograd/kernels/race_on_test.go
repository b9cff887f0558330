//go:build race

package kernels

// raceEnabled trims the largest serial test shapes under -race, where
// the naive reference runs about 20 times slower; the parallel tests
// keep their full size.
const raceEnabled = true
