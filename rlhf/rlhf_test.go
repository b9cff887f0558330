package rlhf

import (
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// tinyConfig is a random-init MLA + MoE model over the byte vocabulary.
func tinyConfig() layers.Config {
	c := layers.DefaultConfig()
	c.VocabSize, c.HiddenSize, c.NumHiddenLayers = 262, 32, 2
	c.NumAttentionHeads, c.KVLoraRank = 2, 16
	c.QKNopeHeadDim, c.QKRopeHeadDim, c.VHeadDim = 8, 8, 8
	c.IntermediateSize, c.MoEIntermediateSize = 64, 16
	c.NRoutedExperts, c.NumExpertsPerTok, c.NSharedExperts = 4, 2, 1
	c.FirstKDenseReplace, c.MaxPositionEmbeddings = 1, 96
	return c
}

func tinyModel(t testing.TB, seed uint64) *layers.Model {
	t.Helper()
	m, err := layers.New(tinyConfig(), seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestScoresIgnorePadding(t *testing.T) {
	sc := NewScorer(tinyModel(t, 1), 2)
	seqs := [][]int32{{256, 259, 72, 105, 261, 260, 79, 107, 261},
		{256, 259, 65, 261, 260, 66, 261}, {256, 259, 67, 261, 260, 261},
		{256, 259, 1, 2, 3, 4, 5, 6, 7, 8, 261, 260, 9, 261}}
	alone := make([]float32, len(seqs))
	for i, s := range seqs {
		alone[i] = sc.Scores(ag.NewInference(), Pack([][]int32{s},
			RightPad)).Data[0]
	}
	for _, tc := range []struct {
		name string
		side Padding
	}{{"right", RightPad}, {"left", LeftPad}} {
		t.Run(tc.name, func(t *testing.T) {
			got := sc.Scores(ag.NewInference(), Pack(seqs, tc.side)).Data
			for i := range seqs {
				if d := math.Abs(float64(got[i] - alone[i])); d > 1e-5 {
					t.Errorf("row %d: padded score %v, alone %v", i, got[i],
						alone[i])
				}
			}
		})
	}
}

// TestPairLossMatchesFormula checks the value against −log σ(d−m) +
// c·(r_c+r_r)² computed in float64, and the gradient by finite
// differences.
func TestPairLossMatchesFormula(t *testing.T) {
	rc := []float32{0.5, -1, 3, 40}
	rr := []float32{0.2, 1, -2, -40}
	m := []float32{0, 0.5, 1, 0}
	const c = 0.1
	loss := func(rc []float32) float64 {
		tp := ag.NewInference()
		return float64(PairLoss(tp, ag.New(slices.Clone(rc), 4),
			ag.New(rr, 4), m, c).Item())
	}
	var want float64
	for i := range rc {
		d := float64(rc[i] - rr[i] - m[i])
		want += softplus(-d) + c*math.Pow(float64(rc[i]+rr[i]), 2)
	}
	want /= 4
	if got := loss(rc); math.Abs(got-want) > 1e-5 {
		t.Fatalf("loss %v, want %v", got, want)
	}
	p := ag.NewParam("rc", 4)
	copy(p.Data, rc)
	tp := ag.NewTape()
	tp.Backward(PairLoss(tp, p, ag.New(rr, 4), m, c))
	for i := range rc {
		const h = 1e-2
		up, dn := slices.Clone(rc), slices.Clone(rc)
		up[i] += h
		dn[i] -= h
		fd := (loss(up) - loss(dn)) / (2 * h)
		if math.Abs(fd-float64(p.Grad[i])) > 2e-3 {
			t.Errorf("d loss/d rc[%d] = %v, finite difference %v", i,
				p.Grad[i], fd)
		}
	}
}

func TestGAE(t *testing.T) {
	for _, tc := range []struct {
		name          string
		r, v          []float64
		gamma, lambda float64
		adv           []float64
	}{
		{"lambda 1 is return minus value", []float64{0, 0, 1},
			[]float64{0.5, 0.2, 0.1}, 1, 1, []float64{0.5, 0.8, 0.9}},
		{"lambda 0 is the TD error", []float64{1, 2},
			[]float64{0.5, 0.25}, 0.9, 0, []float64{1 + 0.9*0.25 - 0.5,
				2 - 0.25}},
		{"general", []float64{0.1, -0.2, 1}, []float64{0.3, 0.1, 0.4},
			0.9, 0.5, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			adv, ret := GAE(tc.r, tc.v, tc.gamma, tc.lambda)
			want := tc.adv
			if want == nil { // naive sum of discounted TD errors
				L := len(tc.r)
				want = make([]float64, L)
				for s := range L {
					for k := s; k < L; k++ {
						next := 0.0
						if k+1 < L {
							next = tc.v[k+1]
						}
						d := tc.r[k] + tc.gamma*next - tc.v[k]
						want[s] += math.Pow(tc.gamma*tc.lambda,
							float64(k-s)) * d
					}
				}
			}
			for i := range want {
				if math.Abs(adv[i]-want[i]) > 1e-12 ||
					math.Abs(ret[i]-adv[i]-tc.v[i]) > 1e-12 {
					t.Errorf("t=%d: adv %v ret %v, want adv %v", i, adv[i],
						ret[i], want[i])
				}
			}
		})
	}
}

func TestWhiten(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	Whiten(x)
	m, v := meanVar(x)
	if math.Abs(m) > 1e-12 || math.Abs(v-1) > 1e-6 {
		t.Errorf("whitened mean %v var %v", m, v)
	}
	one := []float64{3}
	Whiten(one)
	if one[0] != 3 {
		t.Errorf("a single value was changed to %v", one[0])
	}
}

func TestKLController(t *testing.T) {
	for _, tc := range []struct {
		name string
		kl   float64
		want float64
	}{{"at target", 2, 0.1}, {"far above: +20%·n/H", 100,
		0.1 * (1 + 0.2*10/100)}, {"below, clipped at −20%", 1, 0.1 * (1 - 0.2*10/100)}} {
		t.Run(tc.name, func(t *testing.T) {
			c := KLController{Coef: 0.1, Adaptive: true, Target: 2,
				Horizon: 100}
			c.Update(tc.kl, 10)
			if math.Abs(c.Coef-tc.want) > 1e-15 {
				t.Errorf("coef %v, want %v", c.Coef, tc.want)
			}
		})
	}
}

func TestParseTranscript(t *testing.T) {
	chosen := "\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: " +
		"What is 2 plus 2?\n\nAssistant: 4"
	rejected := "\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: " +
		"What is 2 plus 2?\n\nAssistant: 5, I think"
	p, err := parsePairLine([]byte(`{"chosen":` + quote(chosen) +
		`,"rejected":` + quote(rejected) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []data.Message{{Role: "user", Content: "Hi there"},
		{Role: "assistant", Content: "Hello!"},
		{Role: "user", Content: "What is 2 plus 2?"}}
	if !slices.Equal(p.Prompt, want) || p.Chosen != "4" ||
		p.Rejected != "5, I think" {
		t.Fatalf("got %+v", p)
	}
	for _, bad := range []string{
		`{"chosen":"Hi","rejected":"Ho"}`,
		`{"chosen":"\n\nHuman: a\n\nAssistant: b","rejected":` +
			`"\n\nHuman: c\n\nAssistant: d"}`,
		`{"chosen":"\n\nHuman: a","rejected":"\n\nHuman: a"}`,
		`{"prompt":"x","chosen":"a"}`,
		`{"prompt":"x","chosen":"a","rejected":"b","extra":1}`,
	} {
		if _, err := parsePairLine([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func quote(s string) string {
	return `"` + strings.NewReplacer("\n", `\n`, `"`, `\"`).Replace(s) + `"`
}

func TestReadPairsTestdata(t *testing.T) {
	for _, f := range []string{"hh_pairs.jsonl", "prompt_pairs.jsonl"} {
		t.Run(f, func(t *testing.T) {
			pairs, _, _, err := ReadPairs(filepath.Join("testdata", f),
				false)
			if err != nil {
				t.Fatal(err)
			}
			if len(pairs) < 20 {
				t.Fatalf("%d pairs", len(pairs))
			}
		})
	}
	_, _, _, err := ReadPairs(filepath.Join("testdata", "bad.jsonl"),
		false)
	var pe *data.ParseError
	if err == nil || !asParseError(err, &pe) || pe.Line != 2 {
		t.Fatalf("bad.jsonl: err = %v, want a ParseError at line 2", err)
	}
}

func asParseError(err error, pe **data.ParseError) bool {
	p, ok := err.(*data.ParseError)
	*pe = p
	return ok
}

func TestBuiltinRejectsAreWrong(t *testing.T) {
	tasks := data.BuiltinTasks(3, 700)
	for s := range numRejectStyles {
		t.Run(s.String(), func(t *testing.T) {
			rj, made := NewRejecter(4), 0
			for i, task := range tasks {
				w := rj.Reject(task, s)
				if w == "" {
					continue
				}
				made++
				if data.CheckAnswer(task, w) {
					t.Errorf("task %d (%s): %q is accepted", i, task.Kind, w)
				}
				if s == RejectClear {
					checkClear(t, task, w)
				}
			}
			if made < len(tasks)/2 {
				t.Errorf("made %d of %d", made, len(tasks))
			}
		})
	}
}

// checkClear asserts what makes a clear reject clear, per task kind.
func checkClear(t *testing.T, task data.Task, w string) {
	t.Helper()
	got, want := strings.Fields(w), strings.Fields(task.Answer)
	_, list, _ := strings.Cut(task.Prompt, ": ")
	switch task.Kind {
	case "add", "sub":
		g, _ := strconv.Atoi(w)
		a, _ := strconv.Atoi(task.Answer)
		if abs(g-a) < 10 && len(w) == len(task.Answer) {
			t.Errorf("%s: %q is close to %q", task.Prompt, w, task.Answer)
		}
	case "copy", "reverse", "sort":
		foreign := slices.ContainsFunc(got, func(x string) bool {
			return !slices.Contains(strings.Fields(list), x)
		})
		short := abs(len(got)-len(want)) >= 2
		if !foreign && !short && !(task.Kind == "sort" && w == list) {
			t.Errorf("%s: %q is not clearly wrong", task.Prompt, w)
		}
	case "count":
		if len(got) == len(want) && got[0] == want[0] &&
			got[len(got)-1] == want[len(want)-1] {
			t.Errorf("%s: %q has no gap nor wrong end", task.Prompt, w)
		}
	case "fact":
		if factType(task.Prompt) == typeOfAnswer(w) {
			t.Errorf("%s: %q has the answer's type", task.Prompt, w)
		}
	}
}

// typeOfAnswer is the fact type whose answers include w ("number" for
// digits).
func typeOfAnswer(w string) string {
	if _, err := strconv.Atoi(w); err == nil {
		return "number"
	}
	for _, f := range data.BuiltinWorld().Facts() {
		if f.Answer == w {
			return factType(f.Question)
		}
	}
	return "?"
}

func abs(x int) int { return max(x, -x) }

func TestBuiltinPairsFollowTheMix(t *testing.T) {
	rj, n := NewRejecter(9), 7000
	count := map[RejectStyle]int{}
	for i, task := range data.BuiltinTasks(9, n) {
		w, s := rj.Draw(task)
		if w == "" || data.CheckAnswer(task, w) {
			t.Fatalf("task %d: reject %q (%s) is accepted", i, w, s)
		}
		count[s]++
	}
	for s := range numRejectStyles {
		got, want := 100*float64(count[s])/float64(n), float64(RejectMix[s])
		if math.Abs(got-want) > 2 {
			t.Errorf("%s: %.1f%% of pairs, want %.0f%%", s, got, want)
		}
	}
	p := BuiltinPairs(5, 10)
	if len(p) != 10 || p[0].Chosen == p[0].Rejected ||
		p[0].Chosen != data.BuiltinTasks(5, 1)[0].Answer {
		t.Fatalf("pairs %+v", p[:1])
	}
}

func TestEncodePairEndsWithEnd(t *testing.T) {
	tok, err := tokenizer.Train(slices.Values([]string{"hello world"}),
		262, tokenizer.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := Pair{Prompt: []data.Message{{Role: "user",
		Content: strings.Repeat("long prompt ", 20)}}, Chosen: "yes",
		Rejected: "no"}
	c, r, err := EncodePair(tok, p, 32)
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 32 || c[31] != tokenizer.End || r[len(r)-1] !=
		tokenizer.End || string(tok.Decode(c[len(c)-4:len(c)-1])) != "yes" {
		t.Fatalf("chosen %v, rejected %v", c, r)
	}
}
