# Helpers for a driver project's tests and fuzzers, installed with kpool's
# CMake package: find_package(kpool CONFIG REQUIRED) defines
#
#   kpool_add_test(NAME <name> SOURCES <files>...
#                  [LINK_LIBRARIES <libs>...] [LABELS <labels>...])
#     A CMocka test executable linked with kpool::wdk and CMocka (found
#     through pkg-config, or by library and header; its include directory is
#     a SYSTEM one), registered with CTest as <name> (label "unit" unless
#     LABELS says otherwise). <kpool/cmocka.h> gives it KP_ASSERT_BUGCHECK
#     and friends; gcc's -Wclobbered (setjmp false positives) is off.
#
#   kpool_add_fuzzer(NAME <name> SOURCES <files>...
#                    [CORPUS <dir>] [LINK_LIBRARIES <libs>...]
#                    [DICT <file>] [OPTIONS <file>] [SANITIZERS <list>])
#     SOURCES define LLVMFuzzerTestOneInput (and optionally
#     LLVMFuzzerInitialize); <fuzz_helpers.h> (FUZZ_ASSERT, a data
#     producer) is on their include path. Always builds <name>_replay, the
#     sources with a plain main() that runs every file of CORPUS once
#     (default: ${CMAKE_CURRENT_SOURCE_DIR}/corpus/<name>), and registers it
#     with CTest as <name>_corpus (label fuzz-corpus): any compiler, so a
#     gcc-only CI still replays the seeds. Builds the libFuzzer binary
#     <name> linked with kpool::wdk when the compiler can:
#       - LIB_FUZZING_ENGINE set in the environment (OSS-Fuzz,
#         ClusterFuzzLite): linked with it; no sanitizer flag is added (they
#         come from CFLAGS/CXXFLAGS); when $OUT is set too, the binary, its
#         seeds zipped as <name>_seed_corpus.zip, <name>.options (OPTIONS,
#         or kpool's default that lets kpool's fault handler in) and
#         <name>.dict (DICT) are written to $OUT after the build;
#       - otherwise with clang: -fsanitize=fuzzer plus SANITIZERS (default
#         KPOOL_FUZZ_SANITIZERS, "address,undefined"), when a probe links;
#       - otherwise (gcc, Apple clang) no libFuzzer binary, said once.
#     The custom target kpool_fuzzers builds every libFuzzer binary.
include_guard(GLOBAL)

set(_KPOOL_HELPERS_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(KPOOL_FUZZ_SANITIZERS "address,undefined" CACHE STRING
    "Sanitizers kpool_add_fuzzer adds to libFuzzer binaries (clang, no LIB_FUZZING_ENGINE)")

# CMocka, once per project.
function(_kpool_find_cmocka)
  if(TARGET kpool_helpers_cmocka)
    return()
  endif()
  add_library(kpool_helpers_cmocka INTERFACE IMPORTED GLOBAL)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(KPOOL_CMOCKA QUIET cmocka)
  endif()
  if(KPOOL_CMOCKA_FOUND)
    find_library(KPOOL_CMOCKA_LIBRARY NAMES cmocka HINTS ${KPOOL_CMOCKA_LIBRARY_DIRS})
    set(_inc ${KPOOL_CMOCKA_INCLUDE_DIRS})
  else()
    find_library(KPOOL_CMOCKA_LIBRARY NAMES cmocka)
    find_path(KPOOL_CMOCKA_INCLUDE_DIR cmocka.h)
    set(_inc ${KPOOL_CMOCKA_INCLUDE_DIR})
  endif()
  if(NOT KPOOL_CMOCKA_LIBRARY)
    message(FATAL_ERROR "kpool_add_test: CMocka not found (install libcmocka-dev or brew's cmocka)")
  endif()
  target_link_libraries(kpool_helpers_cmocka INTERFACE ${KPOOL_CMOCKA_LIBRARY})
  if(_inc)
    # SYSTEM: CMocka's header is not -Wpedantic clean everywhere.
    target_include_directories(kpool_helpers_cmocka SYSTEM INTERFACE ${_inc})
  endif()
endfunction()

function(kpool_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LINK_LIBRARIES;LABELS" ${ARGN})
  if(NOT T_NAME OR NOT T_SOURCES)
    message(FATAL_ERROR "kpool_add_test(NAME <name> SOURCES <files>...) needs NAME and SOURCES")
  endif()
  _kpool_find_cmocka()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LINK_LIBRARIES} kpool::wdk kpool_helpers_cmocka)
  # cmocka 2.x deprecates the 1.1.5 names kpool's helpers use (both spellings).
  target_compile_definitions(${T_NAME} PRIVATE CMOCKA_DISABLE_DEPRECATION_WARNINGS
                                               CMOCKA_DISABLE_DEPRECTATION_WARNINGS)
  target_compile_options(${T_NAME} PRIVATE
                         $<$<AND:$<C_COMPILER_ID:GNU>,$<COMPILE_LANGUAGE:C>>:-Wno-clobbered>)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}")
