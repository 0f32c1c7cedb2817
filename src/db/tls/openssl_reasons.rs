//! OpenSSL's `X509_verify_cert_error_string` texts (OpenSSL 3), which libpq
//! shows after `certificate verify failed: `.

pub const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: &str = "unable to get local issuer certificate";
pub const DEPTH_ZERO_SELF_SIGNED_CERT: &str = "self-signed certificate";
pub const SELF_SIGNED_CERT_IN_CHAIN: &str = "self-signed certificate in certificate chain";
pub const CERT_HAS_EXPIRED: &str = "certificate has expired";
pub const CERT_NOT_YET_VALID: &str = "certificate is not yet valid";
pub const INVALID_PURPOSE: &str = "unsuitable certificate purpose";
pub const CERT_SIGNATURE_FAILURE: &str = "certificate signature failure";
pub const INVALID_CA: &str = "invalid CA certificate";
pub const PATH_LENGTH_EXCEEDED: &str = "path length constraint exceeded";
pub const PERMITTED_VIOLATION: &str = "permitted subtree violation";
pub const CERT_REVOKED: &str = "certificate revoked";
pub const CERT_CHAIN_TOO_LONG: &str = "certificate chain too long";
pub const UNHANDLED_CRITICAL_EXTENSION: &str = "unhandled critical extension";
