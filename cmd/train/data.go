package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
)

// newDataCmd groups the data subcommands.
func newDataCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Prepare corpora and use tokenizers",
	}
	cmd.AddCommand(newDataPrepareCmd(), newDataEncodeCmd(),
		newDataDecodeCmd(), newDataTrainTokenizerCmd())
	return cmd
}

// prepareOptions are the flags of `train data prepare`.
type prepareOptions struct {
	inputs        []string
	out           string
	vocabSize     int
	valFraction   float64
	noDedup       bool
	filters       []string
	textField     string
	blankLineDocs bool
	seed          int64
	force         bool
}

func newDataPrepareCmd() *cobra.Command {
	var o prepareOptions
	cmd := &cobra.Command{
		Use:   "prepare --out DIR [--input PATH]...",
		Short: "Clean, deduplicate and tokenize text into token shards",
		Long: "prepare reads .txt, .jsonl and .parquet files (also " +
			".gz, and folders),\nfilters and deduplicates the documents, " +
			"trains a BPE tokenizer and writes\nDIR/tokenizer.json, " +
			"train.bin, val.bin and report.json. Without --input it\n" +
			"uses the built-in corpus.",
		Example: "  train data prepare --out runs/data\n" +
			"  train data prepare --input corpus/ --out runs/data " +
			"--vocab-size 8192 \\\n" +
			"      --filter min_chars=100 --filter boilerplate=",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPrepare(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.inputs, "input", nil, "input file or folder "+
		"(repeatable; default: built-in corpus)")
	f.StringVar(&o.out, "out", "", "output folder (required)")
	f.IntVar(&o.vocabSize, "vocab-size", 4096, "tokenizer vocabulary size")
	f.Float64Var(&o.valFraction, "val-fraction", 0.05,
		"fraction of documents held out for validation")
	f.BoolVar(&o.noDedup, "no-dedup", false, "keep duplicate documents")
	f.StringArrayVar(&o.filters, "filter", nil, "filter setting "+
		"key=value, e.g. min_chars=50 or max_dup_line_frac=off (repeatable)")
	f.StringVar(&o.textField, "text-field", "text",
		"JSONL field or parquet column holding the text")
	f.BoolVar(&o.blankLineDocs, "blank-line-docs", false,
		"split .txt files into documents at blank lines")
	f.Int64Var(&o.seed, "seed", 1, "seed of the built-in corpus and "+
		"the validation split")
	f.BoolVar(&o.force, "force", false, "replace the prepared data "+
		"already in --out")
	cmd.MarkFlagRequired("out")
	return cmd
}

func runPrepare(cmd *cobra.Command, o prepareOptions) (err error) {
	log, err := logger()
	if err != nil {
		return err
	}

	opts := data.DefaultPrepareOptions()
	for _, kv := range o.filters {
		if err := opts.Filter.SetFlag(kv); err != nil {
			return fmt.Errorf("--filter: %w", err)
		}
	}

	// Never replace prepared data by accident, and leave no empty
	// folder behind when preparing fails.
	tokPath := filepath.Join(o.out, data.TokenizerFile)
	if _, err := os.Stat(tokPath); err == nil && !o.force {
		return fmt.Errorf("%s already holds prepared data; pass --force "+
			"to replace it", o.out)
	}
	if _, err := os.Stat(o.out); errors.Is(err, os.ErrNotExist) {
		defer func() {
			if err != nil {
				os.Remove(o.out) // only if still empty
			}
		}()
	}
	opts.Inputs, opts.OutDir = o.inputs, o.out
	opts.VocabSize, opts.ValFraction = o.vocabSize, o.valFraction
	opts.NoDedup, opts.Seed = o.noDedup, o.seed
	opts.Read.TextField = o.textField
	opts.Read.BlankLineDocs = o.blankLineDocs
	rep, err := data.Prepare(cmd.Context(), opts, log)
	if err != nil {
		return err
	}
	printReport(cmd.OutOrStdout(), rep, o.out)
	return nil
}

// printReport writes the summary a user reads after prepare.
func printReport(w io.Writer, rep *data.Report, out string) {
	fmt.Fprintf(w, "documents: %d read, %d kept (%.1f MB of %.1f MB)\n",
		rep.DocsIn, rep.DocsKept, float64(rep.BytesKept)/1e6,
		float64(rep.BytesIn)/1e6)
	for _, r := range data.Rules {
		if c := rep.Dropped[r]; c != nil && c.Docs > 0 {
			fmt.Fprintf(w, "dropped by %-14s %d\n", string(r)+":", c.Docs)
		}
	}
	fmt.Fprintf(w, "duplicates: %d exact, %d near (%d clusters)\n",
		rep.Dedup.Exact, rep.Dedup.Near, rep.Dedup.Clusters)
	fmt.Fprintf(w, "boilerplate lines removed: %d\n", rep.BoilerplateLines)
	fmt.Fprintf(w, "tokens: %d train (%d docs), %d val (%d docs), "+
		"vocab %d, %.2f bytes per token\n", rep.Train.Tokens,
		rep.Train.Docs, rep.Val.Tokens, rep.Val.Docs, rep.VocabSize,
		rep.BytesPerToken)
	fmt.Fprintf(w, "wrote %s/{%s,%s,%s,%s}\n", out, data.TokenizerFile,
		data.TrainFile, data.ValFile, data.ReportFile)
}

func newDataEncodeCmd() *cobra.Command {
	var path string
	var lines bool
	cmd := &cobra.Command{
		Use:   "encode --tokenizer FILE [--lines]",
		Short: "Encode stdin text to space-separated token ids",
		Long: "encode reads all of stdin and prints its token ids on one " +
			"line; with --lines\nit encodes each line (without its " +
			"newline) onto its own output line.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, err := tokenizer.Load(path)
			if err != nil {
				return err
			}
			return encodeStream(tok, cmd.InOrStdin(), cmd.OutOrStdout(),
				lines)
		},
	}
	cmd.Flags().StringVar(&path, "tokenizer", "", "tokenizer.json")
	cmd.Flags().BoolVar(&lines, "lines", false, "encode line by line")
	cmd.MarkFlagRequired("tokenizer")
	return cmd
}

