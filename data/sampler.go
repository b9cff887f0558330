package data

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
)

// endOfText is the id of <|endoftext|>, tokenizer.EndOfText; the
// shard format fixes it so that shards can be read without a
// tokenizer.
const endOfText int32 = 256

// Sampler draws training batches of random windows from a shard. The
// batch of step s depends only on (seed, s), so a run resumed at step
// s sees exactly the batches of the uninterrupted run.
type Sampler struct {
	shard *Shard
	seed  uint64
}

// NewSampler checks that the shard holds at least two tokens.
func NewSampler(s *Shard, seed uint64) (*Sampler, error) {
	if s.Len() < 2 {
		return nil, fmt.Errorf("data: sampler: %s has %d tokens, need 2",
			s.path, s.Len())
	}
	return &Sampler{shard: s, seed: seed}, nil
}

// MaxT is the longest context a batch can have.
func (s *Sampler) MaxT() int { return s.shard.Len() - 1 }

// Batch fills x and y, each (B, T), with B windows of T+1 tokens
// starting at positions drawn uniformly by a PCG seeded from
// (seed, step); y is x shifted left by one. It panics when T > MaxT
// or x, y hold fewer than B·T values.
func (s *Sampler) Batch(step, B, T int, x, y []int32) {
	if T > s.MaxT() || T <= 0 || len(x) < B*T || len(y) < B*T {
		panic(fmt.Sprintf("data: Batch(B=%d, T=%d): len(x)=%d len(y)=%d"+
			" max T %d", B, T, len(x), len(y), s.MaxT()))
	}
	st := s.seed
	k1 := splitmix64(&st)
	st ^= uint64(step) * 0xd1342543de82ef95
	k2 := splitmix64(&st)
	rng := rand.New(rand.NewPCG(k1, k2))
	n := s.shard.Len()
	win := make([]int32, T+1)
	for b := range B {
		start := rng.IntN(n - T) // window [start, start+T] fits
		s.shard.Read(win, start)
		copy(x[b*T:(b+1)*T], win[:T]) // (T)
		copy(y[b*T:(b+1)*T], win[1:]) // (T)
	}
}

// EvalBatch is one batch of consecutive validation windows; only the
// first Rows rows of X and Y, each (B, T), are filled.
type EvalBatch struct {
	X, Y []int32
	Rows int
}

// EvalWindows returns the number of non-overlapping windows of T
// targets: window i holds inputs [iT, iT+T) and targets shifted by 1.
func (s *Shard) EvalWindows(T int) int {
	if T <= 0 || s.Len() < 2 {
		return 0
	}
	return (s.Len() - 1) / T
}

// EvalBatches walks all evaluation windows in order, B per batch (the
// last may have fewer rows). The slices are reused between batches.
func (s *Shard) EvalBatches(B, T int) iter.Seq[EvalBatch] {
	return func(yield func(EvalBatch) bool) {
		x, y := make([]int32, B*T), make([]int32, B*T)
		win := make([]int32, T+1)
		nw := s.EvalWindows(T)
		for w0 := 0; w0 < nw; w0 += B {
			rows := min(B, nw-w0)
			for r := range rows {
				s.Read(win, (w0+r)*T)
				copy(x[r*T:(r+1)*T], win[:T])
				copy(y[r*T:(r+1)*T], win[1:])
			}
			if !yield(EvalBatch{X: x, Y: y, Rows: rows}) {
				return
			}
		}
	}
}

// BitsPerByte converts a mean loss in nats per token over this shard
// into bits per byte of text: loss · tokens / (bytes · ln 2). It
// returns NaN for a shard without text bytes.
func (s *Shard) BitsPerByte(meanLossNats float64) float64 {
	if s.Bytes == 0 {
		return math.NaN()
	}
	return BitsPerByte(meanLossNats, s.Tokens, s.Bytes)
}

// BitsPerByte is loss_nats · tokens / (bytes · ln 2).
func BitsPerByte(lossNats float64, tokens, bytes int64) float64 {
	return lossNats * float64(tokens) / (float64(bytes) * math.Ln2)
}
