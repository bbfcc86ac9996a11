#include "edge/vision/stationary_tracker.hpp"

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "edge/vision/boxes.hpp"

namespace gridwatch::edge::vision {
namespace {

constexpr double kVisibleMatch = 0.5;   // share of an object's pixels that must match to count as seen
constexpr double kRoadShare = 0.6;      // share showing the empty road that means it has gone
constexpr int kJoinGap = 4;             // analysis pixels between pieces of one vehicle
constexpr double kFormingS = 30;        // an object takes in pieces found this long after it was created
constexpr int kMinSignature = 8;        // pixels that must tell a vehicle from the road
constexpr double kRememberDepartedS = 120;
constexpr double kRemnantS = 5;         // pixels that stop this soon after a vehicle left are what it left behind
constexpr double kGhostEnergy = 0.6;    // a ghost has less structure now than the background has
constexpr double kSettleSlackS = 2.0;   // a creeping vehicle's rest stops about when its first piece stops matching
constexpr float kRoadEdge = 1.0F;       // structure (normalised units) that makes a background pixel an edge of the road
constexpr double kRingEdgesBack = 0.8;  // share of the road's edges around a vehicle that must show when it has gone
constexpr double kLightOnlyShare = 0.9;  // signature share with the road's structure: light, not a vehicle
constexpr double kClearlyRoad = 0.3;    // the road reading must beat the vehicle's by this share to win

double share_matching(const cv::Mat& distance, const cv::Mat& mask, float threshold) {
  const int total = cv::countNonZero(mask);
  if (total == 0) return 0;
  cv::Mat close = distance < threshold;
  close &= mask;
  return static_cast<double>(cv::countNonZero(close)) / total;
}

double energy(const cv::Mat& norm, const cv::Mat& mask) {
  cv::Mat magnitude = cv::abs(norm);
  return cv::mean(magnitude, mask)[0];
}


}  // namespace

StationaryTracker::StationaryTracker(cv::Size size, const CameraSettings& settings)
    : size_(size), settings_(settings) {
  for (const auto& zone : settings_.zones) {
    std::vector<cv::Point2f> polygon;
    for (const auto& p : zone.polygon) {
      polygon.emplace_back(static_cast<float>(p.x * size_.width), static_cast<float>(p.y * size_.height));
    }
    zones_.push_back(std::move(polygon));
  }
}

std::array<double, 4> StationaryTracker::normalised(const cv::Rect& box) const {
  const double w = size_.width;
  const double h = size_.height;
  return {box.x / w, box.y / h, box.width / w, box.height / h};
}

std::optional<std::size_t> StationaryTracker::zone_of(const cv::Rect& box) const {
  const cv::Point2f bottom_centre(static_cast<float>(box.x) + static_cast<float>(box.width) / 2.0F,
                                  static_cast<float>(box.y + box.height));
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    if (zones_[i].size() >= 3 && cv::pointPolygonTest(zones_[i], bottom_centre, false) >= 0) return i;
  }
  return std::nullopt;
}

bool StationaryTracker::vehicle_shaped(const cv::Rect& box) const {
  const auto norm = normalised(box);
  const auto& filter = settings_.vehicle;
  const double aspect = static_cast<double>(box.width) / std::max(1, box.height);
  return norm[2] >= filter.min_width && norm[2] <= filter.max_width && norm[3] >= filter.min_height &&
         norm[3] <= filter.max_height && aspect >= filter.min_aspect && aspect <= filter.max_aspect;
}

cv::Mat StationaryTracker::footprint() const {
  cv::Mat out(size_, CV_8U, cv::Scalar(0));
  for (const auto& object : objects_) {
    if (object.end_s) continue;
    const cv::Rect grown = widened(object.box, kJoinGap) & cv::Rect(0, 0, size_.width, size_.height);
    out(grown).setTo(255);
  }
  return out;
}

cv::Mat StationaryTracker::signature_of(const cv::Rect& box, const cv::Mat& mask, const FrameFeatures& features,
                                        const StaticMap& map) const {
  const Appearance road{map.background().norm(box), map.background().grey(box)};
  const cv::Mat distance = appearance_distance(features.norm(box), features.grey(box), road,
                                               ring_gain(box, features, map), settings_.detector.difference);
  cv::Mat signature = distance >= 1.0F;
  signature &= mask;
  return signature;
}

cv::Rect StationaryTracker::around(const cv::Rect& box) const {
  const int margin = std::max(4, box.height / 4);
  return widened(box, margin) & cv::Rect(0, 0, size_.width, size_.height);
}

