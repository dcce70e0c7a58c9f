# Turns the web UI's files into C++: run as
#   cmake -DMANIFEST=<file> -DOUTPUT=<file.cpp> -P embed_web_assets.cmake
# MANIFEST has one line per file, "<url path><TAB><file on disk>", e.g.
# "/assets/app.js\t/src/web/src/assets/app.js". The output defines the table
# declared in src/web/embedded.hpp: each file's bytes as a char array (no
# string literals, so no length limit and no escaping pitfalls), its content
# type chosen from its extension, in a stable (sorted) order. Plain CMake only, so the
# build needs neither Python nor xxd.
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED MANIFEST OR NOT DEFINED OUTPUT)
  message(FATAL_ERROR "embed_web_assets: pass -DMANIFEST=<file> -DOUTPUT=<file.cpp>")
endif()

# A type for every extension the UI uses; anything else is an error, so a
# new kind of file is never served with a guessed type.
function(content_type_of file out)
  string(REGEX MATCH "\\.[^./]+$" ext "${file}")
  string(TOLOWER "${ext}" ext)
  if(ext STREQUAL ".html")
    set(type "text/html; charset=utf-8")
  elseif(ext STREQUAL ".css")
    set(type "text/css; charset=utf-8")
  elseif(ext STREQUAL ".js" OR ext STREQUAL ".mjs")
    set(type "text/javascript; charset=utf-8")
  elseif(ext STREQUAL ".json")
    set(type "application/json")
  elseif(ext STREQUAL ".svg")
    set(type "image/svg+xml")
  elseif(ext STREQUAL ".png")
    set(type "image/png")
  elseif(ext STREQUAL ".ico")
    set(type "image/x-icon")
  elseif(ext STREQUAL ".txt")
    set(type "text/plain; charset=utf-8")
  else()
    message(FATAL_ERROR "embed_web_assets: no content type for '${file}'; add its extension")
  endif()
  set(${out} "${type}" PARENT_SCOPE)
endfunction()

file(STRINGS "${MANIFEST}" lines)
list(SORT lines)

set(arrays "")
set(entries "")
set(paths "")
set(index 0)
foreach(line IN LISTS lines)
  string(FIND "${line}" "\t" eq)
  if(eq LESS 1)
    message(FATAL_ERROR "embed_web_assets: bad manifest line '${line}'")
  endif()
  string(SUBSTRING "${line}" 0 ${eq} path)
  math(EXPR rest "${eq} + 1")
  string(SUBSTRING "${line}" ${rest} -1 file)
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "embed_web_assets: '${file}' does not exist")
  endif()
  content_type_of("${file}" type)

  file(READ "${file}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  if(size EQUAL 0)
    set(body "std::string_view{}")
  else()
    # 16 bytes per line, each byte a char literal such as '\x3c'.
    string(REGEX REPLACE "(................................)" "\\1\n" hex "${hex}")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
    string(REPLACE "\n" "\n    " bytes "${bytes}")
    string(APPEND arrays "constexpr char kFile${index}[] = {\n    ${bytes}\n};\n\n")
    set(body "std::string_view{kFile${index}, sizeof(kFile${index})}")
  endif()
  string(APPEND entries "    {\"${path}\", {\"${type}\", ${body}}},\n")
  string(APPEND paths "    \"${path}\",\n")
  math(EXPR index "${index} + 1")
endforeach()

if(index EQUAL 0)
  message(FATAL_ERROR "embed_web_assets: the manifest lists no files")
endif()

set(source "// Generated at build time by cmake/embed_web_assets.cmake from the
// files in web/src/ and uPlot; edit those, not this file.
#include \"web/embedded.hpp\"

namespace outbreak::web::detail {
namespace {

${arrays}constexpr EmbeddedAsset kAssets[] = {
${entries}};

constexpr std::string_view kPaths[] = {
${paths}};

}  // namespace

std::span<const EmbeddedAsset> embedded_assets() { return kAssets; }

std::span<const std::string_view> embedded_paths() { return kPaths; }

}  // namespace outbreak::web::detail
")

# Rewrite only on change, so that an unchanged set of files compiles nothing.
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL source)
  file(WRITE "${OUTPUT}" "${source}")
endif()
