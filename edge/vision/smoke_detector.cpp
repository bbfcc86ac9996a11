#include "edge/vision/smoke_detector.hpp"

#include <fmt/format.h>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "edge/vision/boxes.hpp"
#include "edge/vision/smoke_cues.hpp"

namespace gridwatch::edge::vision {
namespace {

constexpr double kBackgroundS = 20;       // block backgrounds follow slow changes with this time constant
constexpr double kWarmupRateS = 1.0;      // ... and this one while warming up
constexpr double kBusyS = 120;            // memory of how often a block moves
constexpr double kBusyLimit = 0.5;        // blocks moving more often than this are ignored (OSD clock)
constexpr double kPresenceLevel = 5.0;    // grey levels of difference from the block background
constexpr double kMotionLevel = 1.2;      // grey levels of change above the frame's noise floor
constexpr double kMotionNoiseFactor = 1.5;
constexpr double kPixelChromaCap = 64.0;  // per pixel, so a thin saturated line (a burned-in box) counts little
constexpr double kGreyChroma = 40.0;      // block chroma ((max - min) of B, G, R) above this is colour, not smoke
constexpr double kChromaSlack = 6.0;      // smoke may not add more chroma than this
constexpr double kEdgeGain = 1.3;         // smoke may not be sharper than its background by more than this
constexpr double kEdgeSlack = 4.0;
constexpr float kGlareLevel = 235.0F;     // grey level of a light source's core (headlight, lamp)
constexpr double kGlareSlack = 0.08;      // smoke may not add more near-white pixels than this share of a block ...
constexpr float kGlareDarkLevel = 128.0F;  // ... whose background is darker than this grey level
constexpr double kLampShare = 0.02;       // a block that gains this share of near-white pixels on a dark background holds a lamp ...
constexpr int kLampReachBlocks = 2;       // ... whose glow lights the blocks this far round it
constexpr double kLampMemoryS = 3 * kBackgroundS;  // light a block background learnt under a lamp fades below the presence level within about this long
// A lamp's core all but saturates every channel (sunlit white paint under
// white smoke reaches 240) and is far brighter than the mean grey of the
// pixels 4 analysis pixels round it.
constexpr PointOfLight kPointOfLight{245.0, 80.0, 4};
constexpr double kShiningMemoryS = 1.0;  // a block lit by a point of light (or, in a dark scene, a lamp) near it within this long may be brighter for that
// At dusk a queue of oncoming vehicles near the vanishing point is one
// pale blob: white bodies and headlights whose cores merge in their glow,
// with no point of light in it. Its glow brightens the road round it as it
// comes closer, which grows as a light plume does. In a dark scene a
// smoke-like block brighter than its background while a lamp shines near
// it counts as lamp-lit, as it does near a point of light. In daylight a
// white plume over a dark wall makes lamps of its own (near-white pixels
// on a dark background), so there it does not (smoke_slow_onset_parked
// came 4.6 s later, over the goal).
constexpr double kDarkSceneLevel = 100.0;  // mean grey of the block backgrounds below which the scene is dusk or night (library pictures: day 98-128, dusk 63-87, night 39-48)
// A vehicle driving away at dusk shows the camera only its rear lights,
// and its beam lights the road ahead of it, up the view: the road there
// brightens, the vehicle's dark body slides in over it, and the strip
// darkens again behind. No headlight or point of light shows near those
// blocks, and at dusk a slow grey vehicle passes the block tests. Blocks
// in such a beam count as lamplit, and so do blocks darker than their
// background within kLampMemoryS of one (their backgrounds learnt the
// beams' light, as under a headlight). A lit rear light is vivid red, and
// either brighter than its ground or bright overall (saturated towards
// white); a brake light in daylight is red but no brighter than the road
// (grey about 80). Beams are drawn only in a dark scene: by day a rear
// light lights nothing, while red patches of vehicles queued far off pair
// up as lamps do (mixed_hard_day's plume came 8 s later under them).
constexpr RearLight kRearLight{180.0, 90.0, 40.0, 3, 100.0};
constexpr BeamReach kBeamReach{3.0, 1.5, 8.0, 4.0};
constexpr double kBeamMemoryS = 3.0;  // a block in a beam this recently may be lit or darkened by it (small lamps drop out of sight for a few frames)
constexpr double kLamplitShare = 0.5;   // a region with this share of its smoke-like blocks lit or darkened that way is lamplight
constexpr double kStrokeChroma = 100.0;   // a burned-in stroke's colour spread (max - min of B, G, R) is at least this ...
constexpr int kStrokeWidestPx = 2;        // ... and it is at most this thick (analysis pixels); held with ...
constexpr int kStrokeMarginPx = 2;        // ... the pixels its colour bleeds into (shrinking, blur, gradient)
constexpr double kStrokeFixtureS = 30.0;  // memory of how often a pixel lies under a stroke ...
constexpr double kStrokeFixtureShare = 0.5;  // ... more often than this: a fixture of the scene, not held
constexpr int kShiftReachPx = 6;          // a slow vehicle moves at most this far between analysis frames
constexpr double kShiftMinChange = 2.0;   // grey levels of change below which a block's shift is not searched
constexpr int kRepeatBlockPx = 8;         // a frame shows nothing new when no block of this size ...
constexpr double kRepeatLevel = 2.0;      // ... changed by this many grey levels since the previous one
constexpr double kShiftExplained = 0.5;   // a shift that leaves at most this share of the change is a solid object
constexpr double kStillShare = 0.04;      // a block whose last step held at most this share of the second's change stood still since ...
constexpr double kAbruptShare = 0.9;      // ... or at least this share changed at once: a solid object's face, not smoke
constexpr double kRigidS = 1.0;           // memory of how often a block slid rigidly
constexpr double kRigidLimit = 0.4;       // blocks that slid rigidly more often than this are not smoke
constexpr double kRegionRigidLimit = 0.15;  // ... nor is a region whose smoke-like blocks did so this often on average
constexpr int kSpreadBlocks = 4;          // sideways growth counts once the area gained this many blocks (and doubled)
constexpr double kSceneTexture = 8.0;     // a block background with this grey spread (std) has texture to show through smoke
constexpr double kSceneFollowed = 0.8;    // ... and smoke over it keeps this correlation with it
constexpr double kSceneShownShare = 0.5;  // a growing region that shows the scene in fewer of its textured blocks hides it
constexpr double kTintMinChange = 4.0;    // grey levels of mean colour change below which a block's tint is not judged
constexpr double kWarmBeyondVeil = 0.35;  // a block's change this much warmer than a grey veil's (share of the change) is not smoke's
constexpr double kWarmShare = 0.5;        // a region with at least this share of its judged blocks warm is dust or lamplight
constexpr int kReachSlackBlocks = 1;      // a spreading front may fall back this far (a candidate there flickers)
constexpr int kSourceRows = 2;            // the source band: this many block rows above a region's first bottom
constexpr double kSourceLostS = 1.0;      // a region whose source band had no candidate this long has no source
constexpr double kVoteLevel = 0.5;        // a block is smoke-like when its vote reaches this
constexpr double kQuietVote = 0.2;        // below this the block background may learn
constexpr double kRegionLostS = 2.0;      // a region not seen this long is forgotten
constexpr double kUpdateGrowth = 2.0;     // a new evidence picture when the region doubled ...
constexpr double kUpdateEveryS = 15.0;    // ... at most this often
constexpr float kNeverS = -1e9F;          // a time long before any frame

/// Sets `seen_s` to `t_s` in the blocks within kLampReachBlocks of a block
/// marked in `lamps` (CV_8U, changed): a lamp's glow lights the blocks
/// round it as it passes (headlights, their beams on the road close ahead).
void remember_lamps(cv::Mat& lamps, cv::Mat& seen_s, double t_s) {
  cv::dilate(lamps, lamps,
             cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * kLampReachBlocks + 1, 2 * kLampReachBlocks + 1)));
  seen_s.setTo(static_cast<float>(t_s), lamps);
}

