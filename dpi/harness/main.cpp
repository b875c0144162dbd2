// qemu-hdl-bridge Verilator harness.
//
// Built with the user's top module by scripts/build-rtl.sh
// (verilator --prefix Vsim, so the model class is Vsim). The top has two
// inputs: clk and rst_n. One thread constructs the model and evaluates it;
// the DPI shim (dpi/shim/cosim_shim.c) is moved over ZeroMQ between batches.

#include "cosim_sim.h"

#include "cosim_defaults.h"
#include "cosim_shim.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>

namespace {

volatile std::sig_atomic_t g_signal = 0;

void on_signal(int sig) { g_signal = sig; }

// An idle design's socket wait: a message ends it at once, so it only bounds
// how often an idle simulator clocks a cycle (and its CPU while the guest idles).
constexpr int IDLE_WAIT_MS = 200;

struct Options {
    std::string endpoint;
    std::string name = "dev0";
    uint64_t batch = COSIM_MODEL_BATCH_CYCLES;
    std::string wave;
    uint64_t wave_start = 0;
    uint64_t wave_stop = 0; // 0 = until exit
    uint64_t max_cycles = 0;
    int connect_timeout_ms = COSIM_DEFAULT_CONNECT_TIMEOUT_MS;
    int peer_timeout_ms = COSIM_DEFAULT_PEER_TIMEOUT_MS;
    int log_level = COSIM_LOG_INFO;
    int idle_wait_ms = IDLE_WAIT_MS;
    int dma_wait_ms = COSIM_MODEL_DMA_WAIT_MS;
    uint64_t reset_cycles = COSIM_MODEL_RESET_CYCLES;
    std::string curve_server_key, curve_key;
};

std::string env_or_empty(const char *name)
{
    const char *e = std::getenv(name);
    return e ? e : "";
}

std::string default_endpoint()
{
    std::string e = env_or_empty("COSIM_HDL_ENDPOINT");
    if (!e.empty())
        return e;
    char ep[512];
    cosim_default_endpoint("hdl", ep, sizeof ep);
    return ep;
}

void usage(FILE *f, const char *argv0)
{
    std::fprintf(f,
                 "usage: %s [options] [+plusargs for the RTL]\n"
                 "\n"
                 "Runs the RTL as the HDL peer of a qemu-hdl-bridge broker.\n"
                 "\n"
                 "options:\n"
                 "  --endpoint URL           broker endpoint for the HDL side (ipc://... or tcp://host:port);\n"
                 "                           default $COSIM_HDL_ENDPOINT, else the broker's default,\n"
                 "                           %s\n"
                 "  --name NAME              device name sent in HELLO (default dev0)\n"
                 "  --batch N                cycles between transport steps (default %d); a step happens\n"
                 "                           at once when an MMIO read completion or DMA read is queued,\n"
                 "                           or when the design is idle\n"
                 "  --max-cycles N           stop after N cycles, exit 0 (default 0 = unlimited)\n"
                 "  --wave FILE.fst          write an FST waveform (needs a --trace-fst build)\n"
                 "  --wave-start CYCLE       open the waveform at this cycle (default 0)\n"
                 "  --wave-stop CYCLE        close the waveform at this cycle (default 0 = at exit)\n"
                 "  --connect-timeout-ms MS  stop (exit 3) if no broker answers within MS (default %d)\n"
                 "  --peer-timeout-ms MS     stop (exit 3) if the broker is silent for MS (default %d)\n"
                 "  --idle-wait-ms MS        socket wait while the design is idle (default %d)\n"
                 "  --dma-wait-ms MS         socket wait while the design waits on DMA reads (default %d)\n"
                 "  --reset-cycles N         cycles rst_n is held low at start (default %d)\n"
                 "  --log-level LEVEL        error, warn, info or debug (default info)\n"
                 "  --curve-server-key FILE  CURVE: the broker's public key file, NAME.key from `cosim keygen`\n"
                 "                           (default $COSIM_CURVE_SERVER_KEY; needed by a broker with keys)\n"
                 "  --curve-key FILE         CURVE: this simulator's secret key file, NAME.key_secret\n"
                 "                           (default $COSIM_CURVE_KEY)\n"
                 "  -h, --help               this text\n"
                 "\n"
                 "exit status: 0 broker SHUTDOWN, signal, --max-cycles or $finish; 2 usage or setup error;\n"
                 "3 broker not found or lost.\n",
                 argv0, default_endpoint().c_str(), COSIM_MODEL_BATCH_CYCLES, COSIM_DEFAULT_CONNECT_TIMEOUT_MS,
                 COSIM_DEFAULT_PEER_TIMEOUT_MS, IDLE_WAIT_MS, COSIM_MODEL_DMA_WAIT_MS, COSIM_MODEL_RESET_CYCLES);
}

bool parse_u64(const char *s, uint64_t &out)
{
    if (!s || !*s)
        return false;
    char *end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s, &end, 0);
    if (errno || *end || s[0] == '-')
        return false;
    out = v;
    return true;
}

