// The listening socket of the admission listener: bound to a numeric
// address (IPv4 or IPv6), non-blocking, with a deep backlog.
#pragma once

#include <string>

namespace releasegate::server {

// A listening socket on host:port (port 0: any free one), or -1 with
// *error saying why; *bound_port is the port it got.
int listen_socket(const std::string& host, int port, int* bound_port, std::string* error);

}  // namespace releasegate::server
