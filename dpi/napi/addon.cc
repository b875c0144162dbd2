// cosim_addon: the N-API addon that loads model libraries into Node.
//
// It knows no design: a model library (libcosim-model.so, built by
// scripts/build-rtl.sh --lib from any top with the SV bridge endpoint) is
// dlopen()ed by path and driven through its C ABI (dpi/include/cosim_model.h).
// Wire messages cross as Buffers, exactly the protocol's frames (a 40-byte
// header, an optional payload), so TypeScript decodes them with
// bridge/src/protocol/wire.ts; the shim's queue layer validates what goes in.
//
// Threads: Verilator wants the thread that constructs a model to evaluate it.
// Every call here runs on the JavaScript thread that created the Model, and
// is refused from any other. run() is bounded by its cycle count: the
// TypeScript side (bridge/src/model/native.ts) runs in batches and yields
// to the event loop between them.
#include <napi.h>

#include <dlfcn.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cosim_model.h"

namespace {

// The library's entry points; a library is loaded once and never unloaded
// (Verilator's runtime keeps static state that outlives a model).
struct Lib {
    std::string path;
    void *handle = nullptr;
    int (*abi)(void) = nullptr;
    const char *(*top)(void) = nullptr;
    cosim_model *(*create)(const cosim_model_opts *, char *, size_t) = nullptr;
    void (*destroy)(cosim_model *) = nullptr;
    void (*set_reset)(cosim_model *, int) = nullptr;
    uint64_t (*run)(cosim_model *, uint64_t, int) = nullptr;
    uint64_t (*cycles)(const cosim_model *) = nullptr;
    uint64_t (*bridge_cycle)(const cosim_model *) = nullptr; // optional: added within ABI 1
    int (*push)(cosim_model *, const uint8_t *, size_t, const uint8_t *, size_t, size_t) = nullptr;
    int (*peek)(cosim_model *, uint8_t *, const uint8_t **, uint32_t *) = nullptr;
    void (*pop)(cosim_model *) = nullptr;
    int (*state)(const cosim_model *) = nullptr;
    int (*trace_open)(cosim_model *, const char *) = nullptr;
    void (*trace_close)(cosim_model *) = nullptr;
    void (*stats)(const cosim_model *, cosim_shim_stats *) = nullptr;
    const char *(*stop_reason)(const cosim_model *) = nullptr;
    // optional: added within ABI 1
    int (*snapshot)(cosim_model *, char *, size_t) = nullptr;
    int (*restore)(cosim_model *, int, char *, size_t) = nullptr;
    void (*snapshot_drop)(cosim_model *, int) = nullptr;
    uint64_t (*reset)(cosim_model *, uint64_t) = nullptr;
    int (*next)(const cosim_model *) = nullptr;
    int (*wave_window)(cosim_model *, const char *, uint64_t, uint64_t) = nullptr;
};

std::map<std::string, std::shared_ptr<Lib>> g_libs;

template <typename F> void bind(Lib &l, F &f, const char *name)
{
    void *p = dlsym(l.handle, name);
    if (!p)
        throw std::runtime_error(l.path + " does not export " + name + ": not a cosim model library (build it with "
                                                                        "scripts/build-rtl.sh --lib)");
    f = reinterpret_cast<F>(p);
}

std::shared_ptr<Lib> load(const std::string &path)
{
    char real[4096];
    std::string key = realpath(path.c_str(), real) ? std::string(real) : path;
    auto it = g_libs.find(key);
    if (it != g_libs.end())
        return it->second;
    auto l = std::make_shared<Lib>();
    l->path = key;
    // RTLD_LOCAL: two model libraries carry two Verilator runtimes and two
    // shims; their symbols are hidden anyway (version script), keep them apart.
    l->handle = dlopen(key.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!l->handle)
        throw std::runtime_error(std::string("cannot load model library: ") + dlerror());
    bind(*l, l->abi, "cosim_model_abi");
    if (l->abi() != COSIM_MODEL_ABI)
        throw std::runtime_error(key + " has model ABI " + std::to_string(l->abi()) + ", this addon speaks " +
                                 std::to_string(COSIM_MODEL_ABI) + ": rebuild it with scripts/build-rtl.sh --lib");
    bind(*l, l->top, "cosim_model_top");
    bind(*l, l->create, "cosim_model_create");
    bind(*l, l->destroy, "cosim_model_destroy");
    bind(*l, l->set_reset, "cosim_model_set_reset");
    bind(*l, l->run, "cosim_model_run");
    bind(*l, l->cycles, "cosim_model_cycles");
    bind(*l, l->push, "cosim_model_push");
    bind(*l, l->peek, "cosim_model_peek");
    bind(*l, l->pop, "cosim_model_pop");
    bind(*l, l->state, "cosim_model_state");
    bind(*l, l->trace_open, "cosim_model_trace_open");
    bind(*l, l->trace_close, "cosim_model_trace_close");
    bind(*l, l->stats, "cosim_model_stats");
    bind(*l, l->stop_reason, "cosim_model_stop_reason");
    l->bridge_cycle = reinterpret_cast<decltype(l->bridge_cycle)>(dlsym(l->handle, "cosim_model_bridge_cycle"));
    l->snapshot = reinterpret_cast<decltype(l->snapshot)>(dlsym(l->handle, "cosim_model_snapshot"));
    l->restore = reinterpret_cast<decltype(l->restore)>(dlsym(l->handle, "cosim_model_restore"));
    l->snapshot_drop = reinterpret_cast<decltype(l->snapshot_drop)>(dlsym(l->handle, "cosim_model_snapshot_drop"));
    l->reset = reinterpret_cast<decltype(l->reset)>(dlsym(l->handle, "cosim_model_reset"));
    l->next = reinterpret_cast<decltype(l->next)>(dlsym(l->handle, "cosim_model_next"));
    l->wave_window = reinterpret_cast<decltype(l->wave_window)>(dlsym(l->handle, "cosim_model_wave_window"));
    g_libs[key] = l;
    return l;
}

class Model : public Napi::ObjectWrap<Model> {
public:
    static Napi::Function Init(Napi::Env env)
    {
        return DefineClass(env, "Model",
                           {
                               InstanceMethod<&Model::Run>("run"),
                               InstanceMethod<&Model::SetReset>("setReset"),
                               InstanceMethod<&Model::Reset>("reset"),
                               InstanceMethod<&Model::Next>("next"),
                               InstanceMethod<&Model::WaveWindow>("waveWindow"),
                               InstanceMethod<&Model::Cycles>("cycles"),
                               InstanceMethod<&Model::BridgeCycle>("bridgeCycle"),
                               InstanceMethod<&Model::Push>("push"),
                               InstanceMethod<&Model::Drain>("drain"),
                               InstanceMethod<&Model::State>("state"),
                               InstanceMethod<&Model::TraceOpen>("traceOpen"),
                               InstanceMethod<&Model::TraceClose>("traceClose"),
                               InstanceMethod<&Model::Stats>("stats"),
                               InstanceMethod<&Model::StopReason>("stopReason"),
                               InstanceMethod<&Model::Top>("top"),
                               InstanceMethod<&Model::Snapshot>("snapshot"),
                               InstanceMethod<&Model::Restore>("restore"),
                               InstanceMethod<&Model::DropSnapshot>("dropSnapshot"),
                               InstanceMethod<&Model::Close>("close"),
                           });
    }

