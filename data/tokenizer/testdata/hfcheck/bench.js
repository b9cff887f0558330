// bench.js times Hugging Face tokenizers on the same corpus as the Go
// benchmarks (TINYSEEK_CORPUS or argv[2]): training to its default
// trainer's full merge list (the Node binding cannot set vocab_size),
// then encoding with each tokenizer.json given after the corpus, as one
// whole string and as a batch of lines.
//
//   node bench.js corpus.txt tok1024.json tok8192.json
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
  Tokenizer, BPE, sequencePreTokenizer, splitPreTokenizer,
  byteLevelPreTokenizer,
} = require('tokenizers');

const PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+" +
  "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function mbps(bytes, ms) { return (bytes / 1e6) / (ms / 1e3); }

async function main() {
  const corpus = process.argv[2] || process.env.TINYSEEK_CORPUS;
  const text = fs.readFileSync(corpus, 'utf8');
  const bytes = Buffer.byteLength(text);

  // Training, same pipeline as our files.
  const tok = new Tokenizer(BPE.empty());
  tok.setPreTokenizer(sequencePreTokenizer([
    splitPreTokenizer(PATTERN, 'isolated', false),
    byteLevelPreTokenizer(false, false),
  ]));
  let t0 = performance.now();
  tok.train([corpus]);
  let ms = performance.now() - t0;
  console.log(`hf train (default trainer): ${ms.toFixed(0)} ms, ` +
    `${tok.getVocabSize()} tokens`);
  tok.save(path.join(os.tmpdir(), 'hf-trained.json'));

  const lines = text.split(/(?<=\n)/);
  for (const file of process.argv.slice(3)) {
    const t = Tokenizer.fromFile(file);
    const n = t.getVocabSize();
    for (let rep = 0; rep < 2; rep++) {
      const fresh = Tokenizer.fromFile(file); // cold cache, as in Go
      t0 = performance.now();
      const enc = await fresh.encode(text, null, { addSpecialTokens: false });
      ms = performance.now() - t0;
      console.log(`hf encode whole  vocab ${n}: ${ms.toFixed(0)} ms ` +
        `${mbps(bytes, ms).toFixed(2)} MB/s (${enc.getLength()} ids)`);
      t0 = performance.now();
      await fresh.encodeBatch(lines, { addSpecialTokens: false });
      ms = performance.now() - t0;
      console.log(`hf encode batch  vocab ${n}: ${ms.toFixed(0)} ms ` +
        `${mbps(bytes, ms).toFixed(2)} MB/s (${lines.length} lines)`);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
