/* config.json forms beyond swan's own layout: the three dynamic scaling
 * forms, rope_scaling, the Hugging Face families' layer defaults, and the
 * unsupported features each refused with one line naming the key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "config.h"
#include "rope.h"

#define REQUIRED_KEYS                                                   \
    "\"vocab_size\": 8, \"hidden_size\": 8, \"intermediate_size\": 6, " \
    "\"num_hidden_layers\": 4, \"num_attention_heads\": 2, "            \
    "\"max_position_embeddings\": 16"

static char dir[] = "/tmp/swan-config-forms-XXXXXX";

static int load(const char *text, SwanConfig *cfg, SwanError *err) {
    char path[sizeof dir + 16];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    if (!f) return swan_error_set(err, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    int rc = swan_config_load(path, cfg, err);
    remove(path);
    return rc;
}

static void test_log_a(void) {
    SwanConfig cfg;
    SwanError err = {""};
    int rc = load("{" REQUIRED_KEYS ", \"swan_attn_scaling\": {\"type\": \"log_a\", \"a\": 20}}", &cfg,
                  &err);
    CHECK(rc == 0, "log_a: %s", err.msg);
    if (rc) return;
    CHECK(cfg.scaling_kind == ATTN_SCALING_LOG_A && swan_config_scaling_on(&cfg), "log_a kind");
    CHECK(swan_config_attn_scale(&cfg, 0) == 1.0, "s(0) = 1");
    double s = swan_config_attn_scale(&cfg, 1000), want = log(1020.0) / log(20.0);
    CHECK(fabs(s - want) < 1e-12, "s(1000) = %g, want %g", s, want);
    swan_config_free(&cfg);
}

/* Llama 4 scales by floor((p + 1) / floor_scale): s first moves at p = 15. */
static void test_llama4(void) {
    SwanConfig cfg;
    SwanError err = {""};
    int rc = load("{" REQUIRED_KEYS ", \"attn_temperature_tuning\": true, \"floor_scale\": 16, "
                  "\"attn_scale\": 0.25}",
                  &cfg, &err);
    CHECK(rc == 0, "llama4: %s", err.msg);
    if (rc) return;
    CHECK(swan_config_attn_scale(&cfg, 14) == 1.0, "s(14) = 1");
    double s = swan_config_attn_scale(&cfg, 15), want = 1 + 0.25 * log(2.0);
    CHECK(fabs(s - want) < 1e-12, "s(15) = %g, want %g", s, want);
    s = swan_config_attn_scale(&cfg, 47), want = 1 + 0.25 * log(4.0);
    CHECK(fabs(s - want) < 1e-12, "s(47) = %g, want %g", s, want);
    swan_config_free(&cfg);
    rc = load("{" REQUIRED_KEYS ", \"attn_temperature_tuning\": true}", &cfg, &err);
    CHECK(rc == 0 && cfg.scaling_floor == 8192 && cfg.scaling_attn == 0.1, "Llama 4 defaults");
    if (rc == 0) swan_config_free(&cfg);
}

/* Cohere2Config's defaults: every 4th layer global and NoPE, tied, logits
 * times 0.0625, LayerNorm with eps 1e-5, the parallel block. */
static void test_cohere2(void) {
    SwanConfig cfg;
    SwanError err = {""};
    int rc = load("{" REQUIRED_KEYS ", \"model_type\": \"cohere2\", \"sliding_window\": 4}", &cfg,
                  &err);
    CHECK(rc == 0, "cohere2: %s", err.msg);
    if (rc) return;
    for (int i = 0; i < 4; i++)
        CHECK(cfg.layer_kind[i] == (i == 3 ? LAYER_GLOBAL : LAYER_WINDOW) &&
                  cfg.layer_rope[i] == (i != 3),
              "cohere2 layer %d", i);
    CHECK(cfg.tie_word_embeddings && cfg.block.logit_scale == 0.0625 && cfg.rms_norm_eps == 1e-5f,
          "cohere2 defaults");
    CHECK(cfg.block.layer_norm && cfg.block.parallel && cfg.block.rope_interleaved, "cohere2 block");
    swan_config_free(&cfg);
}

static void test_families(void) {
    SwanConfig cfg;
    SwanError err = {""};
    int rc = load("{" REQUIRED_KEYS ", \"model_type\": \"llama\", \"sliding_window\": 4}", &cfg, &err);
    CHECK(rc == 0, "llama: %s", err.msg);
    for (int i = 0; rc == 0 && i < 4; i++)
        CHECK(cfg.layer_kind[i] == LAYER_GLOBAL && cfg.layer_rope[i], "llama layer %d: global RoPE", i);
    if (rc == 0) swan_config_free(&cfg);
    rc = load("{" REQUIRED_KEYS ", \"model_type\": \"mistral\", \"sliding_window\": 4}", &cfg, &err);
    CHECK(rc == 0, "mistral: %s", err.msg);
    for (int i = 0; rc == 0 && i < 4; i++)
        CHECK(cfg.layer_kind[i] == LAYER_WINDOW && cfg.layer_rope[i], "mistral layer %d: window", i);
    if (rc == 0) swan_config_free(&cfg);
    rc = load("{" REQUIRED_KEYS ", \"model_type\": \"smollm3\"}", &cfg, &err);
    CHECK(rc == 0, "smollm3: %s", err.msg);
    if (rc == 0) {
        CHECK(cfg.layer_rope[0] && cfg.layer_rope[2] && !cfg.layer_rope[3], "every 4th layer NoPE");
        CHECK(cfg.tie_word_embeddings == 1 && cfg.layer_kind[3] == LAYER_GLOBAL, "smollm3 defaults");
        swan_config_free(&cfg);
    }
}

