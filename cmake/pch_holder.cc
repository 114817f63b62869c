// Holds a precompiled header (cmake/BuildTime.cmake): the targets
// that reuse it are compiled against the copy built here. Nothing else
// belongs here.
