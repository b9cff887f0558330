package main

import (
	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
)

// chatPrompt wraps a user message in the chat template that `train
// sft` trains on (data.ChatPrompt) and stops the answer at <|end|>.
var chatPrompt = func(tok *tokenizer.Tokenizer, prompt string) ([]int32,
	[]int32, error) {
	return data.ChatPrompt(tok, prompt), []int32{tokenizer.End}, nil
}
