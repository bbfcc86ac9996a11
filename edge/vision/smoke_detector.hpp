#pragma once
// Video smoke detection, block based, after Töreyin/Çetin (moving regions
// that soften the background's edges and lose colour, voted over time)
// and Calderara et al. (smoke blends the background: lower chroma and
// high-frequency energy where it covers it). The analysis frame is cut
// into square blocks of 1/40 of its width; each block is a candidate in
// a frame when all these cues agree:
//
//  - slow, diffuse motion: it changed against the frame about 1 s ago by
//    more than the frame's own noise floor (a fog ramp or a standing
//    object does not), and it is not a block that changes all the time
//    (an OSD clock, a flag, a road lane with constant traffic);
//  - presence: its brightness differs from the block background (scaled
//    by the global light change the parking map measures);
//  - low chroma: no more colourful than its background, and grey overall
//    (headlight glare, tail lights, coloured vehicles and burned-in boxes
//    fail);
//  - no gain of edge energy: it is not sharper than its background (a
//    vehicle or a headlight beam adds edges; smoke blurs them);
//  - no glare in the dark: on a background darker than mid-grey it gains
//    few near-white pixels (a headlight's or a lamp's core does); on a
//    bright one near-white is a sunlit surface or white smoke in the sun;
//  - not rigid: its change since the previous analysis frame is not
//    explained by a shift of that frame (edge/vision/smoke_cues.hpp), and
//    its change over the last second did not come in one step, in more
//    than a few recent frames (a vehicle's outline, a headlight's glow
//    translate whole whichever way they drive, and a truck's flat side
//    changes a block at once and then stands; smoke mixes a little in
//    every frame);
//
// and the frame is not a global change (too many candidates at once: fog
// rolling in, auto-exposure, headlights flooding the scene at night). The
// one-step test is not applied in a frame that shows nothing new (a
// time-lapse's repeated frame). Thin vivid strokes that come and go
// (another system's boxes and labels burned into the video) are held at
// what they covered before any cue is read, so a box redrawn around a
// plume every frame makes none of its blocks look solid or coloured.
// Each block keeps an exponentially decaying vote; blocks voted smoke-like
// most of the last `persistence_s` form regions; a region that has lasted
// `confirm_s`, has grown upwards and in area since it appeared, still has
// candidates where it started (a source that stays put, which a vehicle
// driving away up the view leaves), whose smoke-like blocks were
// hardly ever rigid and which, where the scene behind it has texture,
// still shows that texture in at least half of its blocks (a queue of
// grey vehicles creeping up behind one another hides it) raises the
// episode, unless most of its blocks changed warmer than a grey veil can
// change them (brown dust lifted by a gust; edge/vision/smoke_cues.hpp,
// with the colours balanced to the scene's light) or most of them are
// darker than their background soon after a lamp shone near them (at dusk
// and at night, passing headlights leave darker what they lit, and the
// block backgrounds still hold some of that light) or brighter while a
// point of light (a lamp's core; at dusk or night, any headlight's glare)
// shines near them, or lie, either way, in the beam of a vehicle driving
// away (drawn up the view from its lit rear lights, as far as their
// spacing says, at dusk or night only; edge/vision/smoke_cues.hpp): the
// road its beam lit and its dark body sliding over it. So does one (a far plume along a
// ridge in its first seconds) `confirm_s` after its first smoke-like
// block, if it has spread from that block as far as the spread rule asks
// (counted with the candidates at its front), only grew meanwhile, still
// shows the scene's texture through it, and is not warm that way. Pure: block statistics in,
// events out, frame time only.
#include <cstdint>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

#include "edge/vision/camera_settings.hpp"
#include "edge/vision/frame_features.hpp"
#include "edge/vision/vision_event.hpp"

namespace gridwatch::edge::vision {

class SmokeDetector {
 public:
  /// `analysed` is CV_8U at analysis size, 255 where pixels count (camera
  /// masks already out); the settings' own masks are removed here.
  SmokeDetector(cv::Size size, const cv::Mat& analysed, const SmokeSettings& settings);

