// protoc's built-in generators, and grpc's Python generator, as one WASI preview 1 plugin.
//
// protowasm runs this module with argv[0] = "protoc-gen-NAME" for --NAME_out (plugins-registry.toml
// lists the names under `builtins`). Each generator is constructed as protoc's main.cc (and
// grpc_tools' main.cc, for grpc_python) constructs it, so a request gets the output the built-in
// would give. Built by testdata/build-builtins.sh.
#include <cstring>
#include <iostream>
#include <string>

#include "absl/log/initialize.h"
#include "google/protobuf/compiler/code_generator.h"
#include "google/protobuf/compiler/cpp/generator.h"
#include "google/protobuf/compiler/csharp/csharp_generator.h"
#include "google/protobuf/compiler/java/generator.h"
#include "google/protobuf/compiler/kotlin/generator.h"
#include "google/protobuf/compiler/objectivec/generator.h"
#include "google/protobuf/compiler/php/php_generator.h"
#include "google/protobuf/compiler/plugin.h"
#include "google/protobuf/compiler/python/generator.h"
#include "google/protobuf/compiler/python/pyi_generator.h"
#include "google/protobuf/compiler/ruby/rbs_generator.h"
#include "google/protobuf/compiler/ruby/ruby_generator.h"
#include "google/protobuf/compiler/rust/generator.h"
#include "src/compiler/python_generator.h"

#ifndef PROTOWASM_GRPC_TOOLS_VERSION
#error "build-builtins.sh defines PROTOWASM_GRPC_TOOLS_VERSION (grpc_tools passes its version to the generator)"
#endif

namespace {

using google::protobuf::compiler::CodeGenerator;
using google::protobuf::compiler::PluginMain;

// The generator's name: argv[0]'s file name without "protoc-gen-" and ".wasm".
std::string GeneratorName(const char* argv0) {
  std::string name = argv0 == nullptr ? "" : argv0;
  size_t slash = name.find_last_of('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  const std::string prefix = "protoc-gen-";
  if (name.compare(0, prefix.size(), prefix) == 0) name = name.substr(prefix.size());
  const std::string suffix = ".wasm";
  if (name.size() > suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    name.resize(name.size() - suffix.size());
  }
  return name;
}

template <typename Generator>
int Run(int argc, char* argv[]) {
  Generator generator;
  return PluginMain(argc, argv, &generator);
}

}  // namespace

int main(int argc, char* argv[]) {
  namespace compiler = google::protobuf::compiler;
  // As protoc's main does: from here on, abseil logs errors and worse to stderr, and drops the
  // generators' warnings, which protoc doesn't print either.
  absl::InitializeLog();
  const std::string name = GeneratorName(argc > 0 ? argv[0] : nullptr);
  if (name == "cpp") return Run<compiler::cpp::CppGenerator>(argc, argv);
  if (name == "java") return Run<compiler::java::JavaGenerator>(argc, argv);
  if (name == "kotlin") return Run<compiler::kotlin::KotlinGenerator>(argc, argv);
  if (name == "python") return Run<compiler::python::Generator>(argc, argv);
  if (name == "pyi") return Run<compiler::python::PyiGenerator>(argc, argv);
  if (name == "php") return Run<compiler::php::Generator>(argc, argv);
  if (name == "ruby") return Run<compiler::ruby::Generator>(argc, argv);
  if (name == "rbs") return Run<compiler::ruby::RBSGenerator>(argc, argv);
  if (name == "csharp") return Run<compiler::csharp::Generator>(argc, argv);
  if (name == "objc") return Run<compiler::objectivec::ObjectiveCGenerator>(argc, argv);
  if (name == "rust") return Run<compiler::rust::RustGenerator>(argc, argv);
  if (name == "grpc_python") {
    grpc_python_generator::GeneratorConfiguration config(PROTOWASM_GRPC_TOOLS_VERSION);
    grpc_python_generator::PythonGrpcGenerator generator(config);
    return PluginMain(argc, argv, &generator);
  }
  std::cerr << (argc > 0 ? argv[0] : "protoc-gen-builtins")
            << ": no built-in generator named \"" << name
            << "\"; this module has cpp, csharp, grpc_python, java, kotlin, objc, php, pyi, "
               "python, rbs, ruby and rust (run it as protoc-gen-NAME)"
            << std::endl;
  return 1;
}
