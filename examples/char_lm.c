/* A small causal transformer language model over characters, trained from C
   on any text file, then sampled.

   usage: char_lm TEXT_FILE [steps] [sample_length]

   The model is a custom module whose forward is a C function: token and
   position embeddings, a pre-norm GELU TransformerEncoder with a causal mask,
   and a linear head -- the same architecture as torch_reference.py's
   char_transformer, smaller. Prints a live progress line, writes
   char_lm_loss.csv, and prints text sampled from the trained model. */
#include "common.h"

enum { CONTEXT = 64, BATCH = 16, DIM = 64, HEADS = 4, LAYERS = 2, MAX_VOCAB = 256 };

static unsigned char *text;
static long text_length;
static int vocab_size;
static unsigned char id_to_char[MAX_VOCAB];
static int char_to_id[MAX_VOCAB];

static void load_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cannot open %s\n", path); exit(1); }
    fseek(f, 0, SEEK_END);
    text_length = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (text_length < CONTEXT + 2) { fprintf(stderr, "%s is too short (need %d bytes)\n", path, CONTEXT + 2); exit(1); }
    text = malloc((size_t)text_length);
    if (!text || fread(text, 1, (size_t)text_length, f) != (size_t)text_length) { fprintf(stderr, "cannot read %s\n", path); exit(1); }
    fclose(f);
    for (int c = 0; c < MAX_VOCAB; c++) char_to_id[c] = -1;
    for (long i = 0; i < text_length; i++) {
        if (char_to_id[text[i]] < 0) {
            char_to_id[text[i]] = vocab_size;
            id_to_char[vocab_size++] = text[i];
        }
    }
}

/* forward(tokens (B, T) int64) -> logits (B, T, vocab). Children: tok, pos, encoder, head. */
static ember_status lm_forward(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                               ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)user_data;
    if (n_inputs != 1 || capacity < 1) { ember_set_last_error("CharLM takes one input, the token ids"); return EMBER_ERR_INVALID_ARGUMENT; }
    int64_t t = ember_tensor_size(inputs[0], 1);
    ember_module *tok = NULL, *pos = NULL, *encoder = NULL, *head = NULL;
    ember_tensor *positions = NULL, *te = NULL, *pe = NULL, *h = NULL, *mask = NULL, *encoded[1] = {NULL};
    int64_t count = 0;
    ember_status s = ember_module_child(self, "tok", &tok);
    if (!s) s = ember_module_child(self, "pos", &pos);
    if (!s) s = ember_module_child(self, "encoder", &encoder);
    if (!s) s = ember_module_child(self, "head", &head);
    if (!s) s = ember_tensor_arange(0, (double)t, 1, EMBER_INT64, &positions);
    if (!s) s = ember_module_forward(tok, inputs[0], &te);
    if (!s) s = ember_module_forward(pos, positions, &pe);
    if (!s) s = ember_add(te, pe, &h);
    if (!s) s = ember_generate_square_subsequent_mask(t, EMBER_FLOAT32, &mask);
    if (!s) {
        const ember_tensor *args[2] = {h, mask};
        s = ember_module_forward_multi(encoder, args, 2, encoded, 1, &count);
    }
    if (!s) s = ember_module_forward(head, encoded[0], &outputs[0]);
    if (!s) *n_outputs = 1;
    ember_module_free(tok); ember_module_free(pos); ember_module_free(encoder); ember_module_free(head);
    ember_tensor_free(positions); ember_tensor_free(te); ember_tensor_free(pe); ember_tensor_free(h);
    ember_tensor_free(mask); ember_tensor_free(encoded[0]);
    return s;
}

static ember_module *make_model(void) {
    char args[256];
    ember_module *model, *child;
    CHECK(ember_module_custom_new("CharLM", lm_forward, NULL, NULL, &model));
    snprintf(args, sizeof args, "%d, %d", vocab_size, DIM);
    CHECK(ember_module_new("Embedding", args, &child));
    CHECK(ember_module_register_module(model, "tok", child));
    ember_module_free(child);
    snprintf(args, sizeof args, "%d, %d", CONTEXT, DIM);
    CHECK(ember_module_new("Embedding", args, &child));
    CHECK(ember_module_register_module(model, "pos", child));
    ember_module_free(child);
    snprintf(args, sizeof args, "%d, %d, dim_feedforward=%d, dropout=0.0, activation='gelu', batch_first=True, "
             "norm_first=True, num_layers=%d", DIM, HEADS, 4 * DIM, LAYERS);
    CHECK(ember_module_new("TransformerEncoder", args, &child));
    CHECK(ember_module_register_module(model, "encoder", child));
    ember_module_free(child);
    snprintf(args, sizeof args, "%d, %d", DIM, vocab_size);
    CHECK(ember_module_new("Linear", args, &child));
    CHECK(ember_module_register_module(model, "head", child));
    ember_module_free(child);
    return model;
}

