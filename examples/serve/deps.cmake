# The HTTP and JSON libraries of grove-serve and its tests: Debian's libcpp-httplib-dev (found
# through pkg-config: it ships no CMake package) and nlohmann-json3-dev. They are never a
# dependency of grove itself. Defines the interface target grove_serve_deps when both are found;
# otherwise grove-serve and its tests are skipped with one message (grove-predict needs neither).
# Included from tests/ and examples/; the first include decides.
get_property(grove_serve_deps_checked GLOBAL PROPERTY GROVE_SERVE_DEPS_CHECKED)
if(NOT grove_serve_deps_checked)
  set_property(GLOBAL PROPERTY GROVE_SERVE_DEPS_CHECKED ON)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(GROVE_HTTPLIB QUIET IMPORTED_TARGET GLOBAL cpp-httplib>=0.11)
  endif()
  find_package(nlohmann_json 3.9 CONFIG QUIET)
  if(GROVE_HTTPLIB_FOUND AND nlohmann_json_FOUND)
    # Visible from every directory, like grove_serve_deps itself.
    set_target_properties(nlohmann_json::nlohmann_json PROPERTIES IMPORTED_GLOBAL TRUE)
    add_library(grove_serve_deps INTERFACE)
    target_link_libraries(grove_serve_deps INTERFACE PkgConfig::GROVE_HTTPLIB nlohmann_json::nlohmann_json)
  else()
    message(WARNING "grove-serve and its tests are skipped: they need cpp-httplib (pkg-config cpp-httplib) "
                    "and nlohmann_json; on Debian: apt-get install libcpp-httplib-dev nlohmann-json3-dev "
                    "pkg-config (scripts/install-deps does)")
  endif()
endif()
