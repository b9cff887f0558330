package rlhf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/checkpoints/safetensors"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
)

// Names of the files the reward stage adds to a checkpoint.
const (
	// ScoreFile holds the scalar head score.weight (1, C).
	ScoreFile = "score.safetensors"
	// ScoreName is the head's tensor name, as in Hugging Face's
	// sequence-classification models.
	ScoreName = "score.weight"
)

// Scorer is a backbone with a scalar head: the reward model, and the
// PPO critic that starts as a copy of it.
type Scorer struct {
	Model *layers.Model
	Head  *ag.Tensor // (1, C)
}

// NewScorer puts a fresh head, N(0, 1/(C+1)), on m.
func NewScorer(m *layers.Model, seed uint64) *Scorer {
	C := m.Cfg.HiddenSize
	h := ag.NewParam(ScoreName, 1, C)
	h.FillNormal(rand.New(rand.NewPCG(seed, 0x5c0e)),
		1/math.Sqrt(float64(C+1)))
	return &Scorer{Model: m, Head: h}
}

// Params are the backbone's parameters and the head, the head last.
func (s *Scorer) Params() []*ag.Tensor {
	return append(append([]*ag.Tensor(nil), s.Model.Params()...), s.Head)
}

// Padding says on which side shorter sequences of a batch are padded.
type Padding int

// The two padding sides.
const (
	RightPad Padding = iota
	LeftPad
)

// Packed is a batch of B sequences of different lengths padded to T.
type Packed struct {
	IDs  []int32 // (B·T)
	B, T int
	Lens []int // real tokens per row
	Side Padding
	Opts layers.ForwardOptions
}

// Pack pads seqs with <|pad|> to the longest. Pad tokens get their own
// segment and real tokens positions 0…len−1, so that no real token sees
// a pad and padding changes no hidden state of a real token.
func Pack(seqs [][]int32, side Padding) Packed {
	T := 0
	for _, s := range seqs {
		T = max(T, len(s))
	}
	B := len(seqs)
	p := Packed{IDs: make([]int32, B*T), B: B, T: T, Lens: make([]int, B),
		Side: side}
	pos, seg := make([]int32, B*T), make([]int32, B*T)
	pad := make([]bool, B*T)
	for b, s := range seqs {
		p.Lens[b] = len(s)
		off := 0
		if side == LeftPad {
			off = T - len(s)
		}
		for t := range T {
			i, j := b*T+t, t-off
			if j < 0 || j >= len(s) {
				p.IDs[i], pad[i], seg[i] = tokenizer.Pad, true, 1
				continue
			}
			p.IDs[i], pos[i] = s[j], int32(j)
		}
	}
	p.Opts = layers.ForwardOptions{Positions: pos, PadMask: pad}
	if side == LeftPad {
		p.Opts.Segments = seg
	}
	return p
}

// Row returns the flat index b·T+t of token j of row b.
func (p Packed) Row(b, j int) int32 {
	if p.Side == LeftPad {
		return int32(b*p.T + p.T - p.Lens[b] + j)
	}
	return int32(b*p.T + j)
}

// Last returns, per row, the flat index of its last real token, taken
// from the lengths (never by searching for a token id).
func (p Packed) Last() []int32 {
	idx := make([]int32, p.B)
	for b := range p.B {
		idx[b] = p.Row(b, p.Lens[b]-1)
	}
	return idx
}

// Scores returns one score per row (B): the head applied to the
// final-norm hidden state of the row's last real token.
func (s *Scorer) Scores(tp *ag.Tape, p Packed) *ag.Tensor {
	h := s.Model.Hidden(tp, p.IDs, p.B, p.T, p.Opts) // (B·T, C)
	return s.At(tp, h, p.Last())
}

// At applies the head to the rows idx of hidden states h: (len(idx)).
func (s *Scorer) At(tp *ag.Tape, h *ag.Tensor, idx []int32) *ag.Tensor {
	r := tp.Linear(tp.GatherRows(h, idx), s.Head) // (N, 1)
	return tp.Reshape(r, len(idx))
}

// SaveHead writes the head into dir/score.safetensors.
func (s *Scorer) SaveHead(dir string) error {
	return safetensors.Write(filepath.Join(dir, ScoreFile),
		[]safetensors.Tensor{{Name: ScoreName, Shape: s.Head.Shape,
			Data: s.Head.Data}}, nil)
}

// LoadScorer loads a reward checkpoint folder: the backbone and its
// score head.
func LoadScorer(dir string) (*Scorer, error) {
	m, err := layers.Load(dir)
	if err != nil {
		return nil, err
	}
	s := &Scorer{Model: m, Head: ag.NewParam(ScoreName, 1,
		m.Cfg.HiddenSize)}
	return s, s.loadHead(dir)
}

func (s *Scorer) loadHead(dir string) error {
	path := filepath.Join(dir, ScoreFile)
	f, err := safetensors.Read(path)
	if err != nil {
		return fmt.Errorf("rlhf: %s is not a reward checkpoint: %w", dir,
			err)
	}
	t, ok := f.Get(ScoreName)
	if !ok || len(t.Data) != s.Head.Size() {
		return fmt.Errorf("rlhf: %s: %s missing or not (1, %d)", path,
			ScoreName, s.Model.Cfg.HiddenSize)
	}
	copy(s.Head.Data, t.Data)
	return nil
}

// PairLoss is the Bradley–Terry loss with margin m and a centering
// term, averaged over P pairs: −log σ(r_c − r_r − m) + c·(r_c + r_r)².
// rc, rr are (P); margins may be nil.
func PairLoss(tp *ag.Tape, rc, rr *ag.Tensor, margins []float32,
	center float32) *ag.Tensor {
	P := rc.Size()
	a := tp.Reshape(rc, P, 1)
	if margins != nil {
		a = tp.Sub(a, ag.New(margins, P, 1))
	}

	// −log σ(d) as −log softmax([a, r_r])₀: stable for any d.
	two := tp.Concat(a, tp.Reshape(rr, P, 1)) // (P, 2)
	nll := tp.Neg(tp.Mean(tp.Slice(tp.LogSoftmax(two), 0, 1)))
	if center == 0 {
		return nll
	}
	sum := tp.Add(rc, rr)
	return tp.Add(nll, tp.Scale(tp.Mean(tp.Mul(sum, sum)), center))
}
