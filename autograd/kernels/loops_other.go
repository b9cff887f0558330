//go:build purego || !amd64

package kernels

func axpy(y []float32, alpha float32, x []float32) { axpyGo(y, alpha, x) }
func dot(x, y []float32) float32                   { return dotGo(x, y) }
func scale(x []float32, alpha float32)             { scaleGo(x, alpha) }

// transpose8 has no vector version here; the caller's loop does all.
func transpose8(_ []float32, _ int, _ []float32, _, _ int) int { return 0 }
