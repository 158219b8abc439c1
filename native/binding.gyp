{
  "targets": [
    {
      "target_name": "secrets_agent_native",
      "sources": ["process-control.cc"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
