/* An actor-critic agent learns to balance a pole on a cart, from C.

   usage: cartpole [max_episodes]

   The cart-pole physics is the classic one (Barto, Sutton and Anderson 1983,
   as in Gym's CartPole), simulated here. The agent is a custom module with a
   C forward and two heads: a shared hidden layer, a policy head (action
   logits) and a value head (the expected return). Actions are sampled from
   the policy with ember_multinomial; after each episode the policy is pushed
   towards actions that did better than the value head expected (REINFORCE
   with a learned baseline) and the value head towards the returns. Writes
   cartpole_curve.csv; exits 0 once the average episode length over the last
   20 episodes passes 195 steps. */
#include "common.h"
#include <math.h>

enum { MAX_STEPS = 500, WINDOW = 20, HIDDEN = 64 };

/* The cart-pole system: x, x', theta, theta' (Euler steps of 0.02 s). */
typedef struct cartpole {
    double x, x_dot, theta, theta_dot;
    unsigned long rng;
} cartpole;

static double uniform(cartpole *env, double lo, double hi) {
    env->rng = env->rng * 6364136223846793005UL + 1442695040888963407UL;
    return lo + (hi - lo) * (double)(env->rng >> 11) / 9007199254740992.0;
}

static void env_reset(cartpole *env) {
    env->x = uniform(env, -0.05, 0.05);
    env->x_dot = uniform(env, -0.05, 0.05);
    env->theta = uniform(env, -0.05, 0.05);
    env->theta_dot = uniform(env, -0.05, 0.05);
}

/* Applies a push left (0) or right (1); returns 1 when the pole fell or the cart left the track. */
static int env_step(cartpole *env, int64_t action) {
    const double gravity = 9.8, mass_cart = 1.0, mass_pole = 0.1, length = 0.5, force_mag = 10.0, tau = 0.02;
    const double total = mass_cart + mass_pole, pole_moment = mass_pole * length;
    double force = action == 1 ? force_mag : -force_mag;
    double c = cos(env->theta), s = sin(env->theta);
    double temp = (force + pole_moment * env->theta_dot * env->theta_dot * s) / total;
    double theta_acc = (gravity * s - c * temp) / (length * (4.0 / 3.0 - mass_pole * c * c / total));
    double x_acc = temp - pole_moment * theta_acc * c / total;
    env->x += tau * env->x_dot;
    env->x_dot += tau * x_acc;
    env->theta += tau * env->theta_dot;
    env->theta_dot += tau * theta_acc;
    return fabs(env->x) > 2.4 || fabs(env->theta) > 12 * 2 * 3.14159265358979 / 360;
}

/* forward(states (N, 4)) -> [logits (N, 2), values (N, 1)]. Children: body, policy, value. */
static ember_status agent_forward(ember_module *self, const ember_tensor *const *inputs, int64_t n_inputs, void *user_data,
                                  ember_tensor **outputs, int64_t capacity, int64_t *n_outputs) {
    (void)user_data;
    if (n_inputs != 1 || capacity < 2) { ember_set_last_error("the agent takes the states and gives two outputs"); return EMBER_ERR_INVALID_ARGUMENT; }
    ember_module *body = NULL, *policy = NULL, *value = NULL;
    ember_tensor *h = NULL, *logits = NULL, *v = NULL;
    ember_status s = ember_module_child(self, "body", &body);
    if (!s) s = ember_module_child(self, "policy", &policy);
    if (!s) s = ember_module_child(self, "value", &value);
    if (!s) s = ember_module_forward(body, inputs[0], &h);
    if (!s) s = ember_module_forward(policy, h, &logits);
    if (!s) s = ember_module_forward(value, h, &v);
    ember_module_free(body); ember_module_free(policy); ember_module_free(value);
    ember_tensor_free(h);
    if (s) { ember_tensor_free(logits); ember_tensor_free(v); return s; }
    outputs[0] = logits;
    outputs[1] = v;
    *n_outputs = 2;
    return EMBER_OK;
}

static ember_module *make_agent(void) {
    ember_module *agent, *body, *layer;
    char args[64];
    CHECK(ember_module_custom_new("ActorCritic", agent_forward, NULL, NULL, &agent));
    CHECK(ember_module_new("Sequential", "", &body));
    snprintf(args, sizeof args, "4, %d", HIDDEN);
    CHECK(ember_module_new("Linear", args, &layer));
    CHECK(ember_sequential_append(body, layer));
    ember_module_free(layer);
    CHECK(ember_module_new("ReLU", "", &layer));
    CHECK(ember_sequential_append(body, layer));
    ember_module_free(layer);
    CHECK(ember_module_register_module(agent, "body", body));
    ember_module_free(body);
    snprintf(args, sizeof args, "%d, 2", HIDDEN);
    CHECK(ember_module_new("Linear", args, &layer));
    CHECK(ember_module_register_module(agent, "policy", layer));
    ember_module_free(layer);
    snprintf(args, sizeof args, "%d, 1", HIDDEN);
    CHECK(ember_module_new("Linear", args, &layer));
    CHECK(ember_module_register_module(agent, "value", layer));
    ember_module_free(layer);
    return agent;
}