// encodeStream prints the ids of r, whole or line by line.
func encodeStream(tok *tokenizer.Tokenizer, r io.Reader, w io.Writer,
	lines bool) error {
	bw := bufio.NewWriter(w)
	write := func(ids []int32) {
		for i, id := range ids {
			if i > 0 {
				bw.WriteByte(' ')
			}
			bw.WriteString(strconv.Itoa(int(id)))
		}
		bw.WriteByte('\n')
	}
	if !lines {
		b, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("encode: read stdin: %w", err)
		}
		write(tok.Encode(string(b)))
		return bw.Flush()
	}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			write(tok.Encode(strings.TrimSuffix(line, "\n")))
		}
		if err == io.EOF {
			return bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("encode: read stdin: %w", err)
		}
	}
}

func newDataDecodeCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "decode --tokenizer FILE",
		Short: "Decode token ids on stdin to the exact bytes",
		Long: "decode reads ids separated by spaces, commas or newlines " +
			"and writes the\nbytes they stand for, nothing added.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok, err := tokenizer.Load(path)
			if err != nil {
				return err
			}
			b, err := io.ReadAll(cmd.InOrStdin())
			if err != nil {
				return fmt.Errorf("decode: read stdin: %w", err)
			}
			ids, err := parseIDs(string(b))
			if err != nil {
				return fmt.Errorf("decode: %w", err)
			}
			for _, id := range ids {
				if int(id) >= tok.VocabSize() {
					return fmt.Errorf("decode: token id %d outside "+
						"vocabulary of %d", id, tok.VocabSize())
				}
			}
			_, err = cmd.OutOrStdout().Write(tok.Decode(ids))
			return err
		},
	}
	cmd.Flags().StringVar(&path, "tokenizer", "", "tokenizer.json")
	cmd.MarkFlagRequired("tokenizer")
	return cmd
}

func newDataTrainTokenizerCmd() *cobra.Command {
	var inputs []string
	var out, textField string
	var vocabSize int
	cmd := &cobra.Command{
		Use:   "train-tokenizer --input PATH... --vocab-size N --out FILE",
		Short: "Train a byte-level BPE tokenizer on raw text",
		Long: "train-tokenizer reads the inputs as prepare does, " +
			"without cleaning or\ndeduplication, and writes a Hugging " +
			"Face tokenizer.json.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := logger()
			if err != nil {
				return err
			}
			var rerr error
			docs := func(yield func(string) bool) {
				ro := data.ReadOptions{TextField: textField}
				for d, err := range data.Read(inputs, ro, log) {
					if err != nil {
						rerr = err
						return
					}
					if !yield(d.Text) {
						return
					}
				}
			}
			tok, err := tokenizer.Train(docs, vocabSize,
				tokenizer.TrainOptions{})
			if rerr != nil {
				return rerr
			}
			if err != nil {
				return err
			}
			if err := tok.Save(out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d tokens\n", out,
				tok.VocabSize())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&inputs, "input", nil, "input file or folder")
	f.IntVar(&vocabSize, "vocab-size", 4096, "vocabulary size")
	f.StringVar(&out, "out", "tokenizer.json", "output file")
	f.StringVar(&textField, "text-field", "text",
		"JSONL field or parquet column holding the text")
	cmd.MarkFlagRequired("input")
	return cmd
}