    // new Model(path, { name?, logLevel?, plusargs?: string[] })
    Model(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Model>(info), owner_(std::this_thread::get_id())
    {
        Napi::Env env = info.Env();
        if (info.Length() < 1 || !info[0].IsString())
            throw Napi::TypeError::New(env, "new Model(path, options?): path must be a string");
        std::string name = "dev0";
        int log_level = COSIM_LOG_WARN;
        std::vector<std::string> args;
        if (info.Length() > 1 && info[1].IsObject()) {
            Napi::Object o = info[1].As<Napi::Object>();
            if (o.Has("name") && o.Get("name").IsString())
                name = o.Get("name").As<Napi::String>().Utf8Value();
            if (o.Has("logLevel") && o.Get("logLevel").IsNumber())
                log_level = o.Get("logLevel").As<Napi::Number>().Int32Value();
            if (o.Has("plusargs") && o.Get("plusargs").IsArray()) {
                Napi::Array a = o.Get("plusargs").As<Napi::Array>();
                for (uint32_t i = 0; i < a.Length(); i++)
                    args.push_back(a.Get(i).ToString().Utf8Value());
            }
        }
        try {
            lib_ = load(info[0].As<Napi::String>().Utf8Value());
        } catch (const std::exception &e) {
            throw Napi::Error::New(env, e.what());
        }
        std::vector<const char *> argv;
        for (auto &a : args)
            argv.push_back(a.c_str());
        cosim_model_opts o{};
        o.name = name.c_str();
        o.log_level = log_level;
        o.argc = static_cast<int>(argv.size());
        o.argv = argv.data();
        char err[512] = "";
        m_ = lib_->create(&o, err, sizeof err);
        if (!m_)
            throw Napi::Error::New(env, std::string("cannot create the model from ") + lib_->path + ": " + err);
    }

    ~Model() override { destroy(); }

private:
    void destroy()
    {
        if (m_) {
            lib_->destroy(m_);
            m_ = nullptr;
        }
    }

    cosim_model *live(const Napi::CallbackInfo &info)
    {
        if (std::this_thread::get_id() != owner_)
            throw Napi::Error::New(info.Env(), "a model must be driven by the thread that created it (Verilator's "
                                               "eval-thread rule)");
        if (!m_)
            throw Napi::Error::New(info.Env(), "the model is closed");
        return m_;
    }

    static uint64_t u64(const Napi::Value &v)
    {
        if (v.IsBigInt()) {
            bool lossless;
            return v.As<Napi::BigInt>().Uint64Value(&lossless);
        }
        double d = v.ToNumber().DoubleValue();
        return d > 0 ? static_cast<uint64_t>(d) : 0;
    }

    // run(cycles, flags = 0) -> cycles run
    Napi::Value Run(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        uint64_t n = info.Length() > 0 ? u64(info[0]) : 1;
        int flags = info.Length() > 1 ? info[1].ToNumber().Int32Value() : 0;
        return Napi::Number::New(info.Env(), static_cast<double>(lib_->run(m, n, flags)));
    }

    Napi::Value SetReset(const Napi::CallbackInfo &info)
    {
        lib_->set_reset(live(info), info.Length() > 0 && info[0].ToBoolean().Value());
        return info.Env().Undefined();
    }

    // An optional entry point, or an error that says to rebuild the library.
    template <typename F> F need(const Napi::CallbackInfo &info, F f, const char *name)
    {
        if (!f)
            throw Napi::Error::New(info.Env(), lib_->path + " predates " + name +
                                                   ": rebuild it with scripts/build-rtl.sh --lib");
        return f;
    }

    // reset(cycles) -> cycles run: rst_n held low that long, then released
    Napi::Value Reset(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        auto reset = need(info, lib_->reset, "cosim_model_reset");
        return Napi::Number::New(info.Env(), static_cast<double>(reset(m, info.Length() > 0 ? u64(info[0]) : 0)));
    }

    // next() -> what the host loop does now (enum cosim_model_next)
    Napi::Value Next(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        return Napi::Number::New(info.Env(), need(info, lib_->next, "cosim_model_next")(m));
    }

    // waveWindow(path, start, stop) -> false if the build has no FST or stop is not after start
    Napi::Value WaveWindow(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        auto window = need(info, lib_->wave_window, "cosim_model_wave_window");
        if (info.Length() < 3 || !info[0].IsString())
            throw Napi::TypeError::New(info.Env(), "waveWindow(path: string, start: number, stop: number)");
        const std::string path = info[0].As<Napi::String>().Utf8Value();
        return Napi::Boolean::New(info.Env(), window(m, path.c_str(), u64(info[1]), u64(info[2])) == 0);
    }

    Napi::Value Cycles(const Napi::CallbackInfo &info)
    {
        return Napi::BigInt::New(info.Env(), lib_->cycles(live(info)));
    }

    // bridgeCycle() -> the cycle the SV bridge last passed to the shim (the HDL side's clock on the wire)
    Napi::Value BridgeCycle(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        return Napi::BigInt::New(info.Env(), need(info, lib_->bridge_cycle, "cosim_model_bridge_cycle")(m));
    }

    // push(header: Buffer, payload?: Buffer) -> true if taken
    Napi::Value Push(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        if (info.Length() < 1 || !info[0].IsBuffer())
            throw Napi::TypeError::New(info.Env(), "push(header: Buffer, payload?: Buffer)");
        auto h = info[0].As<Napi::Buffer<uint8_t>>();
        const uint8_t *p = nullptr;
        size_t plen = 0, frames = 1;
        if (info.Length() > 1 && info[1].IsBuffer()) {
            auto b = info[1].As<Napi::Buffer<uint8_t>>();
            p = b.Data();
            plen = b.Length();
            frames = 2;
        }
        return Napi::Boolean::New(info.Env(), lib_->push(m, h.Data(), h.Length(), p, plen, frames) != 0);
    }

    // drain() -> Buffer[][] (each [header] or [header, payload]), or null if nothing is queued
    Napi::Value Drain(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        Napi::Env env = info.Env();
        uint8_t hdr[40];
        const uint8_t *payload;
        uint32_t plen;
        if (!lib_->peek(m, hdr, &payload, &plen))
            return env.Null();
        Napi::Array out = Napi::Array::New(env);
        uint32_t i = 0;
        do {
            Napi::Array frames = Napi::Array::New(env, plen ? 2 : 1);
            frames.Set(0u, Napi::Buffer<uint8_t>::Copy(env, hdr, sizeof hdr));
            if (plen)
                frames.Set(1u, Napi::Buffer<uint8_t>::Copy(env, payload, plen));
            out.Set(i++, frames);
            lib_->pop(m);
        } while (lib_->peek(m, hdr, &payload, &plen));
        return out;
    }

    Napi::Value State(const Napi::CallbackInfo &info)
    {
        return Napi::Number::New(info.Env(), lib_->state(live(info)));
    }

    Napi::Value TraceOpen(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        if (info.Length() < 1 || !info[0].IsString())
            throw Napi::TypeError::New(info.Env(), "traceOpen(path: string)");
        return Napi::Boolean::New(info.Env(), lib_->trace_open(m, info[0].As<Napi::String>().Utf8Value().c_str()) == 0);
    }

    Napi::Value TraceClose(const Napi::CallbackInfo &info)
    {
        lib_->trace_close(live(info));
        return info.Env().Undefined();
    }

    Napi::Value Stats(const Napi::CallbackInfo &info)
    {
        cosim_shim_stats s{};
        lib_->stats(live(info), &s);
        Napi::Env env = info.Env();
        Napi::Object o = Napi::Object::New(env);
        auto set = [&](const char *k, uint64_t v) { o.Set(k, Napi::Number::New(env, static_cast<double>(v))); };
        set("msgsIn", s.msgs_in);
        set("msgsOut", s.msgs_out);
        set("bytesIn", s.bytes_in);
        set("bytesOut", s.bytes_out);
        set("badFrames", s.bad_frames);
        set("errorsSent", s.errors_sent);
        set("errorsReceived", s.errors_received);
        set("mmioReads", s.mmio_reads);
        set("mmioWrites", s.mmio_writes);
        set("dmaReads", s.dma_reads);
        set("dmaReadBytes", s.dma_read_bytes);
        set("dmaWrites", s.dma_writes);
        set("dmaWriteBytes", s.dma_write_bytes);
        set("msix", s.msix);
        set("nicTxFrames", s.nic_tx_frames);
        set("nicRxFrames", s.nic_rx_frames);
        set("uartTxBytes", s.uart_tx_bytes);
        set("uartRxBytes", s.uart_rx_bytes);
        set("resets", s.resets);
        return o;
    }

    Napi::Value StopReason(const Napi::CallbackInfo &info)
    {
        return Napi::String::New(info.Env(), lib_->stop_reason(live(info)));
    }

    Napi::Value Top(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), lib_->top()); }

