package sft

import (
	"fmt"
	"math"
	"slices"
	"strings"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
	"github.com/tinyseek/tinyseek/pretrain"
)

// Score counts greedy answers to held-out prompts.
type Score struct {
	// N answers were generated; Ended of them stopped with <|end|>.
	N, Ended int
	// Checked answers had a built-in task; Correct passed CheckAnswer.
	Checked, Correct int
	// ByKind holds [checked, correct] per task kind.
	ByKind map[string][2]int
	// First is the first prompt and its answer, for the log.
	First string
}

// EndRate is the share of answers that ended with <|end|>.
func (s Score) EndRate() float64 { return ratio(s.Ended, s.N) }

// Accuracy is the share of checkable answers that were right (NaN
// when none was checkable).
func (s Score) Accuracy() float64 { return ratio(s.Correct, s.Checked) }

// KindAccuracy is Accuracy restricted to one task kind.
func (s Score) KindAccuracy(kind string) float64 {
	c := s.ByKind[kind]
	return ratio(c[1], c[0])
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// Metrics are the score as metrics.jsonl keys: end_rate, accuracy and
// acc_KIND.
func (s Score) Metrics() map[string]float64 {
	m := map[string]float64{"end_rate": s.EndRate()}
	if s.Checked > 0 {
		m["accuracy"] = s.Accuracy()
	}
	for k := range s.ByKind {
		m["acc_"+k] = s.KindAccuracy(k)
	}
	return m
}

// promptOf splits a conversation before its last assistant turn: the
// ids up to and including that turn's <|assistant|> marker, and the
// reference reply.
func promptOf(tok *tokenizer.Tokenizer, ex Example) ([]int32, string,
	error) {
	last := len(ex.Messages) - 1
	for last >= 0 && ex.Messages[last].Role != data.RoleAssistant {
		last--
	}
	if last < 0 {
		return nil, "", ErrNoAssistant
	}
	ids, _, err := data.EncodeChat(tok, ex.Messages[:last], true)
	return ids, ex.Messages[last].Content, err
}

// Answer generates a greedy reply to the prompt ids, stopping at
// <|end|> (or <|endoftext|>) after at most maxNew tokens. It returns
// the reply text and whether it ended with <|end|>.
func Answer(m *layers.Model, tok *tokenizer.Tokenizer, prompt []int32,
	maxNew int) (string, bool, error) {
	maxNew = min(maxNew, m.Cfg.MaxPositionEmbeddings-len(prompt))
	if maxNew <= 0 {
		return "", false, nil
	}
	out, err := m.Generate(prompt, layers.SampleOptions{Temperature: 0,
		MaxNewTokens: maxNew,
		StopTokens:   []int32{tokenizer.End, tokenizer.EndOfText}}, nil)
	if err != nil {
		return "", false, fmt.Errorf("sft: answer: %w", err)
	}
	ended := len(out) > 0 && out[len(out)-1] == tokenizer.End
	if n := len(out); n > 0 && (ended || out[n-1] == tokenizer.EndOfText) {
		out = out[:n-1]
	}
	return string(tok.Decode(out)), ended, nil
}

// ScoreAnswers answers each held-out conversation greedily and scores
// the replies: ended with <|end|>, and right where a built-in task
// says what is right.
func ScoreAnswers(m *layers.Model, tok *tokenizer.Tokenizer,
	held []Example) (Score, error) {
	s := Score{ByKind: map[string][2]int{}}
	for _, ex := range held {
		prompt, ref, err := promptOf(tok, ex)
		if err != nil {
			return s, fmt.Errorf("sft: held-out example: %w", err)
		}
		maxNew := 2*len(tok.Encode(ref)) + 8
		got, ended, err := Answer(m, tok, prompt, maxNew)
		if err != nil {
			return s, err
		}
		s.add(ex.Task, got, ended)
		if s.First == "" {
			s.First = lastUser(ex) + " → " + got
		}
	}
	return s, nil
}

// add records one answer.
func (s *Score) add(task *data.Task, got string, ended bool) {
	s.N++
	if ended {
		s.Ended++
	}
	if task == nil {
		return
	}
	c := s.ByKind[task.Kind]
	c[0]++
	s.Checked++
	if data.CheckAnswer(*task, got) {
		c[1]++
		s.Correct++
	}
	s.ByKind[task.Kind] = c
}

func lastUser(ex Example) string {
	for _, m := range slices.Backward(ex.Messages) {
		if m.Role == data.RoleUser {
			return strings.TrimSpace(m.Content)
		}
	}
	return ""
}

// HeldOutLoss is the mean loss over the trained targets of up to
// maxBatches batches of B packed rows (all when maxBatches ≤ 0), in
// inference and eval mode, and the number of targets it covered.
func HeldOutLoss(m *layers.Model, p *Packed, B,
	maxBatches int) (float64, int) {
	var sum float64
	n := 0
	for lo, k := 0, 0; lo < p.R; lo, k = lo+B, k+1 {
		if maxBatches > 0 && k == maxBatches {
			break
		}
		rows := make([]int, 0, B)
		for r := lo; r < min(lo+B, p.R); r++ {
			rows = append(rows, r)
		}
		b := p.Batch(rows)
		if b.Active == 0 {
			continue
		}
		tp := ag.NewInference()
		logits := m.Forward(tp, b.IDs, b.B, b.T, b.Opts)
		loss := tp.CrossEntropy(logits, b.Targets)
		sum += float64(loss.Item()) * float64(b.Active)
		n += b.Active
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return sum / float64(n), n
}

// Evaluate measures held-out loss and scores greedy answers, for the
// trainer's Evaluate hook.
func Evaluate(m *layers.Model, tok *tokenizer.Tokenizer, held *Packed,
	heldExs []Example, B, maxBatches int) (pretrain.Eval, Score, error) {
	loss, _ := HeldOutLoss(m, held, B, maxBatches)
	s, err := ScoreAnswers(m, tok, heldExs)
	if err != nil {
		return pretrain.Eval{}, s, err
	}
	ev := pretrain.Eval{Metrics: s.Metrics(), Sample: s.First}
	ev.Metrics["val_loss"] = loss
	return ev, s, nil
}