/// Block means of `image` over blocks of kRepeatBlockPx (for a smoke grid
/// of another block size; the default grid's are the detector's own).
cv::Mat repeat_block_means(const cv::Mat& image) {
  const cv::Size grid(image.cols / kRepeatBlockPx, image.rows / kRepeatBlockPx);
  if (grid.area() == 0) return cv::Mat(1, 1, CV_32F, cv::Scalar(0));
  return block_means(image, kRepeatBlockPx, grid);
}

/// 1.5 at sensitivity 0 (strict) down to 0.5 at 1 (eager); 1 by default.
double strictness(double sensitivity) { return 1.5 - sensitivity; }

}  // namespace

SmokeDetector::SmokeDetector(cv::Size size, const cv::Mat& analysed, const SmokeSettings& settings)
    : settings_(settings), size_(size) {
  block_ = std::max(2, size.width / settings_.blocks_across);
  grid_ = cv::Size(std::max(1, size.width / block_), std::max(1, size.height / block_));
  cv::Mat use = analysed.clone();
  for (const auto& mask : settings_.masks) {
    cv::fillPoly(use, std::vector<std::vector<cv::Point>>{to_pixels(mask, size)}, cv::Scalar(0));
  }
  analysed_ = use;
  // A block counts when most of it is analysed.
  cv::Mat use_float;
  use.convertTo(use_float, CV_32F, 1.0 / 255.0);
  usable_ = block_means(use_float) >= 0.5F;
  votes_ = cv::Mat::zeros(grid_, CV_32F);
  busy_ = cv::Mat::zeros(grid_, CV_32F);
  rigid_ = cv::Mat::zeros(grid_, CV_32F);
  candidates_ = cv::Mat::zeros(grid_, CV_8U);
  cues_ = cv::Mat::zeros(grid_, CV_8U);
  lamp_seen_s_ = cv::Mat(grid_, CV_32F, cv::Scalar(kNeverS));
  point_lamp_seen_s_ = cv::Mat(grid_, CV_32F, cv::Scalar(kNeverS));
  beam_seen_s_ = cv::Mat(grid_, CV_32F, cv::Scalar(kNeverS));
}

cv::Mat SmokeDetector::block_means(const cv::Mat& image) const { return vision::block_means(image, block_, grid_); }

cv::Mat SmokeDetector::colour_block_means(const cv::Mat& picture) const {
  // Halved in 8 bits while a block stays at least 2 px wide (OpenCV's
  // vectorised exact 2x2 mean), then averaged in float: a fifth of the
  // cost of averaging the whole picture in float, and each halving's
  // rounding mostly averages out in the next step.
  cv::Mat current = picture(cv::Rect(0, 0, grid_.width * block_, grid_.height * block_));
  int block = block_;
  while (block % 2 == 0 && block >= 4) {
    cv::Mat halved;
    cv::resize(current, halved, cv::Size(current.cols / 2, current.rows / 2), 0, 0, cv::INTER_AREA);
    current = halved;
    block /= 2;
  }
  if (block != 2 || current.type() != CV_8UC3) {
    cv::Mat as_float;
    current.convertTo(as_float, CV_32FC3);
    cv::Mat means;
    cv::resize(as_float, means, grid_, 0, 0, cv::INTER_AREA);
    return means;
  }
  // The last step by hand: the mean of four whole grey levels is exact in
  // float whatever the order, so this is what the float resize gave, at a
  // tenth of its cost on a picture this small.
  cv::Mat means(grid_, CV_32FC3);
  for (int y = 0; y < grid_.height; ++y) {
    const auto* upper = current.ptr<std::uint8_t>(2 * y);
    const auto* lower = current.ptr<std::uint8_t>(2 * y + 1);
    auto* out = means.ptr<float>(y);
    for (int x = 0; x < 3 * grid_.width; ++x) {
      const int left = (x / 3) * 6 + x % 3;
      out[x] = static_cast<float>(upper[left] + upper[left + 3] + lower[left] + lower[left + 3]) * 0.25F;
    }
  }
  return means;
}

cv::Mat SmokeDetector::robust_block_means(const cv::Mat& image) const {
  // Each block as four quarter means, of which the middle two count: a
  // thin line through a block (a burned-in box, a wire, a lamp post)
  // moves one quarter and hardly the block.
  const cv::Size quartered(grid_.width * 2, grid_.height * 2);
  cv::Mat quarters;
  if (block_ % 2 == 0) {
    quarters = vision::block_means(image, block_ / 2, quartered);
  } else {
    cv::resize(image(cv::Rect(0, 0, grid_.width * block_, grid_.height * block_)), quarters, quartered, 0, 0,
               cv::INTER_AREA);
  }
  cv::Mat out(grid_, CV_32F);
  for (int y = 0; y < grid_.height; ++y) {
    const auto* top = quarters.ptr<float>(2 * y);
    const auto* bottom = quarters.ptr<float>(2 * y + 1);
    auto* row = out.ptr<float>(y);
    for (int x = 0; x < grid_.width; ++x) {
      // The middle two of four are the higher of the two pairs' lows and
      // the lower of their highs: what is left once the lowest and the
      // highest of all four are taken away.
      const float higher_low = std::max(std::min(top[2 * x], top[2 * x + 1]), std::min(bottom[2 * x], bottom[2 * x + 1]));
      const float lower_high = std::min(std::max(top[2 * x], top[2 * x + 1]), std::max(bottom[2 * x], bottom[2 * x + 1]));
      row[x] = 0.5F * (higher_low + lower_high);
    }
  }
  return out;
}

