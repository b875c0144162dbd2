// The clocking core shared by the cosim-sim harness (main.cpp) and the model
// library (dpi/model/model_api.cpp): one VerilatedContext and one Vsim model
// (verilator --prefix Vsim; the top's only inputs are clk and rst_n), a
// two-edge tick, and FST windows that can be opened and closed any number of
// times. Whoever constructs it must call every method from that one thread.
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
    // RTL called $finish. `after` runs after every cycle.
    template <class After> uint64_t run(uint64_t cycles, int flags, After &&after)
    {
        uint64_t n = 0;
        while (n < cycles && !got_finish()) {
            tick();
            n++;
            after();
            if (((flags & COSIM_RUN_STOP_OUTPUT) && cosim_q_out_pending()) ||
                ((flags & COSIM_RUN_STOP_URGENT) && cosim_shim_urgent()) ||
                ((flags & COSIM_RUN_STOP_IDLE) && cosim_shim_idle()))
                break;
        }
        return n;
    }
    uint64_t run(uint64_t cycles, int flags)
    {
        return run(cycles, flags, [] {});
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

    void trace_close()
    {
#if VM_TRACE
        if (!fst_)
            return;
        fst_->close();
        fst_.reset();
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

private:
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
};

#endif // COSIM_SIM_H
