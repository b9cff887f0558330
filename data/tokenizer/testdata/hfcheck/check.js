// check.js loads a tokenizer.json with Hugging Face tokenizers and
// compares its ids with ours, one document per line of ours.jsonl (as
// printed by the dump command), documents separated by \x1e in docs.
//
//   node check.js tokenizer.json docs.txt ours.jsonl
//
// Exits 1 on the first mismatch and prints where the ids differ.
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokPath, docsPath, oursPath] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokPath);
  const docs = fs.readFileSync(docsPath, 'utf8').split('\x1e');
  const ours = fs.readFileSync(oursPath, 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l));
  if (docs.length !== ours.length) {
    throw new Error(`${docs.length} documents but ${ours.length} lines`);
  }
  // Hugging Face turns a literal <|endoftext|> in text into the special
  // id; our Encode never does, by design, so such documents are skipped.
  const markers = Object.keys(tok.getVocab(true))
    .filter((k) => /^<\|.*\|>$/.test(k));
  let ids = 0;
  let skipped = 0;
  for (let d = 0; d < docs.length; d++) {
    if (markers.some((m) => docs[d].includes(m))) {
      skipped++;
      continue;
    }
    const enc = await tok.encode(docs[d], null, { addSpecialTokens: false });
    const got = enc.getIds();
    const want = ours[d];
    const n = Math.min(got.length, want.length);
    let i = 0;
    while (i < n && got[i] === want[i]) i++;
    if (i < n || got.length !== want.length) {
      console.log(`MISMATCH doc ${d} at id ${i}: hf ${got.length} ids, ` +
        `ours ${want.length}`);
      console.log('hf  ', JSON.stringify(got.slice(i, i + 8)),
        JSON.stringify(enc.getTokens().slice(i, i + 8)));
      console.log('ours', JSON.stringify(want.slice(i, i + 8)));
      process.exit(1);
    }
    ids += got.length;
    const back = await tok.decode(got, false);
    if (back !== docs[d]) {
      console.log(`DECODE MISMATCH doc ${d}`);
      process.exit(1);
    }
  }
  console.log(`OK: ${docs.length - skipped} documents, ${ids} ids ` +
    `identical (${skipped} with special markers skipped)`);
}

main().catch((e) => { console.error(e); process.exit(1); });
