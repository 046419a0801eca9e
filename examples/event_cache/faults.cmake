# The event cache under low resources simulation (issue 5), included by
# examples/event_cache/CMakeLists.txt:
#   kpool_event_cache_batch       batch insert, correct and deliberately broken
#   test_event_cache_faults       every allocation failed in turn; the broken
#                                 batch's leak exposed (CTest, label example)
#   example_event_cache_systematic  scripts/systematic.sh reruns
#                                 test_event_cache_faults until no new call
#                                 site fails
#   fuzz_event_cache_regress      the libFuzzer harness as a corpus replayer,
#                                 any compiler (CTest:
#                                 example_fuzz_corpus_event_cache)
#   fuzz_event_cache              the libFuzzer binary (clang,
#                                 KPOOL_BUILD_FUZZERS=ON), fuzzer-driven faults
add_library(kpool_event_cache_batch STATIC ${CMAKE_CURRENT_LIST_DIR}/event_cache_batch.c)
target_include_directories(kpool_event_cache_batch PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(kpool_event_cache_batch PUBLIC kpool_event_cache kpool::wdk
                                              PRIVATE kpool_build_flags)

if(KPOOL_BUILD_TESTS AND COMMAND kp_add_test)
  kp_add_test(NAME test_event_cache_faults
              SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_event_cache_faults.c
              LABELS unit example)
  target_link_libraries(test_event_cache_faults PRIVATE kpool_event_cache_batch)

  find_program(KP_BASH bash)
  if(KP_BASH)
    add_test(NAME example_event_cache_systematic
             COMMAND ${KP_BASH} ${PROJECT_SOURCE_DIR}/scripts/systematic.sh -n 50 --
                     $<TARGET_FILE:test_event_cache_faults>)
    set_tests_properties(example_event_cache_systematic PROPERTIES LABELS example TIMEOUT 300)
  endif()
endif()

set(_kp_evc_fuzz ${CMAKE_CURRENT_LIST_DIR}/fuzz_event_cache.c)
set(_kp_evc_corpus ${CMAKE_CURRENT_LIST_DIR}/fuzz_corpus)
if(KPOOL_BUILD_TESTS)
  add_executable(fuzz_event_cache_regress ${_kp_evc_fuzz} ${PROJECT_SOURCE_DIR}/fuzz/regression_main.c)
  target_link_libraries(fuzz_event_cache_regress PRIVATE kpool_event_cache_batch kpool::wdk
                                                         kpool::kpool kpool_build_flags)
  target_include_directories(fuzz_event_cache_regress PRIVATE ${PROJECT_SOURCE_DIR}/fuzz)
  add_test(NAME example_fuzz_corpus_event_cache COMMAND fuzz_event_cache_regress ${_kp_evc_corpus})
  set_tests_properties(example_fuzz_corpus_event_cache PROPERTIES LABELS "example;fuzz-corpus"
                                                               TIMEOUT 600)
endif()
if(KPI_FUZZ_LIBFUZZER)
  # Coverage of the component itself guides the fuzzer (the kpool libraries
  # get theirs from fuzz/CMakeLists.txt); flags per mode from
  # cmake/KpoolFuzz.cmake (kpool's own, or OSS-Fuzz's from the environment).
  kpi_fuzz_instrument(kpool_event_cache kpool_event_cache_batch)
  add_executable(fuzz_event_cache ${_kp_evc_fuzz})
  target_link_libraries(fuzz_event_cache PRIVATE kpool_event_cache_batch kpool::wdk kpool::kpool
                                                 kpool_build_flags)
  target_include_directories(fuzz_event_cache PRIVATE ${PROJECT_SOURCE_DIR}/fuzz)
  kpi_fuzz_binary(fuzz_event_cache)
endif()