double StationaryTracker::ring_gain(const cv::Rect& box, const FrameFeatures& features, const StaticMap& map) const {
  // The light on the road around the box against the background: follows
  // a cloud shadow or a street lamp over the vehicle as well as global
  // changes. Falls back to the global gain when the ring is mostly off-frame.
  const cv::Rect outer = around(box);
  cv::Mat ring(outer.size(), CV_8U, cv::Scalar(255));
  ring(box - outer.tl()).setTo(0);
  if (cv::countNonZero(ring) < 16) return map.gain();
  const double now = cv::mean(features.grey(outer), ring)[0];
  const double then = cv::mean(map.background().grey(outer), ring)[0];
  return then > 1 ? std::clamp(now / then, 0.2, 5.0) : map.gain();
}

cv::Mat StationaryTracker::distance_to(const TrackedObject& object, const FrameFeatures& features, const cv::Rect& area,
                                       double gain) const {
  const cv::Rect local = area - object.box.tl();
  const Appearance reference{object.appearance.norm(local), object.appearance.grey(local)};
  return appearance_distance(features.norm(area), features.grey(area), reference, gain / object.gain,
                             settings_.detector.difference);
}

void StationaryTracker::follow(TrackedObject& object, const FrameFeatures& features, double t_s,
                               const StaticMap& map) const {
  const float threshold = 1.0F;
  const double gain = ring_gain(object.box, features, map);
  const cv::Mat to_appearance = distance_to(object, features, object.box, gain);
  const Appearance road{map.background().norm(object.box), map.background().grey(object.box)};
  const cv::Mat to_road = appearance_distance(features.norm(object.box), features.grey(object.box), road, gain,
                                              settings_.detector.difference);
  object.match = share_matching(to_appearance, object.signature, threshold);
  const double road_share = share_matching(to_road, object.signature, threshold);
  // A vehicle whose look is close to the road's (silver in the rain)
  // can match both once it has gone; when the road reads clearly better,
  // the road wins: the signature pixels are the ones that differed from
  // the road when it stopped, so while it stands most of them still do.
  // Only clearly: a cloud shadow can make a grey car read somewhat like
  // road too. And only when the edges agree: a flat occluder can read
  // like road all over. When the look and the road match the spot alike
  // (a dim car gone from a night road: both within the comparison's grey
  // floor), the vehicle's own edges decide, where it has enough of them
  // to tell.
  bool road_shows = false;
  if (road_share >= kRoadShare) {
    const auto edges = read_edges(object, features, map);
    road_shows = edges.gone && (road_share >= object.match + kClearlyRoad || edges.own_edges_gone);
  }
  object.visible = object.match >= kVisibleMatch && !road_shows;
  if (object.visible) {
    object.last_seen_s = t_s;
    object.road_since_s.reset();
    // An ambiguous frame (much of the spot reads as road too) would teach
    // the look the road: it would then match the empty spot for ever.
    if (road_share >= kRoadShare) return;
    // Follow slow changes of light on the matching pixels only.
    const cv::Mat update_mask = (to_appearance < threshold) & object.mask;
    cv::Mat blended;
    cv::addWeighted(object.appearance.norm, 0.95, features.norm(object.box), 0.05, 0, blended);
    blended.copyTo(object.appearance.norm, update_mask);
    cv::Mat grey = features.grey(object.box) * (object.gain / gain);
    cv::addWeighted(object.appearance.grey, 0.95, grey, 0.05, 0, blended);
    blended.copyTo(object.appearance.grey, update_mask);
    return;
  }
  if (road_shows) {
    // An object that was only light on the road (a headlight pool or a
    // lamp-lit patch whose grey differed from the background, with the
    // road's own structure) and whose spot now clearly shows the road
    // again: that light has gone. Whatever stands on the spot from now on
    // (a vehicle parking in the light's place, taken in as the object's
    // rest) stopped no earlier than now, though its pixels' clocks run
    // from when the light came. Once only: later road readings of a dark
    // vehicle at night (grey as the road, no edges to tell) must not
    // keep restarting it. And only while it forms, the only time it can
    // take a vehicle in: later, a dim car at night that reads as road for
    // a moment is that car, and keeps the time it stopped.
    if (object.light_only && !object.restarted && t_s > object.since_s && t_s - object.created_s <= kFormingS) {
      object.restarted = true;
      object.grew_since_restart = false;
      spdlog::debug("t={:.1f} object {} (light only) showed the road: stop time {:.1f} -> {:.1f}", t_s, object.id,
                    object.since_s, t_s);
      object.since_s = t_s;
    }
    if (!object.road_since_s) object.road_since_s = t_s;
    if (t_s - *object.road_since_s >= settings_.detector.leave_confirm_s) {
      object.end_s = *object.road_since_s;
      spdlog::debug("t={:.1f} object {} left at {:.1f}", t_s, object.id, *object.end_s);
    }
    return;
  }
  object.road_since_s.reset();
  if (t_s - object.last_seen_s > settings_.detector.max_occlusion_s) {
    object.end_s = object.last_seen_s;
    spdlog::debug("t={:.1f} object {} hidden too long, dropped", t_s, object.id);
  }
}

