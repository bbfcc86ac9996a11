#pragma once
// Live RTSP stream of the simulator, served by GStreamer's RTSP server
// (appsrc -> x264enc -> rtph264pay) at rtsp://<host>:<port>/cam. GStreamer
// stays inside rtsp_stream.cpp.
#include <functional>
#include <string>

namespace gridwatch::sim {

class CameraSimulator;

struct RtspOptions {
  int port = 8554;  ///< 0: any free port (the URL passed to on_ready names it)
  std::string mount = "/cam";
  double client_wait_s = 0;  ///< give up when no client came within this; 0: wait for ever
};

/// True when this build has GStreamer's RTSP server.
bool rtsp_available();

/// Serves the simulator's frames in real time. The scene clock starts when
/// the first client connects (so a gateway started later misses nothing);
/// returns when the scenario has been played out. `on_ready` is called once
/// the server listens. Throws std::runtime_error when the server cannot
/// start (port in use, GStreamer elements missing) or no client came within
/// `client_wait_s`.
void stream_rtsp(CameraSimulator& simulator, const RtspOptions& options, const std::function<void(const std::string&)>& on_ready);

}  // namespace gridwatch::sim
