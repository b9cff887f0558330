package rlhf

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/configs"
)

// writeRunConfig writes OUT/config.yaml: the resolved train, model and
// data sections, the stage's own section (reward: or ppo:) and the
// inputs the run was started with (checkpoint folders and data files,
// "" for built-in data). A resumed run must keep both: a changed
// setting or input would silently break the promise that it
// reproduces the uninterrupted run, so it is refused by name.
func writeRunConfig(c Common, cfg configs.Config, section string,
	settings any, inputs map[string]string) error {
	path := filepath.Join(c.Out, "config.yaml")
	ins := absPaths(inputs)
	if c.Resume {
		err := sameAsStarted(c, path, section, settings, ins)
		if err != nil {
			return err
		}
	}
	b, err := cfg.YAML()
	if err != nil {
		return err
	}
	extra, err := yaml.Marshal(map[string]any{section: settings,
		"inputs": ins})
	if err != nil {
		return fmt.Errorf("rlhf %s: %w", section, err)
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return fmt.Errorf("rlhf %s: run folder: %w", section, err)
	}
	return checkpoints.WriteFileSync(path, append(b, extra...))
}

// absPaths makes the input paths absolute, symbolic links resolved,
// so that two spellings of one folder compare equal.
func absPaths(inputs map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range inputs {
		if v != "" {
			if abs, err := filepath.Abs(v); err == nil {
				v = abs
			}
			if real, err := filepath.EvalSymlinks(v); err == nil {
				v = real
			}
		}
		out[k] = v
	}
	return out
}

// checkStarted is sameAsStarted for a run that is already finished:
// a resume with other settings or inputs is refused all the same.
func checkStarted(c Common, section string, settings any,
	inputs map[string]string) error {
	return sameAsStarted(c, filepath.Join(c.Out, "config.yaml"), section,
		settings, absPaths(inputs))
}

// sameAsStarted compares settings and inputs with those recorded in
// the run's config.yaml. What the file does not record (a run started
// by an older version, a hand-edited file) is not compared, with a
// warning.
func sameAsStarted(c Common, path, section string, settings any,
	inputs map[string]string) error {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		c.Log.Warn("resumed run has no config.yaml; its settings and "+
			"inputs cannot be checked", "path", path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("rlhf %s: --resume: %w", section, err)
	}
	var had map[string]any
	if err := yaml.Unmarshal(b, &had); err != nil {
		return fmt.Errorf("rlhf %s: --resume: %s: %w", section, path, err)
	}
	now, err := asTree(settings)
	if err != nil {
		return fmt.Errorf("rlhf %s: %w", section, err)
	}
	old, _ := had[section].(map[string]any)
	oldIn, _ := had["inputs"].(map[string]any)
	if missing := unrecorded(now, old); len(old) == 0 || len(oldIn) == 0 ||
		len(missing) > 0 {
		c.Log.Warn("config.yaml does not record every setting and input "+
			"of this stage; those cannot be checked on resume", "path",
			path, "section", section, "unrecorded", missing)
	}
	for _, k := range sortedKeys(old) {
		if v, ok := now[k]; ok && fmt.Sprint(v) != fmt.Sprint(old[k]) {
			return fmt.Errorf("rlhf %s: --resume: the run started with "+
				"%s.%s=%v, not %v; resume with the same settings (see %s)",
				section, section, k, old[k], v, path)
		}
	}
	for _, k := range sortedKeys(oldIn) {
		if v, ok := inputs[k]; ok && fmt.Sprint(oldIn[k]) != v {
			return fmt.Errorf("rlhf %s: --resume: the run started with "+
				"--%s %s, not %s (if that folder or file was moved, "+
				"edit inputs.%s in %s)", section, k, describe(oldIn[k]),
				describe(v), k, path)
		}
	}
	return nil
}

// unrecorded lists the keys of now that old lacks.
func unrecorded(now, old map[string]any) []string {
	var out []string
	for _, k := range sortedKeys(now) {
		if _, ok := old[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// asTree turns a settings struct into its YAML map.
func asTree(v any) (map[string]any, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, yaml.Unmarshal(b, &m)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// describe names an input for an error: built-in data has no path.
func describe(v any) string {
	if s := fmt.Sprint(v); strings.TrimSpace(s) != "" {
		return s
	}
	return "(built-in data)"
}
