// The bare C++ Verilator loop of a model library, for the testbench speed
// benchmark (test/bench/rtl-speed.bench.ts): dlopen()s libcosim-model.so,
// holds reset 16 cycles, then times cosim_model_run(N) — the clock toggled
// and eval()ed in C++, nothing else — and prints
//   cycles=N seconds=S rate=R
//
//   model_loop LIB N
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

#include "cosim_model.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: model_loop LIB CYCLES\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        std::fprintf(stderr, "model_loop: %s\n", dlerror());
        return 1;
    }
    auto create = reinterpret_cast<cosim_model *(*)(const cosim_model_opts *, char *, size_t)>(dlsym(h, "cosim_model_create"));
    auto run = reinterpret_cast<uint64_t (*)(cosim_model *, uint64_t, int)>(dlsym(h, "cosim_model_run"));
    auto reset = reinterpret_cast<void (*)(cosim_model *, int)>(dlsym(h, "cosim_model_set_reset"));
    auto destroy = reinterpret_cast<void (*)(cosim_model *)>(dlsym(h, "cosim_model_destroy"));
    if (!create || !run || !reset || !destroy) {
        std::fprintf(stderr, "model_loop: %s is not a model library\n", argv[1]);
        return 1;
    }
    cosim_model_opts o{};
    o.log_level = COSIM_LOG_ERROR;
    char err[512] = "";
    cosim_model *m = create(&o, err, sizeof err);
    if (!m) {
        std::fprintf(stderr, "model_loop: %s\n", err);
        return 1;
    }
    const uint64_t n = std::strtoull(argv[2], nullptr, 0);
    reset(m, 1);
    run(m, 16, 0);
    reset(m, 0);
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t done = run(m, n, 0);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("cycles=%llu seconds=%.6f rate=%.0f\n", static_cast<unsigned long long>(done), s, done / s);
    destroy(m);
    return 0;
}
