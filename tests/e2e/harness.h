// End-to-end harness: real processes (ztm-gateway, a Python upstream, the ztm CLI), real TLS
// on 127.0.0.1 with a certificate made by the test, and a real HTTPS client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ztm::e2e {

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

// Runs a command to completion; returns its exit code and output.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_data = "");

// Makes a self-signed CA and a server certificate for 127.0.0.1/localhost signed by it
// (P-256) with the openssl command line: dir/ca.pem, dir/server.pem, dir/server.key.
void MakeTlsFiles(const std::string& dir);

// A child process whose stdout+stderr are captured line by line.
class Process {
 public:
  Process(const std::vector<std::string>& argv);
  ~Process();  // SIGKILL if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until a line containing `needle` appears; returns that line, or nullopt on timeout
  // or exit.
  std::optional<std::string> WaitForLine(const std::string& needle,
                                         std::chrono::milliseconds timeout);
  // Everything read so far.
  std::string Output();
  // Sends `signal` and waits up to `timeout` for exit; returns the exit code (or 128+signal,
  // or -1 on timeout).
  int Stop(int signal, std::chrono::milliseconds timeout);
  bool Running();

 private:
  void Drain(std::chrono::milliseconds wait);
  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string output_;
  std::optional<int> exit_code_;
};

// The Python upstream (tests/e2e/upstream.py).
class Upstream {
 public:
  explicit Upstream(const std::string& dir);
  std::uint16_t port() const { return port_; }
  // Complete requests the upstream has received, as JSON lines ({"method", "path",
  // "headers", "body_length", "body_sha256", and "body" when at most 64 KiB}).
  std::vector<std::string> Requests() const;
  // Requests whose body ended before its Content-Length (the sender closed the connection),
  // which the upstream neither recorded in Requests() nor answered, as JSON lines
  // ({"method", "path", "content_length", "received"}).
  std::vector<std::string> AbortedRequests() const;

 private:
  std::string log_;
  Process process_;
  std::uint16_t port_ = 0;
};

struct HttpsResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names lowercase
  std::string body;
  std::optional<std::string> Header(const std::string& name) const;
};

struct HttpsRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // Host is added unless given
  std::string body;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released), for a
// server whose configuration must name its port before it starts.
std::uint16_t FreePort();

// One request over a new TLS connection to 127.0.0.1:port, verifying the server certificate
// against `ca_file` and the name "localhost". Throws std::runtime_error on transport errors.
HttpsResponse Send(std::uint16_t port, const std::string& ca_file, const HttpsRequest& request);

}  // namespace ztm::e2e
