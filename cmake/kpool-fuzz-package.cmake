# Run after a kpool_add_fuzzer binary is built in an OSS-Fuzz /
# ClusterFuzzLite environment (cmake -P, from kpool-helpers.cmake):
# writes to OUT the binary, NAME_seed_corpus.zip (every file of CORPUS),
# NAME.options (OPTIONS, or the default below) and NAME.dict (DICT).
# Inputs: NAME BIN OUT CORPUS DICT OPTIONS.
file(MAKE_DIRECTORY "${OUT}")
file(COPY "${BIN}" DESTINATION "${OUT}" FILE_PERMISSIONS
     OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

if(IS_DIRECTORY "${CORPUS}")
  file(GLOB_RECURSE _seeds RELATIVE "${CORPUS}" "${CORPUS}/*")
  list(FILTER _seeds EXCLUDE REGEX "(^|/)\\.")
  list(SORT _seeds)
  file(REMOVE "${OUT}/${NAME}_seed_corpus.zip")
  if(_seeds)
    execute_process(COMMAND "${CMAKE_COMMAND}" -E tar cf "${OUT}/${NAME}_seed_corpus.zip"
                            --format=zip -- ${_seeds}
                    WORKING_DIRECTORY "${CORPUS}" RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "kpool: zipping ${CORPUS} failed")
    endif()
  endif()
endif()

# kpool's page-fault handler turns a driver's access to a guarded, freed or
# read-only simulated page into its bug check and passes other faults on to
# the sanitizer. ClusterFuzz's defaults (allow_user_segv_handler=0,
# handle_segv=2) refuse that handler; this lets it in.
set(_default "[asan]\nallow_user_segv_handler = 1\nhandle_segv = 1\nhandle_sigbus = 1\n\n")
string(APPEND _default "[msan]\nallow_user_segv_handler = 1\nhandle_segv = 1\nhandle_sigbus = 1\n\n")
string(APPEND _default "[ubsan]\nallow_user_segv_handler = 1\nhandle_segv = 1\nhandle_sigbus = 1\n")
if(OPTIONS)
  file(READ "${OPTIONS}" _opts)
else()
  set(_opts "${_default}")
endif()
if(DICT)
  file(COPY "${DICT}" DESTINATION "${OUT}")
  get_filename_component(_dname "${DICT}" NAME)
  if(NOT _dname STREQUAL "${NAME}.dict")
    file(RENAME "${OUT}/${_dname}" "${OUT}/${NAME}.dict")
  endif()
  if(NOT _opts MATCHES "\ndict[ \t]*=" AND NOT _opts MATCHES "^dict[ \t]*=")
    if(_opts MATCHES "\\[libfuzzer\\]")
      string(REPLACE "[libfuzzer]" "[libfuzzer]\ndict = ${NAME}.dict" _opts "${_opts}")
    else()
      string(APPEND _opts "\n[libfuzzer]\ndict = ${NAME}.dict\n")
    endif()
  endif()
endif()
file(WRITE "${OUT}/${NAME}.options" "${_opts}")
message(STATUS "kpool: ${NAME} -> ${OUT}")
