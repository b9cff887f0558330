package pretrain

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
)

// Checkpoint is a model and tokenizer loaded from a checkpoint folder.
type Checkpoint struct {
	Dir   string
	State *checkpoints.State
	Model *layers.Model
	Tok   *tokenizer.Tokenizer
}

// LoadCheckpoint opens path (a run folder, whose latest good checkpoint
// is used, or one checkpoint folder) and loads its model and tokenizer.
func LoadCheckpoint(path string, log *slog.Logger) (*Checkpoint, error) {
	dir, st, err := checkpoints.Open(path, log)
	if err != nil {
		return nil, err
	}
	m, err := layers.Load(dir)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(filepath.Join(dir, TokenizerFile))
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	if err := m.Cfg.ValidateVocab(tok.VocabSize()); err != nil {
		return nil, fmt.Errorf("pretrain: checkpoint %s: %w", dir, err)
	}
	return &Checkpoint{Dir: dir, State: st, Model: m, Tok: tok}, nil
}
