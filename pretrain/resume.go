package pretrain

import (
	"fmt"
	"maps"
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

// ReadRecorded reads a run's config.yaml into its sections.
func ReadRecorded(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var had map[string]any
	if err := yaml.Unmarshal(b, &had); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return had, nil
}

// SectionDiffs compares the settings now (a struct with yaml tags) of
// section sec with the section old recorded, skipping the keys skip
// reports. It returns every difference as "sec.key=recorded, not now"
// and the keys old does not record, both in key order.
func SectionDiffs(sec string, now any, old map[string]any,
	skip func(key string) bool) (diffs, missing []string, err error) {
	b, err := yaml.Marshal(now)
	if err != nil {
		return nil, nil, err
	}
	var tree map[string]any
	if err := yaml.Unmarshal(b, &tree); err != nil {
		return nil, nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(tree)) {
		if skip != nil && skip(k) {
			continue
		}
		v, ok := old[k]
		switch {
		case !ok:
			missing = append(missing, sec+"."+k)
		case fmt.Sprint(v) != fmt.Sprint(tree[k]):
			diffs = append(diffs, fmt.Sprintf("%s.%s=%v, not %v", sec, k,
				v, tree[k]))
		}
	}
	return diffs, missing, nil
}

// TrainDiffs is SectionDiffs for the train section of the recorded
// config had, skipping TrainFree as well as the keys skip reports
// (ones the stage does not read).
func TrainDiffs(had map[string]any, t configs.Train,
	skip func(key string) bool) (diffs, missing []string, err error) {
	old, _ := had["train"].(map[string]any)
	return SectionDiffs("train", t, old, func(k string) bool {
		return slices.Contains(TrainFree, k) || skip != nil && skip(k)
	})
}

// checkResumeTrain refuses a resumed run whose training settings
// differ from those it started with, naming every one.
func checkResumeTrain(stage, out string, t configs.Train) error {
	path := filepath.Join(out, "config.yaml")
	had, err := ReadRecorded(path)
	if os.IsNotExist(err) {
		return fmt.Errorf("%s: --resume: %w; it records the settings the "+
			"run started with, which a resume must keep: restore it, or "+
			"start a new run", stage, err)
	}
	if err != nil {
		return fmt.Errorf("%s: --resume: %w", stage, err)
	}
	diffs, _, err := TrainDiffs(had, t, nil)
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
