// Makes the tokenizer reference fixtures with Hugging Face's own `tokenizers`
// (npm package, Rust core with prebuilt binaries): trains a GPT-2-style and a
// Llama-3-style byte-level BPE on the books, saves their tokenizer.json, and
// records the reference ids for the books, a Unicode sweep and nasty strings.
// Two more styles reuse those merges with the rest of Command R's and Llama
// 3's published settings (NFC, Digits, a post-processor adding BOS); their
// reference ids are HF's encode(text) default, add_special_tokens=True.
// See README.md in this directory for how to run it. Output is deterministic.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const tk = require('tokenizers');

const HERE = __dirname;
const BOOKS = process.argv[2] || path.join(HERE, '..', '..', '..', 'shared', 'data', 'books');
const HELD_OUT = 'pg2600.txt'; // War and Peace: never trained on
const FULL_IDS = ['pg11.txt', 'pg5200.txt']; // books whose ids are committed in full
const VOCAB = 4096;

const GPT2_RE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Added tokens: specials (matched on the raw text), one with lstrip/rstrip,
// and a non-special one that occurs in the books (matched after the specials).
const STYLES = {
    gpt2style: {
        preTokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        ignoreMerges: false,
        mergesAsPairs: false,
        added: [
            { content: '<|endoftext|>', special: true },
            { content: '<mask>', special: true, lstrip: true },
            { content: 'Mr.', special: false },
        ],
    },
    llama3style: {
        preTokenizer: {
            type: 'Sequence',
            pretokenizers: [
                { type: 'Split', pattern: { Regex: LLAMA3_RE }, behavior: 'Isolated', invert: false },
                { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
            ],
        },
        ignoreMerges: true,
        mergesAsPairs: true,
        added: [
            { content: '<|begin_of_text|>', special: true },
            { content: '<|end_of_text|>', special: true },
            { content: '<|eot_id|>', special: true, rstrip: true },
            { content: 'Mrs.', special: false },
        ],
    },
};

// Styles with a post-processor, on the merges trained above (`merges`). The
// settings are the published ones: CohereForAI/c4ai-command-r-v01's
// tokenizer.json (normalizer NFC; pre_tokenizer Sequence[Digits(individual
// digits), ByteLevel(add_prefix_space false, trim_offsets true, use_regex
// true)]; post_processor TemplateProcessing <BOS_TOKEN> $A; its special
// tokens, none normalized) and meta-llama/Meta-Llama-3-8B's (the llama3style
// pre_tokenizer; post_processor Sequence[ByteLevel(add_prefix_space true,
// trim_offsets false, use_regex true), TemplateProcessing <|begin_of_text|>
// $A]). commandrstyle also has two added tokens of its own to pin down where
// NFC runs: a non-normalized one with a decomposed accent (matched in the raw
// text) and normalized ones, one composed (matched after NFC), one written
// decomposed (HF keeps the NFC of a normalized token's content, and matches
// and decodes that). Neither is a Latin-1 letter, which the ByteLevel
// decoder would take for a byte.
const BOS_STYLES = {
    commandrstyle: {
        merges: 'gpt2style',
        normalizer: { type: 'NFC' },
        preTokenizer: {
            type: 'Sequence',
            pretokenizers: [
                { type: 'Digits', individual_digits: true },
                { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
            ],
        },
        ignoreMerges: false,
        mergesAsPairs: false,
        added: [
            { content: '<PAD>', special: true }, { content: '<UNK>', special: true },
            { content: '<CLS>', special: true }, { content: '<SEP>', special: true },
            { content: '<MASK_TOKEN>', special: true }, { content: '<BOS_TOKEN>', special: true },
            { content: '<EOS_TOKEN>', special: true }, { content: '<EOP_TOKEN>', special: true },
            { content: '<|START_OF_TURN_TOKEN|>', special: false, normalized: false },
            { content: '<|END_OF_TURN_TOKEN|>', special: true },
            { content: '<|USER_TOKEN|>', special: false, normalized: false },
            { content: '<|CHATBOT_TOKEN|>', special: false, normalized: false },
            { content: '<|SYSTEM_TOKEN|>', special: false, normalized: false },
            { content: '<e\u0301>', special: false, normalized: false },
            { content: 'vi\u1ec7t', special: false, normalized: true },
            { content: 'no\u0323\u0302i', special: false, normalized: true },
        ],
        template: (bosId) => ({
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: '<BOS_TOKEN>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [{ SpecialToken: { id: '<BOS_TOKEN>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
                { SpecialToken: { id: '<BOS_TOKEN>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
            special_tokens: { '<BOS_TOKEN>': { id: '<BOS_TOKEN>', ids: [bosId], tokens: ['<BOS_TOKEN>'] } },
        }),
        bos: '<BOS_TOKEN>',
    },
    llama3bos: {
        merges: 'llama3style',
        normalizer: null,
        preTokenizer: STYLES.llama3style.preTokenizer,
        ignoreMerges: true,
        mergesAsPairs: true,
        added: [
            { content: '<|begin_of_text|>', special: true },
            { content: '<|end_of_text|>', special: true },
            { content: '<|start_header_id|>', special: true },
            { content: '<|end_header_id|>', special: true },
            { content: '<|eot_id|>', special: true },
        ],
        template: (bosId) => ({
            type: 'Sequence',
            processors: [
                { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
                {
                    type: 'TemplateProcessing',
                    single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
                        { Sequence: { id: 'A', type_id: 0 } }],
                    pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
                        { Sequence: { id: 'A', type_id: 0 } },
                        { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } },
                        { Sequence: { id: 'B', type_id: 1 } }],
                    special_tokens: {
                        '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [bosId], tokens: ['<|begin_of_text|>'] },
                    },
                },
            ],
        }),
        bos: '<|begin_of_text|>',
    },
};

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

function tokenizerJson(style, vocab, merges, added, postProcessor = null) {
    return {
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: added,
        normalizer: style.normalizer || null,
        pre_tokenizer: style.preTokenizer,
        post_processor: postProcessor,
        decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
        model: {
            type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
            end_of_word_suffix: null, fuse_unk: false, byte_fallback: false,
            ignore_merges: style.ignoreMerges, vocab, merges,
        },
    };
}

// The node binding trains with the model's default BpeTrainer (vocab 30000,
// no way to pass options), so train that and keep the first merges: BPE
// training is greedy, so a prefix of its merges is what a smaller run learns.
function train(name, style, files) {
    const seed = tk.Tokenizer.fromString(JSON.stringify(tokenizerJson(style, {}, [], [])));
    seed.train(files);
    const tmp = path.join(os.tmpdir(), `swan-train-${name}.json`);
    seed.save(tmp);
    const trained = JSON.parse(fs.readFileSync(tmp, 'utf8'));
    fs.unlinkSync(tmp);
    return trained.model.merges.map((m) => (Array.isArray(m) ? m : m.split(' ')));
}

// A tokenizer.json from trained merge pairs: the first merges up to VOCAB
// tokens, the style's added tokens after them.
function build(style, pairs) {
    // Ids: the 256 byte tokens by byte value, then merge results in merge order.
    const vocab = {};
    let nextId = 0;
    for (const c of byteChars()) vocab[c] = nextId++;
    const merges = [];
    const modelSize = VOCAB - style.added.length;
    for (const [a, b] of pairs) {
        if (!(a + b in vocab)) {
            if (nextId === modelSize) break;
            vocab[a + b] = nextId++;
        }
        merges.push(style.mergesAsPairs ? [a, b] : `${a} ${b}`);
    }
    const added = style.added.map((t, i) => ({
        id: modelSize + i, content: t.content, single_word: false, lstrip: !!t.lstrip,
        rstrip: !!t.rstrip, normalized: 'normalized' in t ? t.normalized : !t.special, special: t.special,
    }));
    const post = style.template ? style.template(modelSize + style.added.findIndex((t) => t.content === style.bos)) : null;
    return tokenizerJson(style, vocab, merges, added, post);
}

// A tiny hand-made vocabulary for what trained merges rarely show: a token
// reachable only through ignore_merges, two merges making the same token,
// merges of equal-rank overlaps, an added token that is also a model token,
// and a special token with both lstrip and rstrip.
function handmade() {
    const vocab = {};
    byteChars().forEach((c, i) => { vocab[c] = i; });
    const pairs = [['a', 'a'], ['aa', 'a'], ['a', 'b'], ['b', 'c'], ['ab', 'c'], ['a', 'bc'],
        ['Ġ', 'Ġ'], ['ĠĠ', 'Ġ'], ['Ċ', 'Ċ'], ['Ġ', 'Ċ'], ['1', '1'], ['11', '1'], ["'", 's'],
        ['Ġ', 'a'], ['Ġa', 'b'], ['abc', 'abc']];
    let id = 256;
    for (const [a, b] of pairs) if (!(a + b in vocab)) vocab[a + b] = id++;
    vocab.xyz = id++;
    const style = { preTokenizer: STYLES.llama3style.preTokenizer, ignoreMerges: true };
    const added = [
        { id: id, content: '<sep>', single_word: false, lstrip: true, rstrip: true, normalized: false, special: true },
        { id: vocab.abc, content: 'abc', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
    ];
    return tokenizerJson(style, vocab, pairs.map(([a, b]) => `${a} ${b}`), added);
}

// FNV-1a 64 of the ids as little-endian uint32: what the C test recomputes.
function fnv64(ids) {
    let hi = 0xcbf29ce4, lo = 0x84222325; // offset basis, as two 32-bit halves
    for (const id of ids) {
        for (let k = 0; k < 4; k++) {
            lo ^= (id >>> (8 * k)) & 0xff;
            // multiply by the prime 0x100000001b3 = 2^40 + 0x1b3, mod 2^64
            const l0 = lo & 0xffff, l1 = lo >>> 16;
            const p0 = l0 * 0x1b3, p1 = l1 * 0x1b3;
            const nlo = (p0 + ((p1 & 0xffff) << 16)) >>> 0;
            const carry = Math.floor((p0 + (p1 & 0xffff) * 65536) / 4294967296);
            hi = (Math.imul(hi, 0x1b3) + (p1 >>> 16) + carry + (lo << 8)) >>> 0;
            lo = nlo;
        }
    }
    return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

function fnv64Bytes(buf) {
    let h = 0xcbf29ce484222325n;
    for (const b of buf) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
    return h.toString(16).padStart(16, '0');
}

function u32(ids) {
    const buf = Buffer.alloc(4 * ids.length);
    ids.forEach((id, i) => buf.writeUInt32LE(id, 4 * i));
    return buf;
}

async function encode(tok, text, addSpecialTokens = false) {
    const enc = await tok.encode(text, null, { addSpecialTokens });
    return enc.getIds();
}

// The Unicode sweep: every code point of the fully used planes (0-3, 14) and
// the first and last block of the others, in blocks of 4096, each code point
// in contexts that expose its class. tokenizer_test.c builds the same text.
function sweepBlocks() {
    const blocks = [];
    for (let plane = 0; plane <= 16; plane++) {
        const full = plane <= 3 || plane === 14;
        for (let b = 0; b < 16; b++)
            if (full || b === 0 || b === 15) blocks.push(plane * 0x10000 + b * 0x1000);
    }
    return blocks;
}

function sweepText(base) {
    const parts = [];
    for (let cp = base; cp < base + 0x1000; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const c = String.fromCodePoint(cp);
        parts.push('a' + c + '1' + c + ' ' + c + '!' + c + '\n');
    }
    return parts.join('');
}

// Deterministic PRNG (mulberry32) for the random strings.
function rng(seed) {
    return () => {
        seed = (seed + 0x6d2b79f5) >>> 0;
        let t = seed;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function nastyStrings() {
    const s = [];
    const add = (name, text) => s.push({ name, text });
    add('empty', '');
    add('hello', 'Hello world');
    add('contractions', "I'm sure he's here; they're, we've, I'll, he'd, it's, don't, can't");
    add('contractions_upper', "I'M SURE HE'S HERE; THEY'RE, WE'VE, I'LL, HE'D, IT'S, DON'T 'S 'T 'Re 'vE 'Ll 'lL 'D 'M");
    add('contractions_odd', "''s 's' x's 'sss 'll' '' ' 'ſ 'K 'st ’s rock'n'roll O'Neill's 'S's'S");
    add('cjk', '日本語のテキスト、中文字符。한국어 텍스트 𠀀𠀁𪜀 漢字かなカナ');
    add('combining', 'e\u0301 a\u0308\u0323 Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ \u0301start x\u20dd');
    add('emoji', '👍🏽 👨‍👩‍👧‍👦 🇯🇵🇫🇷 ❤️ 😀😀😀 a😀b 1😀2 🏳️‍🌈');
    add('rtl', 'שלום עולם مرحبا بالعالم ١٢٣٤٥٦٧ ۱۲۳ \u202eevil\u202c \u200fmark');
    add('digits', '१२३४५ ௧௨௩ ๑๒๓ 12345678 ½ ⅓ Ⅻ ²³ ①② 𝟏𝟐𝟑 ꘠꘡ 3.14159 1,000,000 $100.00 007');
    add('spaces', 'a\u00a0b\u2000c\u2001d\u2002e\u2003f\u2004g\u2005h\u2006i\u2007j\u2008k\u2009l\u200am\u202fn\u205fo\u3000p\u1680q\u2028r\u2029s\u0085t\u000bu\u000cv\u200bw\ufeffx\u180ey');
    add('space_runs', '  a   b \u00a0\u00a0 c\u3000\u3000d \t \t e\t\tf   ');
    add('newlines', 'a\r\nb\n\r\nc\r\r\n\n  \n\t\r\n  x  \n\r');
    add('newlines_punct', '!!!\n\n?.\r\n...\n x\r\n\r\n y\n\n\n');
    add('lead_trail', '   leading and trailing   ');
    add('only_newlines', '\n\n\n');
    add('space_newline_space', ' \n ');
    add('cr', '\r');
    add('specials', '<|endoftext|>hello<|endoftext|> <|endoftext|>\n<|begin_of_text|>x<|end_of_text|>');
    add('specials_partial', '<|endoftext| <|endoftext<|endoftext|>|> <|begin_of_text <|eot_id|');
    add('specials_strip', 'a   <mask>  b <mask><mask>\n<mask> x<|eot_id|>   \n y <|eot_id|><|eot_id|>\t\u00a0z');
    add('added_plain', 'Mr. Darcy and Mrs. Bennet; Mr.Mr. Mrs.Mr. MMr. mr. MR.');
    add('long_a', 'a'.repeat(5000));
    add('long_space', ' '.repeat(3000) + 'x');
    add('long_bang', '!'.repeat(3000));
    add('long_digits', '1'.repeat(1001));
    add('long_newlines', '\n'.repeat(2000));
    add('long_ab', 'ab'.repeat(2000));
    add('long_emoji', '😀'.repeat(500));
    add('long_e_acute', 'é'.repeat(1000));
    add('mixed', 'Hello123world abcабвαβγ123١٢٣ x1y2z3 ΑΒΓ αβγ ДЖЗ');
    add('controls', '\u0000\u0001\u0002\u001b[31m red\u007f \u001c\u001d\u001e\u001f x');
    add('ascii', Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join(''));
    add('bytelevel_lookalikes', 'ĠĊ Ġhello ĉ ġ Ā ÿ ¡ ¬ ®');
    add('noncharacters', '\ufffe\uffff\u{10ffff} \u{fdd0} \ufffd \u{e0001}\u{e0041}');
    add('math_letters', '𝐀𝐁𝐂 𝒜𝒷 𝔸𝕓 ℌℑ ℵ ∑∫ ≤≥');
    add('case', 'İı ß ẞ ﬁ ﬀ ǅ ǈ Σσς');
    add('indic_thai', 'नमस्ते दुनिया สวัสดีครับ ສະບາຍດີ ཀ་ཁ་');
    add('quotes', '"Hello," she said. \u201cHi\u201d \u2018there\u2019 \u00abquote\u00bb --- \u2014 \u2026');
    add('tabs_words', '\tword\t\tword2 \t x');
    add('contractions_fold', "'ſa 'Sa 'Ka 'ﬆa 'LLa 'lLa 'ßa 'Da 'VEa 're 'RE'sa é'sa");
    add('space_crlf', '  \n  x \t\r\n\t y\r\n\r\n\t\t z  \u2028 \u0085\n w');
    add('digit_groups', '1234567 12345abc a1b22c333d4444 ١٢٣٤ 12 3 45\n678');
    add('handmade', 'xyz xyzxyz abcabc aaaaaaa abcbc abc aabc  ab  \n\n  \n 111111 \'s <sep> x <sep>\t<sep>');
    add('unicode16', '\u{11F04}\u{31350}\u{2EBF0}\u{10D50}\u{16D43} \u{10940}\u{323B0}');
    // Random strings from a pool of characters of every class.
    const pool = [...'aZé ß日ñ0９١½Ⅻ \t\n\r\u00a0\u3000\u2028\u0085!?.,\'"-_<>|😀👍🏽\u0301\u200d🇯🇵ſKsStTdDmMlLrReEvV'];
    const pieces = ["'s", "'LL", '<|endoftext|>', '<mask>', '<|eot_id|>', 'Mr.', 'Mrs.', '<|begin_of_text|>', '   ', '\r\n'];
    const rand = rng(20250401);
    for (let k = 0; k < 300; k++) {
        const len = Math.floor(rand() * 40);
        let text = '';
        for (let i = 0; i < len; i++)
            text += rand() < 0.1 ? pieces[Math.floor(rand() * pieces.length)] : pool[Math.floor(rand() * pool.length)];
        add(`random_${k}`, text);
    }
    return s;
}

// Strings for NFC, Digits and the post-processors, checked in every style
// (appended after the others, and left out of sample.txt, so that the older
// styles' files stay as they were).
function nfcStrings() {
    const s = [];
    const add = (name, text) => s.push({ name, text });
    add('nfc_decomposed', 'cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030a e\u0301\u0301 \u0301e');
    add('nfc_composed', 'café naïve résumé Å ǘ ḗ ṩ ệ');
    add('nfc_hangul', '\u1100\u1161 \u1100\u1161\u11a8 \uac00\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af \u1100\u1100\u1161\u1161 \uac01\u11a8 \u11a8\u1161 \uac00\u11a7');
    add('nfc_reorder', 'a\u0301\u0323 a\u0323\u0301 q\u0307\u0323 e\u0308\u0331\u0301 o\u031b\u0323\u0301 x\u0345\u0314\u0342 a\u05b4\u05b0\u0591');
    add('nfc_singletons', '\u212b \u2126 \u212a \u0340\u0341 \u0343 \u0374 \u037e \u0387 \u1fee \u2000\u2001');
    add('nfc_exclusions', '\u0958\u0959 \u0915\u093c \u09dc \u0a33 \ufb1d \ufb2a \u05e9\u05bc\u05c1 \u2adc \u0f43 \u0f73 \u0f75 \u0f81 \u{1d15e}\u{1d160}');
    add('nfc_devanagari', '\u0928\u093c \u0929 \u0930\u093c \u0931 \u0933\u093c \u0934 \u0915\u093c\u094d\u0937');
    add('nfc_cjk_compat', '\uf900\uf901\ufa10\ufa6d\u{2f800}\u{2fa1d} \u8c48\u66f4');
    add('nfc_token_content', 'no\u0323\u0302i no\u0302\u0323i n\u1ed9i n\u1ed9i\u0301 xno\u0323\u0302ix');
    add('nfc_across_tokens', 'vie\u0323\u0302t vie\u0302\u0323t vi\u1ec7t vi\u1eb9\u0302t <e\u0301> <\u00e9> cafe<e\u0301>\u0301 <BOS_TOKEN>\u0301 x<|START_OF_TURN_TOKEN|>\u0301 vi\u1ec7t\u0301');
    add('nfc_new_scripts', '\u{11f04}\u{11f41}\u{16d43} \u{1e4e8}\u0301 \u{11383}\u{113c2} \u{11385}\u{113c9} \u{11391}\u{113c9}');
    add('nfc_long_marks', 'a' + '\u0301\u0323'.repeat(200) + ' b' + '\u0316'.repeat(100) + '\u0300'.repeat(100));
    add('digits_scripts', '0123456789 ٠١٢٣ ۴۵۶ ०१२ ০১২ ๐๑๒ ０１２ ²³¹ ½¼ ⅠⅡⅫ ①②⑳ 𝟎𝟏 𑷠𑷡 𖿴 〇 二 x1y22z333');
    add('digits_mixed', 'abc123def 4,567.89 1e10 $3.50 10% 2024-01-01 v1.2.3 a١b');
    add('bos_texts', '<BOS_TOKEN><|begin_of_text|> <BOS_TOKEN>x <|begin_of_text|>\n<|end_of_text|><|eot_id|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>hi<|END_OF_TURN_TOKEN|>');
    return s;
}

async function main() {
    const books = fs.readdirSync(BOOKS).filter((f) => f.endsWith('.txt')).sort();
    if (!books.length) throw new Error(`${BOOKS}: no books`);
    const trainFiles = books.filter((f) => f !== HELD_OUT).map((f) => path.join(BOOKS, f));
    const base = nastyStrings();
    const nasty = base.concat(nfcStrings());
    const bookLines = ['# style book bytes fnv64(bytes) tokens fnv64(ids as u32le)'];
    const sweepLines = ['# style block_start tokens fnv64(ids as u32le) pretokens fnv64(pretoken byte lengths as u32le)'];
    const cases = nasty.map((c) => ({ name: c.name, text_hex: Buffer.from(c.text, 'utf8').toString('hex') }));
    const sample = base.filter((c) => !c.name.startsWith('random_')).map((c) => c.text).join('\n');
    fs.writeFileSync(path.join(HERE, 'sample.txt'), sample);

    // Pre-token lengths in bytes (the pieces are in the byte-level alphabet,
    // one character per byte): these pin the regexes down even where the BPE
    // would not notice a wrong boundary.
    const pieceLens = (tok, text) => tok.getPreTokenizer().preTokenizeString(text).map(([p]) => [...p].length);

    const trained = {};
    for (const [name, style] of Object.entries(STYLES)) {
        const dir = path.join(HERE, name);
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, 'tokenizer.json');
        trained[name] = train(name, style, trainFiles);
        fs.writeFileSync(file, JSON.stringify(build(style, trained[name]), null, 1) + '\n');
        const tok = tk.Tokenizer.fromFile(file);
        for (const t of style.added)
            if (tok.tokenToId(t.content) !== VOCAB - style.added.length + style.added.indexOf(t))
                throw new Error(`${name}: added token ${t.content} got another id`);

        for (const book of books) {
            const bytes = fs.readFileSync(path.join(BOOKS, book));
            const ids = await encode(tok, bytes.toString('utf8'));
            bookLines.push(`${name} ${book} ${bytes.length} ${fnv64Bytes(bytes)} ${ids.length} ${fnv64(ids)}`);
            if (FULL_IDS.includes(book)) fs.writeFileSync(path.join(dir, book.replace('.txt', '.u32')), u32(ids));
        }
        for (const base of sweepBlocks()) {
            const text = sweepText(base);
            const ids = await encode(tok, text);
            const lens = pieceLens(tok, text);
            sweepLines.push(`${name} ${base.toString(16)} ${ids.length} ${fnv64(ids)} ${lens.length} ${fnv64(lens)}`);
        }
        for (let i = 0; i < nasty.length; i++) {
            const ids = await encode(tok, nasty[i].text);
            cases[i][name] = ids;
            cases[i][`${name}_pre`] = pieceLens(tok, nasty[i].text);
            const back = await tok.decode(ids, false);
            if (back !== nasty[i].text) cases[i][`${name}_decoded_hex`] = Buffer.from(back, 'utf8').toString('hex');
        }
        fs.writeFileSync(path.join(dir, 'sample.u32'), u32(await encode(tok, sample)));
        console.log(`${name}: ${Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).model.vocab).length} model tokens`);
    }
    // add_prefix_space: the GPT-2 vocabulary with ByteLevel's prefix space on;
    // checked on the nasty strings only.
    const prefixed = JSON.parse(fs.readFileSync(path.join(HERE, 'gpt2style', 'tokenizer.json'), 'utf8'));
    prefixed.pre_tokenizer.add_prefix_space = true;
    fs.mkdirSync(path.join(HERE, 'gpt2prefix'), { recursive: true });
    const prefixFile = path.join(HERE, 'gpt2prefix', 'tokenizer.json');
    fs.writeFileSync(prefixFile, JSON.stringify(prefixed, null, 1) + '\n');
    const prefixTok = tk.Tokenizer.fromFile(prefixFile);
    for (let i = 0; i < nasty.length; i++) {
        cases[i].gpt2prefix = await encode(prefixTok, nasty[i].text);
        cases[i].gpt2prefix_pre = pieceLens(prefixTok, nasty[i].text);
    }
    fs.mkdirSync(path.join(HERE, 'handmade'), { recursive: true });
    const handFile = path.join(HERE, 'handmade', 'tokenizer.json');
    fs.writeFileSync(handFile, JSON.stringify(handmade(), null, 1) + '\n');
    const handTok = tk.Tokenizer.fromFile(handFile);
    for (let i = 0; i < nasty.length; i++) {
        const ids = await encode(handTok, nasty[i].text);
        cases[i].handmade = ids;
        cases[i].handmade_pre = pieceLens(handTok, nasty[i].text);
        const back = await handTok.decode(ids, false);
        if (back !== nasty[i].text) cases[i].handmade_decoded_hex = Buffer.from(back, 'utf8').toString('hex');
    }
    for (const [name, style] of Object.entries(BOS_STYLES))
        await bosStyle(name, style, trained[style.merges], { books, nasty, cases, sample, bookLines, sweepLines, pieceLens });
    // Digits without individual_digits (runs of digits): commandrstyle
    // otherwise; checked on the nasty strings only.
    const runs = JSON.parse(fs.readFileSync(path.join(HERE, 'commandrstyle', 'tokenizer.json'), 'utf8'));
    runs.pre_tokenizer.pretokenizers[0].individual_digits = false;
    fs.mkdirSync(path.join(HERE, 'digitruns'), { recursive: true });
    const runsFile = path.join(HERE, 'digitruns', 'tokenizer.json');
    fs.writeFileSync(runsFile, JSON.stringify(runs, null, 1) + '\n');
    const runsTok = tk.Tokenizer.fromFile(runsFile);
    for (let i = 0; i < nasty.length; i++) {
        cases[i].digitruns = await encode(runsTok, nasty[i].text, true);
        cases[i].digitruns_pre = pieceLens(runsTok, nasty[i].text);
        const back = await runsTok.decode(cases[i].digitruns, false);
        if (back !== nasty[i].text) cases[i].digitruns_decoded_hex = Buffer.from(back, 'utf8').toString('hex');
    }
    fs.writeFileSync(path.join(HERE, 'books.txt'), bookLines.join('\n') + '\n');
    fs.writeFileSync(path.join(HERE, 'sweep.txt'), sweepLines.join('\n') + '\n');
    fs.writeFileSync(path.join(HERE, 'nasty.json'), '[\n' + cases.map((c) => JSON.stringify(c)).join(',\n') + '\n]\n');
}

// A style with a post-processor: ids with add_special_tokens=True (HF's
// encode default) for the nasty strings, the sweep, the books (checksums
// only) and sample.txt; without the special tokens they must be the same
// ids less the BOS, which the CLI test relies on for --no-special.
async function bosStyle(name, style, pairs, f) {
    const dir = path.join(HERE, name);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'tokenizer.json');
    fs.writeFileSync(file, JSON.stringify(build(style, pairs), null, 1) + '\n');
    const tok = tk.Tokenizer.fromFile(file);
    const bos = tok.tokenToId(style.bos);
    const encodeBoth = async (text) => {
        const ids = await encode(tok, text, true);
        const plain = await encode(tok, text, false);
        if (ids[0] !== bos || ids.length !== plain.length + 1 || ids.slice(1).some((id, i) => id !== plain[i]))
            throw new Error(`${name}: the ids with special tokens are not BOS + the ids without`);
        return ids;
    };
    for (const book of f.books) {
        const bytes = fs.readFileSync(path.join(BOOKS, book));
        const ids = await encodeBoth(bytes.toString('utf8'));
        f.bookLines.push(`${name} ${book} ${bytes.length} ${fnv64Bytes(bytes)} ${ids.length} ${fnv64(ids)}`);
    }
    for (const base of sweepBlocks()) {
        const text = sweepText(base);
        const ids = await encodeBoth(text);
        const lens = f.pieceLens(tok, text);
        f.sweepLines.push(`${name} ${base.toString(16)} ${ids.length} ${fnv64(ids)} ${lens.length} ${fnv64(lens)}`);
    }
    for (let i = 0; i < f.nasty.length; i++) {
        const ids = await encodeBoth(f.nasty[i].text);
        f.cases[i][name] = ids;
        f.cases[i][`${name}_pre`] = f.pieceLens(tok, f.nasty[i].text);
        const back = await tok.decode(ids, false);
        if (back !== f.nasty[i].text) f.cases[i][`${name}_decoded_hex`] = Buffer.from(back, 'utf8').toString('hex');
    }
    fs.writeFileSync(path.join(dir, 'sample.u32'), u32(await encodeBoth(f.sample)));
    console.log(`${name}: BOS ${bos}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
