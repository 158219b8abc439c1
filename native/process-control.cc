// Process controls Node has no API for (Linux): a true execve(2) with argv and envp passed directly,
// and prctl(2)'s dumpable flag. Loaded by src/supervisor/native-addon.ts; every caller has a fallback.
//
// execve: the argument and environment strings are copied into storage that lives until the call
// (a std::vector in the function's own scope); the kernel copies them into the new image.
#include <node_api.h>
#include <pthread.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/prctl.h>
#include <unistd.h>
#include <vector>

namespace {

napi_value ThrowErrno(napi_env env, int error, const char *syscall) {
  napi_value code;
  napi_value message;
  napi_value exception;
  // strerrorname_np (glibc >= 2.32) gives the symbolic name Node uses as `code`.
  const char *known = strerrorname_np(error);
  const char *name = known == nullptr ? "EUNKNOWN" : known;
  std::string text = std::string(syscall) + " failed: " + name + " (" + std::strerror(error) + ")";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text.c_str(), text.size(), &message);
  napi_create_error(env, code, message, &exception);
  napi_value errnoValue;
  napi_create_int32(env, -error, &errnoValue);
  napi_set_named_property(env, exception, "errno", errnoValue);
  napi_value syscallValue;
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscallValue);
  napi_set_named_property(env, exception, "syscall", syscallValue);
  napi_throw(env, exception);
  return nullptr;
}

napi_value ThrowType(napi_env env, const char *message) {
  napi_throw_type_error(env, nullptr, message);
  return nullptr;
}

bool ReadString(napi_env env, napi_value value, std::string *out) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
  out->resize(length + 1);
  if (napi_get_value_string_utf8(env, value, out->data(), length + 1, &length) != napi_ok) return false;
  out->resize(length);
  // An embedded NUL would silently cut the string short in the new image.
  return out->find('\0') == std::string::npos;
}

bool ReadStringArray(napi_env env, napi_value value, std::vector<std::string> *out) {
  bool isArray = false;
  if (napi_is_array(env, value, &isArray) != napi_ok || !isArray) return false;
  uint32_t length = 0;
  napi_get_array_length(env, value, &length);
  out->resize(length);
  for (uint32_t index = 0; index < length; index++) {
    napi_value element;
    if (napi_get_element(env, value, index, &element) != napi_ok) return false;
    if (!ReadString(env, element, &(*out)[index])) return false;
  }
  return true;
}

std::vector<char *> PointersTo(std::vector<std::string> &strings) {
  std::vector<char *> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string &text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// execve(path, argv, envp): returns only by throwing (errno as `code`).
// Before the call: fds 0-2 lose O_NONBLOCK (libuv sets it on pipes Node touched, and a C program
// that inherits it fails its writes with EAGAIN) and FD_CLOEXEC (libuv may have re-created them
// close-on-exec, which would hand the workload no stdio at all), the signal mask is emptied, and SIGPIPE and
// SIGXFSZ (which Node ignores) go back to their defaults. On failure all of that is undone.
napi_value Execve(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 3) return ThrowType(env, "execve(path, argv, envp) takes three arguments");
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> envEntries;
  if (!ReadString(env, argv[0], &path) || path.empty()) return ThrowType(env, "path must be a non-empty string without NUL");
  if (!ReadStringArray(env, argv[1], &args)) return ThrowType(env, "argv must be an array of strings without NUL");
  if (!ReadStringArray(env, argv[2], &envEntries)) return ThrowType(env, "envp must be an array of strings without NUL");
  std::vector<char *> argPointers = PointersTo(args);
  std::vector<char *> envPointers = PointersTo(envEntries);

  int savedFlags[3];
  int savedFdFlags[3];
  for (int fd = 0; fd < 3; fd++) {
    savedFlags[fd] = fcntl(fd, F_GETFL);
    if (savedFlags[fd] != -1 && (savedFlags[fd] & O_NONBLOCK) != 0) fcntl(fd, F_SETFL, savedFlags[fd] & ~O_NONBLOCK);
    savedFdFlags[fd] = fcntl(fd, F_GETFD);
    if (savedFdFlags[fd] != -1 && (savedFdFlags[fd] & FD_CLOEXEC) != 0) fcntl(fd, F_SETFD, savedFdFlags[fd] & ~FD_CLOEXEC);
  }
  sigset_t emptyMask;
  sigset_t savedMask;
  sigemptyset(&emptyMask);
  pthread_sigmask(SIG_SETMASK, &emptyMask, &savedMask);
  struct sigaction defaultAction;
  std::memset(&defaultAction, 0, sizeof defaultAction);
  defaultAction.sa_handler = SIG_DFL;
  struct sigaction savedPipe;
  struct sigaction savedXfsz;
  sigaction(SIGPIPE, &defaultAction, &savedPipe);
  sigaction(SIGXFSZ, &defaultAction, &savedXfsz);

  execve(path.c_str(), argPointers.data(), envPointers.data());
  int error = errno;

  sigaction(SIGPIPE, &savedPipe, nullptr);
  sigaction(SIGXFSZ, &savedXfsz, nullptr);
  pthread_sigmask(SIG_SETMASK, &savedMask, nullptr);
  for (int fd = 0; fd < 3; fd++) {
    if (savedFlags[fd] != -1 && (savedFlags[fd] & O_NONBLOCK) != 0) fcntl(fd, F_SETFL, savedFlags[fd]);
    if (savedFdFlags[fd] != -1 && (savedFdFlags[fd] & FD_CLOEXEC) != 0) fcntl(fd, F_SETFD, savedFdFlags[fd]);
  }
  return ThrowErrno(env, error, "execve");
}

// prctl(PR_SET_DUMPABLE, 0): /proc/<pid>/environ, mem, maps and ptrace become unavailable to other
// processes of the same user (only CAP_SYS_PTRACE gets through), and no core dump is written.
napi_value SetNonDumpable(napi_env env, napi_callback_info) {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return ThrowErrno(env, errno, "prctl");
  return nullptr;
}

napi_value IsDumpable(napi_env env, napi_callback_info) {
  int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  if (dumpable < 0) return ThrowErrno(env, errno, "prctl");
  napi_value result;
  napi_get_boolean(env, dumpable != 0, &result);
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"execve", nullptr, Execve, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setNonDumpable", nullptr, SetNonDumpable, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"isDumpable", nullptr, IsDumpable, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
