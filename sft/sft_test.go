package sft

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/internal/runtest"
)

func testOptions(t *testing.T, init, out string, steps int) Options {
	t.Helper()
	st, err := LoadConfig(nil, []string{"train.steps=" + itoa(steps),
		"train.batch_size=4", "train.grad_accum=2", "train.warmup_steps=3",
		"train.eval_every=4", "train.eval_batches=2", "train.log_every=1",
		"train.save_every=3", "train.seed=5"})
	if err != nil {
		t.Fatal(err)
	}
	return Options{Settings: st, Init: init, Out: out, Log: quiet(),
		BuiltinTrain: 120, BuiltinHeldOut: 7}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestResumeReproducesUninterruptedRun is the exact-resume guarantee
// for SFT: a run of 10 steps and a run stopped after 5 and resumed log
// bitwise the same loss and learning rate at every step. Dropout is on
// so that its mask must be reproduced too.
func TestResumeReproducesUninterruptedRun(t *testing.T) {
	init := initCheckpoint(t, 0.1)
	ctx := context.Background()

	whole := filepath.Join(t.TempDir(), "whole")
	res, err := Run(ctx, testOptions(t, init, whole, 10))
	if err != nil {
		t.Fatal(err)
	}
	if res.InitScore == nil || res.Score.N != 7 || res.InitScore.N != 7 {
		t.Fatalf("scores: %+v, init %+v", res.Score, res.InitScore)
	}

	split := filepath.Join(t.TempDir(), "split")
	o := testOptions(t, init, split, 10)
	o.StopAfter = 5
	if _, err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	o = testOptions(t, init, split, 10)
	o.Resume = true
	if _, err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}

	a, b := runtest.Losses(t, whole), runtest.Losses(t, split)
	if len(a) != 10 || len(b) != 10 {
		t.Fatalf("logged %d and %d steps, want 10", len(a), len(b))
	}
	for step := 1; step <= 10; step++ {
		if a[step] != b[step] {
			t.Errorf("step %d: uninterrupted (loss, lr) %v, resumed %v",
				step, a[step], b[step])
		}
	}
}

// TestRunRefuses covers the flags and data that do not fit the init
// checkpoint or the run folder.
func TestRunRefuses(t *testing.T) {
	init := initCheckpoint(t, 0)
	ctx := context.Background()
	tests := []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"data folder", func(o *Options) { o.Data = t.TempDir() },
			"is a folder"},
		{"missing data", func(o *Options) { o.Data = "/nonexistent.jsonl" },
			"--data"},
		{"seq over positions", func(o *Options) {
			o.Settings.Train.SeqLen, o.Settings.SeqLenGiven = 65, true
		}, "max_position_embeddings 64"},
		{"resume nothing", func(o *Options) { o.Resume = true },
			"holds no checkpoint"},
		{"negative stop-after", func(o *Options) { o.StopAfter = -1 },
			"--stop-after must be ≥ 0"},
		{"bad init", func(o *Options) { o.Init = t.TempDir() }, "--init"},
		{"bad line", func(o *Options) {
			o.Data = writeFile(t, "d.jsonl", `{"prompt":"a","response":"b"}`+
				"\n{oops\n")
		}, "d.jsonl:2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(t, init, filepath.Join(t.TempDir(), "r"), 2)
			tc.edit(&o)
			_, err := Run(ctx, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			// A refused run leaves no run folder behind.
			if _, err := os.Stat(o.Out); !os.IsNotExist(err) {
				t.Errorf("refused run left %s (stat: %v)", o.Out, err)
			}
		})
	}

	// A finished run is not overwritten without --resume.
	out := filepath.Join(t.TempDir(), "r")
	if _, err := Run(ctx, testOptions(t, init, out, 1)); err != nil {
		t.Fatal(err)
	}
	_, err := Run(ctx, testOptions(t, init, out, 2))
	if err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("second run without --resume: err = %v", err)
	}
}

