package pretrain

import (
	"runtime"
	"sync"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/layers"
)

// worker is one data-parallel replica: its own tape and, except for
// worker 0, which writes into the parameters' own gradients, its own
// gradient buffers.
type worker struct {
	tp    *ag.Tape
	grads map[*ag.Tensor][]float32
}

// workers returns how many replicas split a micro-batch: one per core,
// at most one per row, and only for the built-in next-token loss, whose
// rows are independent (a custom loss may tie rows together, as the
// reward model's chosen/rejected pairs do).
func (t *Trainer) workerCount(B int) int {
	if t.LossFn != nil || t.Workers == 1 {
		return 1
	}
	n := t.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return max(1, min(n, B))
}

// setupWorkers makes n replicas for params.
func (t *Trainer) setupWorkers(n int, params []*ag.Tensor) {
	if len(t.workers) == n {
		return
	}
	t.workers = make([]worker, n)
	for i := range t.workers {
		t.workers[i].tp = ag.NewTape()
		if i == 0 {
			continue
		}
		g := map[*ag.Tensor][]float32{}
		for _, p := range params {
			g[p] = make([]float32, p.Size())
		}
		t.workers[i].grads = g
		t.workers[i].tp.RedirectGrads(g)
	}
}

// microParallel runs forward and backward of one micro-batch split by
// rows across the workers, each shard's loss weighted by its share of
// the active targets so that the sum equals the whole batch's mean. It
// returns the micro-batch loss; gradients land in the workers' buffers
// (scaled by 1/accum).
func (t *Trainer) microParallel(b Batch, seed uint64, accum int) float64 {
	n := len(t.workers)
	active := countActive(b.Targets)
	losses := make([]float64, n)
	var wg sync.WaitGroup
	for w := range n {
		r0, r1 := w*b.B/n, (w+1)*b.B/n
		sub := shard(b, r0, r1)
		weight := float64(r1-r0) / float64(b.B)
		if active > 0 {
			weight = float64(countActive(sub.Targets)) / float64(active)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tp := t.workers[w].tp
			tp.SeedDropout(seed + uint64(w)<<32)
			loss, _ := t.Model.Loss(tp, sub.IDs, sub.Targets, sub.B, sub.T,
				sub.Opts)
			losses[w] = weight * float64(loss.Item())
			if loss.RequiresGrad() && weight > 0 {
				tp.Backward(tp.Scale(loss, float32(weight)/float32(accum)))
			}
			tp.Reset()
		}()
	}
	wg.Wait()
	var sum float64
	for _, l := range losses {
		sum += l
	}
	return sum
}

// gatherGrads adds every other worker's gradients into the parameters'
// own, in worker order (so the result is deterministic), and zeroes
// them for the next step.
func (t *Trainer) gatherGrads(params []*ag.Tensor) {
	for _, w := range t.workers[1:] {
		for _, p := range params {
			g := w.grads[p]
			for i, v := range g {
				p.Grad[i] += v
			}
			clear(g)
		}
	}
}

// shard returns rows [r0, r1) of a batch.
func shard(b Batch, r0, r1 int) Batch {
	T := b.T
	cut := func(x []int32) []int32 {
		if x == nil {
			return nil
		}
		return x[r0*T : r1*T]
	}
	s := Batch{IDs: cut(b.IDs), Targets: cut(b.Targets), B: r1 - r0, T: T,
		Opts: layers.ForwardOptions{Positions: cut(b.Opts.Positions),
			Segments: cut(b.Opts.Segments)}}
	if b.Opts.PadMask != nil {
		s.Opts.PadMask = b.Opts.PadMask[r0*T : r1*T]
	}
	return s
}

func countActive(targets []int32) int {
	n := 0
	for _, t := range targets {
		if t >= 0 {
			n++
		}
	}
	return n
}