bool parse_int(const char *s, int &out)
{
    uint64_t v;
    if (!parse_u64(s, v) || v > 0x7fffffff)
        return false;
    out = static_cast<int>(v);
    return true;
}

// Returns -1 to continue, else an exit status.
int parse_args(int argc, char **argv, Options &o)
{
    o.endpoint = default_endpoint();
    o.curve_server_key = env_or_empty("COSIM_CURVE_SERVER_KEY");
    o.curve_key = env_or_empty("COSIM_CURVE_KEY");
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            usage(stdout, argv[0]);
            return 0;
        }
        if (a.size() && a[0] == '+')
            continue; // plusarg for the RTL ($test$plusargs)
        std::string val;
        bool has_val = false;
        size_t eq = a.find('=');
        if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
            val = a.substr(eq + 1);
            a = a.substr(0, eq);
            has_val = true;
        }
        auto need = [&](const char *what) -> const char * {
            if (has_val)
                return val.c_str();
            if (i + 1 >= argc) {
                std::fprintf(stderr, "[sim] cycle=0 error: %s needs a value (see --help)\n", what);
                return nullptr;
            }
            return argv[++i];
        };
        auto bad = [&](const char *v) {
            std::fprintf(stderr, "[sim] cycle=0 error: bad value '%s' for %s (see --help)\n", v ? v : "",
                         a.c_str());
            return 2;
        };
        const char *v = nullptr;
        if (a == "--endpoint") {
            if (!(v = need("--endpoint")))
                return 2;
            o.endpoint = v;
        } else if (a == "--name") {
            if (!(v = need("--name")))
                return 2;
            o.name = v;
            if (o.name.empty() || o.name.size() > 64)
                return bad(v);
        } else if (a == "--batch") {
            if (!(v = need("--batch")) || !parse_u64(v, o.batch) || o.batch == 0)
                return bad(v);
        } else if (a == "--max-cycles") {
            if (!(v = need("--max-cycles")) || !parse_u64(v, o.max_cycles))
                return bad(v);
        } else if (a == "--wave") {
            if (!(v = need("--wave")))
                return 2;
            o.wave = v;
        } else if (a == "--wave-start") {
            if (!(v = need("--wave-start")) || !parse_u64(v, o.wave_start))
                return bad(v);
        } else if (a == "--wave-stop") {
            if (!(v = need("--wave-stop")) || !parse_u64(v, o.wave_stop))
                return bad(v);
        } else if (a == "--connect-timeout-ms") {
            if (!(v = need("--connect-timeout-ms")) || !parse_int(v, o.connect_timeout_ms) ||
                o.connect_timeout_ms == 0)
                return bad(v);
        } else if (a == "--peer-timeout-ms") {
            if (!(v = need("--peer-timeout-ms")) || !parse_int(v, o.peer_timeout_ms) || o.peer_timeout_ms == 0)
                return bad(v);
        } else if (a == "--idle-wait-ms") {
            if (!(v = need("--idle-wait-ms")) || !parse_int(v, o.idle_wait_ms) || o.idle_wait_ms == 0)
                return bad(v);
        } else if (a == "--dma-wait-ms") {
            if (!(v = need("--dma-wait-ms")) || !parse_int(v, o.dma_wait_ms) || o.dma_wait_ms == 0)
                return bad(v);
        } else if (a == "--reset-cycles") {
            if (!(v = need("--reset-cycles")) || !parse_u64(v, o.reset_cycles) || o.reset_cycles == 0)
                return bad(v);
        } else if (a == "--curve-server-key") {
            if (!(v = need("--curve-server-key")))
                return 2;
            o.curve_server_key = v;
        } else if (a == "--curve-key") {
            if (!(v = need("--curve-key")))
                return 2;
            o.curve_key = v;
        } else if (a == "--log-level") {
            if (!(v = need("--log-level")))
                return 2;
            o.log_level = cosim_shim_parse_log_level(v);
            if (o.log_level < 0)
                return bad(v);
        } else {
            std::fprintf(stderr, "[sim] cycle=0 error: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (o.endpoint.empty()) {
        std::fprintf(stderr, "[sim] cycle=0 error: no endpoint: pass --endpoint or set COSIM_HDL_ENDPOINT\n");
        return 2;
    }
    if (!o.wave.empty() && o.wave_stop && o.wave_stop <= o.wave_start) {
        std::fprintf(stderr, "[sim] cycle=0 error: --wave-stop must be after --wave-start\n");
        return 2;
    }
#if !VM_TRACE
    if (!o.wave.empty()) {
        std::fprintf(stderr, "[sim] cycle=0 error: --wave needs a model built with --trace-fst\n");
        return 2;
    }
#endif
    return -1;
}

} // namespace