// TestRunOnJSONL fine-tunes on a user file, with a bad line skipped,
// and checks the run folder's files.
func TestRunOnJSONL(t *testing.T) {
	init := initCheckpoint(t, 0)
	var lines []string
	for _, task := range data.BuiltinTasks(4, 40) {
		lines = append(lines, `{"prompt": "`+task.Prompt+
			`", "response": "`+task.Answer+`"}`)
	}
	lines = append(lines, `{"messages": [{"role": "user", "content": `+
		`"hi"}, {"role": "assistant", "content": "hello"}]}`, `not json`)
	path := writeFile(t, "train.jsonl", strings.Join(lines, "\n"))
	out := filepath.Join(t.TempDir(), "run")
	o := testOptions(t, init, out, 4)
	o.Data, o.SkipBadLines = path, true
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// 41 good lines: 2 held out (5%), no task to check.
	if res.Score.N != 2 || res.Score.Checked != 0 {
		t.Errorf("score %+v", res.Score)
	}
	if v := res.Metrics["val_loss"]; math.IsNaN(v) || v <= 0 {
		t.Errorf("val_loss %v", v)
	}
	for _, f := range []string{"config.yaml", "metrics.jsonl", "loss.png",
		"checkpoints/step-000004/model.safetensors"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		sets    []string
		want    string // error substring, "" for none
		check   func(s Settings) bool
		explain string
	}{
		{name: "defaults", check: func(s Settings) bool {
			return s.Train.Steps == 400 && s.Train.LR == 1e-3 &&
				s.Train.MinLR == 1e-4 && s.Train.WarmupSteps == 20 &&
				s.Train.BatchSize == 16 && !s.SeqLenGiven && s.Dropout == nil
		}, explain: "SFT defaults"},
		{name: "flags", sets: []string{"train.seq_len=32",
			"model.dropout=0.2"}, check: func(s Settings) bool {
			return s.SeqLenGiven && s.Train.SeqLen == 32 &&
				s.Dropout != nil && *s.Dropout == 0.2
		}, explain: "seq_len given, dropout 0.2"},
		{name: "file", file: "train:\n  steps: 7\nmodel:\n  dropout: 0.3\n",
			check: func(s Settings) bool {
				return s.Train.Steps == 7 && *s.Dropout == 0.3
			}, explain: "steps 7, dropout 0.3"},
		{name: "model key", sets: []string{"model.hidden_size=64"},
			want: "model.hidden_size: the model comes from the --init"},
		{name: "model key in file", file: "model:\n  num_hidden_layers: 2\n",
			want: "model.num_hidden_layers"},
		{name: "data key", sets: []string{"data.path=x"},
			want: "data.path: SFT data is a JSONL file"},
		{name: "bad value", sets: []string{"train.steps=0"},
			want: "train.steps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var file *configs.Source
			if tc.file != "" {
				file = &configs.Source{Name: "f.yaml", YAML: []byte(tc.file)}
			}
			s, err := LoadConfig(file, tc.sets)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(s) {
				t.Fatalf("settings %+v: want %s", s, tc.explain)
			}
		})
	}
}

func TestResolveSeqLen(t *testing.T) {
	st, err := LoadConfig(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := smallConfig(300)
	for _, tc := range []struct {
		name string
		pos  int
		want int
	}{{"short model", 64, 64}, {"long model", 1024, 128}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg.MaxPositionEmbeddings = tc.pos
			c, err := st.Resolve(cfg)
			if err != nil || c.Train.SeqLen != tc.want {
				t.Fatalf("seq_len %d, err %v; want %d", c.Train.SeqLen,
					err, tc.want)
			}
		})
	}
}

