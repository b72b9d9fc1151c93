#include "server/https_listener.h"

#include "server/listen_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <unordered_map>

#include "admission/admission_response.h"
#include "server/reply_mailbox.h"

namespace releasegate::server {

using Clock = std::chrono::steady_clock;

namespace {

constexpr int kEpollWaitMillis = 50;  // granularity of deadlines and stop checks
constexpr std::size_t kReadChunk = 16 * 1024;

HttpReply error_reply(int status, std::string_view reason, std::string_view message) {
  return {status, "application/json", admission::render_status(status, reason, message), {}, true};
}

}  // namespace

class HttpsListener::Loop {
 public:
  explicit Loop(HttpsListener& owner)
      : owner_(owner), epoll_fd_(epoll_create1(EPOLL_CLOEXEC)), mailbox_(std::make_shared<ReplyMailbox>()) {
    epoll_event ev{};
    // EPOLLEXCLUSIVE: one loop wakes per new connection, not all of them.
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.ptr = nullptr;  // the listening socket
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, owner_.listen_fd_, &ev);
    epoll_event mail{};
    mail.events = EPOLLIN;
    mail.data.ptr = mailbox_.get();
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, mailbox_->event_fd, &mail);
  }
  ~Loop() {
    {
      std::lock_guard lock(mailbox_->mutex);
      mailbox_->closed = true;
    }
    for (auto& [ptr, conn] : connections_) {
      if (!conn->closed) release(*conn);
    }
    ::close(epoll_fd_);
  }

  Responder responder(std::uint64_t request) const {
    return [mailbox = mailbox_, request](HttpReply reply) { mailbox->post(request, std::move(reply)); };
  }

  void run() {
    epoll_event events[64];
    bool listening = true;
    for (;;) {
      int n = epoll_wait(epoll_fd_, events, 64, kEpollWaitMillis);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.ptr == nullptr) {
          if (listening) accept_all();
          continue;
        }
        if (events[i].data.ptr == mailbox_.get()) {
          deliver_deferred();
          continue;
        }
        auto* conn = static_cast<Connection*>(events[i].data.ptr);
        if (!conn->closed) on_event(*conn, events[i].events);
      }
      bury();
      Clock::time_point now = Clock::now();
      if (owner_.stopping_.load()) {
        if (listening) {
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, owner_.listen_fd_, nullptr);
          listening = false;
          accept_paused_until_.reset();
        }
        close_idle();
        bury();
        if (connections_.empty() || now >= owner_.stop_deadline_) return;
      }
      if (listening) resume_accepting_if_due(now);
      expire(now);
      bury();
    }
  }

 private:
  // Waiting: the handler deferred its reply; nothing more is read until it comes.
  enum class Phase { Handshake, Head, Body, Waiting, Write };

  struct Connection {
    int fd = -1;
    SSL* ssl = nullptr;
    Phase phase = Phase::Handshake;
    std::string in;
    std::string out;
    std::size_t out_sent = 0;
    RequestHead head;
    std::size_t head_bytes = 0;
    std::size_t body_length = 0;
    bool request_started = false;  // bytes of a new request have arrived
    bool close_after_write = false;
    bool want_write = false;  // EPOLLOUT registered
    bool closed = false;      // released; erased from the map at the end of the loop iteration
    std::uint64_t waiting_for = 0;  // the deferred request, in Phase::Waiting
    Clock::time_point deadline;
  };

  void accept_all() {
    for (;;) {
      int fd = accept4(owner_.listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        // Out of file descriptors: the pending connection stays queued and
        // the level-triggered listener would wake this loop without end.
        // Stop listening for a moment instead of spinning.
        if (errno == EMFILE || errno == ENFILE) pause_accepting();
        return;  // EAGAIN, or a transient error: level-triggered, we come back
      }
      if (owner_.connections_.load() >= owner_.limits_.max_connections) {
        ::close(fd);  // over the limit: the client retries on another connection or replica
        continue;
      }
      int one = 1;
      // No Nagle: a reply must not wait for the client's delayed ACK.
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto conn = std::make_unique<Connection>();
      conn->fd = fd;
      // SSL_new takes its own reference: the context stays alive for this
      // connection even after a certificate rotation replaces it.
      conn->ssl = SSL_new(owner_.context_().get());
      // Non-blocking writes may complete partially and be retried from a
      // buffer that has since moved.
      SSL_set_mode(conn->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
      SSL_set_fd(conn->ssl, fd);
      SSL_set_accept_state(conn->ssl);
      conn->deadline = Clock::now() + owner_.limits_.handshake_timeout;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = conn.get();
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
      ++owner_.connections_;
      Connection* key = conn.get();
      connections_.emplace(key, std::move(conn));
    }
  }

  void pause_accepting() {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, owner_.listen_fd_, nullptr);
    accept_paused_until_ = Clock::now() + std::chrono::milliseconds(100);
  }

  void resume_accepting_if_due(Clock::time_point now) {
    if (!accept_paused_until_ || now < *accept_paused_until_) return;
    accept_paused_until_.reset();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.ptr = nullptr;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, owner_.listen_fd_, &ev);
  }

  void on_event(Connection& conn, uint32_t events) {
    // SSL_get_error reads this thread's error queue: start every
    // connection's work with it empty.
    ERR_clear_error();
    if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) return close(conn);
    if (conn.phase == Phase::Waiting) return;
    if (conn.phase == Phase::Handshake) {
      int r = SSL_do_handshake(conn.ssl);
      if (r != 1) {
        if (!wait_for_io(conn, r)) close(conn);
        return;
      }
      conn.phase = Phase::Head;
      conn.deadline = Clock::now() + owner_.limits_.idle_timeout;
    }
    if (conn.phase == Phase::Write && !flush(conn)) return;  // closed, or still waiting to write
    if (!read_available(conn)) return;
    process(conn);
  }

  // After SSL_ERROR_WANT_READ/WRITE, waits for the socket; false on a real error.
  bool wait_for_io(Connection& conn, int result) {
    switch (SSL_get_error(conn.ssl, result)) {
      case SSL_ERROR_WANT_READ: set_want_write(conn, false); return true;
      case SSL_ERROR_WANT_WRITE: set_want_write(conn, true); return true;
      default: return false;
    }
  }

  void set_want_write(Connection& conn, bool want) {
    if (conn.want_write != want) watch(conn, EPOLLIN | (want ? EPOLLOUT : 0u));
  }

  // Reads what TLS has for us. False when the connection was closed.
  bool read_available(Connection& conn) {
    // Never buffer more than the request in progress plus one more head.
    std::size_t cap = owner_.limits_.max_header_bytes + kReadChunk +
                      (conn.phase == Phase::Body ? conn.head_bytes + conn.body_length : 0);
    char buf[kReadChunk];
    while (conn.in.size() < cap) {
      int n = SSL_read(conn.ssl, buf, sizeof buf);
      if (n > 0) {
        conn.in.append(buf, static_cast<std::size_t>(n));
        // The socket is level-triggered: when OpenSSL holds nothing more,
        // stop here rather than pay a read(2) that would say EAGAIN; epoll
        // reports the socket again if more has arrived.
        if (!SSL_has_pending(conn.ssl)) break;
        continue;
      }
      if (!wait_for_io(conn, n)) {
        close(conn);  // closed by the client, or a TLS error
        return false;
      }
      break;
    }
    return true;
  }

  void process(Connection& conn) {
    const ListenerLimits& limits = owner_.limits_;
    while (!conn.closed && (conn.phase == Phase::Head || conn.phase == Phase::Body)) {
      if (conn.phase == Phase::Head) {
        if (conn.in.empty()) return;
        if (!conn.request_started) {
          conn.request_started = true;
          conn.deadline = Clock::now() + limits.request_timeout;
        }
        HeadParse parsed = parse_request_head(conn.in);
        if (parsed.status == HeadParse::Status::Incomplete) {
          if (conn.in.size() > limits.max_header_bytes) {
            refuse(conn, error_reply(431, "RequestHeaderFieldsTooLarge", "request head exceeds " +
                                                                             std::to_string(limits.max_header_bytes) +
                                                                             " bytes"));
          }
          return;
        }
        if (parsed.status == HeadParse::Status::Invalid) return refuse(conn, error_reply(400, "BadRequest", parsed.error));
        if (parsed.head_bytes > limits.max_header_bytes) {
          return refuse(conn, error_reply(431, "RequestHeaderFieldsTooLarge", "request head too large"));
        }
        conn.head = std::move(parsed.head);
        conn.head_bytes = parsed.head_bytes;
        std::size_t body_length = 0;
        if (auto refused = check_framing(conn.head, &body_length)) return refuse(conn, std::move(*refused));
        if (auto refused = owner_.check_(conn.head)) {
          refused->close = true;  // its body, if any, is never read
          return refuse(conn, std::move(*refused));
        }
        conn.body_length = body_length;
        conn.phase = Phase::Body;
      }
      if (conn.in.size() < conn.head_bytes + conn.body_length) return;
      std::string_view body(conn.in.data() + conn.head_bytes, conn.body_length);
      std::uint64_t request = ++requests_;
      std::optional<HttpReply> answer = handle(conn.head, body, Deferral(*this, request));
      conn.in.erase(0, conn.head_bytes + conn.body_length);
      if (!answer) return wait_for_reply(conn, request);
      answer->close = answer->close || conn.head.wants_close();
      reply(conn, std::move(*answer));
      // reply() leaves the phase at Head when the write completed; pipelined
      // bytes already in `in` are then processed by the next iteration.
    }
  }

  // A fault in one request must not take the loop, and every connection on
  // it, down with it: it becomes a 500 for that request.
  std::optional<HttpReply> handle(const RequestHead& head, std::string_view body, const Deferral& deferral) {
    try {
      return owner_.handler_(head, body, deferral);
    } catch (const std::exception& e) {
      return error_reply(500, "InternalError", std::string("internal error: ") + e.what());
    }
  }

  // Until the deferred reply arrives the socket is watched for errors only:
  // pipelined requests wait in the kernel, and a reset still closes it.
  void wait_for_reply(Connection& conn, std::uint64_t request) {
    conn.phase = Phase::Waiting;
    conn.waiting_for = request;
    waiting_.emplace(request, &conn);
    watch(conn, 0);
  }

  void deliver_deferred() {
    for (auto& [request, answer] : mailbox_->take()) {
      auto it = waiting_.find(request);
      if (it == waiting_.end()) continue;  // closed meanwhile (deadline, reset)
      Connection& conn = *it->second;
      waiting_.erase(it);
      watch(conn, EPOLLIN);
      answer.close = answer.close || conn.head.wants_close();
      reply(conn, std::move(answer));
      process(conn);  // requests pipelined behind it
    }
  }

  void watch(Connection& conn, uint32_t events) {
    conn.want_write = (events & EPOLLOUT) != 0;
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &conn;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &ev);
  }

  // Only bodies with one bounded Content-Length are read.
  std::optional<HttpReply> check_framing(const RequestHead& head, std::size_t* body_length) {
    if (head.header("transfer-encoding")) {
      return error_reply(411, "LengthRequired", "chunked request bodies are not accepted; send Content-Length");
    }
    bool malformed = false;
    std::optional<std::size_t> length = head.content_length(&malformed);
    if (malformed) return error_reply(400, "BadRequest", "invalid Content-Length");
    if (!length) {
      if (head.method == "POST" || head.method == "PUT" || head.method == "PATCH") {
        return error_reply(411, "LengthRequired", "Content-Length is required");
      }
      length = 0;
    }
    if (*length > owner_.limits_.max_body_bytes) {
      return error_reply(413, "RequestEntityTooLarge",
                         "request body of " + std::to_string(*length) + " bytes exceeds the limit of " +
                             std::to_string(owner_.limits_.max_body_bytes) + " bytes");
    }
    *body_length = *length;
    return std::nullopt;
  }

  void refuse(Connection& conn, HttpReply answer) {
    if (owner_.refused_) owner_.refused_(answer.status);
    reply(conn, std::move(answer));
  }

  void reply(Connection& conn, HttpReply answer) {
    bool close_after = answer.close || owner_.stopping_.load();
    conn.out = serialize_response(answer.status, answer.content_type, answer.body, close_after, answer.headers);
    conn.out_sent = 0;
    conn.close_after_write = close_after;
    conn.phase = Phase::Write;
    conn.deadline = Clock::now() + owner_.limits_.write_timeout;
    flush(conn);
  }

  // Writes pending output. True when it is all written and the connection
  // stays open (phase back to Head); false when closed or still waiting.
  bool flush(Connection& conn) {
    while (conn.out_sent < conn.out.size()) {
      int n = SSL_write(conn.ssl, conn.out.data() + conn.out_sent, static_cast<int>(conn.out.size() - conn.out_sent));
      if (n > 0) {
        conn.out_sent += static_cast<std::size_t>(n);
        continue;
      }
      if (!wait_for_io(conn, n)) close(conn);
      return false;
    }
    conn.out.clear();
    conn.out_sent = 0;
    set_want_write(conn, false);
    if (conn.close_after_write) {
      SSL_shutdown(conn.ssl);  // best effort close_notify; never waited for
      close(conn);
      return false;
    }
    conn.phase = Phase::Head;
    conn.request_started = false;
    conn.head_bytes = conn.body_length = 0;
    conn.deadline = Clock::now() + owner_.limits_.idle_timeout;
    return true;
  }

  // Idle: between requests, nothing received. What already waits in the
  // socket counts as received (the loop may not have read it yet): a
  // request sent just before the shutdown is answered, not cut.
  void close_idle() {
    std::vector<Connection*> idle;
    for (auto& [ptr, conn] : connections_) {
      if (!conn->closed && conn->phase == Phase::Head && conn->in.empty()) idle.push_back(ptr);
    }
    for (Connection* conn : idle) {
      ERR_clear_error();
      if (!read_available(*conn)) continue;  // closed by the client meanwhile
      if (conn->in.empty()) {
        say_goodbye(*conn);
      } else {
        process(*conn);
      }
    }
  }

  void expire(Clock::time_point now) {
    std::vector<Connection*> expired;
    for (auto& [ptr, conn] : connections_) {
      if (!conn->closed && now >= conn->deadline) expired.push_back(ptr);
    }
    for (Connection* conn : expired) say_goodbye(*conn);
  }

  // Closes with a TLS close_notify where the handshake is done, so the
  // client sees an orderly close rather than a truncated stream.
  void say_goodbye(Connection& conn) {
    if (conn.phase != Phase::Handshake) SSL_shutdown(conn.ssl);
    ERR_clear_error();
    close(conn);
  }

  void release(Connection& conn) {
    SSL_free(conn.ssl);
    ::close(conn.fd);
    --owner_.connections_;
  }

  // Releases the socket at once; the Connection itself is freed by bury(),
  // after every caller up the stack has seen `closed`.
  void close(Connection& conn) {
    if (conn.phase == Phase::Waiting) waiting_.erase(conn.waiting_for);
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn.fd, nullptr);
    release(conn);
    conn.closed = true;
    graveyard_.push_back(&conn);
  }

  void bury() {
    for (Connection* conn : graveyard_) connections_.erase(conn);
    graveyard_.clear();
  }

  HttpsListener& owner_;
  int epoll_fd_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> graveyard_;
  std::optional<Clock::time_point> accept_paused_until_;
  std::shared_ptr<ReplyMailbox> mailbox_;
  std::uint64_t requests_ = 0;
  std::unordered_map<std::uint64_t, Connection*> waiting_;  // deferred replies awaited, by request
};

