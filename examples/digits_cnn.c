/* A small CNN on real handwritten digits (UCI, 8x8 images; see
   examples/data/README.md), trained from C with Ember.

   usage: digits_cnn [data.csv.gz] [epochs]

   Prints a live progress line, the held-out accuracy after each epoch, and
   writes digits_loss.csv (the loss curve) and digits_saliency_<k>.pgm: for a
   few test digits, the image beside the magnitude of the gradient of the
   predicted class's score with respect to each pixel -- what the network
   looks at. Exits 0 when the held-out accuracy reaches 97%. */
#include "common.h"

enum { SAMPLES = DIGITS_SAMPLES, PIXELS = DIGITS_PIXELS, TEST = 360, TRAIN = SAMPLES - TEST, BATCH = 32 };

static float images[SAMPLES][PIXELS];
static int64_t labels[SAMPLES];

/* Writes the image and its saliency (|d score / d pixel|, scaled to 0..255)
   side by side, each pixel drawn as an 8x8 block, as a binary PGM. */
static void write_saliency(ember_module *model, int sample, int k) {
    const int64_t shape[] = {1, 1, 8, 8};
    ember_tensor *x, *logits, *predicted, *score, *grad;
    CHECK(ember_tensor_from_data(images[sample], EMBER_FLOAT32, shape, 4, &x));
    CHECK(ember_tensor_set_requires_grad(x, true));
    CHECK(ember_module_train(model, false));
    CHECK(ember_module_forward(model, x, &logits));
    CHECK(ember_argmax(logits, &predicted));
    int64_t cls;
    CHECK(ember_tensor_item_int64(predicted, &cls));
    ember_tensor *row;
    CHECK(ember_select(logits, 0, 0, &row));
    CHECK(ember_select(row, 0, cls, &score));
    CHECK(ember_tensor_backward(score, NULL));
    CHECK(ember_tensor_grad(x, &grad));
    float g[PIXELS], top = 1e-12f;
    CHECK(ember_tensor_copy_to(grad, g, sizeof g));
    for (int i = 0; i < PIXELS; i++) { g[i] = g[i] < 0 ? -g[i] : g[i]; if (g[i] > top) top = g[i]; }
    char path[64];
    snprintf(path, sizeof path, "digits_saliency_%d.pgm", k);
    FILE *f = fopen(path, "wb");
    if (!f) { fprintf(stderr, "cannot write %s\n", path); exit(1); }
    fprintf(f, "P5\n# label %lld predicted %lld\n%d %d\n255\n", (long long)labels[sample], (long long)cls, 136, 64);
    for (int y = 0; y < 64; y++) {
        unsigned char line[136];
        for (int x = 0; x < 136; x++) {
            if (x >= 64 && x < 72) { line[x] = 128; continue; }   /* a grey divider */
            int px = (x < 64 ? x : x - 72) / 8, py = y / 8;
            float v = x < 64 ? images[sample][py * 8 + px] : g[py * 8 + px] / top;
            line[x] = (unsigned char)(v * 255.0f + 0.5f);
        }
        fwrite(line, 1, sizeof line, f);
    }
    fclose(f);
    printf("wrote %s (label %lld, predicted %lld)\n", path, (long long)labels[sample], (long long)cls);
    CHECK(ember_module_train(model, true));
    ember_tensor_free(x); ember_tensor_free(logits); ember_tensor_free(predicted);
    ember_tensor_free(row); ember_tensor_free(score); ember_tensor_free(grad);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "examples/data/digits.csv.gz";
    int epochs = argc > 2 ? atoi(argv[2]) : 15;
    load_digits(path, images, labels);
    ember_manual_seed(0);

    /* After the shuffle, the last 360 samples are held out. */
    const int64_t train_shape[] = {TRAIN, 1, 8, 8}, test_shape[] = {TEST, 1, 8, 8}, train_labels[] = {TRAIN};
    ember_tensor *x_train, *y_train, *x_test;
    CHECK(ember_tensor_from_data(images, EMBER_FLOAT32, train_shape, 4, &x_train));
    CHECK(ember_tensor_from_data(labels, EMBER_INT64, train_labels, 1, &y_train));
    CHECK(ember_tensor_from_data(images[TRAIN], EMBER_FLOAT32, test_shape, 4, &x_test));

    ember_module *model = make_digits_model();
    ember_optimizer *opt;
    CHECK(ember_sgd_new(model, 0.05, &opt));
    CHECK(ember_optimizer_set(opt, "momentum", 0.9));
    ember_dataloader *loader;
    CHECK(ember_dataloader_new(x_train, y_train, BATCH, true, &loader));
    double per_epoch;
    CHECK(ember_dataloader_get(loader, "len", &per_epoch));

    FILE *curve = csv_open("digits_loss.csv", "step,epoch,loss,test_accuracy");
    progress bar = progress_start("digits_cnn", (long)epochs * (long)per_epoch);
    long step = 0;
    double acc = 0;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        for (;;) {
            ember_tensor *data, *target, *logits, *loss;
            CHECK(ember_dataloader_next(loader, &data, &target));
            if (!data) break;
            CHECK(ember_module_forward(model, data, &logits));
            CHECK(ember_cross_entropy(logits, target, &loss));
            CHECK(ember_optimizer_zero_grad(opt));
            CHECK(ember_tensor_backward(loss, NULL));
            CHECK(ember_optimizer_step(opt));
            double value;
            CHECK(ember_tensor_item(loss, &value));
            step++;
            fprintf(curve, "%ld,%d,%.6f,\n", step, epoch, value);
            progress_update(&bar, step, value, "steps");
            ember_tensor_free(data); ember_tensor_free(target); ember_tensor_free(logits); ember_tensor_free(loss);
        }
        acc = digits_accuracy(model, x_test, labels + TRAIN, TEST);
        fprintf(curve, "%ld,%d,,%.4f\n", step, epoch, acc);
        if (bar.tty) printf("\n");
        printf("epoch %2d  held-out accuracy %.3f\n", epoch, acc);
    }
    fclose(curve);
    printf("wrote digits_loss.csv\n");
    for (int k = 0; k < 3; k++) write_saliency(model, TRAIN + 17 * k, k);

    ember_dataloader_free(loader);
    ember_optimizer_free(opt);
    ember_module_free(model);
    ember_tensor_free(x_train); ember_tensor_free(y_train); ember_tensor_free(x_test);
    printf("final held-out accuracy %.3f (goal 0.970)\n", acc);
    return acc >= 0.97 ? 0 : 1;
}
