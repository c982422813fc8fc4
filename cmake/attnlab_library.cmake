# attnlab_library(NAME SOURCES... DEPENDS targets...)
# One static library per source folder, warning-free under -Wall -Wextra, sharing the
# project's precompiled header. Includes are rooted at the repository: "modules/x.h".
function(attnlab_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPENDS} ${TORCH_LIBRARIES} nlohmann_json::nlohmann_json)
  attnlab_warnings(${name})
  target_precompile_headers(${name} REUSE_FROM attnlab_pch)
endfunction()

function(attnlab_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
endfunction()