/* Samples an action for one state from the policy, without recording a graph. */
static int64_t act(ember_module *agent, const float state[4]) {
    const int64_t shape[] = {1, 4};
    ember_tensor *x, *outs[2], *probs, *action;
    int64_t n;
    CHECK(ember_tensor_from_data(state, EMBER_FLOAT32, shape, 2, &x));
    const ember_tensor *in[1] = {x};
    CHECK(ember_module_forward_multi(agent, in, 1, outs, 2, &n));
    CHECK(ember_softmax(outs[0], 1, &probs));
    CHECK(ember_multinomial(probs, 1, false, &action));
    int64_t a;
    CHECK(ember_tensor_item_int64(action, &a));
    ember_tensor_free(x); ember_tensor_free(outs[0]); ember_tensor_free(outs[1]);
    ember_tensor_free(probs); ember_tensor_free(action);
    return a;
}

/* One update from an episode: policy loss -mean(log pi(a|s) * (G - V(s))) with
   the advantage held constant, plus half the squared error of V against G. */
static void learn(ember_module *agent, ember_optimizer *opt, float states[][4], const int64_t *actions,
                  const double *rewards, int64_t steps) {
    static float returns[MAX_STEPS];
    double g = 0, mean = 0, var = 0;
    for (int64_t t = steps - 1; t >= 0; t--) { g = rewards[t] + 0.99 * g; returns[t] = (float)g; }
    for (int64_t t = 0; t < steps; t++) mean += returns[t];
    mean /= (double)steps;
    for (int64_t t = 0; t < steps; t++) var += (returns[t] - mean) * (returns[t] - mean);
    double sd = sqrt(var / (double)steps) + 1e-8;
    for (int64_t t = 0; t < steps; t++) returns[t] = (float)((returns[t] - mean) / sd);

    const int64_t s_shape[] = {steps, 4}, a_shape[] = {steps, 1}, r_shape[] = {steps, 1};
    ember_tensor *x, *a, *r, *outs[2], *logp, *chosen, *baseline, *advantage, *weighted, *policy_loss, *neg, *value_loss,
        *half, *loss;
    int64_t n;
    CHECK(ember_tensor_from_data(states, EMBER_FLOAT32, s_shape, 2, &x));
    CHECK(ember_tensor_from_data(actions, EMBER_INT64, a_shape, 2, &a));
    CHECK(ember_tensor_from_data(returns, EMBER_FLOAT32, r_shape, 2, &r));
    const ember_tensor *in[1] = {x};
    CHECK(ember_module_forward_multi(agent, in, 1, outs, 2, &n));
    CHECK(ember_log_softmax(outs[0], 1, &logp));
    CHECK(ember_gather(logp, 1, a, &chosen));
    CHECK(ember_detach(outs[1], &baseline));
    CHECK(ember_sub(r, baseline, &advantage));
    CHECK(ember_mul(chosen, advantage, &weighted));
    CHECK(ember_mean(weighted, &neg));
    CHECK(ember_neg(neg, &policy_loss));
    CHECK(ember_mse_loss(outs[1], r, &value_loss));
    CHECK(ember_mul_scalar(value_loss, 0.5, &half));
    CHECK(ember_add(policy_loss, half, &loss));
    CHECK(ember_optimizer_zero_grad(opt));
    CHECK(ember_tensor_backward(loss, NULL));
    CHECK(ember_optimizer_step(opt));
    ember_tensor *all[] = {x, a, r, outs[0], outs[1], logp, chosen, baseline, advantage, weighted, neg, policy_loss,
                           value_loss, half, loss};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ember_tensor_free(all[i]);
}

int main(int argc, char **argv) {
    int max_episodes = argc > 1 ? atoi(argv[1]) : 1500;
    ember_manual_seed(0);
    ember_module *agent = make_agent();
    ember_optimizer *opt;
    CHECK(ember_adam_new(agent, 1e-2, &opt));
    cartpole env = {0, 0, 0, 0, 12345};
    static float states[MAX_STEPS][4];
    static int64_t actions[MAX_STEPS];
    static double rewards[MAX_STEPS];
    int lengths[WINDOW] = {0};
    double average = 0;
    FILE *curve = csv_open("cartpole_curve.csv", "episode,length,average");
    progress bar = progress_start("cartpole", max_episodes);
    int episode;
    for (episode = 1; episode <= max_episodes; episode++) {
        env_reset(&env);
        int64_t steps = 0;
        int fell = 0;
        bool was = ember_set_grad_enabled(false);
        while (!fell && steps < MAX_STEPS) {
            float s[4] = {(float)env.x, (float)env.x_dot, (float)env.theta, (float)env.theta_dot};
            memcpy(states[steps], s, sizeof s);
            actions[steps] = act(agent, s);
            fell = env_step(&env, actions[steps]);
            rewards[steps] = 1.0;
            steps++;
        }
        ember_set_grad_enabled(was);
        learn(agent, opt, states, actions, rewards, steps);
        lengths[episode % WINDOW] = (int)steps;
        average = 0;
        for (int i = 0; i < WINDOW; i++) average += lengths[i];
        average /= episode < WINDOW ? episode : WINDOW;
        fprintf(curve, "%d,%lld,%.1f\n", episode, (long long)steps, average);
        progress_update(&bar, episode, average, "episodes");
        if (episode >= WINDOW && average > 195) break;
    }
    fclose(curve);
    if (bar.tty) printf("\n");
    printf("episode %d: average length %.1f over the last %d episodes (goal > 195); wrote cartpole_curve.csv\n",
           episode > max_episodes ? max_episodes : episode, average, WINDOW);
    ember_optimizer_free(opt);
    ember_module_free(agent);
    return average > 195 ? 0 : 1;
}