  /// One analysis frame: its features, the BGR (or grey) picture at
  /// analysis size for the colour cue, the global light gain against the
  /// long-term background, and a frame about 1 s older (nullptr while
  /// none is remembered). Events carry no evidence picture (the caller
  /// draws it).
  std::vector<VisionEvent> update(const FrameFeatures& features, const cv::Mat& picture, double gain,
                                  const Appearance* earlier, double earlier_t_s, double t_s);
  /// Forgets votes and block backgrounds after a tamper fault; an open
  /// episode stays open and ends once no smoke is seen for `clear_s`.
  void restart(double t_s);
  /// From now on the gain passed to update() is measured against a new
  /// reference (the parking map relearnt its background after a brief
  /// disturbance) where the old one read `previous_gain`; the block
  /// backgrounds keep the brightness they expect.
  void rebase_gain(double previous_gain);
  /// The open episode, if any (reported when a video ends).
  std::vector<VisionEvent> open_episodes(double t_s) const;

  /// The grey of the last analysis frame as the detector saw it, with
  /// burned-in strokes held at what they covered (empty before the first
  /// frame); the caller keeps it to pass back as the earlier frame.
  const cv::Mat& grey_seen() const { return previous_grey_; }
  /// Per block, the vote (0..1) as of the last frame; for tests and tuning.
  const cv::Mat& votes() const { return votes_; }
  /// Per block, whether it was a candidate in the last frame (CV_8U 0/255).
  const cv::Mat& candidates() const { return candidates_; }
  /// Per block, which cues held in the last frame (CV_8U, the Cue bits).
  enum Cue : std::uint8_t { kMoving = 1, kPresent = 2, kGrey = 4, kSoft = 8, kNotBusy = 16, kNoGlare = 32,
                           kNotRigid = 64 };
  const cv::Mat& cues() const { return cues_; }
  /// Per block, when the beam of a vehicle driving away last lay over it
  /// (CV_32F analysis time; far in the past before any); for tests.
  const cv::Mat& beam_seen_s() const { return beam_seen_s_; }
  /// Block size in analysis pixels.
  int block_px() const { return block_; }

 private:
  struct Region {
    cv::Rect box;       // in blocks
    int area = 0;
    cv::Rect reach;     // in blocks: its smoke-like blocks and the candidates touching them now
    int reach_area = 0;
    double seed_s = 0;     // when its first smoke-like block appeared
    int seed_area = 0;
    int seed_bottom = 0;   // one past the seed's last row
    int most_area = 0;     // the most smoke-like blocks since the seed ...
    int most_reach = 0;    // ... and the widest reach
    bool shrunk = false;   // whether either fell below that most since the seed (the reach by more than a block)
    bool born = false;     // it has had min_blocks smoke-like blocks; the first shape below is from then
    double whole_s = 0;    // last frame it had min_blocks (below that for kRegionLostS, it is no region any more)
    double first_s = 0;
    int first_top = 0;
    int first_bottom = 0;  // one past the last row
    int first_area = 0;
    double seen_s = 0;
    double source_seen_s = 0;  // last frame with a candidate block near the first bottom
  };
  struct Episode {
    int number = 0;
    cv::Rect box;       // in blocks, union of the confirmed regions
    double started_s = 0;
    double last_smoke_s = 0;
    int reported_area = 0;
    double reported_s = 0;
    double confidence = 0;
  };