int main(int argc, char **argv)
{
    Options o;
    int rc = parse_args(argc, argv, o);
    if (rc >= 0)
        return rc;
    cosim_shim_set_log_level(o.log_level);

    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; // no SA_RESTART: the socket wait returns EINTR
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    cosim_shim_opts so{};
    so.endpoint = o.endpoint.c_str();
    so.name = o.name.c_str();
    so.connect_timeout_ms = o.connect_timeout_ms;
    so.peer_timeout_ms = o.peer_timeout_ms;
    so.log_level = o.log_level;
    if (!o.curve_server_key.empty() || !o.curve_key.empty()) {
        so.curve_server_key = o.curve_server_key.c_str();
        so.curve_key = o.curve_key.c_str();
    }
    if (cosim_shim_open(&so) != 0) {
        cosim_shim_log(COSIM_LOG_ERROR, "%s", cosim_shim_stop_reason());
        return cosim_shim_exit_status() ? cosim_shim_exit_status() : 2;
    }

    const auto t0 = std::chrono::steady_clock::now();
    CosimSim sim(argc, const_cast<const char **>(argv), !o.wave.empty());
    if (!o.wave.empty())
        sim.wave_window(o.wave, o.wave_start, o.wave_stop);
    sim.start();
    sim.reset(o.reset_cycles);
    cosim_shim_transport(0);

    // The host loop of cosim_model.h: the batch and what follows it are the
    // engine's (CosimSim::run, next); the exchange and the waits are ZeroMQ's.
    bool max_hit = false;
    // Time spent clocking: cycles per second while busy, not over idle waits.
    std::chrono::steady_clock::duration clocking{};
    while (!cosim_shim_stopping() && !g_signal) {
        uint64_t run = o.batch;
        if (o.max_cycles) {
            if (sim.cycles() >= o.max_cycles) {
                max_hit = true;
                break;
            }
            run = std::min<uint64_t>(run, o.max_cycles - sim.cycles());
        }
        const auto c0 = std::chrono::steady_clock::now();
        sim.run(run, COSIM_RUN_STEP);
        clocking += std::chrono::steady_clock::now() - c0;
        if (cosim_shim_transport(0) < 0 || g_signal)
            break;
        const int next = sim.next();
        if (next == COSIM_NEXT_STOP)
            break;
        if (next == COSIM_NEXT_WAIT_INPUT) {
            cosim_shim_transport(o.idle_wait_ms);
        } else if (next == COSIM_NEXT_WAIT_DMA) {
            // Take DMA completion chunks in as they arrive, without clocking.
            int n;
            do {
                n = cosim_shim_transport(o.dma_wait_ms);
            } while (n > 0 && sim.next() == COSIM_NEXT_WAIT_DMA && !g_signal);
        }
    }
    if (sim.got_finish())
        cosim_shim_request_stop(COSIM_EXIT_OK, "the RTL called $finish");
    else if (g_signal)
        cosim_shim_request_stop(COSIM_EXIT_OK, g_signal == SIGINT ? "SIGINT" : "SIGTERM");
    else if (max_hit)
        cosim_shim_request_stop(COSIM_EXIT_OK, "--max-cycles reached");

    sim.finish(); // closes the waveform
    cosim_shim_close();

    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double busy = std::chrono::duration<double>(clocking).count();
    cosim_shim_stats st;
    cosim_shim_get_stats(&st);
    const int status = cosim_shim_exit_status();
    // Always printed, whatever --log-level says.
    std::fprintf(stderr,
                 "[sim] cycle=%llu %s: summary: cycles=%llu wall=%.3fs rate=%.0f cycles/s busy=%.3fs busy_rate=%.0f "
                 "cycles/s msgs_in=%llu msgs_out=%llu "
                 "bad_frames=%llu mmio_r=%llu mmio_w=%llu dma_r=%llu dma_w_bytes=%llu msix=%llu exit=%d reason=\"%s\"\n",
                 static_cast<unsigned long long>(sim.cycles()), status ? "error" : "info",
                 static_cast<unsigned long long>(sim.cycles()), wall, wall > 0 ? sim.cycles() / wall : 0.0, busy,
                 busy > 0 ? sim.cycles() / busy : 0.0,
                 static_cast<unsigned long long>(st.msgs_in), static_cast<unsigned long long>(st.msgs_out),
                 static_cast<unsigned long long>(st.bad_frames), static_cast<unsigned long long>(st.mmio_reads),
                 static_cast<unsigned long long>(st.mmio_writes), static_cast<unsigned long long>(st.dma_reads),
                 static_cast<unsigned long long>(st.dma_write_bytes), static_cast<unsigned long long>(st.msix),
                 status, cosim_shim_stop_reason());
    return status;
}
