# How kpool's own libFuzzer binaries are built (fuzz/CMakeLists.txt and the
# examples' harnesses use these; users' projects use kpool_add_fuzzer from
# the installed package, cmake/kpool-helpers.cmake).
#
# Two modes:
#   default                 clang; kpool adds -fsanitize=fuzzer plus
#                           address,undefined (only fuzzer with KPOOL_TSAN),
#                           and coverage (-fsanitize=fuzzer-no-link) to the
#                           libraries
#   KPOOL_FUZZ_EXTERNAL=ON  OSS-Fuzz / ClusterFuzzLite: CC, CXX, CFLAGS and
#                           CXXFLAGS come from the environment (CMake reads
#                           them at the first configure) and already carry
#                           the sanitizer and coverage flags; binaries are
#                           linked with C++ and $LIB_FUZZING_ENGINE; kpool
#                           adds no sanitizer or coverage flag of its own, so
#                           MSan, UBSan-only, coverage and AFL/honggfuzz
#                           builds work. The corpus replayers are not built
#                           in this mode (.clusterfuzzlite/build.sh).
option(KPOOL_FUZZ_EXTERNAL
       "Fuzz build for OSS-Fuzz/ClusterFuzzLite: flags from CFLAGS/CXXFLAGS, link with $LIB_FUZZING_ENGINE"
       OFF)

# KPI_FUZZ_LIBFUZZER: whether libFuzzer binaries are built at all.
set(KPI_FUZZ_LIBFUZZER OFF)
set(KPI_FUZZ_FLAGS "")
set(KPI_FUZZ_LINK "")
if(KPOOL_BUILD_FUZZERS AND KPOOL_FUZZ_EXTERNAL)
  if(KPOOL_ASAN OR KPOOL_TSAN)
    message(FATAL_ERROR "KPOOL_FUZZ_EXTERNAL takes the sanitizers from CFLAGS; "
                        "turn KPOOL_ASAN and KPOOL_TSAN off")
  endif()
  if("$ENV{LIB_FUZZING_ENGINE}" STREQUAL "")
    message(FATAL_ERROR "KPOOL_FUZZ_EXTERNAL needs LIB_FUZZING_ENGINE in the environment "
                        "(e.g. -fsanitize=fuzzer)")
  endif()
  separate_arguments(KPI_FUZZ_LINK UNIX_COMMAND "$ENV{LIB_FUZZING_ENGINE}")
  set(KPI_FUZZ_LIBFUZZER ON)
  message(STATUS "kpool fuzz: external mode, LIB_FUZZING_ENGINE=$ENV{LIB_FUZZING_ENGINE}, "
                 "CFLAGS=${CMAKE_C_FLAGS}")
elseif(KPOOL_BUILD_FUZZERS)
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(KPI_FUZZ_LIBFUZZER ON)
    set(KPI_FUZZ_FLAGS -fsanitize=fuzzer)
    if(NOT KPOOL_TSAN)
      list(APPEND KPI_FUZZ_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined)
    endif()
    set(KPI_FUZZ_LINK ${KPI_FUZZ_FLAGS})
  else()
    message(WARNING "KPOOL_BUILD_FUZZERS needs clang (libFuzzer); "
                    "building only the corpus replayers with ${CMAKE_C_COMPILER_ID}")
  endif()
endif()

# kpi_fuzz_instrument(<library>...): coverage feedback from a library the
# fuzz targets link (default mode only: in external mode CFLAGS has it).
# Everything that links the library then needs the coverage callbacks,
# which -fsanitize=fuzzer-no-link provides at link time (build tree only).
function(kpi_fuzz_instrument)
  if(NOT KPI_FUZZ_LIBFUZZER OR KPOOL_FUZZ_EXTERNAL)
    return()
  endif()
  foreach(_lib IN LISTS ARGN)
    target_compile_options(${_lib} PRIVATE -fsanitize=fuzzer-no-link)
    target_link_options(${_lib} INTERFACE $<BUILD_INTERFACE:-fsanitize=fuzzer-no-link>)
  endforeach()
endfunction()

# kpi_fuzz_binary(<target>): makes <target> (an executable holding one
# LLVMFuzzerTestOneInput) a libFuzzer binary in the current mode.
function(kpi_fuzz_binary target)
  target_compile_definitions(${target} PRIVATE FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  if(KPI_FUZZ_FLAGS)
    target_compile_options(${target} PRIVATE ${KPI_FUZZ_FLAGS})
  endif()
  target_link_options(${target} PRIVATE ${KPI_FUZZ_LINK})
  if(KPOOL_FUZZ_EXTERNAL)
    # The fuzzing engines are C++ archives: link with $CXX and CXXFLAGS.
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
  endif()
  if(TARGET kpool_fuzzers)
    add_dependencies(kpool_fuzzers ${target})
  endif()
endfunction()
