package configs

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tinyseek/tinyseek/layers"
)

//go:embed presets/*.yaml
var presetFS embed.FS

// Config is a whole run's configuration.
type Config struct {
	Model layers.Config `yaml:"-"`
	Train Train         `yaml:"train"`
	Data  Data          `yaml:"data"`
}

// Train is the optimisation, evaluation and checkpoint schedule.
type Train struct {
	// Seed drives initialisation, batches and dropout. Default 1337.
	Seed uint64 `yaml:"seed"`
	// Steps is the number of optimizer steps. Default 1000.
	Steps int `yaml:"steps"`
	// BatchSize is sequences per micro-batch (B). Default 12.
	BatchSize int `yaml:"batch_size"`
	// SeqLen is tokens per sequence (T). Default 64.
	SeqLen int `yaml:"seq_len"`
	// GradAccum is micro-batches per optimizer step. Default 1.
	GradAccum int `yaml:"grad_accum"`
	// LR is the peak learning rate. Default 1e-3.
	LR float64 `yaml:"lr"`
	// MinLR is where cosine decay ends. Default LR/10.
	MinLR float64 `yaml:"min_lr"`
	// WarmupSteps of linear warmup. Default 100.
	WarmupSteps int `yaml:"warmup_steps"`
	// WeightDecay is AdamW's decoupled decay on matrices. Default 0.1.
	WeightDecay float64 `yaml:"weight_decay"`
	// DecayEmbeddings also decays embeddings (not norms). Default false.
	DecayEmbeddings bool `yaml:"decay_embeddings"`
	// Beta1, Beta2 are AdamW's moment decays. Default 0.9, 0.95.
	Beta1 float64 `yaml:"beta1"`
	Beta2 float64 `yaml:"beta2"`
	// GradClip is the global gradient-norm limit; 0 disables. Default 1.
	GradClip float64 `yaml:"grad_clip"`
	// EvalEvery runs validation every N steps (and at the end).
	EvalEvery int `yaml:"eval_every"`
	// EvalBatches is how many batches a validation pass reads.
	EvalBatches int `yaml:"eval_batches"`
	// LogEvery writes a metrics line every N steps. Default 10.
	LogEvery int `yaml:"log_every"`
	// SaveEvery writes a checkpoint every N steps (and at the end).
	SaveEvery int `yaml:"save_every"`
	// KeepLast checkpoints are kept, plus the best. Default 3.
	KeepLast int `yaml:"keep_last"`
	// MaxBadSteps stops the run after this many non-finite steps in a
	// row. Default 5.
	MaxBadSteps int `yaml:"max_bad_steps"`
	// SampleTokens is the length of the sample printed at evaluation.
	SampleTokens int `yaml:"sample_tokens"`
	// SamplePrompt starts that sample.
	SamplePrompt string `yaml:"sample_prompt"`
	// Workers split each micro-batch by rows across goroutines; 0 uses
	// every core, 1 is the single-worker mode. Any fixed count is
	// bitwise reproducible; counts differ from each other by float
	// rounding (about 1e-6 in the loss).
	Workers int `yaml:"workers"`
}

// Data says where training text comes from.
type Data struct {
	// Path is a text/JSONL/parquet file or folder, or a folder written
	// by `train data prepare`; empty means the built-in corpus.
	Path string `yaml:"path"`
	// VocabSize of the BPE tokenizer trained when Path is raw text;
	// 262 is pure bytes (256 + special tokens). Default 512.
	VocabSize int `yaml:"vocab_size"`
	// ValFraction of documents held out for validation. Default 0.05.
	ValFraction float64 `yaml:"val_fraction"`
	// ValSplit is "random" (documents chosen by a seeded hash, the
	// default) or "tail" (the last documents, as nanoGPT cuts a text).
	ValSplit string `yaml:"val_split"`
	// BlankLineDocs splits .txt files into documents at blank lines.
	BlankLineDocs bool `yaml:"blank_line_docs"`
	// NoDedup skips exact and near-duplicate removal.
	NoDedup bool `yaml:"no_dedup"`
	// Filters override cleaning thresholds, each "key=value" as in
	// `train data prepare --filter` ("off" disables a rule).
	Filters []string `yaml:"filters"`
	// TextField is the JSONL field or parquet column. Default "text".
	TextField string `yaml:"text_field"`
}

// Default returns the built-in defaults, before any preset.
func Default() Config {
	return Config{
		Model: layers.DefaultConfig(),
		Train: Train{Seed: 1337, Steps: 1000, BatchSize: 12, SeqLen: 64,
			GradAccum: 1, LR: 1e-3, MinLR: 1e-4, WarmupSteps: 100,
			WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.95, GradClip: 1,
			EvalEvery: 250, EvalBatches: 20, LogEvery: 10, SaveEvery: 500,
			KeepLast: 3, MaxBadSteps: 5, SampleTokens: 64,
			SamplePrompt: "\n"},
		Data: Data{VocabSize: 512, ValFraction: 0.05, ValSplit: "random", Filters: []string{},
			TextField: "text"},
	}
}

// Presets lists the built-in preset names.
func Presets() []string {
	ents, _ := fs.ReadDir(presetFS, "presets")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Preset returns the YAML text of a built-in preset.
func Preset(name string) ([]byte, error) {
	b, err := presetFS.ReadFile("presets/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("configs: unknown preset %q (have %s)",
			name, strings.Join(Presets(), ", "))
	}
	return b, nil
}

// YAML renders the resolved config, model keys included.
func (c Config) YAML() ([]byte, error) {
	tree, err := toTree(c)
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(tree)
}
