/* Tokenizers: Hugging Face tokenizer.json byte-level BPE (GPT-2, Llama 3 and
 * Command R style) and the plain 256-byte tokenizer. Results equal those of
 * Hugging Face's own `tokenizers` library (encode with add_special_tokens
 * True, its default, or False; decode with skip_special_tokens=False),
 * checked by tests/tokenizer.
 *
 * Supported tokenizer.json: model BPE (vocab; merges as "a b" or [a, b];
 * ignore_merges), normalizer none or NFC (also in a Sequence), pre_tokenizer
 * ByteLevel (add_prefix_space, use_regex = the GPT-2 split) or a Sequence of
 * Split (the GPT-2 or Llama-3 regex, Isolated, not inverted) and Digits
 * steps ending in ByteLevel, post_processor none, ByteLevel or
 * TemplateProcessing (alone or in a Sequence: the tokens its single template
 * puts around $A, such as a BOS), decoder ByteLevel (or none), added tokens
 * special or not, with lstrip/rstrip. Anything else is refused at load with
 * "PATH: <feature> is not supported", never guessed at.
 *
 * Any bytes encode. Invalid UTF-8, which the reference cannot even take, is
 * handled by this rule: each byte that is not part of a valid UTF-8 sequence
 * (overlong forms, surrogates and code points past U+10FFFF are invalid) is a
 * pre-token of its own, a hard boundary for NFC and the pre-tokenizer steps,
 * and encodes to its byte token; decode gives the byte back.
 *
 * A Tokenizer is immutable after load: encode/decode may run concurrently. */
#ifndef SWAN_TOKENIZER_H
#define SWAN_TOKENIZER_H

#include <stddef.h>

#include "error.h"

typedef struct Tokenizer Tokenizer;

/* Loads a tokenizer.json. */
int tokenizer_load(const char *path, Tokenizer **out, SwanError *err);

/* The plain byte tokenizer: 256 tokens, id = byte value. */
int tokenizer_bytes(Tokenizer **out, SwanError *err);

/* Encodes len bytes of text as one whole document: the post-processor's
 * tokens (a BOS) come once, around all of it. *ids is malloc'ed (freed by
 * the caller, even when *n is 0). Fails only when out of memory or past
 * 2 GiB of text. */
int tokenizer_encode(const Tokenizer *t, const unsigned char *text, size_t len, int **ids, size_t *n,
                     SwanError *err);

/* The same; add_special 0 leaves the post-processor's tokens out (HF's
 * add_special_tokens=False). */
int tokenizer_encode_ex(const Tokenizer *t, const unsigned char *text, size_t len, int add_special,
                        int **ids, size_t *n, SwanError *err);

/* For tests and debugging: the pre-tokenizer alone (no added tokens, no
 * normalizer), as HF's pre_tokenizer.pre_tokenize_str gives it: the byte
 * length of each pre-token (a prefix space counts) in malloc'ed *lens. */
int tokenizer_pretokenize(const Tokenizer *t, const unsigned char *text, size_t len, size_t **lens,
                          size_t *n, SwanError *err);

/* Concatenates the tokens' bytes into a malloc'ed *bytes (NUL-terminated for
 * convenience, not counted in *len). Fails on an id outside the vocabulary. */
int tokenizer_decode(const Tokenizer *t, const int *ids, size_t n, unsigned char **bytes, size_t *len,
                     SwanError *err);

/* The raw bytes of one token, owned by t (for streaming a generation; a token
 * may end in the middle of a UTF-8 character). -1 for an unknown id. */
int tokenizer_token_bytes(const Tokenizer *t, int id, const unsigned char **bytes, size_t *len);

/* One past the largest token id (ids below it may be unused: decode refuses those). */
int tokenizer_vocab_size(const Tokenizer *t);

/* ---- what another program's copy of the vocabulary needs (GGUF export) ---- */

int tokenizer_is_bytes(const Tokenizer *t);

/* llama.cpp's name for the pre-tokenizer's split: "gpt-2", "llama-bpe" or
 * "command-r" (digits one by one, then GPT-2's split); NULL where it has
 * none that splits the same way (a prefix space, digit runs, no split). */
const char *tokenizer_split_name(const Tokenizer *t);

/* 1 when the normalizer is NFC (which GGUF vocabularies cannot carry). */
int tokenizer_normalizes(const Tokenizer *t);

/* The post-processor's ids before and after the text (owned by t). */
void tokenizer_template(const Tokenizer *t, const int **prefix, size_t *nprefix, const int **suffix,
                        size_t *nsuffix);

typedef enum { TOKEN_UNUSED, TOKEN_MODEL, TOKEN_ADDED, TOKEN_ADDED_SPECIAL } TokenKind;

/* An id's kind and its text: a model token's as tokenizer.json spells it
 * (the byte-level alphabet), an added token's content as typed; *text is
 * malloc'ed (NULL for an unused id). */
int tokenizer_token_text(const Tokenizer *t, int id, TokenKind *kind, char **text, SwanError *err);

/* 1 when id is an added token that strips the whitespace beside it (lstrip
 * or rstrip): a rule GGUF vocabularies cannot carry. */
int tokenizer_token_strips(const Tokenizer *t, int id);

/* The merges in rank order, as pairs of ids: (*pairs)[2 i], (*pairs)[2 i + 1]
 * for i < *n; *pairs malloc'ed. */
int tokenizer_merge_pairs(const Tokenizer *t, int **pairs, int *n, SwanError *err);

void tokenizer_free(Tokenizer *t);

#endif
