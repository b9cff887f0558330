package sft

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
	"github.com/tinyseek/tinyseek/pretrain"
)

// Encoded is one example in tokens: ids and next-token targets (−1 =
// not trained), both of length L ≤ T.
type Encoded struct {
	IDs, Targets []int32
}

// Encode applies the chat template and the loss mask, keeping at most
// maxLen tokens (the start). ok is false when truncation leaves no
// trained target: the example is then skipped.
func Encode(tok *tokenizer.Tokenizer, ex Example,
	maxLen int) (e Encoded, ok bool, err error) {
	ids, trained, err := data.EncodeChat(tok, ex.Messages, false)
	if err != nil {
		return Encoded{}, false, err
	}
	if len(ids) > maxLen {
		ids, trained = ids[:maxLen], trained[:maxLen]
	}
	e = Encoded{IDs: ids, Targets: data.Targets(ids, trained)}
	return e, e.active() > 0, nil
}

func (e Encoded) active() int {
	n := 0
	for _, t := range e.Targets {
		if t >= 0 {
			n++
		}
	}
	return n
}

// Packed holds R rows of T tokens, each row several whole examples
// followed by padding. All slices are (R·T), row-major.
type Packed struct {
	R, T      int
	IDs       []int32
	Targets   []int32
	Positions []int32 // restart at 0 for each example (and padding)
	Segments  []int32 // example number in its row; −1 for padding
	Pad       []bool
}

// Pack places examples (each at most T tokens) into rows by first-fit
// decreasing length, so that short examples fill the gaps long ones
// leave. The layout depends only on the examples and their order.
func Pack(exs []Encoded, T int) *Packed {
	order := make([]int, len(exs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(len(exs[b].IDs), len(exs[a].IDs))
	})

	// 1. First fit: rows[r] lists the examples of row r.
	var rows [][]int
	var free []int
	for _, i := range order {
		n := len(exs[i].IDs)
		r := slices.IndexFunc(free, func(f int) bool { return f >= n })
		if r < 0 {
			rows, free = append(rows, nil), append(free, T)
			r = len(rows) - 1
		}
		rows[r] = append(rows[r], i)
		free[r] -= n
	}

	// 2. Lay the rows out, padding each to T.
	p := &Packed{R: len(rows), T: T}
	for _, row := range rows {
		for s, i := range row {
			p.add(exs[i].IDs, exs[i].Targets, int32(s))
		}
		n := len(p.IDs) % T
		if n > 0 {
			pad := make([]int32, T-n)
			for j := range pad {
				pad[j] = tokenizer.Pad
			}
			p.add(pad, nil, -1)
		}
	}
	return p
}

// add appends one segment; nil targets mean padding.
func (p *Packed) add(ids, targets []int32, seg int32) {
	for j, id := range ids {
		t := int32(-1)
		if targets != nil {
			t = targets[j]
		}
		p.IDs = append(p.IDs, id)
		p.Targets = append(p.Targets, t)
		p.Positions = append(p.Positions, int32(j))
		p.Segments = append(p.Segments, seg)
		p.Pad = append(p.Pad, targets == nil)
	}
}

// PadFraction is the share of token slots that hold padding.
func (p *Packed) PadFraction() float64 {
	if len(p.Pad) == 0 {
		return 0
	}
	n := 0
	for _, pad := range p.Pad {
		if pad {
			n++
		}
	}
	return float64(n) / float64(len(p.Pad))
}

// Batch gathers the given rows into one micro-batch.
func (p *Packed) Batch(rows []int) pretrain.Batch {
	T := p.T
	b := pretrain.Batch{B: len(rows), T: T}
	o := layers.ForwardOptions{}
	for _, r := range rows {
		lo, hi := r*T, (r+1)*T
		b.IDs = append(b.IDs, p.IDs[lo:hi]...)
		b.Targets = append(b.Targets, p.Targets[lo:hi]...)
		o.Positions = append(o.Positions, p.Positions[lo:hi]...)
		o.Segments = append(o.Segments, p.Segments[lo:hi]...)
		o.PadMask = append(o.PadMask, p.Pad[lo:hi]...)
	}
	b.Opts = o
	for _, t := range b.Targets {
		if t >= 0 {
			b.Active++
		}
	}
	return b
}

// Batcher serves micro-batches of B rows: epoch e visits the rows in
// an order drawn from (seed, e), so a batch depends only on (seed,
// step, micro) and a resumed run sees the same data.
type Batcher struct {
	P         *Packed
	B         int
	GradAccum int
	Seed      uint64

	epoch int
	perm  []int
}

// Batch returns micro-batch micro of step. The last batch of an epoch
// may hold fewer rows.
func (s *Batcher) Batch(step, micro int) pretrain.Batch {
	B := min(s.B, s.P.R)
	perEpoch := (s.P.R + B - 1) / B
	i := step*s.GradAccum + micro
	epoch, j := i/perEpoch, i%perEpoch
	if s.perm == nil || s.epoch != epoch {
		rng := rand.New(rand.NewPCG(s.Seed, uint64(epoch)))
		s.perm, s.epoch = rng.Perm(s.P.R), epoch
	}
	return s.P.Batch(s.perm[j*B : min((j+1)*B, s.P.R)])
}