void SmokeDetector::learn_scene(const cv::Mat& scene_grey, double gain, float rate) {
  // The scene per pixel learns where the block backgrounds learn: in the
  // usable blocks that are not voted smoke and are no candidate now. The
  // weighted sum of cv::accumulateWeighted (scene (1 - rate) + seen rate)
  // with a mask of those blocks, a block at a time: OpenCV's masked path
  // is a scalar loop, and it needed the frame divided by the gain and a
  // full-size mask first. (OpenCV fuses the multiply and the add on CPUs
  // that can, so its last bit may differ from this one's; the evaluations
  // gave the same results.)
  const float keep = 1.0F - rate;
  const auto inverse_gain = static_cast<float>(1.0 / gain);
  for (int by = 0; by < grid_.height; ++by) {
    for (int bx = 0; bx < grid_.width; ++bx) {
      if (usable_.at<std::uint8_t>(by, bx) == 0 || votes_.at<float>(by, bx) >= static_cast<float>(kQuietVote) ||
          candidates_.at<std::uint8_t>(by, bx) != 0) {
        continue;
      }
      for (int y = by * block_; y < (by + 1) * block_; ++y) {
        const float* seen = scene_grey.ptr<float>(y) + bx * block_;
        float* scene = scene_.ptr<float>(y) + bx * block_;
        int x = 0;
#if CV_SIMD128
        const auto v_keep = cv::v_setall_f32(keep);
        const auto v_rate = cv::v_setall_f32(rate);
        const auto v_inverse_gain = cv::v_setall_f32(inverse_gain);
        for (; x + 4 <= block_; x += 4) {
          cv::v_store(scene + x, cv::v_load(scene + x) * v_keep + (cv::v_load(seen + x) * v_inverse_gain) * v_rate);
        }
#endif
        for (; x < block_; ++x) scene[x] = scene[x] * keep + (seen[x] * inverse_gain) * rate;
      }
    }
  }
}

void SmokeDetector::follow_stroke_shares(cv::Mat& strokes, double rate) {
  // In one pass what a chain of OpenCV calls did in five (a comparison,
  // a scaling, a masked add and a masked set, with their temporaries):
  // the same float operations, so the same shares. A pixel whose share
  // says "fixture" before this frame is no stroke.
  const auto fixture = static_cast<float>(kStrokeFixtureShare);
  const auto keep = static_cast<float>(1.0 - rate);
  const auto added = static_cast<float>(rate);
  for (int y = 0; y < strokes.rows; ++y) {
    auto* share = stroke_share_.ptr<float>(y);
    auto* stroke = strokes.ptr<std::uint8_t>(y);
    int x = 0;
#if CV_SIMD128
    const auto v_fixture = cv::v_setall_f32(fixture);
    const auto v_keep = cv::v_setall_f32(keep);
    const auto v_added = cv::v_setall_f32(added);
    const auto v_none = cv::v_setzero_u32();
    for (; x + 4 <= strokes.cols; x += 4) {
      const auto before = cv::v_load(share + x);
      const auto stroke_here = cv::v_reinterpret_as_f32(cv::v_load_expand_q(stroke + x) != v_none);
      // Where there is no stroke this adds +0, which leaves the share as it is.
      cv::v_store(share + x, before * v_keep + (v_added & stroke_here));
      const int fixtures = cv::v_signmask(before >= v_fixture);
      if (fixtures == 0) continue;
      for (int i = 0; i < 4; ++i) {
        if ((fixtures & (1 << i)) != 0) stroke[x + i] = 0;
      }
    }
#endif
    for (; x < strokes.cols; ++x) {
      const bool was_fixture = share[x] >= fixture;
      share[x] *= keep;
      if (stroke[x] != 0) share[x] += added;
      if (was_fixture) stroke[x] = 0;
    }
  }
}

void SmokeDetector::restart(double t_s) {
  light_.release();
  colour_.release();
  scene_.release();
  votes_.setTo(0);
  rigid_.setTo(0);
  lamp_seen_s_.setTo(kNeverS);
  point_lamp_seen_s_.setTo(kNeverS);
  beam_seen_s_.setTo(kNeverS);
  previous_grey_.release();
  previous_gradient_.release();
  previous_chroma_.release();
  previous_picture_.release();
  stroke_share_.release();
  candidates_.setTo(0);
  regions_.clear();
  learn_start_s_ = t_s;
}

void SmokeDetector::rebase_gain(double previous_gain) {
  if (!light_.empty()) light_ *= previous_gain;
  if (!colour_.empty()) colour_ *= previous_gain;
  if (!scene_.empty()) scene_ *= previous_gain;
}

