package sft

import (
	"math"
	"slices"
	"testing"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
)

// TestMaskTrainsResponseOnly pins the loss mask of the issue: for a
// prompt [P1 P2 P3] (P3 the <|assistant|> marker) and a response [R1
// R2 <|end|>], exactly three targets are active, R1, R2 and <|end|>,
// predicted from P3, R1 and R2.
func TestMaskTrainsResponseOnly(t *testing.T) {
	tok := smallTok(t)
	resp := "7"
	r := tok.Encode(resp)
	ex := Example{Messages: []data.Message{{Role: "user",
		Content: "What is 3 plus 4?"}, {Role: "assistant",
		Content: resp}}}
	e, ok, err := Encode(tok, ex, 64)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	want := append(slices.Clone(r), tokenizer.End)
	L := len(e.IDs)
	var got []int32
	var from []int
	for i, tg := range e.Targets {
		if tg >= 0 {
			got, from = append(got, tg), append(from, i)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("active targets %v, want %v", got, want)
	}
	// Predicted from the marker and each response token but the last.
	n := len(want)
	if e.IDs[L-n-1] != tokenizer.Assistant || from[0] != L-n-1 ||
		from[n-1] != L-2 || e.Targets[L-1] != -1 {
		t.Fatalf("targets %v at %v of ids %v", got, from, e.IDs)
	}
	if n != 2 {
		// With one response token this is [R1 <|end|>]; the issue's
		// three-target case is covered by TestMaskThreeTargets.
		t.Logf("response %q is %d tokens", resp, len(r))
	}
}

// TestMaskThreeTargets is the literal case of the issue with a
// two-token response.
func TestMaskThreeTargets(t *testing.T) {
	tok := smallTok(t)
	var resp string
	for _, s := range []string{"ab", "q z", "7 9", "xq", "Zz"} {
		if len(tok.Encode(s)) == 2 {
			resp = s
			break
		}
	}
	if resp == "" {
		t.Fatal("no two-token response found")
	}
	e, _, err := Encode(tok, Example{Messages: []data.Message{
		{Role: "user", Content: "hi"},
		{Role: "assistant", Content: resp}}}, 64)
	if err != nil {
		t.Fatal(err)
	}
	r := tok.Encode(resp)
	L := len(e.IDs)
	for i, tg := range e.Targets {
		want := int32(-1)
		switch i {
		case L - 4: // P3 = <|assistant|> predicts R1
			want = r[0]
		case L - 3: // R1 predicts R2
			want = r[1]
		case L - 2: // R2 predicts <|end|>
			want = tokenizer.End
		}
		if tg != want {
			t.Errorf("target %d = %d, want %d (ids %v)", i, tg, want,
				e.IDs)
		}
	}
}

func TestMaskMultiTurnAndTruncation(t *testing.T) {
	tok := smallTok(t)
	msgs := []data.Message{{Role: "system", Content: "Be brief."},
		{Role: "user", Content: "a"}, {Role: "assistant", Content: "b"},
		{Role: "user", Content: "c"}, {Role: "assistant", Content: "d"}}
	full, ok, err := Encode(tok, Example{Messages: msgs}, 64)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	ids, trained, _ := data.EncodeChat(tok, msgs, false)
	tests := []struct {
		name   string
		maxLen int
		active int
		ok     bool
	}{
		{"whole", 64, 2 * (len(tok.Encode("b")) + 1), true},
		// Cut right after the first answer's <|end|>: that turn only.
		{"first turn", indexEnd(ids, trained) + 1,
			len(tok.Encode("b")) + 1, true},
		// Cut before the first <|assistant|> marker's successor: no
		// response left, so the example is skipped.
		{"no response", slices.Index(ids, tokenizer.Assistant) + 1, 0,
			false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ok, err := Encode(tok, Example{Messages: msgs}, tc.maxLen)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.ok || e.active() != tc.active {
				t.Fatalf("ok %v active %d, want %v %d", ok, e.active(),
					tc.ok, tc.active)
			}
			if !slices.Equal(e.IDs, full.IDs[:len(e.IDs)]) {
				t.Fatal("truncation changed the kept tokens")
			}
		})
	}
}

// indexEnd is the position of the first trained <|end|>.
func indexEnd(ids []int32, trained []bool) int {
	for i, id := range ids {
		if id == tokenizer.End && trained[i] {
			return i
		}
	}
	return -1
}

func enc(ids ...int32) Encoded {
	t := make([]int32, len(ids))
	for i := range t {
		t[i] = -1
		if i+1 < len(ids) {
			t[i] = ids[i+1]
		}
	}
	return Encoded{IDs: ids, Targets: t}
}

// TestPackLayout is a golden layout: first fit by decreasing length,
// positions restarting per example, padding with its own segment.
func TestPackLayout(t *testing.T) {
	exs := []Encoded{enc(1, 2), enc(3, 4, 5, 6), enc(7, 8, 9), enc(10)}
	p := Pack(exs, 5)
	P := tokenizer.Pad
	want := struct{ ids, pos, seg []int32 }{
		ids: []int32{3, 4, 5, 6, 10, 7, 8, 9, 1, 2},
		pos: []int32{0, 1, 2, 3, 0, 0, 1, 2, 0, 1},
		seg: []int32{0, 0, 0, 0, 1, 0, 0, 0, 1, 1},
	}
	if p.R != 2 || !slices.Equal(p.IDs, want.ids) ||
		!slices.Equal(p.Positions, want.pos) ||
		!slices.Equal(p.Segments, want.seg) {
		t.Fatalf("packed R=%d ids %v pos %v seg %v", p.R, p.IDs,
			p.Positions, p.Segments)
	}
	if p.PadFraction() != 0 {
		t.Errorf("pad fraction %v, want 0", p.PadFraction())
	}
	q := Pack([]Encoded{enc(1, 2, 3), enc(4, 5, 6)}, 4)
	wantIDs := []int32{1, 2, 3, P, 4, 5, 6, P}
	if !slices.Equal(q.IDs, wantIDs) || q.Segments[3] != -1 ||
		!q.Pad[7] || q.Targets[2] != -1 || q.PadFraction() != 0.25 {
		t.Fatalf("padded ids %v seg %v targets %v pad %v", q.IDs,
			q.Segments, q.Targets, q.PadFraction())
	}
}

