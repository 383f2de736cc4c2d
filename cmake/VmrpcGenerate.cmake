# SPDX-License-Identifier: MIT
# C stubs from vmrpc .idl files, generated at build time by vmrpc-stubgen.
# vmrpc's own tree includes this file; installed, find_package(vmrpc) does.
# docs/idl.md ("CMake") is the user documentation.
#
#   vmrpc_generate(<target> IDL <file>... [CALLER] [CALLEE]
#                  [IMPORT_DIRS <dir>...] [OUTPUT_DIR <dir>])
#
# Generates the stubs of every IDL file into one directory (default
# ${CMAKE_CURRENT_BINARY_DIR}/vmrpc_gen/<target>), adds the generated .c and
# .h files to <target>'s sources, the directory to its include path and
# vmrpc::vmrpc to its link libraries: PUBLIC for a library (its users include
# the generated headers), PRIVATE for an executable or a module. It always
# generates STEM_types.h (STEM: the file's name without .idl) and
# NAME_common.{h,c} for each interface NAME in a file, plus NAME_caller.{h,c}
# (CALLER) and/or NAME_callee.{h,c} (CALLEE); with neither keyword, both.
# An imported file is searched next to the importing one, then in
# IMPORT_DIRS; the stubs include its STEM_types.h, so generate it too: in
# the same call, or in a library <target> links. <target> must use the
# keyword form of target_link_libraries() (PUBLIC, PRIVATE), as this
# function does.
#
#   vmrpc_generate_files(<prefix> IDL <file>... [CALLER] [CALLEE]
#                        [IMPORT_DIRS <dir>...] [OUTPUT_DIR <dir>])
#
# The same rules without a target, for code that compiles the stubs in some
# other way (default directory ${CMAKE_CURRENT_BINARY_DIR}/vmrpc_gen/<prefix>).
# Sets <prefix>_SOURCES (the .c files), <prefix>_HEADERS,
# <prefix>_INCLUDE_DIR and <prefix>_TARGETS: custom targets that run the
# generator, which every target compiling the files must depend on
# (add_dependencies) so that parallel builds never run one rule twice.
#
# Relative IDL paths and IMPORT_DIRS are relative to the current source
# directory, a relative OUTPUT_DIR to the current binary directory. The names of the
# outputs depend on the interface names in each file, which are read at
# configure time (comments stripped): editing a file reruns the configure
# step. Generating the same file into the same directory again with the same
# options reuses the first rules; with other options it is an error.
#
# Rebuilds: the rule of each file depends on the file, on what it imports
# (vmrpc-stubgen writes a depfile) and on vmrpc-stubgen, and produces a stamp
# (its only OUTPUT); the stubs are BYPRODUCTS. vmrpc-stubgen leaves a file whose content would not
# change untouched, so after an edit only what really changed recompiles.
# (Were the stubs OUTPUTs too, Makefile generators would touch every one of
# them after each run and recompile them all.)

include_guard(GLOBAL)

# The policies of CMake 3.20, whatever the including project asks for:
# functions keep the policies in effect where they are defined.
cmake_policy(PUSH)
cmake_policy(VERSION 3.20)

