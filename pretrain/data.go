package pretrain

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data"
)

// sourceFile in RUN/data records the data settings it was prepared
// with, so that a later run with other settings does not reuse it.
const sourceFile = "source.yaml"

// PrepareData returns a folder with tokenizer.json, train.bin and
// val.bin for the run. A Path that already is such a folder is used as
// it is; otherwise the text at Path (or the built-in corpus) is cleaned,
// deduplicated and tokenized into RUN/data once, and reused on resume.
// Data prepared with other settings is prepared again for a new run
// and refused for a resumed one.
func PrepareData(ctx context.Context, d configs.Data, run string,
	seed uint64, resume bool, log *slog.Logger) (string, error) {
	if d.Path != "" && isPrepared(d.Path) {
		return d.Path, nil
	}
	dir := filepath.Join(run, "data")
	want, err := yaml.Marshal(struct {
		Data configs.Data `yaml:"data"`
		Seed uint64       `yaml:"seed"`
	}{d, seed})
	if err != nil {
		return "", fmt.Errorf("pretrain: data: %w", err)
	}
	if isPrepared(dir) {
		had, _ := os.ReadFile(filepath.Join(dir, sourceFile))
		if bytes.Equal(had, want) {
			log.Info("reusing prepared data", "dir", dir)
			return dir, nil
		}
		if resume {
			return "", fmt.Errorf("pretrain: --resume: %s was prepared "+
				"with other data settings (%s); resume with the same "+
				"--data and data.* keys", dir, strings.TrimSpace(
				strings.ReplaceAll(string(had), "\n", " ")))
		}
		log.Info("data settings changed, preparing again", "dir", dir)
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("pretrain: data: %w", err)
		}
	}
	if d.Path != "" {
		if _, err := os.Stat(d.Path); err != nil {
			return "", fmt.Errorf("pretrain: data: %w", err)
		}
	}
	// A refused corpus leaves no empty folders behind; os.Remove
	// deletes only a folder that is empty.
	_, statErr := os.Stat(run)
	if err := prepare(ctx, d, dir, seed, log); err != nil {
		os.Remove(dir)
		if os.IsNotExist(statErr) {
			os.Remove(run)
		}
		return "", err
	}
	return dir, checkpoints.WriteFileSync(filepath.Join(dir, sourceFile),
		want)
}

func isPrepared(dir string) bool {
	for _, f := range []string{TokenizerFile, "train.bin", "val.bin"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

// prepare runs the data pipeline of `train data prepare` into dir.
func prepare(ctx context.Context, d configs.Data, dir string, seed uint64,
	log *slog.Logger) error {
	o := data.DefaultPrepareOptions()
	o.OutDir, o.VocabSize, o.ValFraction = dir, d.VocabSize, d.ValFraction
	o.Seed, o.NoDedup = int64(seed), d.NoDedup
	o.ValTail = d.ValSplit == "tail"
	o.Read.BlankLineDocs, o.Read.TextField = d.BlankLineDocs, d.TextField
	if d.Path != "" {
		o.Inputs = []string{d.Path}
	}
	for _, kv := range d.Filters {
		if err := o.Filter.SetFlag(kv); err != nil {
			return fmt.Errorf("pretrain: data.filters: %w", err)
		}
	}
	src := d.Path
	if src == "" {
		src = "built-in corpus"
	}
	log.Info("preparing data", "from", src, "into", dir,
		"vocab_size", d.VocabSize)
	rep, err := data.Prepare(ctx, o, log)
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	log.Info("data prepared", "docs_kept", rep.DocsKept,
		"docs_in", rep.DocsIn, "train_tokens", rep.Train.Tokens,
		"val_tokens", rep.Val.Tokens, "bytes_per_token",
		Round(rep.BytesPerToken, 3))
	return nil
}
