#include "e2e/harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ztm::e2e {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

TempDir::TempDir() {
  char pattern[] = "/tmp/ztm-e2e-XXXXXX";
  const char* made = mkdtemp(pattern);
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult RunCommand(const std::vector<std::string>& argv_in, const std::string& stdin_data) {
  TempDir io;
  WriteFile(io.File("in"), stdin_data);
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(io.File("in").c_str(), O_RDONLY);
    int out = open(io.File("out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(io.File("err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<std::string> args = argv_in;
    auto argv = Argv(args);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(io.File("out"));
  result.err = ReadFile(io.File("err"));
  return result;
}

void MakeTlsFiles(const std::string& dir) {
  const std::string ext = dir + "/san.cnf";
  WriteFile(ext, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", dir + "/ca.key", "-out", dir + "/ca.pem", "-subj", "/CN=ztm e2e test CA", "-days",
       "2"},
      {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", dir + "/server.key", "-out", dir + "/server.csr", "-subj", "/CN=localhost"},
      {"openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem", "-CAkey",
       dir + "/ca.key", "-CAcreateserial", "-out", dir + "/server.pem", "-days", "2", "-extfile",
       ext},
  };
  for (const auto& step : steps) {
    CommandResult result = RunCommand(step);
    if (result.exit_code != 0) throw std::runtime_error("openssl failed: " + result.err);
  }
}

Process::Process(const std::vector<std::string>& argv_in) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    close(fds[0]);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    std::vector<std::string> args = argv_in;
    auto argv = Argv(args);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  output_fd_ = fds[0];
  fcntl(output_fd_, F_SETFL, O_NONBLOCK);
}

Process::~Process() {
  if (Running()) Stop(SIGKILL, std::chrono::milliseconds(5000));
  if (output_fd_ >= 0) close(output_fd_);
}

void Process::Drain(std::chrono::milliseconds wait) {
  pollfd pfd{output_fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(wait.count())) <= 0) return;
  char buffer[4096];
  while (true) {
    ssize_t n = read(output_fd_, buffer, sizeof buffer);
    if (n <= 0) break;
    output_.append(buffer, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> Process::WaitForLine(const std::string& needle,
                                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    Drain(std::chrono::milliseconds(50));
    std::size_t at = output_.find(needle);
    if (at != std::string::npos) {
      std::size_t start = output_.rfind('\n', at);
      start = start == std::string::npos ? 0 : start + 1;
      std::size_t end = output_.find('\n', at);
      if (end != std::string::npos) return output_.substr(start, end - start);
    }
    if (!Running()) {
      Drain(std::chrono::milliseconds(0));
      if (output_.find(needle) == std::string::npos) return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string Process::Output() {
  Drain(std::chrono::milliseconds(0));
  return output_;
}

bool Process::Running() {
  if (exit_code_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

int Process::Stop(int signal, std::chrono::milliseconds timeout) {
  if (Running()) kill(pid_, signal);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running() && std::chrono::steady_clock::now() < deadline) {
    Drain(std::chrono::milliseconds(20));
  }
  if (Running()) return -1;
  return *exit_code_;
}

Upstream::Upstream(const std::string& dir)
    : log_(dir + "/upstream.log"),
      process_({"/usr/bin/python3", std::string(ZTM_SOURCE_DIR) + "/tests/e2e/upstream.py", "--log",
                log_}) {
  WriteFile(log_, "");
  WriteFile(log_ + ".aborted", "");
  auto line = process_.WaitForLine("listening on 127.0.0.1:", std::chrono::seconds(20));
  if (!line) throw std::runtime_error("upstream did not start: " + process_.Output());
  port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
}

namespace {

std::vector<std::string> NonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace

std::vector<std::string> Upstream::Requests() const { return NonEmptyLines(ReadFile(log_)); }

std::vector<std::string> Upstream::AbortedRequests() const {
  return NonEmptyLines(ReadFile(log_ + ".aborted"));
}

std::optional<std::string> HttpsResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::uint16_t FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io,
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

HttpsResponse Send(std::uint16_t port, const std::string& ca_file, const HttpsRequest& request) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.load_verify_file(ca_file);
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), "localhost")) {
    throw std::runtime_error("SNI failed");
  }
  stream.set_verify_callback(asio::ssl::host_name_verification("localhost"));
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(15));
  beast::get_lowest_layer(stream).connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.handshake(asio::ssl::stream_base::client);

  bhttp::request<bhttp::string_body> req;
  req.method_string(request.method);
  req.target(request.target);
  req.version(11);
  bool own_host = false;
  for (const auto& [name, value] : request.headers) own_host |= beast::iequals(name, "host");
  if (!own_host) req.set(bhttp::field::host, "localhost:" + std::to_string(port));
  for (const auto& [name, value] : request.headers) req.insert(name, value);
  req.body() = request.body;
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    req.prepare_payload();
  }
  bhttp::write(stream, req);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  bhttp::read(stream, buffer, parser);
  auto& res = parser.get();
  HttpsResponse response;
  response.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    response.headers.emplace(std::move(name), std::string(field.value()));
  }
  response.body = res.body();
  beast::error_code ignored;
  stream.shutdown(ignored);
  return response;
}

}  // namespace ztm::e2e
