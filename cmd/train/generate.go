package main

import (
	"fmt"
	"math"
	"os"

	"github.com/spf13/cobra"

	"github.com/tinyseek/tinyseek/data/tokenizer"
	"github.com/tinyseek/tinyseek/layers"
	"github.com/tinyseek/tinyseek/pretrain"
)

type generateOptions struct {
	ckpt, prompt string
	chat         bool
	maxNew       int
	temperature  float32
	topK         int
	topP         float32
	seed         uint64
}

func newGenerateCmd() *cobra.Command {
	var o generateOptions
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Continue a prompt (or answer it with --chat) using the KV cache",
		Example: "  train generate --ckpt runs/pretrain --prompt \"The capital of\"\n" +
			"  train generate --ckpt runs/sft --chat --prompt \"What is 3 plus 4?\"",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ckpt, "ckpt", "runs/pretrain", "run folder or "+
		"checkpoint folder")
	f.StringVar(&o.prompt, "prompt", "", "text to continue")
	f.BoolVar(&o.chat, "chat", false, "wrap the prompt in the chat "+
		"template and stop at <|end|>")
	f.IntVar(&o.maxNew, "max-new-tokens", 200, "tokens to generate at most")
	f.Float32Var(&o.temperature, "temperature", 0.8, "sampling "+
		"temperature; 0 is greedy")
	f.IntVar(&o.topK, "top-k", 0, "keep the k most likely tokens (0: all)")
	f.Float32Var(&o.topP, "top-p", 1, "nucleus sampling threshold")
	f.Uint64Var(&o.seed, "seed", 1, "sampling seed")
	return cmd
}

// check refuses sampling settings that have no meaning.
func (o generateOptions) check() error {
	t := float64(o.temperature)
	switch {
	case o.maxNew <= 0:
		return fmt.Errorf("--max-new-tokens must be > 0, got %d", o.maxNew)
	case math.IsNaN(t) || math.IsInf(t, 0) || t < 0:
		return fmt.Errorf("--temperature must be a finite number ≥ 0 "+
			"(0 is greedy), got %v", o.temperature)
	case o.topK < 0:
		return fmt.Errorf("--top-k must be ≥ 0 (0 keeps all), got %d",
			o.topK)
	case !(o.topP > 0 && o.topP <= 1):
		return fmt.Errorf("--top-p must be in (0, 1], got %v", o.topP)
	}
	return nil
}

func runGenerate(o generateOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	log, err := logger()
	if err != nil {
		return err
	}
	ck, err := pretrain.LoadCheckpoint(o.ckpt, log)
	if err != nil {
		return err
	}
	prompt, stops, err := promptIDs(ck.Tok, o.prompt, o.chat)
	if err != nil {
		return err
	}

	// Leave room for the prompt within the model's positions.
	maxNew := min(o.maxNew, ck.Model.Cfg.MaxPositionEmbeddings-len(prompt))
	if maxNew <= 0 {
		return fmt.Errorf("prompt of %d tokens fills the model's %d "+
			"positions", len(prompt), ck.Model.Cfg.MaxPositionEmbeddings)
	}
	dec := ck.Tok.NewStreamDecoder()
	if !o.chat {
		fmt.Print(o.prompt)
	}
	_, err = ck.Model.Generate(prompt, layers.SampleOptions{
		Temperature: o.temperature, TopK: o.topK, TopP: o.topP,
		Seed: o.seed, MaxNewTokens: maxNew, StopTokens: stops},
		func(id int32) bool {
			if isStop(id, stops) {
				return true
			}
			os.Stdout.WriteString(dec.Write(id))
			return true
		})
	os.Stdout.WriteString(dec.Flush() + "\n")
	return err
}

// promptIDs encodes the prompt, through the chat template with --chat.
func promptIDs(tok *tokenizer.Tokenizer, prompt string,
	chat bool) ([]int32, []int32, error) {
	if chat {
		return chatPrompt(tok, prompt)
	}
	ids := tok.Encode(prompt)
	if len(ids) == 0 {
		// An empty prompt starts a new document.
		ids = []int32{tokenizer.EndOfText}
	}
	return ids, []int32{tokenizer.EndOfText}, nil
}

func isStop(id int32, stops []int32) bool {
	for _, s := range stops {
		if id == s {
			return true
		}
	}
	return false
}
