package pretrain

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tinyseek/tinyseek/configs"
)

// TrainFree are the train keys a resumed run may change: how long it
// runs and how often it logs, evaluates and saves. Any other change
// would make the resumed run differ from an uninterrupted one.
var TrainFree = []string{"steps", "eval_every", "log_every",
	"save_every", "keep_last"}

// TrainDiffs compares the train section t of a resumed run with the
// one in its config.yaml at path, skipping TrainFree and the keys
// skip reports (ones the stage does not read). It returns every
// difference as "train.key=recorded, not now", and the keys the file
// does not record. A missing file gives nothing to compare.
func TrainDiffs(path string, t configs.Train, skip func(key string) bool) (
	diffs, missing []string, err error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var had struct {
		Train map[string]any `yaml:"train"`
	}
	if err := yaml.Unmarshal(b, &had); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	nb, err := yaml.Marshal(t)
	if err != nil {
		return nil, nil, err
	}
	var now map[string]any
	if err := yaml.Unmarshal(nb, &now); err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(now))
	for k := range now {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if slices.Contains(TrainFree, k) || skip != nil && skip(k) {
			continue
		}
		old, ok := had.Train[k]
		switch {
		case !ok:
			missing = append(missing, "train."+k)
		case fmt.Sprint(old) != fmt.Sprint(now[k]):
			diffs = append(diffs, fmt.Sprintf("train.%s=%v, not %v", k,
				old, now[k]))
		}
	}
	return diffs, missing, nil
}

// checkResumeTrain refuses a resumed run whose training settings
// differ from those it started with, naming every one.
func checkResumeTrain(stage, out string, t configs.Train) error {
	path := filepath.Join(out, "config.yaml")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s: --resume: %w; it records the settings the "+
			"run started with, which a resume must keep: restore it, or "+
			"start a new run", stage, err)
	}
	diffs, _, err := TrainDiffs(path, t, nil)
	if err != nil {
		return fmt.Errorf("%s: --resume: %w", stage, err)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s: --resume: the run started with %s; give "+
			"the first run's settings again (see %s; only train.steps "+
			"and the log, eval and save cadence may change)", stage,
			strings.Join(diffs, ", "), path)
	}
	return nil
}
