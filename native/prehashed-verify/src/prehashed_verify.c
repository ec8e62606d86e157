/*
 * ECDSA verification over a digest the caller already computed, which Node's crypto cannot do (it always
 * hashes its input). It calls the OpenSSL that Node itself is built with: the node binary exports those
 * symbols, so this addon links no libcrypto of its own and verifies exactly as Node's OpenSSL does.
 *
 * parseEcPublicKey(spkiDer)            -> key object (an external owning an EVP_PKEY, freed by the GC)
 * verifyDigest(key, digest, signature) -> true only when EVP_PKEY_verify returns 1
 */
#include <node_api.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Marks the externals this addon made, so that verifyDigest never casts a foreign external to EVP_PKEY. */
static const napi_type_tag EC_KEY_TAG = {0x7369676c70726568ULL, 0x61736865642d6563ULL};

#define CHECK(env, call)                                                      \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error((env), NULL, "prehashed-verify: N-API call failed");   \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

/* The bytes of a Uint8Array (a Buffer is one); throws a TypeError naming `what` otherwise. */
static int uint8_bytes(napi_env env, napi_value value, const char *what, const unsigned char **data,
                       size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  /* An empty array may report a NULL pointer; OpenSSL gets a valid one with length 0. */
  static const unsigned char empty[1] = {0};
  *data = raw ? (const unsigned char *)raw : empty;
  return 1;
}

static void free_key(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  EVP_PKEY_free((EVP_PKEY *)data);
}

static napi_value parse_ec_public_key(napi_env env, napi_callback_info info) {
  /* Missing arguments arrive as undefined, which the type checks below refuse. */
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const unsigned char *der;
  size_t der_length;
  if (!uint8_bytes(env, argv[0], "parseEcPublicKey(spki): spki must be a Uint8Array", &der, &der_length))
    return NULL;
  const unsigned char *cursor = der;
  EVP_PKEY *pkey = d2i_PUBKEY(NULL, &cursor, (long)der_length);
  ERR_clear_error(); /* never leave errors on the queue Node's own crypto reads */
  if (pkey == NULL || cursor != der + der_length || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
    EVP_PKEY_free(pkey);
    napi_throw_error(env, NULL, "parseEcPublicKey(spki): not a DER SubjectPublicKeyInfo of an EC key");
    return NULL;
  }
  napi_value key;
  if (napi_create_external(env, pkey, free_key, NULL, &key) != napi_ok) {
    EVP_PKEY_free(pkey);
    napi_throw_error(env, NULL, "prehashed-verify: could not wrap the key");
    return NULL;
  }
  CHECK(env, napi_type_tag_object(env, key, &EC_KEY_TAG));
  return key;
}

static napi_value verify_digest(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool tagged = false;
  napi_valuetype kind;
  CHECK(env, napi_typeof(env, argv[0], &kind));
  if (kind == napi_external) CHECK(env, napi_check_object_type_tag(env, argv[0], &EC_KEY_TAG, &tagged));
  if (!tagged) {
    napi_throw_type_error(env, NULL, "verifyDigest: key must come from parseEcPublicKey");
    return NULL;
  }
  void *pkey;
  CHECK(env, napi_get_value_external(env, argv[0], &pkey));
  const unsigned char *digest, *signature;
  size_t digest_length, signature_length;
  if (!uint8_bytes(env, argv[1], "verifyDigest: digest must be a Uint8Array", &digest, &digest_length) ||
      !uint8_bytes(env, argv[2], "verifyDigest: signature must be a Uint8Array", &signature,
                   &signature_length))
    return NULL;

  int verified = 0;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new((EVP_PKEY *)pkey, NULL);
  if (ctx != NULL && EVP_PKEY_verify_init(ctx) == 1)
    verified = EVP_PKEY_verify(ctx, signature, signature_length, digest, digest_length) == 1;
  EVP_PKEY_CTX_free(ctx);
  ERR_clear_error();

  napi_value result;
  CHECK(env, napi_get_boolean(env, verified, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"parseEcPublicKey", NULL, parse_ec_public_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"verifyDigest", NULL, verify_digest, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok)
    return NULL;
  return exports;
}
