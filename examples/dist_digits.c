/* The digits CNN of digits_cnn.c trained data-parallel over MPI with
   libember_dist: every rank holds the model, trains on its own shard of each
   epoch (a distributed sampler), and the gradients are averaged across ranks
   after each backward, so all ranks make the same update.

   usage: mpirun -np 2 dist_digits [data.csv.gz] [epochs]      (make dist-demo)

   Per-rank batch 16: with 2 ranks a step sees 32 images, as digits_cnn's
   batch of 32 does. Rank 0 prints the progress, the held-out accuracy after
   each epoch, the training rate and the bytes each rank all-reduces per step,
   writes the loss curve to dist_digits_loss.csv and saves the weights (rank 0
   only) to dist_digits_weights.bin. Exits 0
   when the held-out accuracy reaches 97%. */
#include "common.h"
#include <ember_dist.h>

enum { SAMPLES = DIGITS_SAMPLES, PIXELS = DIGITS_PIXELS, TEST = 360, TRAIN = SAMPLES - TEST, BATCH = 16 };

static float images[SAMPLES][PIXELS];
static int64_t labels[SAMPLES];

/* The checkpoint, written by rank 0 only (ember_dist_run_on_rank): for each
   parameter its name, its element count and its float32 values. */
static ember_status save_weights(void *user_data) {
    ember_module *model = user_data;
    FILE *f = fopen("dist_digits_weights.bin", "wb");
    if (!f) { ember_set_last_error("cannot write dist_digits_weights.bin"); return EMBER_ERR_IO; }
    for (int64_t i = 0; i < ember_module_parameter_count(model); i++) {
        char name[64];
        ember_tensor *p;
        ember_status s = ember_module_parameter_at(model, i, name, sizeof name, &p);
        if (s != EMBER_OK) { fclose(f); return s; }
        int64_t n = ember_tensor_numel(p);
        float *v = malloc(sizeof(float) * (size_t)n);
        if (v) s = ember_tensor_copy_to(p, v, sizeof(float) * (size_t)n);
        fprintf(f, "%s %lld\n", name, (long long)n);
        if (v && s == EMBER_OK) fwrite(v, sizeof(float), (size_t)n, f);
        free(v);
        ember_tensor_free(p);
        if (s != EMBER_OK) { fclose(f); return s; }
    }
    if (fclose(f) != 0) { ember_set_last_error("error writing dist_digits_weights.bin"); return EMBER_ERR_IO; }
    return EMBER_OK;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "examples/data/digits.csv.gz";
    int epochs = argc > 2 ? atoi(argv[2]) : 15;
    ember_set_num_threads(1);   /* one thread per rank: the ranks share the cores */
    ember_dist_group *group;
    CHECK(ember_dist_init(&group));
    int64_t rank = ember_dist_rank(group), world = ember_dist_world_size(group);
    load_digits(path, images, labels);   /* shuffled alike on every rank */
    ember_manual_seed(0);

    const int64_t train_shape[] = {TRAIN, 1, 8, 8}, test_shape[] = {TEST, 1, 8, 8}, train_labels[] = {TRAIN};
    ember_tensor *x_train, *y_train, *x_test;
    CHECK(ember_tensor_from_data(images, EMBER_FLOAT32, train_shape, 4, &x_train));
    CHECK(ember_tensor_from_data(labels, EMBER_INT64, train_labels, 1, &y_train));
    CHECK(ember_tensor_from_data(images[TRAIN], EMBER_FLOAT32, test_shape, 4, &x_test));

    /* The same model on every rank; the wrapper copies rank 0's weights to the others. */
    ember_module *model = make_digits_model();
    ember_ddp *ddp;
    CHECK(ember_ddp_new(group, model, &ddp));
    ember_optimizer *opt;
    CHECK(ember_sgd_new(model, 0.05, &opt));
    CHECK(ember_optimizer_set(opt, "momentum", 0.9));
    ember_dist_sampler *sampler;
    CHECK(ember_dist_sampler_new(group, TRAIN, true, 0, false, &sampler));
    double per_epoch;
    CHECK(ember_dist_sampler_get(sampler, "len", &per_epoch));
    long steps_per_epoch = ((long)per_epoch + BATCH - 1) / BATCH;
    if (rank == 0)
        printf("dist_digits: %lld ranks, %ld images per rank per epoch, batch %d per rank (%lld per step)\n",
               (long long)world, (long)per_epoch, BATCH, (long long)(BATCH * world));

    FILE *curve = rank == 0 ? csv_open("dist_digits_loss.csv", "step,epoch,loss,test_accuracy") : NULL;
    progress bar = progress_start("dist_digits", (long)epochs * steps_per_epoch);
    long step = 0;
    double acc = 0, train_seconds = 0;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        CHECK(ember_dist_sampler_set(sampler, "epoch", epoch));   /* a new shuffle, the same on every rank */
        ember_dataloader *loader;
        CHECK(ember_dist_sampler_loader(sampler, x_train, y_train, BATCH, &loader));
        double start = seconds_now();
        for (;;) {
            ember_tensor *data, *target, *logits, *loss;
            CHECK(ember_dataloader_next(loader, &data, &target));
            if (!data) break;
            CHECK(ember_ddp_forward(ddp, data, &logits));
            CHECK(ember_cross_entropy(logits, target, &loss));
            CHECK(ember_optimizer_zero_grad(opt));
            CHECK(ember_ddp_backward(ddp, loss));   /* backward; gradients averaged over the ranks */
            CHECK(ember_optimizer_step(opt));
            double value;
            CHECK(ember_tensor_item(loss, &value));
            step++;
            if (rank == 0) {
                fprintf(curve, "%ld,%d,%.6f,\n", step, epoch, value);
                progress_update(&bar, step, value, "steps");
            }
            ember_tensor_free(data); ember_tensor_free(target); ember_tensor_free(logits); ember_tensor_free(loss);
        }
        train_seconds += seconds_now() - start;
        ember_dataloader_free(loader);
        acc = digits_accuracy(model, x_test, labels + TRAIN, TEST);
        if (rank == 0) {
            fprintf(curve, "%ld,%d,,%.4f\n", step, epoch, acc);
            if (bar.tty) printf("\n");
            printf("epoch %2d  held-out accuracy %.3f\n", epoch, acc);
        }
    }

    /* Every rank holds the same weights: check it, then save them once. */
    ember_tensor *w, *hi_copy, *lo_copy;
    CHECK(ember_module_parameter(model, "7.weight", &w));
    CHECK(ember_mul_scalar(w, 1.0, &hi_copy));
    CHECK(ember_mul_scalar(w, 1.0, &lo_copy));
    CHECK(ember_dist_all_reduce(group, hi_copy, EMBER_DIST_MAX));
    CHECK(ember_dist_all_reduce(group, lo_copy, EMBER_DIST_MIN));
    ember_tensor *diff, *max_diff;
    CHECK(ember_sub(hi_copy, lo_copy, &diff));
    CHECK(ember_max(diff, &max_diff));
    double spread;
    CHECK(ember_tensor_item(max_diff, &spread));
    CHECK(ember_dist_run_on_rank(group, 0, save_weights, model));

    double bytes, waited;
    CHECK(ember_ddp_get(ddp, "bytes_per_step", &bytes));
    CHECK(ember_ddp_get(ddp, "finish_wait_seconds", &waited));
    if (rank == 0) {
        printf("weights identical on all ranks: %s (largest spread %g)\n", spread == 0 ? "yes" : "NO", spread);
        printf("wrote dist_digits_weights.bin and dist_digits_loss.csv (rank 0)\n");
        fclose(curve);
        printf("%.1f steps/s, %.0f images/s over %lld ranks; %.0f bytes all-reduced per rank per step; "
               "%.1f%% of training time waiting in ember_ddp_finish_backward\n",
               (double)step / train_seconds, (double)step * BATCH * (double)world / train_seconds, (long long)world,
               bytes, 100.0 * waited / train_seconds);
        printf("final held-out accuracy %.3f (goal 0.970)\n", acc);
    }
    ember_tensor_free(w); ember_tensor_free(hi_copy); ember_tensor_free(lo_copy);
    ember_tensor_free(diff); ember_tensor_free(max_diff);
    ember_dist_sampler_free(sampler);
    ember_optimizer_free(opt);
    ember_ddp_free(ddp);
    ember_module_free(model);
    ember_tensor_free(x_train); ember_tensor_free(y_train); ember_tensor_free(x_test);
    ember_dist_group_free(group);
    return acc >= 0.97 && spread == 0 ? 0 : 1;
}
