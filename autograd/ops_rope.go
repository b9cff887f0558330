package autograd

import (
	"fmt"
	"math"
)

// RoPETable holds cos and sin of pos·θ^(−2i/D) for every position below
// MaxPos and every pair i < D/2.
type RoPETable struct {
	D, MaxPos int
	cos, sin  []float32 // (MaxPos, D/2)
}

// NewRoPETable precomputes the rotation angles for head width d.
func NewRoPETable(d, maxPos int, theta float64) *RoPETable {
	if d%2 != 0 {
		panic(fmt.Sprintf("autograd: RoPE needs an even width, got %d", d))
	}
	t := &RoPETable{D: d, MaxPos: maxPos,
		cos: make([]float32, maxPos*d/2), sin: make([]float32, maxPos*d/2)}
	for p := 0; p < maxPos; p++ {
		for i := 0; i < d/2; i++ {
			f := math.Pow(theta, -float64(2*i)/float64(d))
			s, c := math.Sincos(float64(p) * f)
			t.cos[p*d/2+i], t.sin[p*d/2+i] = float32(c), float32(s)
		}
	}
	return t
}

// Positions returns offset, offset+1, ..., offset+T−1 repeated B times:
// the positions of a (B, T) batch that starts at offset.
func Positions(B, T, offset int) []int32 {
	pos := make([]int32, B*T)
	for i := range pos {
		pos[i] = int32(offset + i%T)
	}
	return pos
}

// RoPE rotates adjacent pairs (x[2i], x[2i+1]) of the last axis by
// pos·θ^(−2i/D), DeepSeek's interleaved layout. x is (N, ..., D) with
// len(pos) = N rows; every vector inside row n uses position pos[n], so a
// (B, T, H, D) query and a (B, T, 1, D) shared key both work.
func (tp *Tape) RoPE(x *Tensor, tab *RoPETable, pos []int32) *Tensor {
	d := x.Cols()
	if d != tab.D || x.Size()%(len(pos)*d) != 0 {
		panic(fmt.Sprintf("autograd: RoPE: x %v, table width %d, %d "+
			"positions", x.Shape, tab.D, len(pos)))
	}
	per := x.Size() / len(pos) / d // vectors per position
	out := tp.newTensor(x.Shape...)
	ropeRotate(out.Data, x.Data, tab, pos, per, 1)
	if tp.needs(x) {
		tp.push(out, func() {
			// The inverse rotation is the transpose: rotate by −angle.
			tmp := tp.alloc(x.Size())
			ropeRotate(tmp, out.Grad, tab, pos, per, -1)
			axpy(tp.gradOf(x), 1, tmp)
		})
	}
	return out
}

// ropeRotate writes x rotated by sign·angle into y.
func ropeRotate(y, x []float32, tab *RoPETable, pos []int32, per int,
	sign float32) {
	d, h := tab.D, tab.D/2
	for n, p := range pos {
		if int(p) >= tab.MaxPos || p < 0 {
			panic(fmt.Sprintf("autograd: RoPE: position %d outside "+
				"table of %d", p, tab.MaxPos))
		}
		cs, sn := tab.cos[int(p)*h:int(p+1)*h], tab.sin[int(p)*h:int(p+1)*h]
		for v := 0; v < per; v++ {
			o := (n*per + v) * d
			xs, ys := x[o:o+d], y[o:o+d]
			for i := 0; i < h; i++ {
				c, s := cs[i], sign*sn[i]
				x0, x1 := xs[2*i], xs[2*i+1]
				ys[2*i] = x0*c - x1*s
				ys[2*i+1] = x0*s + x1*c
			}
		}
	}
}
