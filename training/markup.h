#pragma once
// Small helpers for writing HTML and SVG by hand: escaping and number formatting.

#include <string>

namespace attnlab {

/// Escapes & < > " ' for text and attribute values of HTML, SVG and XML.
std::string xml_escape(const std::string& text);

/// printf-style formatting of one number ("%.3f", "%.1f%%").
std::string format_number(double value, const char* pattern);

}  // namespace attnlab
