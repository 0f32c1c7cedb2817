//! CredentialStore actor (placeholder: implemented by the credential-store work).