std::vector<VisionEvent> SmokeDetector::update(const FrameFeatures& features, const cv::Mat& picture, double gain,
                                               const Appearance* earlier, double earlier_t_s, double t_s) {
  std::vector<VisionEvent> events;
  if (!settings_.enabled) return events;
  const double dt = last_t_s_ < 0 ? 0.0 : std::clamp(t_s - last_t_s_, 0.0, 2.0);
  last_t_s_ = t_s;

  // Another system's boxes and labels burned into the video are redrawn,
  // moved and resized every frame: a line through a block changes it at
  // once, colours it and adds edges, so the block looks like a solid,
  // coloured object however much smoke lies behind the line. The pixels of
  // thin vivid strokes are held at what the detector saw there last (held
  // before, or the scene before the stroke came), so a stroke neither
  // moves nor colours a block; the block is judged by the rest of its
  // pixels, and the held ones catch up once the stroke moves on.
  cv::Mat scene_grey = features.grey;
  cv::Mat scene_gradient = features.gradient;
  cv::Mat chroma_pixels;
  cv::Mat scene_picture = picture;
  cv::Mat whitest = picture;  // per pixel, its dimmest channel (near white only where all are: a lamp's core, not a vivid stroke)
  cv::Mat rear_lights;  // CV_8U, the pixels vivid red enough for a rear light (empty for a grey picture)
  if (picture.channels() == 3) {
    std::vector<cv::Mat> channels;
    cv::split(picture, channels);
    cv::Mat high;
    cv::Mat low;
    cv::max(channels[0], channels[1], high);
    rear_lights = rear_light_pixels(channels[2], high, kRearLight);
    rear_lights &= analysed_;  // a masked caption lights no beam
    cv::max(high, channels[2], high);
    cv::min(channels[0], channels[1], low);
    cv::min(low, channels[2], low);
    whitest = low;
    cv::Mat colour_spread;
    cv::subtract(high, low, colour_spread);
    colour_spread.convertTo(chroma_pixels, CV_32F);
    cv::min(chroma_pixels, kPixelChromaCap, chroma_pixels);
    cv::Mat strokes = burned_in_strokes(colour_spread, kStrokeChroma, kStrokeWidestPx, kStrokeMarginPx);
    // A thin vivid line that is nearly always there (a yellow kerb, a
    // painted lane) is part of the scene: held, it would keep the look of
    // whatever last covered it. Only strokes that come and go are held.
    if (stroke_share_.size() != strokes.size()) strokes.convertTo(stroke_share_, CV_32F, 1.0 / 255.0);
    const double share_rate = std::min(1.0, dt / kStrokeFixtureS);
    follow_stroke_shares(strokes, share_rate);
    const bool can_hold = !previous_grey_.empty() && previous_grey_.size() == scene_grey.size() &&
                          previous_chroma_.size() == chroma_pixels.size() && previous_picture_.size() == picture.size() &&
                          previous_picture_.type() == picture.type();
    // The strokes of a clock or a caption lie in a small part of the
    // picture: the held pixels are copied within their bounds only.
    const cv::Rect held = can_hold ? cv::boundingRect(strokes) : cv::Rect();
    if (!held.empty()) {
      const cv::Mat held_mask = strokes(held);
      scene_grey = features.grey.clone();
      previous_grey_(held).copyTo(scene_grey(held), held_mask);
      scene_gradient = features.gradient.clone();
      previous_gradient_(held).copyTo(scene_gradient(held), held_mask);
      previous_chroma_(held).copyTo(chroma_pixels(held), held_mask);
      scene_picture = picture.clone();
      previous_picture_(held).copyTo(scene_picture(held), held_mask);
    }
  } else {
    chroma_pixels = cv::Mat::zeros(picture.size(), CV_32F);
  }
  const cv::Mat light = block_means(scene_grey);
  const cv::Mat edges = robust_block_means(scene_gradient);
  const cv::Mat chroma = robust_block_means(chroma_pixels);
  cv::Mat glare_pixels;
  cv::threshold(scene_grey, glare_pixels, kGlareLevel, 1.0, cv::THRESH_BINARY);
  const cv::Mat glare = block_means(glare_pixels);
  const cv::Mat points = point_of_light_shares(whitest, scene_grey, grid_, block_, kPointOfLight);
  const cv::Mat colour = scene_picture.channels() == 3 ? colour_block_means(scene_picture) : cv::Mat();

  if (light_.empty()) {
    light_ = light / gain;
    edges_ = edges.clone();
    chroma_ = chroma.clone();
    glare_ = glare.clone();
    points_ = points.clone();
    scene_ = scene_grey / gain;
    if (!learn_start_s_) learn_start_s_ = t_s;
  }
  if (colour_.empty() && !colour.empty()) colour_ = colour / gain;
  const bool warming = t_s - *learn_start_s_ < settings_.warmup_s;

  // Motion against the frame about a second ago, above the noise floor
  // (the median block, since most of a street scene stands still).
  cv::Mat motion = cv::Mat::zeros(grid_, CV_32F);
  double motion_threshold = 1e9;
  if (earlier != nullptr && t_s - earlier_t_s > 0.3) {
    cv::Mat change;
    cv::absdiff(scene_grey, earlier->grey, change);
    motion = block_means(change);
    std::vector<float> usable_motion;
    for (int y = 0; y < grid_.height; ++y) {
      for (int x = 0; x < grid_.width; ++x) {
        if (usable_.at<std::uint8_t>(y, x) != 0) usable_motion.push_back(motion.at<float>(y, x));
      }
    }
    if (!usable_motion.empty()) {
      auto middle = usable_motion.begin() + static_cast<std::ptrdiff_t>(usable_motion.size() / 2);
      std::nth_element(usable_motion.begin(), middle, usable_motion.end());
      const double k = strictness(settings_.sensitivity);
      motion_threshold = *middle * kMotionNoiseFactor + kMotionLevel * k;
    }
  }

  const double k = strictness(settings_.sensitivity);
  const auto presence_level = static_cast<float>(kPresenceLevel * k);
  const auto gain_f = static_cast<float>(gain);
  const auto motion_level = static_cast<float>(motion_threshold);
  const auto background_rate = static_cast<float>(dt / (warming ? kWarmupRateS : kBackgroundS));
  const auto busy_rate = static_cast<float>(dt / (warming ? kWarmupRateS * 2 : kBusyS));
  const auto rigid_rate = static_cast<float>(std::min(1.0, dt / kRigidS));
  const bool can_search = !previous_grey_.empty() && previous_grey_.size() == scene_grey.size();
  cv::Mat step = cv::Mat::zeros(grid_, CV_32F);  // change since the previous analysis frame
  // Whether this frame shows nothing new: a time-lapse or an encoder
  // padding its frame rate repeats frames (the HPWREN clip is 3 fps padded
  // to 6: every other frame is a re-encoded copy that changes no 8 px
  // block by more than 1.5 grey levels). In such a frame every moving
  // block seems to have stopped, and the one-step test called the plume a
  // solid object standing still about every other frame (its first block
  // was voted smoke-like at 22 s instead of 19 s). A frame in which nothing
  // changed anywhere tells nothing about how a block changes, so the test
  // is not applied to it.
  bool unchanged = false;
  if (can_search) {
    cv::Mat change;
    cv::absdiff(scene_grey, previous_grey_, change);
    step = block_means(change);
    unchanged = repeats_previous(block_ == kRepeatBlockPx ? step : repeat_block_means(change), kRepeatLevel);
  }
  int usable_count = 0;
  int candidate_count = 0;
  candidates_.setTo(0);
  cues_.setTo(0);
  cv::Mat lamps = cv::Mat::zeros(grid_, CV_8U);
  cv::Mat point_lamps = cv::Mat::zeros(grid_, CV_8U);
  for (int y = 0; y < grid_.height; ++y) {
    for (int x = 0; x < grid_.width; ++x) {
      if (usable_.at<std::uint8_t>(y, x) == 0) continue;
      ++usable_count;
      const float l = light.at<float>(y, x);
      const float e = edges.at<float>(y, x);
      const float c = chroma.at<float>(y, x);
      const float m = motion.at<float>(y, x);
      float& busy = busy_.at<float>(y, x);
      const bool moving = m > motion_level;
      const bool present = std::abs(l - light_.at<float>(y, x) * gain_f) >= presence_level;
      const bool grey = c <= kGreyChroma && c <= chroma_.at<float>(y, x) + kChromaSlack;
      const bool soft = e <= edges_.at<float>(y, x) * kEdgeGain + kEdgeSlack;
      const bool quiet = busy < kBusyLimit;
      // A light source's core stands out against a dark background (night,
      // dusk, shade). Where the block is bright already, near-white is a
      // sunlit surface or white smoke in the sun (the HPWREN plume over a
      // ridge at grey 160), not a lamp.
      const bool dark = light_.at<float>(y, x) * gain_f < kGlareDarkLevel;
      const bool no_glare = !dark || glare.at<float>(y, x) <= glare_.at<float>(y, x) + kGlareSlack;
      if (dark && glare.at<float>(y, x) >= glare_.at<float>(y, x) + kLampShare) lamps.at<std::uint8_t>(y, x) = 255;
      if (points.at<float>(y, x) >= points_.at<float>(y, x) + kLampShare) point_lamps.at<std::uint8_t>(y, x) = 255;
      // Only blocks that changed are tested for a solid object: one that
      // changed in a single step (cheap), or else slid (the shift search
      // is the costly part).
      bool solid = false;
      if (can_search && moving && present) {
        solid = !unchanged && changed_in_one_step(step.at<float>(y, x), m, kStillShare, kAbruptShare);
        if (!solid) {
          const cv::Rect block(x * block_, y * block_, block_, block_);
          const auto shift = best_block_shift(scene_grey, previous_grey_, block, kShiftReachPx, kShiftExplained);
          solid = sliding_rigidly(shift, kShiftMinChange, kShiftExplained);
        }
      }
      float& rigid = rigid_.at<float>(y, x);
      rigid += rigid_rate * ((solid ? 1.0F : 0.0F) - rigid);
      const bool not_rigid = rigid < kRigidLimit;
      cues_.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>((moving ? kMoving : 0) | (present ? kPresent : 0) |
                                                                (grey ? kGrey : 0) | (soft ? kSoft : 0) |
                                                                (quiet ? kNotBusy : 0) | (no_glare ? kNoGlare : 0) |
                                                                (not_rigid ? kNotRigid : 0));
      const bool candidate = moving && present && grey && soft && quiet && no_glare && not_rigid && !warming;
      if (candidate) {
        candidates_.at<std::uint8_t>(y, x) = 255;
        ++candidate_count;
      }
      // How often the block moves, learnt only while it is not voted
      // smoke (a plume must not teach its own blocks to be ignored).
      if (votes_.at<float>(y, x) < kQuietVote) busy += busy_rate * ((moving ? 1.0F : 0.0F) - busy);
    }
  }
  remember_lamps(lamps, lamp_seen_s_, t_s);
  remember_lamps(point_lamps, point_lamp_seen_s_, t_s);
  // Once per frame, on the backgrounds as they stood before this frame taught them.
  const bool dusk_or_night = dark_scene(gain);
  if (!rear_lights.empty() && dusk_or_night) {
    // A beam lights only what is dark: by day, or on a lit wall, it
    // changes nothing a block test sees. Rear lights are judged in the
    // picture as it is, not with strokes held: a far lamp is no thicker
    // than a burned-in stroke, and held it would read as the road it
    // covers while it moves.
    const cv::Mat dark_blocks = light_ * gain < kGlareDarkLevel;
    beam_seen_s_.setTo(static_cast<float>(t_s),
                       rear_light_beams(picture, rear_lights, dark_blocks, block_, kRearLight, kBeamReach));
  }
  // Too much of the frame at once is a global change, not a plume: the
  // votes hold still.
  const bool global = usable_count > 0 &&
                      static_cast<double>(candidate_count) > settings_.max_global_share * usable_count;
  const auto vote_rate = static_cast<float>(std::min(1.0, dt / settings_.persistence_s));
  for (int y = 0; y < grid_.height; ++y) {
    for (int x = 0; x < grid_.width; ++x) {
      if (usable_.at<std::uint8_t>(y, x) == 0) continue;
      float& vote = votes_.at<float>(y, x);
      if (!global) vote += vote_rate * ((candidates_.at<std::uint8_t>(y, x) != 0 ? 1.0F : 0.0F) - vote);
      // Block backgrounds learn where nothing smoke-like is going on.
      if (vote < kQuietVote && candidates_.at<std::uint8_t>(y, x) == 0) {
        float& background_light = light_.at<float>(y, x);
        background_light += background_rate * (light.at<float>(y, x) / gain_f - background_light);
        float& background_edges = edges_.at<float>(y, x);
        background_edges += background_rate * (edges.at<float>(y, x) - background_edges);
        float& background_chroma = chroma_.at<float>(y, x);
        background_chroma += background_rate * (chroma.at<float>(y, x) - background_chroma);
        float& background_glare = glare_.at<float>(y, x);
        background_glare += background_rate * (glare.at<float>(y, x) - background_glare);
        float& background_points = points_.at<float>(y, x);
        background_points += background_rate * (points.at<float>(y, x) - background_points);
        if (!colour.empty()) {
          cv::Vec3f& background_colour = colour_.at<cv::Vec3f>(y, x);
          background_colour += background_rate * (colour.at<cv::Vec3f>(y, x) / gain_f - background_colour);
        }
      }
    }
  }
  learn_scene(scene_grey, gain, background_rate);
  if (global) candidates_.setTo(0);
  // Kept without a copy: no one writes to a frame's features once they are
  // computed, the analyzer shrinks every frame into a new picture, and
  // held pictures are this frame's own copies.
  previous_grey_ = scene_grey;
  previous_gradient_ = scene_gradient;
  previous_chroma_ = chroma_pixels;
  previous_picture_ = scene_picture;

  follow_regions(regions_now(), t_s);

  // Episode: one per camera at a time; it covers every confirmed region.
  std::optional<cv::Rect> confirmed;
  for (const auto& region : regions_) {
    if (region.seen_s < t_s || region.area < settings_.min_blocks) continue;
    // Smoke rises and spreads from where it comes out: the top climbs, the
    // area grows, and the bottom does not follow the top (a vehicle
    // driving away climbs too, but as a whole; one coming closer grows
    // downwards). Faint smoke in a wind may spread sideways before it
    // climbs a block: an area that at least doubled, with the bottom held
    // within a block of where it was, counts as well.
    const bool lasted = t_s - region.first_s >= settings_.confirm_s;
    const int risen = region.first_top - region.box.y;
    const int sunk = region.box.y + region.box.height - region.first_bottom;
    const bool grew = region.area >= std::max(region.first_area + 2, static_cast<int>(std::ceil(region.first_area * 1.3)));
    const bool held = region.box.y + region.box.height >= region.first_bottom - 1;
    const bool upwards = risen >= 1 && sunk <= risen && held;
    const bool spread =
        region.area >= std::max(region.first_area + kSpreadBlocks, 2 * region.first_area) && sunk <= 1 && held;
    const bool sourced = t_s - region.source_seen_s <= kSourceLostS;
    const bool fluid = rigid_share(region.box) <= kRegionRigidLimit;
    const bool known = episode_ && (region.box & episode_->box).area() > 0;
    // Far away, a plume blown along a ridge may spread sideways in one
    // block row, about a block a second, its blocks voted smoke-like 2 s
    // behind its front: too few of them for the rules above in its first
    // seconds (the HPWREN plume has 3 at 21.7 s and 4 at 22.8 s). Counted
    // from its first smoke-like block (its seed) and with the candidates
    // at its front, it has spread as far as the spread rule asks from a
    // first shape. Creeping and stopping vehicles do that too, so two
    // more signs of a young plume are asked: it only grew since its seed
    // (a vehicle that moves on, stops or turns loses blocks as it gains
    // them), and it shows the scene through it.
    const int reach_bottom = region.reach.y + region.reach.height;
    const bool spread_from_seed = t_s - region.seed_s >= settings_.confirm_s && !region.shrunk &&
                                  region.reach_area >= std::max(region.seed_area + kSpreadBlocks, 2 * region.seed_area) &&
                                  reach_bottom <= region.seed_bottom + 1 && held;
    // A region that grew as smoke does may still be a queue of grey
    // vehicles creeping up behind one another (or a truck's headlight
    // pool at night): not rigid enough for the block tests, but opaque.
    // Where the region lies over textured scene, smoke shows that texture
    // through it at first (the library's plumes in at least two thirds
    // of such blocks when they are confirmed); a vehicle hides it (a
    // fifth to a quarter in the library's stop-and-go queues). A region
    // over no texture (the sky, a flat road) is not judged this way.
    //
    // Dust lifted off a road by a gust rises and spreads as smoke does and
    // is thin enough to show the scene, but it is brown: it warms what it
    // covers (the library's dust clouds add B, G, R = +5, +9, +12 to a
    // neutral road), which no grey veil does. A region most of whose
    // judged blocks changed that way is not smoke.
    //
    // At dusk and at night a stream of headlights lights the road and the
    // facades round their path, and the block backgrounds learn some of
    // that light. Once it has passed, what it lit is darker than its
    // background, and with the next vehicle moving through, the dark
    // patch can grow as a dark plume would. Light only ever adds to a
    // scene: a block that is darker than its background just after a
    // lamp shone near it (while its background may still hold that
    // light: kLampMemoryS, three of its time constants) is the light leaving,
    // and a region mostly of such blocks is not smoke. A plume darkens
    // what it covers with no lamp near it, and white smoke brightens it.
    // While a lamp is shining its glow brightens the blocks round it, and
    // where the road is not dark (a dusk street near the vanishing point)
    // the lamp test above does not see it: a block brighter than its
    // background while a new point of light shines near it (a lamp's
    // core, a few pixels near white in every channel on a darker ground;
    // point_of_light_shares) counts as lamp-lit too, and so, at dusk or
    // night, does one brighter while a lamp shines near it.
    const bool by_growth = lasted && (upwards || spread) && grew;
    const bool young_plume = (spread_from_seed || by_growth) && sourced && fluid && !known;
    const SceneView view = young_plume ? scene_through(region.box, scene_grey, gain) : SceneView{};
    const bool textured = view.textured >= settings_.min_blocks;
    const bool shows_scene = textured && view.followed == view.textured;
    const bool hides_scene = textured && view.followed < kSceneShownShare * view.textured;
    const Tint tint = young_plume ? tint_of(region.box, colour, gain) : Tint{};
    const bool warm = tint.judged >= settings_.min_blocks && tint.warm >= kWarmShare * tint.judged;
    const Lamplit lit = young_plume ? lamplit_in(region.box, light, gain, dusk_or_night, t_s) : Lamplit{};
    const int lamplit = lit.darkened_near_lamp + lit.brightened_near_lamp + lit.in_beam;
    const bool lamplight = lamplit >= settings_.min_blocks && lamplit >= kLamplitShare * lit.smoke_like;
    if ((young_plume && ((by_growth && !hides_scene) || (spread_from_seed && shows_scene)) && !warm && !lamplight) ||
        known) {
      confirmed = confirmed ? (*confirmed | region.box) : region.box;
    }
  }
  if (confirmed) {
    if (!episode_) {
      Episode episode;
      episode.number = next_episode_++;
      episode.box = *confirmed;
      episode.started_s = t_s;
      episode.last_smoke_s = t_s;
      episode.reported_area = confirmed->area();
      episode.reported_s = t_s;
      episode.confidence = confidence_in(*confirmed);
      episode_ = episode;
      auto event = episode_event(Phase::start, t_s);
      event.summary = fmt::format("Smoke: a grey, slowly moving region that rose and grew for {:.0f} s, {:.0f}% of the view",
                                  settings_.confirm_s, 100.0 * event.box[2] * event.box[3]);
      events.push_back(std::move(event));
    } else {
      auto& episode = *episode_;
      episode.box |= *confirmed;
      episode.last_smoke_s = t_s;
      episode.confidence = std::max(episode.confidence, confidence_in(*confirmed));
      if (episode.box.area() >= kUpdateGrowth * episode.reported_area && t_s - episode.reported_s >= kUpdateEveryS) {
        episode.reported_area = episode.box.area();
        episode.reported_s = t_s;
        auto event = episode_event(Phase::update, t_s);
        event.summary = fmt::format("Smoke spreading: {:.0f}% of the view", 100.0 * event.box[2] * event.box[3]);
        events.push_back(std::move(event));
      }
    }
  } else if (episode_ && t_s - episode_->last_smoke_s >= settings_.clear_s) {
    auto event = episode_event(Phase::end, t_s);
    event.ended_s = episode_->last_smoke_s;
    event.summary = "Smoke cleared";
    events.push_back(std::move(event));
    episode_.reset();
  }
  return events;
}