StationaryTracker::EdgeReading StationaryTracker::read_edges(const TrackedObject& object, const FrameFeatures& features,
                                                            const StaticMap& map) const {
  // Grey can be fooled: a cloud shadow dims a grey car until its flat
  // panels read as road, and a bus's flat side, scaled by the light
  // around it, reads as the asphalt it hides. Edges are where light
  // cannot fool the test. A vehicle that has gone took its own edges
  // (structure its look has and the road lacks) and gave back the road's
  // (kerb lines, markings: structure the road has and the look lacks).
  // Either set, when there are enough of its pixels to tell, must agree.
  const auto threshold = static_cast<float>(settings_.detector.difference);
  const cv::Mat road = map.background().norm(object.box);
  const cv::Mat& look = object.appearance.norm;
  const cv::Mat now = features.norm(object.box);
  const cv::Mat look_road_differ = structure_distance(look, road) >= threshold;
  const cv::Mat look_stronger = cv::abs(look) > cv::abs(road);
  // An edge shows when the frame has a value like it within a pixel: the
  // edge's value lies in the frame's 3x3 range (the other way round, a
  // flat surface would pass next to any edge).
  const cv::Mat look_edges_show = structure_distance(look, now) < threshold;
  const cv::Mat road_edges_show = structure_distance(road, now) < threshold;
  // Where the road's own structure is like the vehicle's edge, the edge
  // showing proves nothing.
  const cv::Mat reads_as_road = structure_distance(now, road) < threshold;
  // The vehicle's edges.
  EdgeReading reading;
  cv::Mat own = look_road_differ & look_stronger & object.mask;
  const int own_total = cv::countNonZero(own);
  if (own_total >= kMinSignature) {
    cv::Mat remaining = own & look_edges_show & ~reads_as_road;
    if (cv::countNonZero(remaining) * 2 >= own_total) return reading;
    reading.own_edges_gone = true;
  }
  // The road's edges it hid.
  cv::Mat hidden = look_road_differ & ~look_stronger & object.mask;
  const int hidden_total = cv::countNonZero(hidden);
  if (hidden_total >= kMinSignature) {
    cv::Mat back = hidden & road_edges_show;
    if (cv::countNonZero(back) * 2 < hidden_total) return reading;
  }
  // The road's edges around it: a bus passing in front hides those too.
  const cv::Rect outer = around(object.box);
  const cv::Mat ring_road = map.background().norm(outer);
  cv::Mat ring = cv::abs(ring_road) >= kRoadEdge;
  ring(object.box - outer.tl()).setTo(0);
  const int ring_total = cv::countNonZero(ring);
  cv::Mat ring_back = ring & (structure_distance(ring_road, features.norm(outer)) < threshold);
  if (ring_total >= kMinSignature && cv::countNonZero(ring_back) < kRingEdgesBack * ring_total) return reading;
  reading.gone = true;
  return reading;
}

