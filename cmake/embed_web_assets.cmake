# Turns the web UI's files into C++: run as
#   cmake -DMANIFEST=<file> -DOUTPUT=<file.cpp> [-DBROTLI=<tool>] -P embed_web_assets.cmake
# MANIFEST has one line per file, "<url path><TAB><file on disk>", e.g.
# "/assets/app.js\t/src/web/src/assets/app.js". The output defines the table
# declared in src/web/embedded.hpp: each file's bytes as a char array (no
# string literals, so no length limit and no escaping pitfalls), its content
# type chosen from its extension, in a stable (sorted) order. Plain CMake only, so the
# build needs neither Python nor xxd.
#
# Every file under /assets/ is also served under a name with its content's
# hash (/assets/app.js: /assets/app.<12 hex digits>.js), which a browser may
# keep for a year. The pages' references to /assets/ files and the scripts'
# imports of each other ('./app.js') are rewritten to those names here, so
# the sources stay plain; a script's hash is taken after its own imports are
# rewritten, so a change anywhere changes the names of everything that
# imports it. Each file also gets an ETag (its hash) and, where that is
# smaller, a gzip copy (file(ARCHIVE_CREATE), libarchive's gzip) and a brotli
# copy (BROTLI: src/web/precompress.cpp, "<tool> <input> <output>").
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

get_filename_component(work "${OUTPUT}" DIRECTORY)
set(work "${work}/web_assets")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")

file(STRINGS "${MANIFEST}" lines)
list(SORT lines)

# Reads the manifest: web_path_<i>, web_file_<i>, web_count.
set(web_count 0)
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
  set(web_path_${web_count} "${path}")
  set(web_file_${web_count} "${file}")
  set(web_index_${path} ${web_count})
  math(EXPR web_count "${web_count} + 1")
endforeach()
if(web_count EQUAL 0)
  message(FATAL_ERROR "embed_web_assets: the manifest lists no files")
endif()
math(EXPR last "${web_count} - 1")

function(is_text file out)
  string(REGEX MATCH "\\.(html|css|js|mjs|json|svg|txt)$" text "${file}")
  if(text)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# /assets/dir/name.ext -> /assets/dir/name.<hash>.ext
function(hashed_name path hash out)
  string(REGEX REPLACE "(\\.[^./]+)$" ".${hash}\\1" named "${path}")
  set(${out} "${named}" PARENT_SCOPE)
endfunction()

# The scripts' imports of their neighbours: web_deps_<i> (indices).
foreach(i RANGE ${last})
  set(web_deps_${i} "")
  set(path "${web_path_${i}}")
  if(path MATCHES "^/assets/.*\\.m?js$")
    get_filename_component(dir "${path}" DIRECTORY)
    file(READ "${web_file_${i}}" text)
    string(REGEX MATCHALL "['\"]\\./[A-Za-z0-9_.-]+\\.m?js['\"]" found "${text}")
    foreach(literal IN LISTS found)
      string(REGEX REPLACE "^['\"]\\./(.*)['\"]$" "\\1" name "${literal}")
      if(NOT DEFINED web_index_${dir}/${name})
        message(FATAL_ERROR "embed_web_assets: ${path} imports ./${name}, which is not embedded")
      endif()
      list(APPEND web_deps_${i} ${web_index_${dir}/${name}})
    endforeach()
    list(REMOVE_DUPLICATES web_deps_${i})
  endif()
endforeach()

# Rewrites file i into ${work}/<i> (its references to hashed names) and sets
# web_hash_<i>, web_hashed_<i> (the hashed path, for /assets/ files).
function(finish i)
  set(path "${web_path_${i}}")
  set(file "${web_file_${i}}")
  is_text("${file}" text_file)
  if(text_file)
    file(READ "${file}" text)
    if(path MATCHES "\\.html$")
      # Every "/assets/..." reference of a page.
      foreach(j RANGE ${last})
        if(DEFINED web_hashed_${j})
          string(REPLACE "\"${web_path_${j}}\"" "\"${web_hashed_${j}}\"" text "${text}")
        endif()
      endforeach()
    endif()
    foreach(j IN LISTS web_deps_${i})
      get_filename_component(name "${web_path_${j}}" NAME)
      get_filename_component(new_name "${web_hashed_${j}}" NAME)
      string(REPLACE "'./${name}'" "'./${new_name}'" text "${text}")
      string(REPLACE "\"./${name}\"" "\"./${new_name}\"" text "${text}")
    endforeach()
    file(WRITE "${work}/${i}" "${text}")
  else()
    file(COPY_FILE "${file}" "${work}/${i}")
  endif()
  file(SHA256 "${work}/${i}" sha)
  string(SUBSTRING "${sha}" 0 12 hash)
  set(web_hash_${i} "${hash}" PARENT_SCOPE)
  if(path MATCHES "^/assets/")
    hashed_name("${path}" "${hash}" named)
    set(web_hashed_${i} "${named}" PARENT_SCOPE)
  endif()
