// A stopped copy of this process made with fork(), the way XiangShan's
// LightSSS keeps simulation snapshots: the copy holds the model, the shim's
// queues and everything else as they were at the fork, and answers requests
// over a socket pair. The model library (model_api.cpp) keeps such copies as
// snapshots and, once one is restored, forwards every call to it.
//
// The copy runs only the calling thread (fork() keeps no other), so it must
// never return to its host (Node, say): it serves requests and leaves with
// _exit(). It ends when asked, when it is killed, or when its parent goes
// away (the socket reads end of file).
#ifndef COSIM_MODEL_FORK_H
#define COSIM_MODEL_FORK_H

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct ForkRequest {
    uint32_t op;
    uint32_t len; // bytes of data after the request
    uint64_t a;
    uint64_t b;
};
static_assert(sizeof(ForkRequest) == 24, "ForkRequest is 24 bytes on the socket");

struct ForkReply {
    uint64_t r;
    uint32_t len; // bytes of data after the reply
    uint32_t last; // 1: the copy exits after this reply
};
static_assert(sizeof(ForkReply) == 16, "ForkReply is 16 bytes on the socket");

// In the copy: answers one request, filling rep.r, rep.last and `out`.
using ForkServe = void (*)(const ForkRequest &req, const std::vector<uint8_t> &in, ForkReply &rep,
                           std::vector<uint8_t> &out);

class ForkedCopy {
public:
    // fork()s. The copy first runs `in_copy` (to let go of what belongs to
    // the parent), then serves requests with `serve`. nullptr with `err` set
    // if the fork fails.
    static std::unique_ptr<ForkedCopy> spawn(void (*in_copy)(), ForkServe serve, std::string &err);

    // Kills and reaps the copy if it is still there.
    ~ForkedCopy();
    ForkedCopy(const ForkedCopy &) = delete;
    ForkedCopy &operator=(const ForkedCopy &) = delete;

    // One request and its reply. false if the copy is gone or answers
    // nonsense, with `err` saying so; the copy is then killed.
    bool call(const ForkRequest &req, const void *data, ForkReply &rep, std::vector<uint8_t> &out, std::string &err);

    // In a copy: forget this (a sibling's) handle without touching its process.
    void disown();

    pid_t pid() const { return pid_; }

private:
    ForkedCopy(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
    void end();

    pid_t pid_;
    int fd_;
};

#endif // COSIM_MODEL_FORK_H