endfunction()

# How libFuzzer binaries are built here: sets _kpool_fuzz_mode (engine,
# clang or none) in the caller. The clang probe result is cached.
function(_kpool_fuzz_mode sanitizers out)
  if(NOT "$ENV{LIB_FUZZING_ENGINE}" STREQUAL "")
    set(${out} engine PARENT_SCOPE)
    return()
  endif()
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    set(${out} none PARENT_SCOPE)
    return()
  endif()
  string(MAKE_C_IDENTIFIER "KPOOL_LIBFUZZER_${sanitizers}" _var)
  if(NOT DEFINED ${_var})
    include(CheckCSourceCompiles)
    set(_flags -fsanitize=fuzzer)
    if(sanitizers)
      list(APPEND _flags -fsanitize=${sanitizers})
    endif()
    set(CMAKE_REQUIRED_FLAGS "${_flags}")
    string(REPLACE ";" " " CMAKE_REQUIRED_FLAGS "${_flags}")
    set(CMAKE_REQUIRED_QUIET ON)
    check_c_source_compiles([=[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
]=] ${_var})
  endif()
  if(${_var})
    set(${out} clang PARENT_SCOPE)
  else()
    set(${out} none PARENT_SCOPE)
  endif()
endfunction()

function(kpool_add_fuzzer)
  cmake_parse_arguments(F "" "NAME;CORPUS;DICT;OPTIONS;SANITIZERS"
                        "SOURCES;LINK_LIBRARIES" ${ARGN})
  if(NOT F_NAME OR NOT F_SOURCES)
    message(FATAL_ERROR "kpool_add_fuzzer(NAME <name> SOURCES <files>...) needs NAME and SOURCES")
  endif()
  if(NOT DEFINED F_SANITIZERS)
    set(F_SANITIZERS "${KPOOL_FUZZ_SANITIZERS}")
  endif()
  if(NOT F_CORPUS)
    set(F_CORPUS "${CMAKE_CURRENT_SOURCE_DIR}/corpus/${F_NAME}")
  endif()
  get_filename_component(F_CORPUS "${F_CORPUS}" ABSOLUTE)
  foreach(_f IN ITEMS DICT OPTIONS)
    if(F_${_f})
      get_filename_component(F_${_f} "${F_${_f}}" ABSOLUTE)
    endif()
  endforeach()

  # Does a source define LLVMFuzzerInitialize? The replayer then calls it.
  set(_has_init OFF)
  foreach(_s IN LISTS F_SOURCES)
    get_filename_component(_abs "${_s}" ABSOLUTE)
    if(EXISTS "${_abs}")
      file(STRINGS "${_abs}" _hit REGEX "LLVMFuzzerInitialize[ \t]*\\(")
      if(_hit)
        set(_has_init ON)
      endif()
    endif()
  endforeach()

  # The corpus replayer: any compiler.
  add_executable(${F_NAME}_replay ${F_SOURCES} "${_KPOOL_HELPERS_DIR}/fuzz/regression_main.c")
  target_include_directories(${F_NAME}_replay PRIVATE "${_KPOOL_HELPERS_DIR}/fuzz")
  target_link_libraries(${F_NAME}_replay PRIVATE ${F_LINK_LIBRARIES} kpool::wdk)
  target_compile_definitions(${F_NAME}_replay PRIVATE FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  if(_has_init)
    target_compile_definitions(${F_NAME}_replay PRIVATE KP_FUZZ_HAVE_INITIALIZE=1)
  endif()
  if(NOT IS_DIRECTORY "${F_CORPUS}")
    message(WARNING "kpool_add_fuzzer(${F_NAME}): no corpus at ${F_CORPUS}; "
                    "the test ${F_NAME}_corpus will fail")
  endif()
  add_test(NAME ${F_NAME}_corpus COMMAND ${F_NAME}_replay "${F_CORPUS}")
  set_tests_properties(${F_NAME}_corpus PROPERTIES LABELS fuzz-corpus)

  # The libFuzzer binary, when the compiler can.
  _kpool_fuzz_mode("${F_SANITIZERS}" _mode)
  if(_mode STREQUAL "none")
    get_property(_said GLOBAL PROPERTY KPOOL_FUZZ_NONE_SAID)
    if(NOT _said)
      message(STATUS "kpool_add_fuzzer: ${CMAKE_C_COMPILER_ID} cannot link libFuzzer; "
                     "building the corpus replayers only")
      set_property(GLOBAL PROPERTY KPOOL_FUZZ_NONE_SAID ON)
    endif()
    return()
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_include_directories(${F_NAME} PRIVATE "${_KPOOL_HELPERS_DIR}/fuzz")
  target_link_libraries(${F_NAME} PRIVATE ${F_LINK_LIBRARIES} kpool::wdk)
  target_compile_definitions(${F_NAME} PRIVATE FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  if(_mode STREQUAL "engine")
    separate_arguments(_engine UNIX_COMMAND "$ENV{LIB_FUZZING_ENGINE}")
    target_link_options(${F_NAME} PRIVATE ${_engine})
    get_property(_langs GLOBAL PROPERTY ENABLED_LANGUAGES)
    if("CXX" IN_LIST _langs)
      # The engines are C++ archives: link with $CXX.
      set_target_properties(${F_NAME} PROPERTIES LINKER_LANGUAGE CXX)
    endif()
    set(_out "$ENV{OUT}")
    if(_out)
      add_custom_command(TARGET ${F_NAME} POST_BUILD
        COMMAND ${CMAKE_COMMAND} -DNAME=${F_NAME} "-DBIN=$<TARGET_FILE:${F_NAME}>"
                "-DOUT=${_out}" "-DCORPUS=${F_CORPUS}" "-DDICT=${F_DICT}"
                "-DOPTIONS=${F_OPTIONS}"
                -P "${_KPOOL_HELPERS_DIR}/kpool-fuzz-package.cmake"
        VERBATIM)
    endif()
  else()
    set(_flags -fsanitize=fuzzer)
    if(F_SANITIZERS)
      list(APPEND _flags -fsanitize=${F_SANITIZERS})
    endif()
    set(_compile ${_flags} -fno-omit-frame-pointer)
    if(F_SANITIZERS MATCHES "undefined")
      # A UBSan finding must stop the input like any other crash.
      list(APPEND _compile -fno-sanitize-recover=undefined)
    endif()
    target_compile_options(${F_NAME} PRIVATE ${_compile})
    target_link_options(${F_NAME} PRIVATE ${_flags})
  endif()
  if(NOT TARGET kpool_fuzzers)
    add_custom_target(kpool_fuzzers)
  endif()
  add_dependencies(kpool_fuzzers ${F_NAME})
endfunction()
