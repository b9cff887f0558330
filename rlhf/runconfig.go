package rlhf

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/pretrain"
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
// so that two spellings of one folder compare equal, and adds for
// each input k its content digest as k_sha256: a checkpoint's is that
// of its recorded file hashes, a file's that of its bytes. A moved
// input with the same digest is the same input; one edited in place
// is another.
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
			out[k+digestSuffix] = digest(v)
		}
		out[k] = v
	}
	return out
}

const digestSuffix = "_sha256"

// digest is the content digest of a checkpoint folder or a file; ""
// when it cannot be read (the load that follows reports why).
func digest(path string) string {
	h := sha256.New()
	if st, err := checkpoints.ReadState(path); err == nil {
		names := make([]string, 0, len(st.Files))
		for n := range st.Files {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			fmt.Fprintf(h, "%s %s\n", n, st.Files[n])
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return ""
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return ""
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkStarted is sameAsStarted for a run that is already finished:
// a resume with other settings or inputs is refused all the same.
func checkStarted(c Common, section string, settings any,
	inputs map[string]string) error {
	return sameAsStarted(c, filepath.Join(c.Out, "config.yaml"), section,
		settings, absPaths(inputs))
}

// sameAsStarted compares settings, the train section (less what the
// stage does not read and pretrain.TrainFree) and inputs with those
// recorded in the run's config.yaml, naming every difference in one
// error. Without the file the resume is refused; what it does not
// record (a run started by an older version, a hand-edited file) is
// not compared, with a warning.
func sameAsStarted(c Common, path, section string, settings any,
	inputs map[string]string) error {
	had, err := pretrain.ReadRecorded(path)
	if os.IsNotExist(err) {
		return fmt.Errorf("rlhf %s: --resume: %w; it records the "+
			"settings and inputs the run started with, which a resume "+
			"must keep: restore it, or start a new run", section, err)
	}
	if err != nil {
		return fmt.Errorf("rlhf %s: --resume: %w", section, err)
	}
	old, _ := had[section].(map[string]any)
	diffs, missing, err := pretrain.SectionDiffs(section, settings, old,
		nil)
	if err != nil {
		return fmt.Errorf("rlhf %s: %w", section, err)
	}
	td, tm, err := pretrain.TrainDiffs(had, c.Config.Train,
		func(k string) bool { return CheckKey(section, "train."+k) != nil })
	if err != nil {
		return fmt.Errorf("rlhf %s: %w", section, err)
	}
	diffs, missing = append(diffs, td...), append(missing, tm...)
	oldIn, _ := had["inputs"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(inputs)) {
		if _, ok := oldIn[k]; !ok {
			missing = append(missing, "inputs."+k)
		}
	}
	if len(missing) > 0 {
		c.Log.Warn("config.yaml does not record every setting and input "+
			"of this stage; those cannot be checked on resume", "path",
			path, "unrecorded", missing)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("rlhf %s: --resume: the run started with %s; "+
			"resume with the same settings (see %s)", section,
			strings.Join(diffs, ", "), path)
	}
	return sameInputs(path, section, oldIn, inputs)
}

// sameInputs compares inputs with those recorded: by digest where both
// have one (so a moved folder passes and a file edited in place does
// not), else by path.
func sameInputs(path, section string, old map[string]any,
	now map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(old)) {
		if strings.HasSuffix(k, digestSuffix) {
			continue
		}
		v, ok := now[k]
		if !ok {
			continue
		}
		was, _ := old[k+digestSuffix].(string)
		if d := now[k+digestSuffix]; was != "" && d != "" {
			if was != d {
				return fmt.Errorf("rlhf %s: --resume: --%s %s is not what "+
					"the run started with (%s): its content changed",
					section, k, describe(v), describe(old[k]))
			}
			continue
		}
		if was := fmt.Sprint(old[k]); was != v {
			hint := ""
			if was != "" && v != "" {
				hint = fmt.Sprintf(" (if only the path changed, edit "+
					"inputs.%s in %s)", k, path)
			}
			return fmt.Errorf("rlhf %s: --resume: the run started with "+
				"--%s %s, not %s%s", section, k, describe(old[k]),
				describe(v), hint)
		}
	}
	return nil
}

// describe names an input for an error: built-in data has no path.
func describe(v any) string {
	if s := fmt.Sprint(v); strings.TrimSpace(s) != "" {
		return s
	}
	return "(built-in data)"
}
