#pragma once
// RAII for libmosquitto, the client library the simulators use (the
// product uses Paho; a test rig built on a second, independent client
// does not share the product's bugs).
#include <mosquitto.h>

#include <memory>

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

}  // namespace gridwatch::sim
