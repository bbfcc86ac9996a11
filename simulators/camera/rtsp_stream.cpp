#include "simulators/camera/rtsp_stream.hpp"

#include <stdexcept>

#include "simulators/camera/renderer.hpp"

#ifdef GRIDWATCH_HAVE_GST_RTSP
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <opencv2/core.hpp>
#include <thread>
#endif

namespace gridwatch::sim {

#ifndef GRIDWATCH_HAVE_GST_RTSP

bool rtsp_available() { return false; }

void stream_rtsp(CameraSimulator&, const RtspOptions&, const std::function<void(const std::string&)>&) {
  throw std::runtime_error("this build has no GStreamer RTSP server (install libgstrtspserver-1.0-dev and rebuild)");
}

#else

namespace {

constexpr GstClockTime kNanosPerSecond = 1000000000ULL;

// Shared between GStreamer's main-loop thread (media-configure, unprepared)
// and the frame-pushing thread.
struct StreamState {
  std::mutex mutex;
  std::condition_variable client_arrived;
  GstElement* appsrc = nullptr;  // owned reference, null while no client
  std::uint64_t first_frame = 0; // frame number that is PTS 0 for this appsrc
  bool needs_restart = false;    // a new client pipeline: its PTS starts at 0
};

void on_unprepared(GstRTSPMedia*, gpointer user_data) {
  auto* state = static_cast<StreamState*>(user_data);
  std::lock_guard lock(state->mutex);
  if (state->appsrc) gst_object_unref(state->appsrc);
  state->appsrc = nullptr;
}

void on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer user_data) {
  auto* state = static_cast<StreamState*>(user_data);
  GstElement* pipeline = gst_rtsp_media_get_element(media);
  GstElement* appsrc = gst_bin_get_by_name_recurse_up(reinterpret_cast<GstBin*>(pipeline), "src");
  gst_object_unref(pipeline);
  g_signal_connect_data(media, "unprepared", reinterpret_cast<GCallback>(&on_unprepared), state, nullptr,
                        static_cast<GConnectFlags>(0));
  {
    std::lock_guard lock(state->mutex);
    if (state->appsrc) gst_object_unref(state->appsrc);
    state->appsrc = appsrc;
    state->needs_restart = true;
  }
  state->client_arrived.notify_all();
}

gboolean quit_loop(gpointer loop) {
  g_main_loop_quit(static_cast<GMainLoop*>(loop));
  return FALSE;
}

}  // namespace

bool rtsp_available() { return true; }

