#pragma once
// RAII for libmosquitto, the client library the simulators use (the
// product uses Paho; a test rig built on a second, independent client
// does not share the product's bugs).
#include <mosquitto.h>
#include <sys/resource.h>

#include <memory>
#include <string>

namespace gridwatch::sim {

/// mosquitto_lib_init/cleanup for the life of the object. It is reference
/// counted inside libmosquitto, so nesting is fine.
class MosquittoLibrary {
 public:
  MosquittoLibrary() { mosquitto_lib_init(); }
  ~MosquittoLibrary() { mosquitto_lib_cleanup(); }
  MosquittoLibrary(const MosquittoLibrary&) = delete;
  MosquittoLibrary& operator=(const MosquittoLibrary&) = delete;
};

struct MosquittoDeleter {
  void operator()(mosquitto* client) const { mosquitto_destroy(client); }
};
using MosquittoHandle = std::unique_ptr<mosquitto, MosquittoDeleter>;

/// mosquitto_new() for a client whose network loop the caller drives
/// (mosquitto_loop_read/write/misc), without the socketpair libmosquitto
/// opens to wake its own loop thread. That pair is optional (libmosquitto
/// only logs when it cannot open it) and would triple the descriptors a
/// fleet needs: 10,000 gateways would need 30,000 instead of 10,000. The
/// pair is refused by lowering the descriptor limit to 0 for the duration
/// of the call, so the caller must be single-threaded at that moment.
inline MosquittoHandle new_externally_driven_client(const std::string& id, void* user_data) {
  rlimit saved{};
  const bool lowered = getrlimit(RLIMIT_NOFILE, &saved) == 0;
  if (lowered) {
    rlimit none = saved;
    none.rlim_cur = 0;
    setrlimit(RLIMIT_NOFILE, &none);
  }
  MosquittoHandle client(mosquitto_new(id.c_str(), true, user_data));
  if (lowered) setrlimit(RLIMIT_NOFILE, &saved);
  return client;
}

}  // namespace gridwatch::sim
