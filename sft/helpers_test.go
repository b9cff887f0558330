package sft

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
	"github.com/tinyseek/tinyseek/pretrain"
)

var (
	tokOnce sync.Once
	testTok *tokenizer.Tokenizer
)

// smallTok is a BPE tokenizer trained on a few built-in tasks.
func smallTok(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	tokOnce.Do(func() {
		var docs []string
		for _, task := range data.BuiltinTasks(3, 70) {
			docs = append(docs, task.Prompt+" "+task.Answer)
		}
		tok, err := tokenizer.Train(slices.Values(docs), 300,
			tokenizer.TrainOptions{})
		if err != nil {
			panic(err)
		}
		testTok = tok
	})
	return testTok
}

// smallConfig is a tiny MLA + MoE model for tests.
func smallConfig(vocab int) layers.Config {
	c := layers.DefaultConfig()
	c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads = 32, 2, 2
	c.KVLoraRank, c.QKNopeHeadDim, c.QKRopeHeadDim = 16, 8, 8
	c.VHeadDim, c.IntermediateSize, c.MoEIntermediateSize = 8, 64, 16
	c.NRoutedExperts, c.NumExpertsPerTok, c.NSharedExperts = 4, 2, 1
	c.MaxPositionEmbeddings, c.VocabSize = 64, vocab
	return c
}

// initCheckpoint saves a random-init model as a pretrain run, the way
// `train pretrain` lays one out.
func initCheckpoint(t *testing.T, dropout float64) string {
	t.Helper()
	tok := smallTok(t)
	cfg := smallConfig(tok.VocabSize())
	cfg.Dropout = dropout
	m, err := layers.New(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(t.TempDir(), "pretrain")
	st := &checkpoints.State{Stage: "pretrain", Step: 1, Seed: 7}
	_, err = checkpoints.Save(run, st, 3, func(dir string) error {
		return pretrain.SaveModel(dir, m, tok, nil, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
