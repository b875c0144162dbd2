// The one HDL engine: the clocking core of the cosim-sim harness (main.cpp)
// and of the model library (dpi/model/model_api.cpp), which the in-process
// peer and the testbench drive. One VerilatedContext and one Vsim model
// (verilator --prefix Vsim; the top's only inputs are clk and rst_n), a
// two-edge tick, the reset, the batch policy (run), what a host loop does
// after a batch (next), and FST windows: opened and closed now, any number of
// times, or kept by run() between two cycles (wave_window). Whoever
// constructs it must call every method from that one thread.
#ifndef COSIM_SIM_H
#define COSIM_SIM_H

#include "Vsim.h"
#include "cosim_model.h"
#include "cosim_queue.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

class CosimSim {
public:
    // fatal_on_error false: $error and failed assertions set got_error()
    // and got_finish() instead of aborting the process (the model library
    // lives inside Node, which must not die with it).
    CosimSim(int argc, const char **argv, bool trace_ever_on, bool fatal_on_error = true)
    {
        ctx_ = std::make_unique<VerilatedContext>();
        ctx_->threads(1); // before the model: no idle worker threads
        if (argc > 0)
            ctx_->commandArgs(argc, argv);
        ctx_->fatalOnError(fatal_on_error);
#if VM_TRACE
        if (trace_ever_on)
            ctx_->traceEverOn(true);
#else
        (void)trace_ever_on;
#endif
        top_ = std::make_unique<Vsim>(ctx_.get(), "TOP");
        top_->clk = 0;
        top_->rst_n = 0;
    }

    ~CosimSim() { finish(); }

    CosimSim(const CosimSim &) = delete;
    CosimSim &operator=(const CosimSim &) = delete;

    // Runs final blocks and closes the waveform; safe to call twice.
    void finish()
    {
        if (finished_)
            return;
        finished_ = true;
        trace_close();
        top_->final();
    }

    // Time 0: initial blocks run, the SV bridge calls cosim_dpi_announce.
    void start()
    {
        top_->eval();
        dump();
    }

    void tick()
    {
        top_->clk = 1;
        top_->eval();
        ctx_->timeInc(1);
        dump();
        top_->clk = 0;
        top_->eval();
        ctx_->timeInc(1);
        dump();
        cycles_++;
    }

    // The one batch policy of every host (cosim-sim, the model library):
    // clocks up to `cycles` cycles and returns how many ran, fewer once a
    // condition of `flags` (cosim_model_run_flags) holds after a cycle or the
    // RTL called $finish. A waveform window opens and closes on its cycles.
    uint64_t run(uint64_t cycles, int flags)
    {
        uint64_t n = 0;
        while (n < cycles && !got_finish()) {
            tick();
            n++;
            if (cycles_ >= wave_edge_)
                wave_step();
            if (((flags & COSIM_RUN_STOP_OUTPUT) && cosim_q_out_pending()) ||
                ((flags & COSIM_RUN_STOP_URGENT) && cosim_shim_urgent()) ||
                ((flags & COSIM_RUN_STOP_IDLE) && cosim_shim_idle()) ||
                ((flags & COSIM_RUN_STOP_WAITING) && cosim_shim_waiting()))
                break;
        }
        return n;
    }

    // Holds rst_n low for `cycles` cycles, then lets go; returns the cycles run.
    uint64_t reset(uint64_t cycles)
    {
        set_reset(true);
        const uint64_t n = run(cycles, 0);
        set_reset(false);
        return n;
    }

    // What a host loop does once it has exchanged the messages of a batch
    // (enum cosim_model_next).
    int next() const
    {
        if (got_finish() || got_error() || cosim_shim_stopping())
            return COSIM_NEXT_STOP;
        if (cosim_shim_idle())
            return COSIM_NEXT_WAIT_INPUT;
        if (cosim_shim_waiting())
            return COSIM_NEXT_WAIT_DMA;
        return COSIM_NEXT_CLOCK;
    }

    void set_reset(bool active) { top_->rst_n = active ? 0 : 1; }
    uint64_t cycles() const { return cycles_; }
    bool got_finish() const { return ctx_->gotFinish(); }
    bool got_error() const { return ctx_->gotError(); }
    static bool can_trace() { return VM_TRACE != 0; }

    // Opens an FST file from the current cycle on (closing an open one
    // first). Returns false if the build has no tracing or the file cannot
    // be opened.
    bool trace_open(const std::string &path, int levels = 99)
    {
#if VM_TRACE
        trace_close();
        ctx_->traceEverOn(true);
        fst_ = std::make_unique<VerilatedFstC>();
        top_->trace(fst_.get(), levels);
        fst_->open(path.c_str());
        if (!fst_->isOpen()) {
            fst_.reset();
            return false;
        }
        return true;
#else
        (void)path;
        (void)levels;
        return false;
#endif
    }

    // Also ends a window run() keeps.
    void trace_close()
    {
        wave_edge_ = NO_EDGE;
        const std::string window = std::move(win_path_);
        win_path_.clear();
#if VM_TRACE
        if (!fst_)
            return;
        fst_->close();
        fst_.reset();
        if (!window.empty())
            cosim_shim_log(COSIM_LOG_INFO, "waveform %s closed at cycle %llu", window.c_str(),
                           static_cast<unsigned long long>(cycles_));
#endif
    }

    bool trace_is_open() const
    {
#if VM_TRACE
        return fst_ != nullptr;
#else
        return false;
#endif
    }

    // A waveform window run() keeps: `path` opened once cycles() reaches
    // `start` (now if it has), closed at `stop` (0: at finish). Replaces an
    // open waveform or a window not done. False if the build has no tracing.
    bool wave_window(const std::string &path, uint64_t start, uint64_t stop)
    {
        if (!can_trace())
            return false;
        trace_close();
        win_path_ = path;
        win_stop_ = stop;
        wave_edge_ = start;
        if (cycles_ >= wave_edge_)
            wave_step();
        return true;
    }

    // A window is set and not over (snapshots refuse: the copy would write the same file).
    bool wave_pending() const { return wave_edge_ != NO_EDGE || trace_is_open(); }

private:
    static constexpr uint64_t NO_EDGE = std::numeric_limits<uint64_t>::max();

    // The window's edge is reached: open it, or close it.
    void wave_step()
    {
        if (trace_is_open()) {
            trace_close();
            return;
        }
        const std::string path = win_path_;
        if (!trace_open(path)) { // its trace_close() ended the window
            cosim_shim_log(COSIM_LOG_ERROR, "cannot open waveform %s", path.c_str());
            return;
        }
        win_path_ = path;
        wave_edge_ = win_stop_ > cycles_ ? win_stop_ : NO_EDGE;
        cosim_shim_log(COSIM_LOG_INFO, "waveform %s opened at cycle %llu", path.c_str(),
                       static_cast<unsigned long long>(cycles_));
    }

    void dump()
    {
#if VM_TRACE
        if (fst_)
            fst_->dump(ctx_->time());
#endif
    }

    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Vsim> top_;
#if VM_TRACE
    std::unique_ptr<VerilatedFstC> fst_;
#endif
    bool finished_ = false;
    uint64_t cycles_ = 0;
    // The window run() keeps: the next cycle it opens or closes at (NO_EDGE: none).
    std::string win_path_;
    uint64_t win_stop_ = 0;
    uint64_t wave_edge_ = NO_EDGE;
};

#endif // COSIM_SIM_H
