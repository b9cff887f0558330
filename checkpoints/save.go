package checkpoints

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Dir returns the checkpoints folder of a run.
func Dir(run string) string { return filepath.Join(run, "checkpoints") }

// Name is the folder name of the checkpoint at step.
func Name(step int) string { return fmt.Sprintf("step-%06d", step) }

// Save writes one checkpoint of run at st.Step. write fills the given
// (temporary) folder with the checkpoint's files; Save then checksums
// them, writes trainer_state.json, syncs, renames the folder into place,
// points latest at it and prunes old checkpoints beyond keepLast, always
// keeping the best one (st.BestStep). It returns the final folder.
func Save(run string, st *State, keepLast int,
	write func(dir string) error) (string, error) {
	root := Dir(run)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("checkpoints: %w", err)
	}
	name := Name(st.Step)
	removeStale(root)
	tmp, err := os.MkdirTemp(root, ".tmp-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("checkpoints: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed

	// 1. The stage's files, then their checksums in the state.
	if err := write(tmp); err != nil {
		return "", fmt.Errorf("checkpoints: write %s: %w", name, err)
	}
	sums, err := checksums(tmp)
	if err != nil {
		return "", err
	}
	st.Files = sums
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return "", fmt.Errorf("checkpoints: %w", err)
	}
	if err := WriteFileSync(filepath.Join(tmp, StateFile), b); err != nil {
		return "", err
	}

	// 2. Into place: replace an older checkpoint of the same step.
	final := filepath.Join(root, name)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp made 0700
		return "", fmt.Errorf("checkpoints: %w", err)
	}
	if err := syncDir(tmp); err != nil {
		return "", err
	}
	if err := os.RemoveAll(final); err != nil {
		return "", fmt.Errorf("checkpoints: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("checkpoints: %w", err)
	}
	if err := syncDir(root); err != nil {
		return "", err
	}

	// 3. latest changes last.
	if err := WriteFileSync(filepath.Join(root, "latest"),
		[]byte(name+"\n")); err != nil {
		return "", err
	}
	return final, prune(root, keepLast, st.BestStep)
}

// removeStale deletes temporary folders left by a save that was killed
// (SIGKILL or a power cut get no chance to clean up). One run has one
// writer, so any .tmp-* folder present before a save is dead.
func removeStale(root string) {
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), ".tmp-") {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// checksums returns the sha256 of every regular file in dir.
func checksums(dir string) (map[string]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	sums := map[string]string{}
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == StateFile {
			continue
		}
		s, err := fileSHA256(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		sums[e.Name()] = s
	}
	return sums, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("checkpoints: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("checkpoints: hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteFileSync writes b to path through a temporary file in the same
// folder, fsyncs it and renames it into place, so readers see the old or
// the new content, never a mix.
func WriteFileSync(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("checkpoints: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("checkpoints: write %s: %w", path, err)
	}
	// CreateTemp makes files 0600; a run's files are ordinary ones.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("checkpoints: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("checkpoints: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkpoints: close %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("checkpoints: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("checkpoints: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("checkpoints: sync %s: %w", dir, err)
	}
	return nil
}

// List returns the step-NNNNNN checkpoint names in root, oldest first.
func List(root string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "step-") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// prune removes all but the newest keepLast checkpoints and the best.
func prune(root string, keepLast, bestStep int) error {
	if keepLast <= 0 {
		return nil
	}
	names, err := List(root)
	if err != nil {
		return err
	}
	best := Name(bestStep)
	for i := 0; i < len(names)-keepLast; i++ {
		if names[i] == best {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, names[i])); err != nil {
			return fmt.Errorf("checkpoints: prune: %w", err)
		}
	}
	return nil
}
