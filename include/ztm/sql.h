// Values of the app's encrypted database (ztm::Client::Exec / Query): SQLite's five storage
// classes, NULL, INTEGER, REAL, TEXT and BLOB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ztm/bytes.h"

namespace ztm {

using SqlValue = std::variant<std::nullptr_t, std::int64_t, double, std::string, Bytes>;
using SqlRow = std::vector<SqlValue>;

}  // namespace ztm
