// Compiled only to build the shared precompiled header (see CMakeLists.txt).
