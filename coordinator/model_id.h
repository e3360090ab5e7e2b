/* A short fingerprint of what scored a result: the model's config.json,
 * samples of its weight files and the tokenizer. It goes on every result
 * line, so --resume can tell a file of this model's results from garbage
 * or another model's lines, which it must not mix with its own. */
#ifndef SWAN_MODEL_ID_H
#define SWAN_MODEL_ID_H

#define MODEL_ID_LEN 16

/* out: MODEL_ID_LEN hex digits and a NUL. tokenizer: the --tokenizer
 * choice (NULL: MODEL_DIR/tokenizer.json); no_special: --no-special was
 * given (text tokenized without the post-processor's BOS). -1 with a
 * message. */
int model_id(const char *model_dir, const char *tokenizer, int no_special, char out[MODEL_ID_LEN + 1]);

#endif
