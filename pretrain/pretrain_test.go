package pretrain

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/internal/runtest"
)

// preparedDir writes a small prepared data folder (tokenizer, train.bin,
// val.bin) the way `train data prepare` lays it out.
func preparedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var docs []string
	for i := 0; i < 60; i++ {
		docs = append(docs, strings.Repeat("the cat sat on the mat. ", 3)+
			strings.Repeat("a dog ran far away. ", i%4+1))
	}
	tok, err := tokenizer.Train(slices.Values(docs), 300,
		tokenizer.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Save(filepath.Join(dir, TokenizerFile)); err != nil {
		t.Fatal(err)
	}
	for _, split := range []struct {
		name string
		docs []string
	}{{"train.bin", docs[:50]}, {"val.bin", docs[50:]}} {
		w, err := data.CreateShard(filepath.Join(dir, split.name),
			tok.VocabSize())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range split.docs {
			if err := w.WriteDoc(tok.Encode(d), len(d)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testConfig(t *testing.T, dataDir string, steps int) configs.Config {
	t.Helper()
	yaml := `
model:
  hidden_size: 32
  num_hidden_layers: 2
  num_attention_heads: 2
  kv_lora_rank: 16
  qk_nope_head_dim: 8
  qk_rope_head_dim: 8
  v_head_dim: 8
  intermediate_size: 64
  moe_intermediate_size: 16
  n_routed_experts: 4
  num_experts_per_tok: 2
  n_shared_experts: 1
  first_k_dense_replace: 1
  dropout: 0.1
  max_position_embeddings: 64
train:
  batch_size: 4
  seq_len: 16
  grad_accum: 2
  warmup_steps: 3
  eval_every: 4
  eval_batches: 2
  log_every: 1
  save_every: 3
  sample_tokens: 8
`
	c, err := configs.Load([]configs.Source{{Name: "test", YAML: []byte(yaml)}},
		[]string{"train.steps=" + itoa(steps)})
	if err != nil {
		t.Fatal(err)
	}
	c.Data.Path = dataDir
	return c
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestResumeReproducesUninterruptedRun is the exact-resume guarantee: a
// run of 10 steps and a run stopped after 5 and resumed log bitwise the
// same loss and learning rate at every step; a resume with other
// training settings is refused.
func TestResumeReproducesUninterruptedRun(t *testing.T) {
	dataDir := preparedDir(t)
	ctx := context.Background()

	whole := filepath.Join(t.TempDir(), "whole")
	_, err := Run(ctx, Options{Config: testConfig(t, dataDir, 10),
		Out: whole, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}

	split := filepath.Join(t.TempDir(), "split")
	_, err = Run(ctx, Options{Config: testConfig(t, dataDir, 10),
		Out: split, StopAfter: 5, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	// A resume with other training settings would not reproduce the
	// run: refused, every difference named.
	other := testConfig(t, dataDir, 10)
	other.Train.LR, other.Train.WeightDecay = other.Train.LR*2, 0.5
	_, err = Run(ctx, Options{Config: other, Out: split, Resume: true,
		Log: quiet()})
	if err == nil || !strings.Contains(err.Error(), "train.lr=") ||
		!strings.Contains(err.Error(), "train.weight_decay=") {
		t.Fatalf("resume with another lr and weight decay: err = %v", err)
	}
	_, err = Run(ctx, Options{Config: testConfig(t, dataDir, 10),
		Out: split, Resume: true, Log: quiet()})
	if err != nil {
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

func TestRunRefusesToOverwriteAndShapeChanges(t *testing.T) {
	dataDir := preparedDir(t)
	run := filepath.Join(t.TempDir(), "run")
	ctx := context.Background()
	if _, err := Run(ctx, Options{Config: testConfig(t, dataDir, 3),
		Out: run, Log: quiet()}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(ctx, Options{Config: testConfig(t, dataDir, 6), Out: run,
		Log: quiet()})
	if err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("second run without --resume: err = %v", err)
	}
	cfg := testConfig(t, dataDir, 6)
	cfg.Model.HiddenSize, cfg.Model.NumHiddenLayers = 48, 3
	_, err = Run(ctx, Options{Config: cfg, Out: run, Resume: true,
		Log: quiet()})
	for _, want := range []string{"hidden_size: 32 → 48",
		"num_hidden_layers: 2 → 3"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("resume with another shape: err = %v, want %q", err,
				want)
		}
	}
}

func TestInterruptSavesCheckpoint(t *testing.T) {
	dataDir := preparedDir(t)
	run := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if Ctrl-C arrived during the first step
	_, err := Run(ctx, Options{Config: testConfig(t, dataDir, 10),
		Out: run, Log: quiet()})
	if err == nil || !strings.Contains(err.Error(), "interrupted after "+
		"step 1") {
		t.Fatalf("err = %v", err)
	}
	names, _ := os.ReadDir(filepath.Join(run, "checkpoints"))
	found := false
	for _, n := range names {
		found = found || n.Name() == "step-000001"
	}
	if !found {
		t.Fatalf("no checkpoint after the interrupt: %v", names)
	}
}

// TestWorkerCountsAgree: the data-parallel split changes only the order
// of float additions, so one and two workers agree to float rounding.
func TestWorkerCountsAgree(t *testing.T) {
	dataDir := preparedDir(t)
	ctx := context.Background()
	runs := map[int]map[int][2]float64{}
	for _, w := range []int{1, 2} {
		cfg := testConfig(t, dataDir, 6)
		cfg.Model.Dropout = 0 // dropout masks differ per worker split
		cfg.Train.Workers = w
		out := filepath.Join(t.TempDir(), "run")
		if _, err := Run(ctx, Options{Config: cfg, Out: out,
			Log: quiet()}); err != nil {
			t.Fatal(err)
		}
		runs[w] = runtest.Losses(t, out)
	}
	for step := 1; step <= 6; step++ {
		a, b := runs[1][step][0], runs[2][step][0]
		if d := a - b; d > 1e-5 || d < -1e-5 {
			t.Errorf("step %d: 1 worker %.8f, 2 workers %.8f", step, a, b)
		}
	}
}

// TestResumeRefusesOtherData: a run folder's prepared data is reused
// only with the settings it was made with (a new user resumed with
// another --data and silently trained on the old corpus).
func TestResumeRefusesOtherData(t *testing.T) {
	dir := t.TempDir()
	write := func(name, word string) string {
		p := filepath.Join(dir, name)
		var b strings.Builder
		for i := range 400 {
			fmt.Fprintf(&b, "the %s number %d sat on a mat.\n\n", word, i)
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := write("a.txt", "cat"), write("b.txt", "dog")
	cfg := func(path string) configs.Config {
		c := testConfig(t, "", 4)
		c.Data = configs.Default().Data
		c.Data.Path, c.Data.VocabSize, c.Data.BlankLineDocs = path, 262, true
		c.Data.NoDedup, c.Data.Filters = true, []string{"min_chars=off",
			"max_dup_ngram_frac=off", "max_dup_line_frac=off"}
		return c
	}
	run := filepath.Join(dir, "run")
	ctx := context.Background()
	if _, err := Run(ctx, Options{Config: cfg(a), Out: run,
		StopAfter: 2, Log: quiet()}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(ctx, Options{Config: cfg(b), Out: run, Resume: true,
		Log: quiet()})
	if err == nil || !strings.Contains(err.Error(), "other data settings") {
		t.Fatalf("resume with another --data: err = %v", err)
	}
	if _, err := Run(ctx, Options{Config: cfg(a), Out: run, Resume: true,
		Log: quiet()}); err != nil {
		t.Fatalf("resume with the same data: %v", err)
	}
}

// TestRefusedCorpusLeavesNoFolder: a run refused for its corpus (an
// empty file) names the file and leaves no run folder behind.
func TestRefusedCorpusLeavesNoFolder(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t, "", 2)
	c.Data = configs.Default().Data
	c.Data.Path = empty
	run := filepath.Join(dir, "run")
	_, err := Run(context.Background(), Options{Config: c, Out: run,
		Log: quiet()})
	if err == nil || !strings.Contains(err.Error(), empty) {
		t.Fatalf("err = %v, want one naming %s", err, empty)
	}
	if _, err := os.Stat(run); !os.IsNotExist(err) {
		t.Errorf("refused run left %s (stat: %v)", run, err)
	}
}

// TestResumeKeepsRecordedSteps: `--resume` without train.steps runs to
// the step count the run recorded, so a finished run says so instead
// of training on to a default; given, train.steps extends the run. A
// --stop-after behind the checkpoint and a missing config.yaml are
// refused without changing the folder.
func TestResumeKeepsRecordedSteps(t *testing.T) {
	dataDir := preparedDir(t)
	ctx := context.Background()
	run := filepath.Join(t.TempDir(), "run")
	if _, err := Run(ctx, Options{Config: testConfig(t, dataDir, 4),
		Out: run, Log: quiet()}); err != nil {
		t.Fatal(err)
	}
	// A --stop-after behind the checkpoint is refused before anything
	// in the folder changes.
	before, _ := os.ReadFile(filepath.Join(run, "config.yaml"))
	c := testConfig(t, dataDir, 6)
	c.Train.LogEvery = 2
	_, err := Run(ctx, Options{Config: c, Out: run, Resume: true,
		StepsGiven: true, StopAfter: 3, Log: quiet()})
	after, _ := os.ReadFile(filepath.Join(run, "config.yaml"))
	if err == nil || !strings.Contains(err.Error(), "--stop-after 3") ||
		string(before) != string(after) {
		t.Errorf("stop-after behind: err = %v, config.yaml changed %v",
			err, string(before) != string(after))
	}
	_, err = Run(ctx, Options{Config: testConfig(t, dataDir, 6),
		Out: run, Resume: true, Log: quiet()})
	if err == nil || !strings.Contains(err.Error(), "already at step 4") {
		t.Errorf("resume without steps: err = %v, want already at step 4",
			err)
	}
	res, err := Run(ctx, Options{Config: testConfig(t, dataDir, 6),
		Out: run, Resume: true, StepsGiven: true, Log: quiet()})
	if err != nil || res.Steps != 6 {
		t.Errorf("resume with steps 6: ran to %d (%v)", res.Steps, err)
	}

	// Without config.yaml nothing can be checked: refused.
	if err := os.Remove(filepath.Join(run, "config.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err = Run(ctx, Options{Config: testConfig(t, dataDir, 8),
		Out: run, Resume: true, StepsGiven: true, Log: quiet()})
	if err == nil || !strings.Contains(err.Error(), "config.yaml") {
		t.Errorf("resume without config.yaml: err = %v", err)
	}
}