/* HF's llama3 rule on theta 10000, head_dim 16, original context 64: pair 0
 * kept, pair 1 blended, pair 7 divided by the factor. */
static void test_rope_llama3(void) {
    RopeScaling s = {ROPE_SCALING_LLAMA3, 8.0, 1.0, 4.0, 64.0};
    double f0 = pow(10000.0, 0.0), f1 = pow(10000.0, -2.0 / 16), f7 = pow(10000.0, -14.0 / 16);
    double smooth = (64.0 / (2 * 3.14159265358979323846 / f1) - 1.0) / 3.0;
    CHECK(rope_inv_freq(10000.0, &s, 16, 0) == f0, "pair 0 kept");
    CHECK(fabs(rope_inv_freq(10000.0, &s, 16, 1) - ((1 - smooth) * f1 / 8 + smooth * f1)) < 1e-15,
          "pair 1 blended");
    CHECK(fabs(rope_inv_freq(10000.0, &s, 16, 7) - f7 / 8) < 1e-18, "pair 7 stretched");
    RopeScaling lin = {ROPE_SCALING_LINEAR, 4.0, 0, 0, 0};
    CHECK(rope_inv_freq(10000.0, &lin, 16, 3) == pow(10000.0, -6.0 / 16) / 4, "linear");
}

static void test_errors(void) {
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"\"swan_attn_scaling\": {\"type\": \"log_a\", \"a\": 1}",
         "swan_attn_scaling.a (1) must be > 1"},
        {"\"swan_attn_scaling\": {\"type\": \"log_a\", \"a\": 0.5}",
         "swan_attn_scaling.a (0.5) must be > 1"},
        {"\"swan_attn_scaling\": {\"type\": \"log_a\", \"a\": \"8\"}",
         "swan_attn_scaling.a must be a number"},
        {"\"swan_attn_scaling\": {\"type\": \"log_a\"}", "swan_attn_scaling.a missing"},
        {"\"swan_attn_scaling\": {\"type\": \"ntk\", \"a\": 8}", "swan_attn_scaling.type must be"},
        {"\"attn_temperature_tuning\": \"yes\"", "attn_temperature_tuning must be true or false"},
        {"\"attn_temperature_tuning\": true, \"floor_scale\": 0", "floor_scale (0) must be > 0"},
        {"\"attn_temperature_tuning\": true, \"attn_scale\": \"x\"", "attn_scale must be a number"},
        {"\"attn_temperature_tuning\": true, \"swan_attn_scaling\": {\"type\": \"log_a\", \"a\": 8}",
         "both set"},
        {"\"model_type\": \"gpt2\"", "model_type \"gpt2\" is not supported"},
        {"\"model_type\": 3", "model_type must be a string"},
        {"\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}",
         "rope_type \"yarn\" is not supported"},
        {"\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8}",
         "rope_scaling.low_freq_factor missing"},
        {"\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 4, "
         "\"high_freq_factor\": 1, \"original_max_position_embeddings\": 64}",
         "high_freq_factor (1) must be > low_freq_factor (4)"},
        {"\"rope_scaling\": {\"type\": \"linear\", \"factor\": 0}",
         "rope_scaling.factor (0) must be > 0"},
        {"\"attention_bias\": true", "attention_bias is not supported"},
        {"\"mlp_bias\": true", "mlp_bias is not supported"},
        {"\"num_local_experts\": 8", "num_local_experts is not supported"},
        {"\"moe_layers\": [1]", "moe_layers is not supported"},
        {"\"hidden_act\": \"gelu\"", "hidden_act \"gelu\" is not supported"},
        {"\"partial_rotary_factor\": 0.5", "partial_rotary_factor"},
        {"\"model_type\": \"smollm3\", \"use_sliding_window\": true",
         "use_sliding_window is not supported"},
        {"\"model_type\": \"llama\", \"logit_scale\": 0.5",
         "logit_scale is not supported outside cohere2"},
        {"\"model_type\": \"cohere2\", \"sliding_window\": 4, \"logit_scale\": 0",
         "logit_scale (0) must be > 0"},
        {"\"model_type\": \"cohere2\", \"sliding_window\": 4, \"layer_norm_eps\": -1",
         "layer_norm_eps (-1)"},
        {"\"model_type\": \"cohere2\"", "sliding_window missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "{" REQUIRED_KEYS ", %s}", cases[i].json);
        SwanConfig cfg;
        SwanError err = {""};
        int rc = load(text, &cfg, &err);
        CHECK(rc == -1 && strstr(err.msg, cases[i].want) && strstr(err.msg, "config.json: "),
              "case %zu: got \"%s\", want \"%s\"", i, err.msg, cases[i].want);
        CHECK(!strchr(err.msg, '\n'), "case %zu: one line", i);
        if (rc == 0) swan_config_free(&cfg);
    }
    /* Off values of the same keys are accepted. */
    SwanConfig cfg;
    SwanError err = {""};
    int rc = load("{" REQUIRED_KEYS ", \"attention_bias\": false, \"mlp_bias\": false, "
                  "\"num_local_experts\": 0, \"moe_layers\": [], \"hidden_act\": \"silu\", "
                  "\"rope_scaling\": {\"rope_type\": \"default\"}}",
                  &cfg, &err);
    CHECK(rc == 0, "off values: %s", err.msg);
    if (rc == 0) swan_config_free(&cfg);
}

int main(void) {
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_log_a();
    test_llama4();
    test_families();
    test_cohere2();
    test_rope_llama3();
    test_errors();
    rmdir(dir);
    return check_summary();
}