func TestReadJSONL(t *testing.T) {
	good := `{"prompt": "2+2?", "response": "4"}` + "\n\n" +
		`{"messages": [{"role": "system", "content": "s"}, ` +
		`{"role": "user", "content": "u"}, ` +
		`{"role": "assistant", "content": "a"}]}` + "\r\n"
	tests := []struct {
		name    string
		text    string
		skip    bool
		n, bad  int
		line    int
		wantErr error
		msg     string
	}{
		{name: "both formats", text: good, n: 2},
		{name: "bad json", text: good + "{\n", line: 4, msg: "unexpected"},
		{name: "both kinds", text: `{"prompt": "a", "response": "b", ` +
			`"messages": []}`, line: 1, wantErr: ErrBothFormats},
		{name: "no response", text: `{"prompt": "a"}`, line: 1,
			wantErr: ErrNoFormat},
		{name: "neither", text: `{"text": "a"}`, line: 1,
			wantErr: ErrNoFormat},
		{name: "bad role", text: good + `{"messages": [{"role": "bot", ` +
			`"content": "x"}]}`, line: 4, msg: `role "bot"`},
		{name: "no assistant", text: `{"messages": [{"role": "user", ` +
			`"content": "x"}]}`, line: 1, wantErr: ErrNoAssistant},
		{name: "skipped", text: "{\n" + good + `{"prompt": 3}`, skip: true,
			n: 2, bad: 2},
		{name: "empty", text: "\n", msg: "no examples"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "x.jsonl", tc.text)
			exs, bad, err := ReadJSONL(path, tc.skip)
			if tc.n > 0 {
				if err != nil || len(exs) != tc.n || bad != tc.bad {
					t.Fatalf("%d examples, %d bad, err %v", len(exs), bad,
						err)
				}
				return
			}
			var pe *data.ParseError
			if !errors.As(err, &pe) || pe.File != path || pe.Line != tc.line {
				t.Fatalf("err = %v, want a ParseError at line %d", err,
					tc.line)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) ||
				!strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v %q", err, tc.wantErr, tc.msg)
			}
		})
	}
	exs, _, _ := ReadJSONL(writeFile(t, "g.jsonl", good), false)
	want := []data.Message{{Role: "user", Content: "2+2?"},
		{Role: "assistant", Content: "4"}}
	if len(exs[0].Messages) != 2 || exs[0].Messages[0] != want[0] ||
		exs[0].Messages[1] != want[1] || len(exs[1].Messages) != 3 {
		t.Fatalf("examples %+v", exs)
	}
}

// TestScoreAdd checks the counting of answers against tasks.
func TestScoreAdd(t *testing.T) {
	s := Score{ByKind: map[string][2]int{}}
	add := data.Task{Kind: "add", Prompt: "What is 2 plus 3?", Answer: "5"}
	s.add(&add, "5", true)
	s.add(&add, "The answer is 5.", false)
	s.add(&add, "6", true)
	s.add(nil, "hello", true)
	if s.N != 4 || s.Ended != 3 || s.Checked != 3 || s.Correct != 2 ||
		s.KindAccuracy("add") != 2.0/3 || s.EndRate() != 0.75 {
		t.Fatalf("score %+v", s)
	}
	m := s.Metrics()
	if m["accuracy"] != 2.0/3 || m["acc_add"] != 2.0/3 ||
		m["end_rate"] != 0.75 {
		t.Fatalf("metrics %v", m)
	}
}

func TestBuiltinHeldOutIsDisjoint(t *testing.T) {
	train, held := Builtin(1, 3000, BuiltinHeldOut)
	if len(held) < BuiltinHeldOut-10 {
		t.Fatalf("%d held-out tasks", len(held))
	}
	in := map[string]bool{}
	kinds := map[string]int{}
	for _, ex := range held {
		in[ex.Task.Prompt] = true
		kinds[ex.Task.Kind]++
	}
	for _, ex := range train {
		if in[ex.Task.Prompt] {
			t.Fatalf("held-out question %q is trained on", ex.Task.Prompt)
		}
	}
	if len(kinds) != len(data.TaskKinds) {
		t.Fatalf("held-out kinds %v", kinds)
	}
}