// TestPackedLossEqualsOneByOne: a packed batch gives each example the
// same loss as running it alone.
func TestPackedLossEqualsOneByOne(t *testing.T) {
	tok := smallTok(t)
	m, err := layers.New(smallConfig(tok.VocabSize()), 3)
	if err != nil {
		t.Fatal(err)
	}
	var exs []Encoded
	for _, ex := range builtinSlice(11, 9) {
		e, ok, err := Encode(tok, ex, 40)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		exs = append(exs, e)
	}
	p := Pack(exs, 40)
	if p.R >= len(exs) {
		t.Fatalf("%d examples in %d rows: nothing packed", len(exs), p.R)
	}
	rows := make([]int, p.R)
	for i := range rows {
		rows[i] = i
	}
	b := p.Batch(rows)
	logits := m.Forward(ag.NewInference(), b.IDs, b.B, b.T, b.Opts)

	for i, e := range exs {
		alone := m.Forward(ag.NewInference(), e.IDs, 1, len(e.IDs),
			layers.ForwardOptions{})
		want := ag.NewInference().CrossEntropy(alone, e.Targets).Item()
		got := segmentLoss(t, logits, b.Targets, p, e)
		if math.Abs(float64(got-want)) > 1e-5*math.Abs(float64(want)) {
			t.Errorf("example %d: packed loss %v, alone %v", i, got, want)
		}
	}
}

// segmentLoss finds e in the packed rows and returns its mean loss
// from the packed logits.
func segmentLoss(t *testing.T, logits *ag.Tensor, targets []int32,
	p *Packed, e Encoded) float32 {
	t.Helper()
	for start := range p.IDs {
		if p.Positions[start] != 0 || p.Pad[start] ||
			start+len(e.IDs) > len(p.IDs) ||
			!slices.Equal(p.IDs[start:start+len(e.IDs)], e.IDs) {
			continue
		}
		only := make([]int32, len(targets))
		for i := range only {
			only[i] = -1
		}
		copy(only[start:], targets[start:start+len(e.IDs)])
		return ag.NewInference().CrossEntropy(logits, only).Item()
	}
	t.Fatalf("example %v not found in the packed rows", e.IDs)
	return 0
}

func builtinSlice(seed uint64, n int) []Example {
	train, _ := Builtin(seed, n, 0)
	return train
}

// TestNoActiveTargetsNoNaN: a batch whose targets are all ignored has
// loss 0 and finite gradients.
func TestNoActiveTargetsNoNaN(t *testing.T) {
	tok := smallTok(t)
	m, err := layers.New(smallConfig(tok.VocabSize()), 3)
	if err != nil {
		t.Fatal(err)
	}
	p := Pack([]Encoded{{IDs: []int32{1, 2, 3},
		Targets: []int32{-1, -1, -1}}}, 4)
	b := p.Batch([]int{0})
	if b.Active != 0 {
		t.Fatalf("active %d", b.Active)
	}
	tp := ag.NewTape()
	loss, _ := m.Loss(tp, b.IDs, b.Targets, b.B, b.T, b.Opts)
	if v := loss.Item(); v != 0 {
		t.Fatalf("loss %v, want 0", v)
	}
	if loss.RequiresGrad() {
		tp.Backward(loss)
	}
	if !ag.GradsFinite(m.Params()) {
		t.Fatal("non-finite gradients")
	}
}

// TestBatchesDependOnlyOnStep: a fresh batcher gives the same batch for
// (step, micro) whatever was asked before, and each epoch visits every
// row once.
func TestBatchesDependOnlyOnStep(t *testing.T) {
	var exs []Encoded
	for i := range 23 {
		exs = append(exs, enc(int32(i+1), int32(i+2), int32(i+3)))
	}
	p := Pack(exs, 3)
	a := &Batcher{P: p, B: 5, GradAccum: 2, Seed: 9}
	seen := map[int32]int{}
	for step := range 3 { // 5 batches make an epoch of 23 rows
		for micro := range 2 {
			if step*2+micro < 5 {
				for _, id := range a.Batch(step, micro).IDs {
					seen[id]++
				}
			}
		}
	}
	for i := range 23 {
		if seen[int32(i+1)] == 0 {
			t.Errorf("row starting %d not visited in epoch 0", i+1)
		}
	}
	want := a.Batch(7, 1)
	b := &Batcher{P: p, B: 5, GradAccum: 2, Seed: 9}
	if got := b.Batch(7, 1); !slices.Equal(got.IDs, want.IDs) {
		t.Fatalf("batch (7, 1): fresh %v, after others %v", got.IDs,
			want.IDs)
	}
	c := &Batcher{P: p, B: 5, GradAccum: 2, Seed: 10}
	if slices.Equal(c.Batch(7, 1).IDs, want.IDs) &&
		slices.Equal(c.Batch(0, 0).IDs, a.Batch(0, 0).IDs) {
		t.Fatal("another seed gives the same batches")
	}
}