VisionEvent SmokeDetector::episode_event(Phase phase, double t_s) const {
  VisionEvent event;
  event.type = EventType::smoke;
  event.phase = phase;
  event.episode = episode_->number;
  event.box = normalised(episode_->box);
  event.confidence = episode_->confidence;
  event.time_s = t_s;
  event.started_s = episode_->started_s;
  return event;
}

std::vector<SmokeDetector::Region> SmokeDetector::regions_now() const {
  // Every group of smoke-like blocks, down to one (a seed is followed
  // before it is a region), with its reach: the candidates touching it
  // now, where it spreads before the votes there catch up.
  std::vector<Region> found;
  const cv::Mat smoke = votes_ >= static_cast<float>(kVoteLevel);
  cv::Mat labels;
  cv::Mat stats;
  cv::Mat centroids;
  const int count = cv::connectedComponentsWithStats(smoke, labels, stats, centroids, 8, CV_32S);
  if (count <= 1) return found;
  cv::Mat reach_labels;
  cv::Mat reach_stats;
  cv::connectedComponentsWithStats(smoke | candidates_, reach_labels, reach_stats, centroids, 8, CV_32S);
  const auto box_of = [](const cv::Mat& table, int label) {
    return cv::Rect(table.at<int>(label, cv::CC_STAT_LEFT), table.at<int>(label, cv::CC_STAT_TOP),
                    table.at<int>(label, cv::CC_STAT_WIDTH), table.at<int>(label, cv::CC_STAT_HEIGHT));
  };
  std::vector<int> reach_of(static_cast<std::size_t>(count), 0);  // each group lies inside one reach
  for (int y = 0; y < labels.rows; ++y) {
    for (int x = 0; x < labels.cols; ++x) {
      const int label = labels.at<int>(y, x);
      if (label > 0) reach_of[static_cast<std::size_t>(label)] = reach_labels.at<int>(y, x);
    }
  }
  for (int label = 1; label < count; ++label) {
    Region region;
    region.box = box_of(stats, label);
    region.area = stats.at<int>(label, cv::CC_STAT_AREA);
    const int reach = reach_of[static_cast<std::size_t>(label)];
    region.reach = box_of(reach_stats, reach);
    region.reach_area = reach_stats.at<int>(reach, cv::CC_STAT_AREA);
    found.push_back(region);
  }
  return found;
}