# Sets <out>_SOURCES, _HEADERS, _INCLUDE_DIR and _TARGETS in the caller's
# scope; <fn> names the public function in messages.
function(_vmrpc_generate_rules fn out default_dir)
  cmake_parse_arguments(PARSE_ARGV 3 arg "CALLER;CALLEE" "OUTPUT_DIR" "IDL;IMPORT_DIRS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${fn}: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_IDL)
    message(FATAL_ERROR "${fn}: no IDL file given (IDL <file>...)")
  endif()
  if(NOT TARGET vmrpc::stubgen)
    message(FATAL_ERROR "${fn}: there is no vmrpc::stubgen target; "
                        "call find_package(vmrpc) first")
  endif()
  if(NOT arg_CALLER AND NOT arg_CALLEE)
    set(arg_CALLER ON)
    set(arg_CALLEE ON)
  endif()

  set(dir "${default_dir}")
  if(arg_OUTPUT_DIR)
    get_filename_component(dir "${arg_OUTPUT_DIR}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  endif()

  set(parts common)
  set(flags --common)
  foreach(import_dir IN LISTS arg_IMPORT_DIRS)
    get_filename_component(import_dir "${import_dir}" ABSOLUTE)
    list(APPEND flags -I "${import_dir}")
  endforeach()
  if(arg_CALLER)
    list(APPEND parts caller)
    list(APPEND flags --caller)
  endif()
  if(arg_CALLEE)
    list(APPEND parts callee)
    list(APPEND flags --callee)
  endif()

  set(all_sources "")
  set(all_headers "")
  set(all_targets "")
  foreach(idl IN LISTS arg_IDL)
    get_filename_component(idl "${idl}" ABSOLUTE)
    if(NOT EXISTS "${idl}")
      message(FATAL_ERROR "${fn}: ${idl} does not exist")
    endif()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${idl}")
    get_filename_component(idl_name "${idl}" NAME)
    # vmrpc-stubgen's STEM (stubgen/ast.c, file_stem()): the name without
    # .idl, other characters than [A-Za-z0-9_] made '_', '_' before a digit.
    string(REGEX REPLACE "(.)\\.idl$" "\\1" stem "${idl_name}")
    string(REGEX REPLACE "[^A-Za-z0-9_]" "_" stem "${stem}")
    if(stem MATCHES "^[0-9]")
      set(stem "_${stem}")
    endif()

    # The interface names, for the names of the outputs.
    file(READ "${idl}" text)
    string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" " " text "${text}")
    string(REGEX REPLACE "//[^\n]*" " " text "${text}")
    string(REGEX MATCHALL "(^|[^A-Za-z0-9_])interface[ \t\r\n]+[A-Za-z_][A-Za-z0-9_]*"
           decls "${text}")
    set(ifaces "")
    foreach(decl IN LISTS decls)
      string(REGEX REPLACE ".*interface[ \t\r\n]+" "" name "${decl}")
      list(APPEND ifaces "${name}")
    endforeach()

    # A file without interfaces (types that others import) gives only this.
    set(sources "")
    set(headers "${dir}/${stem}_types.h")
    foreach(iface IN LISTS ifaces)
      # Two files declaring one interface would write the same outputs.
      get_property(owner GLOBAL PROPERTY "_VMRPC_GEN_IFACE:${dir}/${iface}")
      if(owner AND NOT owner STREQUAL idl)
        message(FATAL_ERROR "${fn}: interface ${iface} of ${idl} is already "
                            "generated into ${dir} from ${owner}")
      endif()
      set_property(GLOBAL PROPERTY "_VMRPC_GEN_IFACE:${dir}/${iface}" "${idl}")
      foreach(part IN LISTS parts)
        list(APPEND sources "${dir}/${iface}_${part}.c")
        list(APPEND headers "${dir}/${iface}_${part}.h")
      endforeach()
    endforeach()

    # One rule per STEM and directory (one STEM_types.h): reuse it, or
    # refuse a conflicting one.
    set(key "_VMRPC_GEN_RULE:${dir}/${stem}")
    get_property(rule GLOBAL PROPERTY "${key}")
    string(MD5 hash "${dir}/${stem}")
    string(SUBSTRING "${hash}" 0 10 hash)
    set(gen_target "vmrpc_gen_${stem}_${hash}")
    if(rule)
      if(NOT rule STREQUAL "${idl};${flags}")
        list(GET rule 0 first)
        message(FATAL_ERROR "${fn}: ${stem}_types.h is already generated into ${dir} "
                            "from ${first} with other options; generate it once "
                            "with every part needed, or into another OUTPUT_DIR")
      endif()
    else()
      set_property(GLOBAL PROPERTY "${key}" "${idl};${flags}")
      set(stamp "${dir}/${idl_name}.stamp")
      set(depfile "${dir}/${idl_name}.d")
      add_custom_command(
        OUTPUT "${stamp}"
        BYPRODUCTS ${sources} ${headers}
        COMMAND "${CMAKE_COMMAND}" -E make_directory "${dir}"
        COMMAND vmrpc::stubgen -o "${dir}" ${flags} --depfile "${depfile}"
                --depfile-target "${stamp}" "${idl}"
        COMMAND "${CMAKE_COMMAND}" -E touch "${stamp}"
        DEPENDS "${idl}" vmrpc::stubgen
        DEPFILE "${depfile}"
        COMMENT "vmrpc-stubgen ${idl_name}"
        VERBATIM)
      add_custom_target(${gen_target} DEPENDS "${stamp}")
    endif()

    list(APPEND all_sources ${sources})
    list(APPEND all_headers ${headers})
    list(APPEND all_targets ${gen_target})
  endforeach()

  set(${out}_SOURCES ${all_sources} PARENT_SCOPE)
  set(${out}_HEADERS ${all_headers} PARENT_SCOPE)
  set(${out}_INCLUDE_DIR "${dir}" PARENT_SCOPE)
  set(${out}_TARGETS ${all_targets} PARENT_SCOPE)
endfunction()

# A macro: the rules set the <prefix>_* variables right in the caller's scope.
macro(vmrpc_generate_files prefix)
  _vmrpc_generate_rules(vmrpc_generate_files "${prefix}"
                        "${CMAKE_CURRENT_BINARY_DIR}/vmrpc_gen/${prefix}" ${ARGN})
endmacro()

function(vmrpc_generate target)
  if(NOT TARGET "${target}")
    message(FATAL_ERROR "vmrpc_generate: ${target} is not a target; "
                        "create it first (add_library or add_executable)")
  endif()
  get_target_property(type "${target}" TYPE)
  if(type STREQUAL "EXECUTABLE" OR type STREQUAL "MODULE_LIBRARY")
    set(scope PRIVATE)
  elseif(type MATCHES "^(STATIC|SHARED|OBJECT)_LIBRARY$")
    set(scope PUBLIC)
  else()
    message(FATAL_ERROR "vmrpc_generate: ${target} is a ${type}; "
                        "stubs need a target that compiles C")
  endif()
  _vmrpc_generate_rules(vmrpc_generate gen
                        "${CMAKE_CURRENT_BINARY_DIR}/vmrpc_gen/${target}" ${ARGN})
  # Generated in the directory of the rule; say so in the target's too.
  set_source_files_properties(${gen_SOURCES} ${gen_HEADERS} TARGET_DIRECTORY "${target}"
                              PROPERTIES GENERATED TRUE)
  target_sources("${target}" PRIVATE ${gen_SOURCES} ${gen_HEADERS})
  target_include_directories("${target}" ${scope} "$<BUILD_INTERFACE:${gen_INCLUDE_DIR}>")
  target_link_libraries("${target}" ${scope} vmrpc::vmrpc)
  add_dependencies("${target}" ${gen_TARGETS})
endfunction()

cmake_policy(POP)
