// Trains the default models' tokenizer: a GPT-2-style byte-level BPE with a
// 4096-token vocabulary (256 byte tokens + 3839 merges + <|endoftext|>), on the
// books of ../shared/data/books except War and Peace (pg2600.txt), with Hugging
// Face's own `tokenizers` (npm package 0.23.2, Rust core). Writes OUT_DIR/
// tokenizer.json (train.py copies it into each MODEL_DIR) and every book's ids
// as little-endian uint32 (OUT_DIR/BOOK.u32) for train.py. Deterministic.
//
//   mkdir -p /tmp/tokref && (cd /tmp/tokref && npm install tokenizers@0.23.2)
//   NODE_PATH=/tmp/tokref/node_modules node model/train/make_tokenizer.js \
//       [BOOKS_DIR] [OUT_DIR, default /tmp/swan-train-ids]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const tk = require('tokenizers');

const HERE = __dirname;
const BOOKS = process.argv[2] || path.join(HERE, '..', '..', '..', 'shared', 'data', 'books');
const IDS_DIR = process.argv[3] || path.join(os.tmpdir(), 'swan-train-ids');
const OUT = path.join(IDS_DIR, 'tokenizer.json');
const HELD_OUT = 'pg2600.txt'; // War and Peace: never trained on
const VOCAB = 4096;
const EOT = '<|endoftext|>';

const PRE = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

// GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to
// U+0100 upwards in byte order.
function byteChars() {
    const chars = new Array(256);
    let next = 256;
    for (let b = 0; b < 256; b++) {
        const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
        chars[b] = String.fromCodePoint(printable ? b : next++);
    }
    return chars;
}

function tokenizerJson(vocab, merges, added) {
    return {
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: added,
        normalizer: null,
        pre_tokenizer: PRE,
        post_processor: null,
        decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
        model: {
            type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
            end_of_word_suffix: null, fuse_unk: false, byte_fallback: false,
            ignore_merges: false, vocab, merges,
        },
    };
}

// The node binding trains only with the default BpeTrainer (vocab 30000, no
// options), so train that and keep the first merges: BPE training is greedy,
// so a prefix of its merges is what a 4096-token run learns.
function train(files) {
    const seed = tk.Tokenizer.fromString(JSON.stringify(tokenizerJson({}, [], [])));
    seed.train(files);
    const tmp = path.join(os.tmpdir(), `swan-train-tokenizer-${process.pid}.json`);
    seed.save(tmp);
    const trained = JSON.parse(fs.readFileSync(tmp, 'utf8'));
    fs.unlinkSync(tmp);
    const pairs = trained.model.merges.map((m) => (Array.isArray(m) ? m : m.split(' ')));

    // Ids: the 256 byte tokens by byte value, then merge results in merge order,
    // then <|endoftext|> as the last id.
    const vocab = {};
    let nextId = 0;
    for (const c of byteChars()) vocab[c] = nextId++;
    const merges = [];
    const modelSize = VOCAB - 1;
    for (const [a, b] of pairs) {
        if (!(a + b in vocab)) {
            if (nextId === modelSize) break;
            vocab[a + b] = nextId++;
        }
        merges.push(`${a} ${b}`);
    }
    if (nextId !== modelSize) throw new Error(`only ${nextId} model tokens learned`);
    const added = [{ id: modelSize, content: EOT, single_word: false, lstrip: false, rstrip: false,
        normalized: false, special: true }];
    return tokenizerJson(vocab, merges, added);
}

function u32(ids) {
    const buf = Buffer.alloc(4 * ids.length);
    ids.forEach((id, i) => buf.writeUInt32LE(id, 4 * i));
    return buf;
}

async function main() {
    const books = fs.readdirSync(BOOKS).filter((f) => f.endsWith('.txt')).sort();
    if (!books.length) throw new Error(`${BOOKS}: no books`);
    const trainFiles = books.filter((f) => f !== HELD_OUT).map((f) => path.join(BOOKS, f));
    const json = train(trainFiles);
    fs.mkdirSync(IDS_DIR, { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(json, null, 1) + '\n');

    const tok = tk.Tokenizer.fromFile(OUT);
    if (tok.tokenToId(EOT) !== VOCAB - 1) throw new Error('<|endoftext|> got another id');
    fs.mkdirSync(IDS_DIR, { recursive: true });
    for (const book of books) {
        const text = fs.readFileSync(path.join(BOOKS, book), 'utf8');
        const enc = await tok.encode(text, null, { addSpecialTokens: false });
        const ids = enc.getIds();
        const back = await tok.decode(ids, false);
        if (back !== text) throw new Error(`${book}: decode does not round-trip`);
        fs.writeFileSync(path.join(IDS_DIR, book.replace('.txt', '.u32')), u32(ids));
        console.log(`${book} ${Buffer.byteLength(text)} bytes ${ids.length} tokens ` +
            `${(Buffer.byteLength(text) / ids.length).toFixed(2)} bytes/token`);
    }
    console.log(`${OUT}: ${Object.keys(json.model.vocab).length} model tokens, ` +
        `${json.model.merges.length} merges, ${EOT} = ${VOCAB - 1}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
