package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runTrain runs the root command with args and stdin.
func runTrain(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	return out.String(), err
}

func TestDataCommands(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(`{"body":"The river flows to the sea `+
		`and the sea is wide."}`+"\n"+`{"body":"A second document `+
		`about hills, lakes and old towns."}`+"\n"), 0o644)
	out := filepath.Join(dir, "out")
	got, err := runTrain(t, "", "data", "prepare", "--input", in,
		"--out", out, "--vocab-size", "300", "--text-field", "body",
		"--val-fraction", "0.4", "--filter", "min_chars=10",
		"--log-level", "error")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "documents: 2 read, 2 kept") {
		t.Errorf("summary:\n%s", got)
	}
	tok := filepath.Join(out, "tokenizer.json")

	// encode then decode gives back the exact bytes, even bad UTF-8.
	for _, text := range []string{"héllo wörld\n\nend", "a\xffb", ""} {
		ids, err := runTrain(t, text, "data", "encode", "--tokenizer", tok)
		if err != nil {
			t.Fatal(err)
		}
		back, err := runTrain(t, ids, "data", "decode", "--tokenizer", tok)
		if err != nil || back != text {
			t.Errorf("round trip of %q: %q, %v", text, back, err)
		}
	}
	lines, _ := runTrain(t, "ab\ncd\n", "data", "encode", "--tokenizer",
		tok, "--lines")
	if strings.Count(lines, "\n") != 2 {
		t.Errorf("--lines gave %q", lines)
	}

	tok2 := filepath.Join(dir, "t2.json")
	got, err = runTrain(t, "", "data", "train-tokenizer", "--input", in,
		"--text-field", "body", "--vocab-size", "280", "--out", tok2)
	if err != nil || !strings.Contains(got, "280 tokens") {
		t.Errorf("train-tokenizer: %q, %v", got, err)
	}

	_, err = runTrain(t, "", "data", "prepare", "--out", out,
		"--filter", "nope=1")
	if err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown filter key: %v", err)
	}
	_, err = runTrain(t, "99999", "data", "decode", "--tokenizer", tok)
	if err == nil {
		t.Error("decode accepted an id outside the vocabulary")
	}
}
