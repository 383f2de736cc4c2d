# vmrpc_stubgen(<out_var> <idl_file> [CALLER] [CALLEE])
#
# Generate C stubs from <idl_file> with the in-tree vmrpc-stubgen, at build
# time, into ${CMAKE_CURRENT_BINARY_DIR}/gen. For each interface NAME that
# the file declares it produces NAME_common.{h,c} and, as asked,
# NAME_caller.{h,c} (CALLER) and NAME_callee.{h,c} (CALLEE); with neither
# keyword, both. Sets in the caller's scope:
#
#   <out_var>              the generated .c files, to add to a target
#   <out_var>_HEADERS      the generated .h files
#   <out_var>_INCLUDE_DIR  the gen directory, for target_include_directories
#
# The generated .c files also need ${PROJECT_SOURCE_DIR}/include (for
# "vmrpc/stub.h") and libvmrpc at link time. Example:
#
#   vmrpc_stubgen(HOSTCALLS_SRCS ${CMAKE_CURRENT_SOURCE_DIR}/hostcalls.idl)
#   add_library(hostcalls STATIC ${HOSTCALLS_SRCS})
#   target_include_directories(hostcalls PUBLIC ${HOSTCALLS_SRCS_INCLUDE_DIR})
#
# The output names depend on the interface names inside the file, which
# this function reads at configure time (comments stripped); editing the
# file re-runs the configure step. Call it once per IDL file and directory:
# two calls for the same file would add two rules for the same outputs.
# vmrpc-stubgen leaves files whose content is unchanged untouched, so
# regenerating only recompiles what really changed.

function(vmrpc_stubgen out_var idl_file)
  cmake_parse_arguments(PARSE_ARGV 2 arg "CALLER;CALLEE" "" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vmrpc_stubgen: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_CALLER AND NOT arg_CALLEE)
    set(arg_CALLER ON)
    set(arg_CALLEE ON)
  endif()

  get_filename_component(idl_file "${idl_file}" ABSOLUTE)
  if(NOT EXISTS "${idl_file}")
    message(FATAL_ERROR "vmrpc_stubgen: ${idl_file} does not exist")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${idl_file}")

  # The interface names, for the names of the outputs.
  file(READ "${idl_file}" text)
  string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" " " text "${text}")
  string(REGEX REPLACE "//[^\n]*" " " text "${text}")
  string(REGEX MATCHALL "(^|[^A-Za-z0-9_])interface[ \t\r\n]+[A-Za-z_][A-Za-z0-9_]*"
         decls "${text}")
  set(ifaces "")
  foreach(decl IN LISTS decls)
    string(REGEX REPLACE ".*interface[ \t\r\n]+" "" name "${decl}")
    list(APPEND ifaces "${name}")
  endforeach()
  if(NOT ifaces)
    message(FATAL_ERROR "vmrpc_stubgen: no interface found in ${idl_file}")
  endif()

  set(gen_dir "${CMAKE_CURRENT_BINARY_DIR}/gen")
  set(parts common)
  set(flags --common)
  if(arg_CALLER)
    list(APPEND parts caller)
    list(APPEND flags --caller)
  endif()
  if(arg_CALLEE)
    list(APPEND parts callee)
    list(APPEND flags --callee)
  endif()

  set(sources "")
  set(headers "")
  foreach(iface IN LISTS ifaces)
    foreach(part IN LISTS parts)
      list(APPEND sources "${gen_dir}/${iface}_${part}.c")
      list(APPEND headers "${gen_dir}/${iface}_${part}.h")
    endforeach()
  endforeach()

  # The stamp gives make a file that is always newer than the IDL after a
  # run, even when vmrpc-stubgen left every output untouched.
  get_filename_component(idl_name "${idl_file}" NAME)
  set(stamp "${gen_dir}/${idl_name}.stamp")
  add_custom_command(
    OUTPUT ${stamp} ${sources} ${headers}
    COMMAND ${CMAKE_COMMAND} -E make_directory "${gen_dir}"
    COMMAND $<TARGET_FILE:vmrpc-stubgen> -o "${gen_dir}" ${flags} "${idl_file}"
    COMMAND ${CMAKE_COMMAND} -E touch "${stamp}"
    DEPENDS "${idl_file}" vmrpc-stubgen
    COMMENT "vmrpc-stubgen ${idl_name}"
    VERBATIM)

  set(${out_var} ${sources} PARENT_SCOPE)
  set(${out_var}_HEADERS ${headers} PARENT_SCOPE)
  set(${out_var}_INCLUDE_DIR "${gen_dir}" PARENT_SCOPE)
endfunction()