void stream_rtsp(CameraSimulator& simulator, const RtspOptions& options,
                 const std::function<void(const std::string&)>& on_ready) {
  gst_init(nullptr, nullptr);
  const Scenario& scenario = simulator.scenario();
  for (const char* element : {"appsrc", "videoconvert", "x264enc", "rtph264pay"}) {
    GstElementFactory* factory = gst_element_factory_find(element);
    if (!factory) throw std::runtime_error(std::string("GStreamer element ") + element + " is not installed");
    gst_object_unref(factory);
  }

  // Outlives the server: GStreamer may signal "unprepared" while tearing down.
  auto* state_owner = new StreamState;
  StreamState& state = *state_owner;
  GMainContext* context = g_main_context_new();
  GMainLoop* loop = g_main_loop_new(context, FALSE);
  GstRTSPServer* server = gst_rtsp_server_new();
  const std::string port = std::to_string(options.port);
  gst_rtsp_server_set_service(server, port.c_str());
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  // One key frame a second and in-band SPS/PPS, so a reader that joins late
  // or reconnects decodes within a second.
  const std::string launch =
      "( appsrc name=src is-live=true format=time block=false max-bytes=0 caps=video/x-raw,format=BGR,width=" +
      std::to_string(scenario.width) + ",height=" + std::to_string(scenario.height) + ",framerate=" +
      std::to_string(scenario.fps) +
      "/1 ! queue max-size-buffers=4 leaky=downstream ! videoconvert ! video/x-raw,format=I420 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bitrate=4000 key-int-max=" +
      std::to_string(scenario.fps) + " ! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )";
  gst_rtsp_media_factory_set_launch(factory, launch.c_str());
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  g_signal_connect_data(factory, "media-configure", reinterpret_cast<GCallback>(&on_media_configure), &state, nullptr,
                        static_cast<GConnectFlags>(0));
  gst_rtsp_mount_points_add_factory(mounts, options.mount.c_str(), factory);
  g_object_unref(mounts);
  const guint source_id = gst_rtsp_server_attach(server, context);
  if (source_id == 0) {
    g_object_unref(server);
    g_main_loop_unref(loop);
    g_main_context_unref(context);
    delete state_owner;
    throw std::runtime_error("cannot listen for RTSP on port " + port + " (in use?)");
  }
  std::thread loop_thread([loop] { g_main_loop_run(loop); });
  auto stop_loop = [&] {
    GSource* quit = g_idle_source_new();
    g_source_set_callback(quit, &quit_loop, loop, nullptr);
    g_source_attach(quit, context);
    g_source_unref(quit);
    loop_thread.join();
    if (GSource* server_source = g_main_context_find_source_by_id(context, source_id)) g_source_destroy(server_source);
    {
      std::lock_guard lock(state.mutex);
      if (state.appsrc) gst_object_unref(state.appsrc);
      state.appsrc = nullptr;
    }
    g_object_unref(server);
    g_main_loop_unref(loop);
    g_main_context_unref(context);
    delete state_owner;
  };
  on_ready("rtsp://127.0.0.1:" + std::to_string(gst_rtsp_server_get_bound_port(server)) + options.mount);

  bool client_came = true;
  {
    std::unique_lock lock(state.mutex);
    auto arrived = [&] { return state.appsrc != nullptr; };
    if (options.client_wait_s > 0) {
      client_came = state.client_arrived.wait_for(lock, std::chrono::duration<double>(options.client_wait_s), arrived);
    } else {
      state.client_arrived.wait(lock, arrived);
    }
  }
  if (!client_came) {
    stop_loop();
    throw std::runtime_error("no RTSP client connected within " + std::to_string(options.client_wait_s) + " s");
  }
  const auto frame_period = std::chrono::nanoseconds(kNanosPerSecond / static_cast<std::uint64_t>(scenario.fps));
  const auto start = std::chrono::steady_clock::now();
  cv::Mat frame;
  std::uint64_t index = 0;
  try {
  while (simulator.next(frame)) {
    GstElement* appsrc = nullptr;
    std::uint64_t first = 0;
    {
      std::lock_guard lock(state.mutex);
      if (state.needs_restart) {
        state.first_frame = index;
        state.needs_restart = false;
      }
      if (state.appsrc) appsrc = static_cast<GstElement*>(gst_object_ref(state.appsrc));
      first = state.first_frame;
    }
    if (appsrc) {
      const auto bytes = static_cast<gsize>(frame.total() * frame.elemSize());
      GstBuffer* buffer = gst_buffer_new_allocate(nullptr, bytes, nullptr);
      gst_buffer_fill(buffer, 0, frame.data, bytes);
      buffer->pts = (index - first) * kNanosPerSecond / static_cast<std::uint64_t>(scenario.fps);
      buffer->duration = kNanosPerSecond / static_cast<std::uint64_t>(scenario.fps);
      gst_app_src_push_buffer(reinterpret_cast<GstAppSrc*>(appsrc), buffer);  // takes the buffer
      gst_object_unref(appsrc);
    }
    ++index;
    std::this_thread::sleep_until(start + frame_period * static_cast<long>(index));
  }
  } catch (...) {
    stop_loop();  // the main-loop thread must be joined before unwinding
    throw;
  }
  {
    std::lock_guard lock(state.mutex);
    if (state.appsrc) gst_app_src_end_of_stream(reinterpret_cast<GstAppSrc*>(state.appsrc));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop_loop();
}

#endif

}  // namespace gridwatch::sim
