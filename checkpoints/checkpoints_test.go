package checkpoints

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(content string) func(dir string) error {
	return func(dir string) error {
		return os.WriteFile(filepath.Join(dir, "model.bin"),
			[]byte(content), 0o644)
	}
}

func TestSaveOpenRoundTrip(t *testing.T) {
	run := t.TempDir()
	for step := 1; step <= 3; step++ {
		st := &State{Stage: "pretrain", Step: step, Seed: 9}
		if _, err := Save(run, st, 0, writeFiles(strings.Repeat("w", step))); err != nil {
			t.Fatal(err)
		}
	}
	dir, st, err := Open(run, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != 3 || filepath.Base(dir) != "step-000003" {
		t.Fatalf("opened %s at step %d, want step 3", dir, st.Step)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "model.bin"))
	if string(b) != "www" {
		t.Fatalf("model.bin = %q", b)
	}
	// No temporary folders are left behind.
	ents, _ := os.ReadDir(Dir(run))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Fatalf("left %s behind", e.Name())
		}
	}
}

func TestCorruptLatestFallsBackToPrevious(t *testing.T) {
	cases := []struct {
		name   string
		damage func(path string) error
	}{
		{"truncated", func(p string) error { return os.Truncate(p, 1) }},
		{"flipped byte", func(p string) error {
			return os.WriteFile(p, []byte("wwX"), 0o644)
		}},
		{"deleted", os.Remove},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := t.TempDir()
			for step := 1; step <= 2; step++ {
				st := &State{Stage: "pretrain", Step: step}
				_, err := Save(run, st, 0,
					writeFiles(strings.Repeat("w", step+1)))
				if err != nil {
					t.Fatal(err)
				}
			}
			bad := filepath.Join(Dir(run), "step-000002", "model.bin")
			if err := c.damage(bad); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			dir, st, err := Open(run, log)
			if err != nil {
				t.Fatal(err)
			}
			if st.Step != 1 || !strings.HasSuffix(dir, "step-000001") {
				t.Fatalf("fell back to %s (step %d), want step 1", dir,
					st.Step)
			}
			if !strings.Contains(logs.String(), "step-000002") {
				t.Fatalf("fallback not reported: %q", logs.String())
			}
		})
	}
}

func TestPruneKeepsLastAndBest(t *testing.T) {
	run := t.TempDir()
	for step := 1; step <= 6; step++ {
		st := &State{Step: step, BestStep: 2}
		if _, err := Save(run, st, 2, writeFiles("x")); err != nil {
			t.Fatal(err)
		}
	}
	names, _ := List(Dir(run))
	want := "step-000002 step-000005 step-000006"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("kept %s, want %s", got, want)
	}
}

func TestOpenEmptyFolderIsClearError(t *testing.T) {
	_, _, err := Open(t.TempDir(), slog.Default())
	if !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("err = %v, want ErrNoCheckpoint", err)
	}
}

func TestFailedWriteLeavesPreviousCheckpoint(t *testing.T) {
	run := t.TempDir()
	if _, err := Save(run, &State{Step: 1}, 0, writeFiles("ok")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("interrupted")
	_, err := Save(run, &State{Step: 2}, 0, func(dir string) error {
		os.WriteFile(filepath.Join(dir, "model.bin"), []byte("half"), 0o644)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	_, st, err := Open(run, slog.Default())
	if err != nil || st.Step != 1 {
		t.Fatalf("after a failed save opened step %v, err %v", st, err)
	}
	names, _ := List(Dir(run))
	if len(names) != 1 {
		t.Fatalf("checkpoints %v, want only step-000001", names)
	}
}

func TestLatestOutsideTheRunIsIgnored(t *testing.T) {
	run, other := t.TempDir(), t.TempDir()
	if _, err := Save(run, &State{Step: 1}, 0, writeFiles("mine")); err != nil {
		t.Fatal(err)
	}
	if _, err := Save(other, &State{Step: 9}, 0, writeFiles("theirs")); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(Dir(run), filepath.Join(Dir(other), "step-000009"))
	if err := os.WriteFile(filepath.Join(Dir(run), "latest"),
		[]byte(rel), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, _, err := Open(run, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || filepath.Dir(dir) != Dir(run) {
		t.Fatalf("opened %s (err %v), want a checkpoint of %s", dir, err, run)
	}
}

func TestStaleTemporaryFoldersAreRemoved(t *testing.T) {
	run := t.TempDir()
	stale := filepath.Join(Dir(run), ".tmp-step-000003-123")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Save(run, &State{Step: 4}, 0, writeFiles("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale %s still there: %v", stale, err)
	}
}

// TestSetAsideNewerAfterFallback pins a failure a user found: after a
// fallback from a corrupt newest checkpoint, that checkpoint still
// counted toward keep_last and good ones were pruned instead.
func TestSetAsideNewerAfterFallback(t *testing.T) {
	run := t.TempDir()
	for step := 1; step <= 3; step++ {
		if _, err := Save(run, &State{Step: step}, 0,
			writeFiles("x")); err != nil {
			t.Fatal(err)
		}
	}
	moved, err := SetAside(run, 1)
	if err != nil || strings.Join(moved, " ") != "step-000002 step-000003" {
		t.Fatalf("moved %v, err %v", moved, err)
	}
	if _, err := Save(run, &State{Step: 2}, 1, writeFiles("y")); err != nil {
		t.Fatal(err)
	}
	names, _ := List(Dir(run))
	if strings.Join(names, " ") != "step-000002" {
		t.Fatalf("checkpoints %v, want only the new step-000002", names)
	}
	if _, err := os.Stat(filepath.Join(Dir(run),
		".discarded-step-000003")); err != nil {
		t.Fatalf("discarded checkpoint not kept: %v", err)
	}
}
