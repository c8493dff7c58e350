#pragma once
// A stand-in vendor server (tests/support/standins/*.py) as a child process for as long as this
// lives: started with its options, its port read from the first line it prints.
#include <csignal>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace de::testing {

class StandInProcess {
 public:
  StandInProcess(const std::string& script, const std::vector<std::string>& options, const std::string& scheme = "http",
                 const std::string& host = "127.0.0.1") {
    std::vector<std::string> words{"python3", script};
    words.insert(words.end(), options.begin(), options.end());
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // a test that crashes leaves no server behind
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<char*> argv;
      for (auto& word : words) argv.push_back(word.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos)
      base_url_ = scheme + "://" + host + ":" + line;
    else
      problem_ = line.empty() ? "the stand-in did not start (python3 with python3-jsonschema is needed)" : line;
  }
  StandInProcess(const StandInProcess&) = delete;
  StandInProcess& operator=(const StandInProcess&) = delete;

  ~StandInProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }

  // Empty when it runs; else why not ("no-contracts: ..." when the vendor contracts are missing).
  const std::string& problem() const { return problem_; }
  const std::string& base_url() const { return base_url_; }

 private:
  pid_t pid_ = -1;
  std::string base_url_;
  std::string problem_;
};

}  // namespace de::testing