void StationaryTracker::consider(const StaticBlob& blob, const FrameFeatures& features, double t_s, StaticMap& map) {
  for (auto& object : objects_) {
    if (object.end_s) continue;
    const int gap = std::max(kJoinGap, object.box.height / 3);
    const cv::Rect grown = widened(object.box, gap);
    if ((grown & blob.box).area() == 0) continue;
    // Static pixels on or next to a followed vehicle are part of it: its
    // pixels restart their clocks after every passing shadow or vehicle,
    // but the vehicle keeps the time it stopped. A visible vehicle grows
    // to cover them; a hidden one keeps its spot until road shows there
    // (a queue standing on it, a bus in front). Only while it forms: later
    // growth would let a vehicle that parks beside it extend its stay.
    if (t_s - object.created_s <= kFormingS) {
      if (object.visible) {
        if ((object.box & blob.box).area() < blob.box.area()) grow(object, blob, features, map);
      } else if (blob.since_s >= object.last_seen_s - kSettleSlackS) {
        // Still forming and no longer matching its first look: the first
        // piece may have been caught while the vehicle crept to a halt.
        // The rest stopped when the creeping did, that is about when the
        // first look was last seen; take it in with its settled look.
        // Pixels that stood from before then are the same vehicle hidden
        // by traffic or leaving: its look now is not the vehicle's.
        if (vehicle_shaped(blob.box) && zone_of(blob.box) == object.zone) {
          object.box = blob.box;  // what it looked like then no longer holds
          object.mask = blob.mask.clone();
        }
        grow(object, blob, features, map);
        object.visible = true;
        object.last_seen_s = t_s;
      }
    }
    return;
  }
  // Pixels that stopped while a vehicle that has since left stood there:
  // what it left behind in the background, not a newcomer.
  for (const auto& gone : departed_) {
    const cv::Rect grown = widened(gone.box, kJoinGap);
    if ((grown & blob.box).area() > 0 && blob.since_s <= gone.end_s + kRemnantS) {
      map.absorb(blob, features);
      return;
    }
  }
  const auto norm = normalised(blob.box);
  if (!vehicle_shaped(blob.box)) {
    spdlog::debug("t={:.1f} blob [{:.3f} {:.3f} {:.3f} {:.3f}] since {:.1f}: not vehicle-shaped", t_s, norm[0], norm[1],
                  norm[2], norm[3], blob.since_s);
    return;
  }
  const auto zone = zone_of(blob.box);
  if (!zone) {
    spdlog::debug("t={:.1f} blob [{:.3f} {:.3f} {:.3f} {:.3f}] since {:.1f}: bottom centre in no zone", t_s, norm[0],
                  norm[1], norm[2], norm[3], blob.since_s);
    return;
  }
  // A ghost: where something stood when learning began, the road now shows
  // less structure than the background remembers.
  const cv::Mat now = features.norm(blob.box);
  if (energy(now, blob.mask) < kGhostEnergy * energy(map.background().norm(blob.box), blob.mask)) {
    spdlog::debug("t={:.1f} blob [{:.3f} {:.3f} {:.3f} {:.3f}] since {:.1f}: ghost, absorbed", t_s, norm[0], norm[1],
                  norm[2], norm[3], blob.since_s);
    map.absorb(blob, features);
    return;
  }
  spdlog::debug("t={:.1f} object {} [{:.3f} {:.3f} {:.3f} {:.3f}] in zone {} since {:.1f}", t_s, next_id_, norm[0],
                norm[1], norm[2], norm[3], settings_.zones[*zone].id, blob.since_s);
  auto signature = signature_of(blob.box, blob.mask, features, map);
  if (cv::countNonZero(signature) < kMinSignature) return;
  TrackedObject object;
  object.signature = std::move(signature);
  object.id = next_id_++;
  object.zone = *zone;
  object.box = blob.box;
  object.mask = blob.mask.clone();
  object.appearance = {now.clone(), features.grey(blob.box).clone()};
  object.gain = ring_gain(blob.box, features, map);
  object.since_s = blob.since_s;
  {
    // Light on the road (a headlight pool, a lamp-lit patch) differs from
    // the background in grey only; a vehicle brings edges of its own.
    // follow() restarts such an object's clock once its light has gone.
    const auto threshold = static_cast<float>(settings_.detector.difference);
    cv::Mat flat = structure_distance(now, map.background().norm(blob.box)) < threshold;
    flat &= object.signature;
    const int signature_pixels = cv::countNonZero(object.signature);
    object.light_only = signature_pixels > 0 && cv::countNonZero(flat) >= kLightOnlyShare * signature_pixels;
  }
  object.last_seen_s = t_s;
  object.created_s = t_s;
  object.match = 1;
  object.visible = true;
  objects_.push_back(std::move(object));
}