void SmokeDetector::follow_regions(const std::vector<Region>& found, double t_s) {
  // A group found now continues every followed one it overlaps (grown by
  // a block): the one with the oldest seed gives the seed, the oldest
  // region (min_blocks reached) its birth time and first shape, so a
  // plume that splits and merges keeps its history.
  std::vector<Region> next;
  std::vector<bool> used(regions_.size(), false);
  for (const auto& now : found) {
    const cv::Rect grown(now.box.x - 1, now.box.y - 1, now.box.width + 2, now.box.height + 2);
    std::optional<std::size_t> oldest_seed;
    std::optional<std::size_t> oldest;
    for (std::size_t i = 0; i < regions_.size(); ++i) {
      if ((regions_[i].box & grown).area() == 0) continue;
      used[i] = true;
      if (!oldest_seed || regions_[i].seed_s < regions_[*oldest_seed].seed_s) oldest_seed = i;
      if (regions_[i].born && (!oldest || regions_[i].first_s < regions_[*oldest].first_s)) oldest = i;
    }
    Region region = now;
    region.seen_s = t_s;
    if (oldest_seed) {
      const Region& before = regions_[*oldest_seed];
      region.seed_s = before.seed_s;
      region.seed_area = before.seed_area;
      region.seed_bottom = before.seed_bottom;
      region.shrunk =
          before.shrunk || now.area < before.most_area || now.reach_area < before.most_reach - kReachSlackBlocks;
      region.most_area = std::max(before.most_area, now.area);
      region.most_reach = std::max(before.most_reach, now.reach_area);
    } else {
      region.seed_s = t_s;
      region.seed_area = now.area;
      region.seed_bottom = now.box.y + now.box.height;
      region.most_area = now.area;
      region.most_reach = now.reach_area;
    }
    // Below min_blocks a group is no region: after kRegionLostS so it
    // loses its birth (as a region not seen that long is forgotten).
    const bool whole = now.area >= settings_.min_blocks;
    if (oldest && (whole || t_s - regions_[*oldest].whole_s < kRegionLostS)) {
      region.born = true;
      region.whole_s = whole ? t_s : regions_[*oldest].whole_s;
      region.first_s = regions_[*oldest].first_s;
      region.first_top = regions_[*oldest].first_top;
      region.first_bottom = regions_[*oldest].first_bottom;
      region.first_area = regions_[*oldest].first_area;
      region.source_seen_s = regions_[*oldest].source_seen_s;
    } else if (whole) {
      region.born = true;
      region.whole_s = t_s;
      region.first_s = t_s;
      region.first_top = now.box.y;
      region.first_bottom = now.box.y + now.box.height;
      region.first_area = now.area;
      region.source_seen_s = t_s;
    }
    if (region.born && source_active(region)) region.source_seen_s = t_s;
    next.push_back(region);
  }
  for (std::size_t i = 0; i < regions_.size(); ++i) {
    if (!used[i] && t_s - regions_[i].seen_s < kRegionLostS) next.push_back(regions_[i]);
  }
  regions_ = std::move(next);
}