    void need_snapshots(const Napi::CallbackInfo &info)
    {
        if (!lib_->snapshot || !lib_->restore || !lib_->snapshot_drop)
            throw Napi::Error::New(info.Env(), lib_->path + " predates snapshots (cosim_model_snapshot): rebuild it "
                                                            "with scripts/build-rtl.sh --lib");
    }

    // snapshot() -> id: a fork()ed copy of this process holding the model as it is now
    Napi::Value Snapshot(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        need_snapshots(info);
        char err[256] = "";
        int id = lib_->snapshot(m, err, sizeof err);
        if (id < 0)
            throw Napi::Error::New(info.Env(), std::string("cannot take a snapshot: ") + err);
        return Napi::Number::New(info.Env(), id);
    }

    // restore(id): the model carries on from that snapshot
    Napi::Value Restore(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        need_snapshots(info);
        char err[256] = "";
        if (lib_->restore(m, info.Length() > 0 ? info[0].ToNumber().Int32Value() : -1, err, sizeof err) != 0)
            throw Napi::Error::New(info.Env(), std::string("cannot restore: ") + err);
        return info.Env().Undefined();
    }

    Napi::Value DropSnapshot(const Napi::CallbackInfo &info)
    {
        cosim_model *m = live(info);
        need_snapshots(info);
        lib_->snapshot_drop(m, info.Length() > 0 ? info[0].ToNumber().Int32Value() : -1);
        return info.Env().Undefined();
    }