Responder HttpsListener::Deferral::defer() const { return loop_.responder(request_); }

HttpsListener::HttpsListener(ContextProvider context, ListenerLimits limits, HeadCheck check, Handler handler,
                             RefusalObserver refused)
    : context_(std::move(context)),
      limits_(limits),
      check_(std::move(check)),
      handler_(std::move(handler)),
      refused_(std::move(refused)) {}

HttpsListener::~HttpsListener() {
  stop(std::chrono::milliseconds(0));
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool HttpsListener::bind(const std::string& host, int port, std::string* error) {
  listen_fd_ = listen_socket(host, port, &port_, error);
  return listen_fd_ >= 0;
}

void HttpsListener::start(std::size_t threads) {
  // OpenSSL writes to sockets with write(2): a client that went away must
  // be an error on that connection, not SIGPIPE for the process.
  std::signal(SIGPIPE, SIG_IGN);
  for (std::size_t i = 0; i < threads; ++i) loops_.push_back(std::make_unique<Loop>(*this));
  for (auto& loop : loops_) threads_.emplace_back([l = loop.get()] { l->run(); });
  running_ = true;
}

void HttpsListener::stop(std::chrono::milliseconds grace) {
  if (threads_.empty()) return;
  stop_deadline_ = Clock::now() + grace;
  stopping_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
  loops_.clear();
  running_ = false;
}

}  // namespace releasegate::server
