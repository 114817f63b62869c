// The page template, style and script of the timeline (web/), compiled in by
// embed_web.cmake so the writer needs no file at run time.
#pragma once

#include <string_view>

namespace lx::timeline::web {

extern const std::string_view kTimelineHtml;  // web/timeline.html, with @LX_...@ markers
extern const std::string_view kTimelineCss;   // web/timeline.css
extern const std::string_view kTimelineJs;    // web/timeline.js

}  // namespace lx::timeline::web
