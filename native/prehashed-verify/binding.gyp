{
  "targets": [
    {
      "target_name": "prehashed_verify",
      "sources": ["src/prehashed_verify.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8", "OPENSSL_API_COMPAT=30000", "OPENSSL_NO_DEPRECATED"]
    }
  ]
}