endfunction()

# Assets in the order of their imports (each after what it imports), then the pages.
set(pending "")
foreach(i RANGE ${last})
  if(web_path_${i} MATCHES "^/assets/")
    list(APPEND pending ${i})
  endif()
endforeach()
while(pending)
  set(progress FALSE)
  set(still "")
  foreach(i IN LISTS pending)
    set(ready TRUE)
    foreach(j IN LISTS web_deps_${i})
      if(NOT DEFINED web_hashed_${j})
        set(ready FALSE)
      endif()
    endforeach()
    if(ready)
      finish(${i})
      set(progress TRUE)
    else()
      list(APPEND still ${i})
    endif()
  endforeach()
  if(NOT progress)
    message(FATAL_ERROR "embed_web_assets: these scripts import each other in a circle: ${still}")
  endif()
  set(pending ${still})
endwhile()
foreach(i RANGE ${last})
  if(NOT web_path_${i} MATCHES "^/assets/")
    finish(${i})
  endif()
endforeach()

# One char array from a file's bytes; sets `out` to the string_view of it.
function(byte_array file name out)
  file(READ "${file}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  if(hex_length EQUAL 0)
    set(${out} "std::string_view{}" PARENT_SCOPE)
    return()
  endif()
  # 16 bytes per line, each byte a char literal such as '\x3c'.
  string(REGEX REPLACE "(................................)" "\\1\n" hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(REPLACE "\n" "\n    " bytes "${bytes}")
  set(arrays "${arrays}constexpr char ${name}[] = {\n    ${bytes}\n};\n\n" PARENT_SCOPE)
  set(${out} "std::string_view{${name}, sizeof(${name})}" PARENT_SCOPE)
endfunction()

set(arrays "")
set(keyed "")
foreach(i RANGE ${last})
  set(path "${web_path_${i}}")
  content_type_of("${path}" type)
  byte_array("${work}/${i}" kFile${i} body)
  # A gzip copy of text, kept where it saves at least a tenth.
  set(gzip "std::string_view{}")
  set(brotli "std::string_view{}")
  is_text("${path}" text_file)
  if(text_file)
    file(ARCHIVE_CREATE OUTPUT "${work}/${i}.gz" PATHS "${work}/${i}" FORMAT raw
         COMPRESSION GZip COMPRESSION_LEVEL 9 MTIME 0)
    file(SIZE "${work}/${i}" plain_size)
    file(SIZE "${work}/${i}.gz" gzip_size)
    math(EXPR limit "${plain_size} - ${plain_size} / 10")
    if(gzip_size LESS limit)
      byte_array("${work}/${i}.gz" kGzip${i} gzip)
    endif()
    if(DEFINED BROTLI)
      execute_process(COMMAND "${BROTLI}" "${work}/${i}" "${work}/${i}.br" RESULT_VARIABLE failed)
      if(failed)
        message(FATAL_ERROR "embed_web_assets: ${BROTLI} could not compress ${path}")
      endif()
      file(SIZE "${work}/${i}.br" brotli_size)
      if(brotli_size LESS limit)
        byte_array("${work}/${i}.br" kBrotli${i} brotli)
      endif()
    endif()
  endif()
  set(etag "\"\\\"${web_hash_${i}}\\\"\"")
  # The content types hold a ';', which would split the list below.
  string(REPLACE ";" "@SEMICOLON@" type "${type}")
  string(APPEND keyed "${path}\t    {\"${path}\", {\"${type}\", ${body}, ${gzip}, ${brotli}, ${etag}, false}},\n;")
  if(DEFINED web_hashed_${i})
    string(APPEND keyed
           "${web_hashed_${i}}\t    {\"${web_hashed_${i}}\", {\"${type}\", ${body}, ${gzip}, ${brotli}, ${etag}, true}},\n;")
  endif()
endforeach()
list(SORT keyed)
set(entries "")
set(paths "")
foreach(item IN LISTS keyed)
  if(item STREQUAL "")
    continue()
  endif()
  string(FIND "${item}" "\t" tab)
  string(SUBSTRING "${item}" 0 ${tab} path)
  math(EXPR rest "${tab} + 1")
  string(SUBSTRING "${item}" ${rest} -1 entry)
  string(REPLACE "@SEMICOLON@" ";" entry "${entry}")
  string(APPEND entries "${entry}")
  string(APPEND paths "    \"${path}\",\n")
endforeach()

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