double SmokeDetector::rigid_share(const cv::Rect& blocks) const {
  // A vehicle's blocks slide now and then even when each stays under the
  // block limit; smoke's hardly ever do.
  const cv::Mat smoke = votes_(blocks) >= static_cast<float>(kVoteLevel);
  if (cv::countNonZero(smoke) == 0) return 0;
  return cv::mean(rigid_(blocks), smoke)[0];
}

bool SmokeDetector::source_active(const Region& region) const {
  // Smoke keeps coming out where it started: candidates stay in the rows
  // just above the region's first bottom (a vehicle driving away leaves
  // them, its votes trailing behind it).
  const int top = std::max(0, region.first_bottom - kSourceRows);
  const cv::Rect band = cv::Rect(region.box.x - 1, top, region.box.width + 2, region.first_bottom - top) &
                        cv::Rect(0, 0, grid_.width, grid_.height);
  return band.area() > 0 && cv::countNonZero(candidates_(band)) > 0;
}

std::array<double, 4> SmokeDetector::normalised(const cv::Rect& blocks) const {
  const double w = size_.width;
  const double h = size_.height;
  return {blocks.x * block_ / w, blocks.y * block_ / h, std::min(1.0, blocks.width * block_ / w),
          std::min(1.0, blocks.height * block_ / h)};
}