  cv::Mat block_means(const cv::Mat& image) const;
  void learn_scene(const cv::Mat& scene_grey, double gain, float rate);
  void follow_stroke_shares(cv::Mat& strokes, double rate);
  cv::Mat robust_block_means(const cv::Mat& image) const;
  cv::Mat colour_block_means(const cv::Mat& picture) const;  // CV_32FC3 mean B, G, R per block of a CV_8UC3 picture
  std::vector<Region> regions_now() const;
  void follow_regions(const std::vector<Region>& found, double t_s);
  bool source_active(const Region& region) const;
  double rigid_share(const cv::Rect& blocks) const;
  std::array<double, 4> normalised(const cv::Rect& blocks) const;
  VisionEvent episode_event(Phase phase, double t_s) const;  // of the open episode
  double confidence_in(const cv::Rect& blocks) const;
  struct SceneView {
    int textured = 0;  // smoke-like blocks over a textured background
    int followed = 0;  // ... of which still show it
  };
  SceneView scene_through(const cv::Rect& blocks, const cv::Mat& grey, double gain) const;
  struct Tint {
    int judged = 0;  // smoke-like blocks that changed enough to judge their colour
    int warm = 0;    // ... of which changed warmer than a grey veil can
  };
  cv::Scalar scene_light() const;
  struct Lamplit {
    int smoke_like = 0;          // the region's smoke-like blocks
    int darkened_near_lamp = 0;  // ... of which are darker than their background soon after a lamp shone near them
    int brightened_near_lamp = 0;  // ... or brighter than it while a point of light (in a dark scene, a lamp) shines near them
    int in_beam = 0;             // ... or lie in the beam of a vehicle driving away (or under the vehicle), or are darker soon after
  };
  bool dark_scene(double gain) const;  // dusk or night: the block backgrounds, as lit now, are dark on the whole
  Lamplit lamplit_in(const cv::Rect& blocks, const cv::Mat& light, double gain, bool dusk_or_night, double t_s) const;
  Tint tint_of(const cv::Rect& blocks, const cv::Mat& colour, double gain) const;

  SmokeSettings settings_;
  cv::Size size_;
  int block_ = 8;
  cv::Size grid_;
  cv::Mat analysed_;     // CV_8U per analysis pixel, 255 where it counts (camera and smoke masks out)
  cv::Mat usable_;       // CV_8U per block
  cv::Mat light_;        // CV_32F block background brightness (at the background's light level)
  cv::Mat edges_;        // CV_32F block background edge energy
  cv::Mat chroma_;       // CV_32F block background chroma
  cv::Mat glare_;        // CV_32F block background share of near-white pixels
  cv::Mat points_;       // CV_32F block background share of points of light (near-white cores on a darker ground)
  cv::Mat colour_;       // CV_32FC3 block background mean B, G, R (at the background's light level)
  cv::Mat scene_;        // CV_32F per pixel background grey (at the background's light level), learnt as the blocks'
  cv::Mat busy_;         // CV_32F long-term share of frames in which the block moved
  cv::Mat rigid_;        // CV_32F recent share of frames in which the block changed as a solid object (a shift, or one step)
  cv::Mat previous_grey_;  // CV_32F grey of the previous analysis frame (for the shift search), strokes held
  cv::Mat previous_gradient_;  // CV_32F its edge energy, strokes held
  cv::Mat previous_chroma_;    // CV_32F its per-pixel chroma, strokes held
  cv::Mat previous_picture_;   // CV_8UC3 its colour picture, strokes held
  cv::Mat stroke_share_;       // CV_32F per pixel, recent share of frames in which it lay under a thin vivid stroke
  cv::Mat lamp_seen_s_;  // CV_32F per block, when a lamp (new near-white light on a dark background) last shone near it
  cv::Mat point_lamp_seen_s_;  // CV_32F per block, when a new point of light last shone near it
  cv::Mat beam_seen_s_;  // CV_32F per block, when the beam of a vehicle driving away (or the vehicle itself) last lay over it
  cv::Mat votes_;        // CV_32F
  cv::Mat candidates_;   // CV_8U
  cv::Mat cues_;         // CV_8U
  std::vector<Region> regions_;
  std::optional<Episode> episode_;
  std::optional<double> learn_start_s_;
  double last_t_s_ = -1;
  int next_episode_ = 1;
};

}  // namespace gridwatch::edge::vision
