// Sending and receiving speaker control messages with SCM_RIGHTS.
#include "speaker_protocol.hpp"

#include "error.hpp"
#include "split.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>

namespace disorder {

void send_speaker_message(int sock, const std::vector<std::string>& fields, int fd) {
  std::string line = quote_fields(fields);
  if (line.size() > kSpeakerMessageMax) throw Error("speaker message too long");
  iovec iov{line.data(), line.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (fd >= 0) {
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  while (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) throw_errno("sending to the speaker channel");
  }
}

std::optional<SpeakerMessage> receive_speaker_message(int sock) {
  char buf[kSpeakerMessageMax + 1];
  iovec iov{buf, sizeof buf};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR) throw_errno("reading the speaker channel");
  }
  SpeakerMessage m;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (!m.fd)
          m.fd.reset(fd);
        else
          Fd extra(fd); // more than one: close the rest
      }
    }
  }
  if (n == 0) return std::nullopt;
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) throw SyntaxError("speaker message truncated");
  m.fields = split_fields(std::string_view(buf, static_cast<size_t>(n)));
  if (m.fields.empty()) throw SyntaxError("empty speaker message");
  return m;
}

} // namespace disorder
