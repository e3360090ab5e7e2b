#include "stage_step.h"

#include <string.h>

int stage_open(Stage *s, const SwanConfig *cfg, const ModelWeights *w, int max_chunk, SwanError *err) {
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->embeds = w->embed.data != NULL;
    s->has_head = w->lm_head.data != NULL;
    if (!(s->fwd = forward_new(cfg, w, max_chunk, err))) return -1;
    if (s->has_head && head_init(&s->head, cfg, w, err) != 0) {
        stage_close(s);
        return -1;
    }
    return 0;
}

void stage_close(Stage *s) {
    forward_delete(s->fwd);
    s->fwd = NULL;
    if (s->has_head) head_free(&s->head);
    s->has_head = 0;
}

int stage_step(Stage *s, DocCaches *dc, float *x, const StepIO *io, SwanError *err) {
    if (io->tokens) {
        if (!s->embeds) return swan_error_set(err, "token ids sent to a stage without the embedding");
        forward_embed(s->fwd, io->tokens, io->n, x);
    }
    if (forward_layers(s->fwd, dc, x, io->n, err) != 0) return -1;
    if ((io->targets || io->logits_row >= 0) && !s->has_head)
        return swan_error_set(err, "output asked of a stage without the LM head");
    if (io->targets) head_nll(&s->head, x, io->n, io->targets, io->nll);
    if (io->logits_row >= 0)
        head_logits(&s->head, x + (size_t)io->logits_row * s->cfg->hidden_size, io->logits);
    return 0;
}
