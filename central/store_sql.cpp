#include "central/store_sql.hpp"

#include <fmt/format.h>

#include <vector>

namespace gridwatch::central {

std::string incident_query_sql(const IncidentQuery& query, const QuoteText& quote) {
  std::vector<std::string> conditions;
  if (query.gateway_id) conditions.push_back("gateway_id = " + quote(*query.gateway_id));
  if (!query.states.empty()) {
    std::string list;
    for (const auto& state : query.states) list += (list.empty() ? "" : ", ") + quote(state);
    conditions.push_back("state IN (" + list + ")");
  }
  if (query.kind) conditions.push_back("kind = " + quote(*query.kind));
  if (query.cell_id) conditions.push_back("cell_id = " + quote(*query.cell_id));
  if (query.level) conditions.push_back("level = " + quote(*query.level));
  if (query.since_ms) conditions.push_back(fmt::format("detected_at_ms >= {}", *query.since_ms));
  if (query.until_ms) conditions.push_back(fmt::format("detected_at_ms < {}", *query.until_ms));
  if (query.open_only) conditions.emplace_back("state NOT IN ('resolved', 'closed', 'cancelled', 'false_alarm')");
  if (query.before_id) conditions.push_back(fmt::format("id < {}", *query.before_id));
  std::string where;
  for (const auto& condition : conditions) where += (where.empty() ? " WHERE " : " AND ") + condition;
  return fmt::format("SELECT {} FROM incidents{} ORDER BY id DESC LIMIT {}", kIncidentColumns, where, query.limit);
}

}  // namespace gridwatch::central
