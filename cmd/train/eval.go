package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	ag "github.com/tinyseek/tinyseek/autograd"
	"github.com/tinyseek/tinyseek/checkpoints"
	"github.com/tinyseek/tinyseek/configs"
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/layers"
	"github.com/tinyseek/tinyseek/pretrain"
)

type evalOptions struct {
	ckpt, data string
	saveLogits string
	ids        string
	batch, seq int
	maxBatches int
}

func newEvalCmd() *cobra.Command {
	var o evalOptions
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure loss, perplexity and bits per byte on text",
		Long: "eval reports the next-token loss (nats/token), perplexity " +
			"and bits per byte\nof a checkpoint on --data: a shard (.bin), " +
			"a prepared folder (its val.bin)\nor a UTF-8 text file, " +
			"tokenized with the checkpoint's tokenizer.\nWith --save-logits " +
			"it writes the logits of --ids as a float32 (T, V) .npy.",
		Example: "  train eval --ckpt runs/pretrain --data runs/pretrain/data\n" +
			"  train eval --ckpt runs/pretrain --save-logits l.npy --ids 1,2,3",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEval(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ckpt, "ckpt", "runs/pretrain", "run or checkpoint folder")
	f.StringVar(&o.data, "data", "", "shard, prepared folder or text file")
	f.StringVar(&o.saveLogits, "save-logits", "", "write the logits of "+
		"--ids to this .npy file")
	f.StringVar(&o.ids, "ids", "", "token ids for --save-logits, e.g. 1,2,3")
	f.IntVar(&o.batch, "batch", 8, "sequences per batch")
	f.IntVar(&o.seq, "seq", 0, "tokens per sequence (default: the "+
		"run's train.seq_len, else the model's positions up to 256)")
	f.IntVar(&o.maxBatches, "max-batches", 0, "stop after N batches (0: all)")
	return cmd
}

func runEval(o evalOptions) error {
	log, err := logger()
	if err != nil {
		return err
	}
	ck, err := pretrain.LoadCheckpoint(o.ckpt, log)
	if err != nil {
		return err
	}
	if o.saveLogits != "" {
		return saveLogits(ck.Model, o.saveLogits, o.ids)
	}
	if o.data == "" {
		return fmt.Errorf("--data is required (or --save-logits with --ids)")
	}
	T, err := evalSeq(o, ck)
	if err != nil {
		return err
	}
	shard, cleanup, err := evalShard(ck, o.data)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := shard.CheckVocab(ck.Model.Cfg.VocabSize); err != nil {
		return err
	}
	// A shard of another tokenizer holds ids that mean other text.
	if v := ck.Tok.VocabSize(); shard.VocabSize != v {
		return fmt.Errorf("eval: %s was written for a vocabulary of %d "+
			"tokens, the checkpoint's tokenizer has %d: its ids would be "+
			"read as other text", o.data, shard.VocabSize, v)
	}
	if shard.Len() < 2 {
		return fmt.Errorf("%s: %d tokens, too few to evaluate", o.data,
			shard.Len())
	}
	T = min(T, shard.Len()-1)
	loss, n := pretrain.ValLoss(ck.Model, shard, o.batch, T, o.maxBatches)
	if n == 0 {
		return fmt.Errorf("%s: too few tokens to evaluate", o.data)
	}
	fmt.Printf("tokens %d loss %.4f ppl %.3f bpb %.4f\n", n, loss,
		math.Exp(loss), shard.BitsPerByte(loss))
	return nil
}

// evalSeq checks --batch and --seq and picks the window length: --seq,
// else the seq_len the run trained with (its config.yaml), else the
// model's positions up to 256.
func evalSeq(o evalOptions, ck *pretrain.Checkpoint) (int, error) {
	maxT := ck.Model.Cfg.MaxPositionEmbeddings
	switch {
	case o.batch <= 0:
		return 0, fmt.Errorf("--batch must be > 0, got %d", o.batch)
	case o.seq < 0 || o.seq > maxT:
		return 0, fmt.Errorf("--seq must be in 1..%d (the model's "+
			"positions), got %d", maxT, o.seq)
	case o.seq > 0:
		return o.seq, nil
	}
	run := filepath.Dir(filepath.Dir(ck.Dir)) // RUN/checkpoints/step-N
	if src, err := configs.LoadFile(filepath.Join(run, "config.yaml")); err == nil {
		if cfg, err := configs.Load([]configs.Source{src}, nil); err == nil &&
			cfg.Train.SeqLen <= maxT {
			return cfg.Train.SeqLen, nil
		}
	}
	return min(maxT, 256), nil
}

// evalShard opens a shard, a prepared folder's val.bin, or tokenizes a
// text file into a temporary shard.
func evalShard(ck *pretrain.Checkpoint, path string) (*data.Shard,
	func(), error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		path = filepath.Join(path, "val.bin")
	}
	if strings.HasSuffix(path, ".bin") {
		s, err := data.OpenShard(path)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, nil, fmt.Errorf("%s: empty file", path)
	}
	if bytes.IndexByte(text, 0) >= 0 {
		return nil, nil, fmt.Errorf("%s: binary file (NUL bytes)", path)
	}
	tmp, err := os.MkdirTemp("", "tinyseek-eval-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	sp := filepath.Join(tmp, "eval.bin")
	w, err := data.CreateShard(sp, ck.Tok.VocabSize())
	if err == nil {
		err = w.WriteDoc(ck.Tok.Encode(string(text)), len(text))
	}
	if err == nil {
		err = w.Close()
	}
	var s *data.Shard
	if err == nil {
		s, err = data.OpenShard(sp)
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return s, func() { s.Close(); cleanup() }, nil
}

// saveLogits writes the logits of one token sequence as a NumPy .npy
// file (little-endian float32, shape (T, V)), atomically.
func saveLogits(m *layers.Model, path, idList string) error {
	ids, err := parseIDs(idList)
	if err != nil {
		return fmt.Errorf("--ids: %w", err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("--save-logits needs --ids")
	}
	for _, id := range ids {
		if int(id) >= m.Cfg.VocabSize {
			return fmt.Errorf("--ids: %d is outside the vocabulary of %d",
				id, m.Cfg.VocabSize)
		}
	}
	if len(ids) > m.Cfg.MaxPositionEmbeddings {
		return fmt.Errorf("--ids: %d tokens exceed the model's %d "+
			"positions", len(ids), m.Cfg.MaxPositionEmbeddings)
	}
	logits := m.Forward(ag.NewInference(), ids, 1, len(ids),
		layers.ForwardOptions{})
	return checkpoints.WriteFileSync(path,
		npy(logits.Data, len(ids), m.Cfg.VocabSize))
}

// npy encodes a float32 matrix in NumPy's format version 1.0.
func npy(x []float32, rows, cols int) []byte {
	hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, "+
		"'shape': (%d, %d), }", rows, cols)
	// Pad so that magic (6) + version (2) + length (2) + header is a
	// multiple of 64, the header ending in a newline.
	pad := 64 - (10+len(hdr)+1)%64
	hdr += strings.Repeat(" ", pad%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	binary.Write(&b, binary.LittleEndian, x)
	return b.Bytes()
}
