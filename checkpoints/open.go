package checkpoints

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoCheckpoint says a run folder holds no usable checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// Open resolves path to a verified checkpoint folder and its state.
// path is either one checkpoint folder (it has trainer_state.json) or a
// run folder, whose latest checkpoint is used. In a run folder, a latest
// checkpoint that fails verification is reported through log and the
// previous good one is used instead.
func Open(path string, log *slog.Logger) (string, *State, error) {
	if _, err := os.Stat(filepath.Join(path, StateFile)); err == nil {
		st, err := Verify(path)
		return path, st, err
	}
	root := Dir(path)
	names, err := List(root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", nil, fmt.Errorf("checkpoints: %s: %w (neither a "+
				"checkpoint nor a run folder)", path, ErrNoCheckpoint)
		}
		return "", nil, err
	}

	// Try latest first, then every older checkpoint, newest first.
	order := []string{}
	if b, err := os.ReadFile(filepath.Join(root, "latest")); err == nil {
		// latest names a folder beside it, never a path elsewhere.
		name := strings.TrimSpace(string(b))
		if validName(name) {
			order = append(order, name)
		} else {
			log.Warn("ignoring a latest file that names no checkpoint "+
				"of this run", "file", filepath.Join(root, "latest"))
		}
	}
	for i := len(names) - 1; i >= 0; i-- {
		order = append(order, names[i])
	}
	seen := map[string]bool{}
	for _, name := range order {
		if seen[name] {
			continue
		}
		seen[name] = true
		dir := filepath.Join(root, name)
		st, err := Verify(dir)
		if err == nil {
			return dir, st, nil
		}
		log.Warn("checkpoint failed verification, trying an older one",
			"checkpoint", dir, "err", err)
	}
	return "", nil, fmt.Errorf("checkpoints: %s: %w", path,
		ErrNoCheckpoint)
}

// Verify reads a checkpoint's state and checks every file against its
// recorded sha256.
func Verify(dir string) (*State, error) {
	st, err := ReadState(dir)
	if err != nil {
		return nil, err
	}
	if len(st.Files) == 0 {
		return nil, fmt.Errorf("checkpoints: %s lists no files", dir)
	}
	for name, want := range st.Files {
		got, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if got != want {
			return nil, fmt.Errorf("checkpoints: %s: sha256 mismatch "+
				"(file corrupted or truncated)", filepath.Join(dir, name))
		}
	}
	return st, nil
}

// validName reports whether name is a step-NNNNNN folder name.
func validName(name string) bool {
	var step int
	n, err := fmt.Sscanf(name, "step-%d", &step)
	return err == nil && n == 1 && Name(step) == name
}

// SetAside moves every checkpoint newer than step out of the way, to a
// hidden ".discarded-" folder beside it, and returns their names. A run
// resumed from an older checkpoint (because the newer ones failed
// verification) continues a different history; the newer folders must
// neither be taken for its latest nor crowd out its good checkpoints
// when old ones are pruned. They are kept, not deleted, for inspection.
func SetAside(run string, step int) ([]string, error) {
	root := Dir(run)
	names, err := List(root)
	if err != nil {
		return nil, err
	}
	var moved []string
	for _, name := range names {
		var s int
		if _, err := fmt.Sscanf(name, "step-%d", &s); err != nil || s <= step {
			continue
		}
		dst := filepath.Join(root, ".discarded-"+name)
		os.RemoveAll(dst)
		if err := os.Rename(filepath.Join(root, name), dst); err != nil {
			return moved, fmt.Errorf("checkpoints: set aside %s: %w", name, err)
		}
		moved = append(moved, name)
	}
	return moved, nil
}
