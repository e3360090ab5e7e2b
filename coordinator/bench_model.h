/* Random models written as a real MODEL_DIR (config.json and one
 * model.safetensors, F32 or BF16), for benchmarks and scaling runs: the
 * engine then loads them the way it loads any checkpoint. */
#ifndef SWAN_BENCH_MODEL_H
#define SWAN_BENCH_MODEL_H

typedef struct {
    long dim, layers, heads, kv_heads, ffn, vocab, window;
    int bf16;            /* weights stored as BF16 */
    const char *pattern; /* layer kinds, S (window) or N (global), repeated */
} BenchModelShape;

/* The default shape: the 76M-parameter SSSN model of the llama.cpp race
 * (d 768, 12 layers, 12 heads, 4 KV heads, FFN 2048, window 512, bytes). */
BenchModelShape bench_model_default(void);

/* Writes the model into dir (made if missing). -1 with a message printed. */
int bench_model_write(const char *dir, const BenchModelShape *s);

#endif