/* BATCH random windows: inputs are text[o .. o+T), targets text[o+1 .. o+T+1). */
static void make_batch(int64_t *x, int64_t *y, unsigned long *state) {
    for (int b = 0; b < BATCH; b++) {
        *state = *state * 6364136223846793005UL + 1442695040888963407UL;
        long start = (long)((*state >> 33) % (unsigned long)(text_length - CONTEXT - 1));
        for (int t = 0; t < CONTEXT; t++) {
            x[b * CONTEXT + t] = char_to_id[text[start + t]];
            y[b * CONTEXT + t] = char_to_id[text[start + t + 1]];
        }
    }
}

/* Generates `length` characters after a prompt taken from the start of the text. */
static void sample(ember_module *model, int length) {
    int64_t context[CONTEXT];
    int used = 16;
    for (int i = 0; i < used; i++) context[i] = char_to_id[text[i]];
    fwrite(text, 1, (size_t)used, stdout);
    bool was = ember_set_grad_enabled(false);
    CHECK(ember_module_train(model, false));
    for (int i = 0; i < length; i++) {
        const int64_t shape[] = {1, used};
        ember_tensor *x, *logits, *last_row, *last, *scaled, *probs, *next;
        CHECK(ember_tensor_from_data(context, EMBER_INT64, shape, 2, &x));
        CHECK(ember_module_forward(model, x, &logits));
        CHECK(ember_select(logits, 0, 0, &last_row));
        CHECK(ember_select(last_row, 0, used - 1, &last));
        CHECK(ember_div_scalar(last, 0.8, &scaled));              /* temperature 0.8 */
        CHECK(ember_softmax(scaled, 0, &probs));
        CHECK(ember_multinomial(probs, 1, false, &next));
        int64_t id;
        CHECK(ember_tensor_item_int64(next, &id));
        putchar(id_to_char[id]);
        if (used < CONTEXT) {
            context[used++] = id;
        } else {
            memmove(context, context + 1, (CONTEXT - 1) * sizeof context[0]);
            context[CONTEXT - 1] = id;
        }
        ember_tensor_free(x); ember_tensor_free(logits); ember_tensor_free(last_row); ember_tensor_free(last);
        ember_tensor_free(scaled); ember_tensor_free(probs); ember_tensor_free(next);
    }
    putchar('\n');
    ember_set_grad_enabled(was);
    CHECK(ember_module_train(model, true));
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s TEXT_FILE [steps] [sample_length]\n", argv[0]); return 2; }
    long steps = argc > 2 ? atol(argv[2]) : 300;
    int sample_length = argc > 3 ? atoi(argv[3]) : 200;
    load_text(argv[1]);
    printf("%ld characters, vocabulary of %d\n", text_length, vocab_size);
    ember_manual_seed(0);
    ember_module *model = make_model();
    ember_optimizer *opt;
    CHECK(ember_adamw_new(model, 3e-3, &opt));

    static int64_t x[BATCH * CONTEXT], y[BATCH * CONTEXT];
    const int64_t x_shape[] = {BATCH, CONTEXT}, y_shape[] = {BATCH * CONTEXT}, flat[] = {BATCH * CONTEXT, 0};
    unsigned long state = 7;
    FILE *curve = csv_open("char_lm_loss.csv", "step,loss");
    progress bar = progress_start("char_lm", steps);
    double first = 0, value = 0;
    for (long step = 1; step <= steps; step++) {
        make_batch(x, y, &state);
        ember_tensor *inputs, *targets, *logits, *rows, *loss;
        CHECK(ember_tensor_from_data(x, EMBER_INT64, x_shape, 2, &inputs));
        CHECK(ember_tensor_from_data(y, EMBER_INT64, y_shape, 1, &targets));
        CHECK(ember_module_forward(model, inputs, &logits));
        int64_t shape[2] = {flat[0], vocab_size};
        CHECK(ember_reshape(logits, shape, 2, &rows));
        CHECK(ember_cross_entropy(rows, targets, &loss));
        CHECK(ember_optimizer_zero_grad(opt));
        CHECK(ember_tensor_backward(loss, NULL));
        CHECK(ember_optimizer_step(opt));
        CHECK(ember_tensor_item(loss, &value));
        if (step == 1) first = value;
        fprintf(curve, "%ld,%.6f\n", step, value);
        progress_update(&bar, step, value, "steps");
        ember_tensor_free(inputs); ember_tensor_free(targets); ember_tensor_free(logits);
        ember_tensor_free(rows); ember_tensor_free(loss);
    }
    fclose(curve);
    printf("wrote char_lm_loss.csv; loss %.3f -> %.3f\n--- sample ---\n", first, value);
    sample(model, sample_length);
    ember_optimizer_free(opt);
    ember_module_free(model);
    free(text);
    /* Learning is real if the loss fell well below its starting value (about ln(vocab)). */
    return value < first * 0.7 ? 0 : 1;
}
