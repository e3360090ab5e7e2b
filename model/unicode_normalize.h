/* Unicode NFC as Hugging Face tokenizers' "NFC" normalizer computes it, and
 * the is_numeric test of its "Digits" pre-tokenizer.
 *
 * The reference normalizes with the tables of Unicode 9.0 (the crate
 * unicode-normalization-alignments 0.1.12), so characters assigned since are
 * left alone here too: model/gen_unicode_rust_tables.mjs makes the tables
 * and checks them against the reference.
 *
 * Text that is not valid UTF-8 keeps tokenizer.h's rule: each invalid byte
 * stays where it is, as is, and is a hard boundary: the valid text on either
 * side is normalized as if it were separate texts. */
#ifndef SWAN_UNICODE_NORMALIZE_H
#define SWAN_UNICODE_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

/* NFC of s[0..n). *out is NULL when s is already NFC (the usual case: no
 * copy is made, use s); otherwise a malloc'ed buffer of *out_len bytes.
 * -1 only when out of memory. */
int unicode_nfc(const unsigned char *s, size_t n, unsigned char **out, size_t *out_len);

/* Rust's char::is_numeric (general categories Nd, Nl, No). */
int unicode_is_numeric(uint32_t cp);

/* ---- the tables (model/unicode_rust_tables.c, generated) ---- */

/* Canonical combining class (0 for starters and unlisted code points). */
int unicode_ccc(uint32_t cp);
/* Full canonical decomposition of a non-Hangul code point: its length, 0
 * when it has none; *d points into a static table. */
size_t unicode_decomposition(uint32_t cp, const uint32_t **d);
/* The primary composite of a + b (Hangul not included), 0 if none. */
uint32_t unicode_compose_pair(uint32_t a, uint32_t b);
/* 1 when NFC leaves cp as it is whatever surrounds it on the left, and
 * nothing before cp can change because of what follows: a run of such
 * characters is NFC, and each of them is a place where NFC can start afresh. */
int unicode_nfc_quick(uint32_t cp);

#endif