void StationaryTracker::grow(TrackedObject& object, const StaticBlob& blob, const FrameFeatures& features,
                              const StaticMap& map) const {
  // Pixels the object already covers that stop again are the object
  // itself after something passed in front; only a piece mostly beside
  // it is something that stopped there. Only a light-only object asks.
  bool mostly_new = true;
  if (object.light_only) {
    const cv::Rect shared = object.box & blob.box;
    if (!shared.empty()) {
      cv::Mat covered = object.mask(shared - object.box.tl()) & blob.mask(shared - blob.box.tl());
      mostly_new = cv::countNonZero(covered) * 2 < cv::countNonZero(blob.mask);
    }
  }
  cv::Rect joined = object.box | blob.box;
  if (!vehicle_shaped(joined) || zone_of(joined) != object.zone) {
    if (!vehicle_shaped(blob.box) || zone_of(blob.box) != object.zone) return;
    joined = blob.box;  // the blob alone is the better outline
    object.mask = cv::Mat(blob.box.size(), CV_8U, cv::Scalar(0));
    object.box = blob.box;
  }
  cv::Mat mask(joined.size(), CV_8U, cv::Scalar(0));
  object.mask.copyTo(mask(object.box - joined.tl()), object.mask);
  blob.mask.copyTo(mask(blob.box - joined.tl()), blob.mask);
  object.box = joined;
  object.mask = mask;
  object.signature = signature_of(joined, mask, features, map);
  object.appearance = {features.norm(joined).clone(), features.grey(joined).clone()};
  object.gain = ring_gain(joined, features, map);
  object.grew_since_restart = true;
  // Light on the road comes before the vehicle it falls on stops: a car's
  // own headlights light its spot while it pulls in. An object that began
  // as light stopped when its last piece did.
  if (object.light_only && mostly_new) object.since_s = std::max(object.since_s, blob.since_s);
}

void StationaryTracker::update(const FrameFeatures& features, double t_s, StaticMap& map) {
  departed_.erase(std::remove_if(departed_.begin(), departed_.end(),
                                 [&](const Departed& gone) { return t_s - gone.end_s > kRememberDepartedS; }),
                  departed_.end());
  objects_.erase(std::remove_if(objects_.begin(), objects_.end(), [](const TrackedObject& o) { return o.end_s.has_value(); }),
                 objects_.end());
  for (auto& object : objects_) {
    follow(object, features, t_s, map);
    // Light that went while the object formed leaves it waiting for a
    // vehicle to take the light's place. None came: what remains is
    // a patch of road, which at night reads as the road and as the
    // light's faded look alike, and would stand there for ever.
    if (!object.end_s && object.restarted && !object.grew_since_restart && t_s - object.created_s > kFormingS) {
      object.end_s = t_s;
      spdlog::debug("t={:.1f} object {} (light only): no vehicle took the light's place, dropped", t_s, object.id);
    }
    if (object.end_s) departed_.push_back({object.box, *object.end_s});
  }
  for (const auto& blob : map.blobs(t_s)) consider(blob, features, t_s, map);
  merge_pieces(features, t_s, map);
  mark_possible_pieces(t_s);
}

void StationaryTracker::merge_pieces(const FrameFeatures& features, double t_s, const StaticMap& map) {
  // Pieces of one vehicle (a bumper, a roof) can stop a few pixels apart
  // and become objects of their own before either has grown to the whole
  // outline; once they overlap they are one vehicle, followed as the
  // older object. Only while the younger one forms: two vehicles that
  // stood side by side for a while keep their own episodes.
  for (std::size_t younger = 1; younger < objects_.size(); ++younger) {
    auto& piece = objects_[younger];
    if (piece.end_s || t_s - piece.created_s > kFormingS) continue;
    for (std::size_t older = 0; older < younger; ++older) {
      auto& object = objects_[older];
      if (object.end_s || object.zone != piece.zone) continue;
      const int overlap = (object.box & piece.box).area();
      if (overlap * 2 < std::min(object.box.area(), piece.box.area())) continue;
      spdlog::debug("t={:.1f} object {} is a piece of object {}", t_s, piece.id, object.id);
      grow(object, StaticBlob{piece.box, piece.mask, piece.since_s}, features, map);
      piece.end_s = t_s;
      piece.joined_into = object.id;
      break;
    }
  }
}

void StationaryTracker::mark_possible_pieces(double t_s) {
  // A forming object that, together with an older object of its zone,
  // still has the outline of one vehicle may be a piece of it that
  // merge_pieces joins later. Its alert waits until it is joined or stops
  // forming: in a zone whose dwell is shorter than the pieces take to grow
  // together, each piece would otherwise raise an alert of its own.
  for (std::size_t younger = 0; younger < objects_.size(); ++younger) {
    auto& piece = objects_[younger];
    piece.may_be_piece = false;
    if (piece.end_s || t_s - piece.created_s > kFormingS) continue;
    for (std::size_t older = 0; older < younger; ++older) {
      const auto& object = objects_[older];
      if (object.end_s || object.zone != piece.zone) continue;
      if (vehicle_shaped(object.box | piece.box)) {
        piece.may_be_piece = true;
        break;
      }
    }
  }
}

}  // namespace gridwatch::edge::vision