    Napi::Value Close(const Napi::CallbackInfo &info)
    {
        if (std::this_thread::get_id() != owner_)
            throw Napi::Error::New(info.Env(), "close() from another thread than the model's");
        destroy();
        return info.Env().Undefined();
    }

    std::thread::id owner_;
    std::shared_ptr<Lib> lib_;
    cosim_model *m_ = nullptr;
};

Napi::Object Init(Napi::Env env, Napi::Object exports)
{
    exports.Set("Model", Model::Init(env));
    exports.Set("abi", Napi::Number::New(env, COSIM_MODEL_ABI));
    Napi::Object flags = Napi::Object::New(env);
    flags.Set("STOP_URGENT", Napi::Number::New(env, COSIM_RUN_STOP_URGENT));
    flags.Set("STOP_OUTPUT", Napi::Number::New(env, COSIM_RUN_STOP_OUTPUT));
    flags.Set("STOP_IDLE", Napi::Number::New(env, COSIM_RUN_STOP_IDLE));
    flags.Set("STOP_WAITING", Napi::Number::New(env, COSIM_RUN_STOP_WAITING));
    flags.Set("STEP", Napi::Number::New(env, COSIM_RUN_STEP));
    exports.Set("runFlags", flags);
    Napi::Object next = Napi::Object::New(env);
    next.Set("CLOCK", Napi::Number::New(env, COSIM_NEXT_CLOCK));
    next.Set("WAIT_INPUT", Napi::Number::New(env, COSIM_NEXT_WAIT_INPUT));
    next.Set("WAIT_DMA", Napi::Number::New(env, COSIM_NEXT_WAIT_DMA));
    next.Set("STOP", Napi::Number::New(env, COSIM_NEXT_STOP));
    exports.Set("next", next);
    Napi::Object st = Napi::Object::New(env);
    st.Set("IDLE", Napi::Number::New(env, COSIM_STATE_IDLE));
    st.Set("WAITING", Napi::Number::New(env, COSIM_STATE_WAITING));
    st.Set("URGENT", Napi::Number::New(env, COSIM_STATE_URGENT));
    st.Set("STOPPING", Napi::Number::New(env, COSIM_STATE_STOPPING));
    st.Set("FINISHED", Napi::Number::New(env, COSIM_STATE_FINISHED));
    st.Set("ERROR", Napi::Number::New(env, COSIM_STATE_ERROR));
    exports.Set("stateBits", st);
    return exports;
}

} // namespace

NODE_API_MODULE(cosim_addon, Init)
