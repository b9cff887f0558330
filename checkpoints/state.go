package checkpoints

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// StateFile is the name of the trainer state inside a checkpoint.
const StateFile = "trainer_state.json"

// State is trainer_state.json: everything beyond weights and moments that
// a stage needs to continue exactly where it stopped.
type State struct {
	// Stage is pretrain, sft, reward or ppo.
	Stage string `json:"stage"`
	// Step is the number of optimizer steps completed.
	Step int `json:"step"`
	// TokensSeen counts training tokens consumed so far.
	TokensSeen int64 `json:"tokens_seen"`
	// LR is the learning rate of the last step taken.
	LR float64 `json:"lr"`
	// Seed is the run's seed; batches and dropout derive from it and
	// from Step, which is the whole RNG state a resume needs.
	Seed uint64 `json:"seed"`
	// DataCursor is the position in a sequential data stream, for the
	// stages that read one (the samplers of pretraining are stateless).
	DataCursor int64 `json:"data_cursor"`
	// BestValLoss is the lowest validation loss seen, and BestStep its
	// step; the best checkpoint is never pruned.
	BestValLoss float64 `json:"best_val_loss"`
	BestStep    int     `json:"best_step"`
	// BadSteps counts updates skipped for non-finite gradients.
	BadSteps int `json:"bad_steps"`
	// Extra carries stage-specific state (KL controller, ...).
	Extra map[string]float64 `json:"extra,omitempty"`
	// Files maps every other file of the checkpoint to its sha256.
	Files map[string]string `json:"files"`
}

// ReadState reads trainer_state.json from a checkpoint folder.
func ReadState(dir string) (*State, error) {
	path := filepath.Join(dir, StateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: read state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("checkpoints: parse %s: %w", path, err)
	}
	return &s, nil
}
