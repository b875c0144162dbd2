// ForkedCopy (model_fork.h): fork(), a socket pair, and a request loop in
// the copy that never returns to the host.
#include "model_fork.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace {

// Whole transfers; MSG_NOSIGNAL: a peer that went away is an error, not a SIGPIPE.
bool send_all(int fd, const void *p, size_t n)
{
    auto *b = static_cast<const uint8_t *>(p);
    while (n) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        b += k;
        n -= static_cast<size_t>(k);
    }
    return true;
}

// 1 read, 0 end of file before the first byte, -1 error or end of file midway.
int recv_all(int fd, void *p, size_t n)
{
    auto *b = static_cast<uint8_t *>(p);
    size_t got = 0;
    while (got < n) {
        ssize_t k = recv(fd, b + got, n - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k == 0 && got == 0 ? 0 : -1;
        got += static_cast<size_t>(k);
    }
    return 1;
}

// Every descriptor but stdio and the copy's socket: the copy must not hold
// its parent's sockets, files or sibling copies' sockets open.
void close_others(int keep)
{
    if (keep > 3)
        syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u);
    syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u);
}

[[noreturn]] void serve_loop(int fd, ForkServe serve)
{
    ForkRequest req;
    std::vector<uint8_t> in, out;
    for (;;) {
        if (recv_all(fd, &req, sizeof req) != 1)
            _exit(0); // the parent is gone, or closed us
        in.resize(req.len);
        if (req.len && recv_all(fd, in.data(), req.len) != 1)
            _exit(0);
        ForkReply rep{};
        out.clear();
        serve(req, in, rep, out);
        rep.len = static_cast<uint32_t>(out.size());
        if (!send_all(fd, &rep, sizeof rep) || (!out.empty() && !send_all(fd, out.data(), out.size())) || rep.last)
            _exit(0);
    }
}

} // namespace

std::unique_ptr<ForkedCopy> ForkedCopy::spawn(void (*in_copy)(), ForkServe serve, std::string &err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        err = std::string("socketpair: ") + std::strerror(errno);
        return nullptr;
    }
    // Output buffered now would be written twice, by the parent and by the copy.
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
        err = std::string("fork: ") + std::strerror(errno);
        close(sv[0]);
        close(sv[1]);
        return nullptr;
    }
    if (pid == 0) {
        close_others(sv[1]);
        // The host's handlers are of no use here (their pipes are closed): a
        // Ctrl-C ends the copy as it ends its parent.
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        in_copy();
        serve_loop(sv[1], serve);
    }
    close(sv[1]);
    return std::unique_ptr<ForkedCopy>(new ForkedCopy(pid, sv[0]));
}

ForkedCopy::~ForkedCopy() { end(); }

void ForkedCopy::disown()
{
    pid_ = -1;
    fd_ = -1; // closed already: close_others() took every descriptor but the copy's own
}

void ForkedCopy::end()
{
    if (fd_ >= 0)
        close(fd_);
    fd_ = -1;
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    pid_ = -1;
}

bool ForkedCopy::call(const ForkRequest &req, const void *data, ForkReply &rep, std::vector<uint8_t> &out,
                      std::string &err)
{
    if (pid_ <= 0) {
        err = "the snapshot's process has ended";
        return false;
    }
    const pid_t pid = pid_;
    if (send_all(fd_, &req, sizeof req) && (!req.len || send_all(fd_, data, req.len)) &&
        recv_all(fd_, &rep, sizeof rep) == 1) {
        out.resize(rep.len);
        if (!rep.len || recv_all(fd_, out.data(), rep.len) == 1) {
            if (rep.last)
                end();
            return true;
        }
    }
    int status = 0;
    bool reaped = false;
    if (fd_ >= 0)
        close(fd_);
    fd_ = -1;
    kill(pid_, SIGKILL);
    reaped = waitpid(pid_, &status, 0) == pid_;
    pid_ = -1;
    char why[160];
    if (reaped && WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
        std::snprintf(why, sizeof why, "the snapshot's process (pid %d) died of signal %d (%s)", static_cast<int>(pid),
                      WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        std::snprintf(why, sizeof why, "the snapshot's process (pid %d) stopped answering", static_cast<int>(pid));
    err = why;
    return false;
}