SmokeDetector::SceneView SmokeDetector::scene_through(const cv::Rect& blocks, const cv::Mat& grey, double gain) const {
  // Per smoke-like block of the region, whether it still shows the
  // textured scene behind it (edge/vision/smoke_cues.hpp).
  SceneView view;
  for (int y = blocks.y; y < blocks.y + blocks.height; ++y) {
    for (int x = blocks.x; x < blocks.x + blocks.width; ++x) {
      if (votes_.at<float>(y, x) < kVoteLevel) continue;
      const cv::Rect pixels(x * block_, y * block_, block_, block_);
      const auto behind = scene_behind_block(scene_(pixels) * gain, grey(pixels), kSceneTexture, kSceneFollowed);
      if (behind == SceneBehind::no_texture) continue;
      ++view.textured;
      if (behind == SceneBehind::follows) ++view.followed;
    }
  }
  return view;
}

cv::Scalar SmokeDetector::scene_light() const {
  // The colour of the light, from the greyest third of the block
  // backgrounds (a road, concrete, a grey facade reflect the light as it
  // comes; brick, trees and painted walls do not).
  std::vector<float> greyness;
  for (int y = 0; y < grid_.height; ++y) {
    for (int x = 0; x < grid_.width; ++x) {
      if (usable_.at<std::uint8_t>(y, x) != 0) greyness.push_back(chroma_.at<float>(y, x));
    }
  }
  if (greyness.empty()) return cv::Scalar::all(1);
  auto third = greyness.begin() + static_cast<std::ptrdiff_t>(greyness.size() / 3);
  std::nth_element(greyness.begin(), third, greyness.end());
  const cv::Mat grey_blocks = (chroma_ <= *third) & usable_;
  return cv::mean(colour_, grey_blocks);
}

SmokeDetector::Tint SmokeDetector::tint_of(const cv::Rect& blocks, const cv::Mat& colour, double gain) const {
  // Per smoke-like block of the region that changed enough, whether the
  // change is warmer than a grey veil's (edge/vision/smoke_cues.hpp), with
  // both colours balanced to the colour of the scene's light (dusk and
  // lamplight tint every surface, and smoke with them).
  Tint tint;
  if (colour.empty() || colour_.empty()) return tint;
  const cv::Scalar light = scene_light();
  const double level = (light[0] + light[1] + light[2]) / 3.0;
  if (level <= 0) return tint;
  const cv::Vec3f balance(static_cast<float>(level / std::max(1.0, light[0])),
                          static_cast<float>(level / std::max(1.0, light[1])),
                          static_cast<float>(level / std::max(1.0, light[2])));
  const auto gain_f = static_cast<float>(gain);
  for (int y = blocks.y; y < blocks.y + blocks.height; ++y) {
    for (int x = blocks.x; x < blocks.x + blocks.width; ++x) {
      if (votes_.at<float>(y, x) < kVoteLevel) continue;
      const cv::Vec3f behind = colour_.at<cv::Vec3f>(y, x).mul(balance) * gain_f;
      const cv::Vec3f seen = colour.at<cv::Vec3f>(y, x).mul(balance);
      const double change = std::abs((seen[0] + seen[1] + seen[2] - behind[0] - behind[1] - behind[2]) / 3.0);
      if (change < kTintMinChange) continue;
      ++tint.judged;
      if (warmth_beyond_grey_veil(behind, seen) >= kWarmBeyondVeil) ++tint.warm;
    }
  }
  return tint;
}

bool SmokeDetector::dark_scene(double gain) const {
  return cv::mean(light_, usable_)[0] * gain < kDarkSceneLevel;
}

SmokeDetector::Lamplit SmokeDetector::lamplit_in(const cv::Rect& blocks, const cv::Mat& light, double gain,
                                                 bool dusk_or_night, double t_s) const {
  // Per smoke-like block of the region, whether it lay in the beam of a
  // vehicle driving away within kBeamMemoryS (or, darker than its
  // background, within kLampMemoryS), or else is darker than its
  // background within kLampMemoryS of a lamp shining near it, or brighter
  // within kShiningMemoryS of a point of light shining near it (or, in a
  // dark scene, of a lamp).
  Lamplit lit;
  for (int y = blocks.y; y < blocks.y + blocks.height; ++y) {
    for (int x = blocks.x; x < blocks.x + blocks.width; ++x) {
      if (votes_.at<float>(y, x) < kVoteLevel) continue;
      ++lit.smoke_like;
      const bool darker = light.at<float>(y, x) < light_.at<float>(y, x) * gain;
      const bool lamp_shone_lately = t_s - lamp_seen_s_.at<float>(y, x) <= kLampMemoryS;
      const bool point_shining = t_s - point_lamp_seen_s_.at<float>(y, x) <= kShiningMemoryS;
      const bool lamp_shining = t_s - lamp_seen_s_.at<float>(y, x) <= kShiningMemoryS;
      const double since_beam = t_s - beam_seen_s_.at<float>(y, x);
      const bool in_beam = since_beam <= kBeamMemoryS || (darker && since_beam <= kLampMemoryS);
      if (in_beam) ++lit.in_beam;
      else if (darker && lamp_shone_lately) ++lit.darkened_near_lamp;
      else if (!darker && (point_shining || (dusk_or_night && lamp_shining))) ++lit.brightened_near_lamp;
    }
  }
  return lit;
}

double SmokeDetector::confidence_in(const cv::Rect& blocks) const {
  // The mean vote of the region's smoke-like blocks, from 0.5 (just
  // reached) to 1 (smoke-like in every recent frame).
  const cv::Mat area = votes_(blocks & cv::Rect(0, 0, grid_.width, grid_.height));
  const cv::Mat smoke = area >= static_cast<float>(kVoteLevel);
  if (cv::countNonZero(smoke) == 0) return kVoteLevel;
  return std::clamp(cv::mean(area, smoke)[0], kVoteLevel, 1.0);
}

std::vector<VisionEvent> SmokeDetector::open_episodes(double t_s) const {
  std::vector<VisionEvent> out;
  if (!episode_) return out;
  auto event = episode_event(Phase::update, t_s);
  out.push_back(std::move(event));
  return out;
}

}  // namespace gridwatch::edge::vision
