package main

import (
	"errors"

	"github.com/tinyseek/tinyseek/data/tokenizer"
)

// chatPrompt is replaced by the SFT stage's template once it lands.
var chatPrompt = func(tok *tokenizer.Tokenizer, prompt string) ([]int32,
	[]int32, error) {
	return nil, nil, errors.New("--chat needs the sft stage")
}
