//! The workspace the managed-mode tests run buf and protowasm on (tests/it/buf_managed.rs, and
//! the plugin trees in tests/matrix): two modules, `proto/` (named buf.build/acme/core) and
//! `api/` (unnamed), and a dep, buf.build/acme/units, in a buf module cache under `cache/`.

use std::path::Path;

use protowasm::config::buf_deps::b5_digest;

use crate::support::write_file;

const UNITS_COMMIT: &str = "00112233445566778899aabbccddeeff";

/// The workspace's files, with buf.yaml (v2) and buf.lock; the dep is written into `cache`.
pub fn workspace(root: &Path) {
    let w = |name: &str, text: &str| write_file(root, name, text);
    let units = format!("cache/v3/modules/b5/buf.build/acme/units/{UNITS_COMMIT}");
    w(
        &format!("{units}/files/units/v1/units.proto"),
        "syntax = \"proto3\";\npackage units.v1;\noption go_package = \"example.com/units/v1;unitsv1\";\noption java_package = \"com.example.units\";\n// A length.\nmessage Length {\n  int64 micros = 1; // trailing\n  sfixed64 nanos = 2;\n}\n",
    );
    w(
        &format!("{units}/module.yaml"),
        "version: v1\nfiles_dir: files\n",
    );
    let digest = b5_digest(&root.join(format!("{units}/files")), &[]).unwrap();
    w(
        "ws/buf.yaml",
        "version: v2\nmodules:\n  - path: proto\n    name: buf.build/acme/core\n  - path: api\ndeps:\n  - buf.build/acme/units\n",
    );
    w(
        "ws/buf.lock",
        &format!("version: v2\ndeps:\n  - name: buf.build/acme/units\n    commit: {UNITS_COMMIT}\n    digest: {digest}\n"),
    );
    // Options already set, to values managed mode keeps or overwrites; every 64-bit kind of
    // field, nested, in a map, in a oneof and as an extension.
    w(
        "ws/proto/acme/weather/v1/weather_service.proto",
        r#"syntax = "proto3";
package acme.weather.v1;

import "google/protobuf/descriptor.proto";
import "google/protobuf/timestamp.proto";
import "units/v1/units.proto";

option cc_enable_arenas = false;
option csharp_namespace = "Old.Namespace";
option go_package = "old/go/weather";
option java_multiple_files = false;
option java_string_check_utf8 = true;
// The optimization.
option optimize_for = CODE_SIZE;

message Reading {
  int64 id = 1;
  uint64 count = 2 [deprecated = true];
  fixed64 mask = 3 [jstype = JS_NUMBER];
  sint64 delta = 4;
  sfixed64 offset = 5 [jstype = JS_STRING, deprecated = true];
  int32 small = 6;
  string name = 7;
  google.protobuf.Timestamp at = 8;
  units.v1.Length height = 9;
  map<int64, string> labels = 10;
  oneof choice {
    int64 big = 11;
    string text = 12;
  }
  message Inner {
    uint64 inner_id = 1;
  }
  Inner inner = 13;
  oneof unit {
    units.v1.Length len = 14;
  }
  // A status.
  Status status = 15;
}

enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_OK = 1;
}

message Unused {
  string note = 1;
}

extend google.protobuf.FieldOptions {
  int64 weight = 50001;
}

// A custom method option with a oneof, set below as a message literal (buf's Go runtime
// writes a oneof member after the other fields).
message Rule {
  oneof pattern {
    string get = 2;
    string post = 4;
  }
  string body = 7;
  repeated Rule more = 11;
}

extend google.protobuf.MethodOptions {
  Rule rule = 50002;
}
"#,
    );
    w(
        "ws/proto/acme/class/v1beta1/php-reserved_file.proto",
        "syntax = \"proto3\";\npackage acme.class.v1beta1;\noption java_package = \"org.kept\";\nmessage Klass { int64 id = 1; }\n",
    );
    w(
        "ws/proto/nopkg.proto",
        "syntax = \"proto3\";\nmessage NoPackage { int64 id = 1; }\n",
    );
    w(
        "ws/proto/gpb/x.proto",
        "syntax = \"proto2\";\npackage g.p.b;\nmessage X {\n  optional int64 v = 1 [default = -7];\n  optional string b = 2 [json_name = \"bee\"];\n  optional int64 c = 3 [ default=7 , deprecated = true];\n  optional\tint32 d = 4 [json_name\t= \"dee\", default = 1];\n}\n",
    );
    w(
        "ws/proto/editions/e.proto",
        "edition = \"2023\";\npackage acme.ed.v1;\nmessage E { int64 v = 1; }\n",
    );
    w(
        "ws/api/svc/v1/svc.proto",
        "syntax = \"proto3\";\npackage svc.v1;\nimport \"acme/weather/v1/weather_service.proto\";\nservice WeatherService {\n  rpc Get(acme.weather.v1.Reading) returns (acme.weather.v1.Reading) {\n    option (acme.weather.v1.rule) = {\n      get: \"/v1/readings\"\n      body: \"*\"\n      more { post: \"/v1/readings:batch\" body: \"*\" }\n    };\n  }\n}\nmessage Page { int64 token = 1; }\n",
    );
}
