//! Throwaway certificate authorities for the TLS tests, made with `rcgen`
//! (ring provider: nothing to build in C, no `openssl` binary needed).

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};

use super::pg::ServerTls;

/// A CA that can issue server certificates: self-signed, or an
/// intermediate of another `TestCa`.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// PEMs a server sends after its own certificate: the intermediates
    /// between this CA and the root (this CA first), empty for a root.
    chain_pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// A new CA whose subject common name is `name`.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("generate CA key");
        let issuer = CertifiedIssuer::self_signed(ca_params(name), key).expect("self-sign CA");
        TestCa {
            issuer,
            chain_pem: String::new(),
        }
    }

    /// A root CA valid only between the two times (an expired or not yet
    /// valid `ssl_root_cert`).
    pub fn new_valid(
        name: &str,
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> TestCa {
        let mut params = ca_params(name);
        params.not_before = not_before;
        params.not_after = not_after;
        let key = KeyPair::generate().expect("generate CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("self-sign CA");
        TestCa {
            issuer,
            chain_pem: String::new(),
        }
    }

    /// An intermediate CA named `name`, issued by this CA: servers with its
    /// certificates send it along (PostgreSQL sends every certificate of
    /// `server.crt`).
    pub fn intermediate(&self, name: &str) -> TestCa {
        let key = KeyPair::generate().expect("generate intermediate key");
        let issuer = CertifiedIssuer::signed_by(ca_params(name), key, &self.issuer)
            .expect("sign intermediate CA");
        let chain_pem = format!("{}{}", issuer.pem(), self.chain_pem);
        TestCa { issuer, chain_pem }
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// Writes the CA certificate to `<dir>/<file>` and returns the path.
    pub fn write_cert(&self, dir: &Path, file: &str) -> PathBuf {
        let path = dir.join(file);
        fs::write(&path, self.cert_pem()).expect("write CA certificate");
        path
    }

    /// A server certificate for exactly these subject alternative names
    /// (DNS names, or IP addresses when they parse as one), signed by this CA.
    pub fn server_tls(&self, names: &[&str]) -> ServerTls {
        self.issue(server_params(names, names.first().copied()))
    }

    /// The same with an empty subject: the names are only in the SANs.
    pub fn server_tls_san_only(&self, names: &[&str]) -> ServerTls {
        self.issue(server_params(names, None))
    }

    /// A server certificate for `names` (as SANs only) that is itself a CA
    /// (CA:TRUE), as `openssl x509 -req … -extensions v3_ca` makes one.
    pub fn server_tls_as_ca(&self, names: &[&str]) -> ServerTls {
        let mut params = server_params(names, None);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        self.issue(params)
    }

    /// A server certificate for `names` valid only between the two times.
    pub fn server_tls_valid(
        &self,
        names: &[&str],
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> ServerTls {
        let mut params = server_params(names, names.first().copied());
        params.not_before = not_before;
        params.not_after = not_after;
        self.issue(params)
    }

    /// A server certificate of `params`, followed by this CA's chain.
    fn issue(&self, params: CertificateParams) -> ServerTls {
        let key = KeyPair::generate().expect("generate server key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("sign server certificate");
        ServerTls {
            cert_pem: format!("{}{}", cert.pem(), self.chain_pem),
            key_pem: key.serialize_pem(),
        }
    }
}

/// The PostgreSQL manual's server certificate, as its recipe makes it
/// (`openssl req -new -x509 -days 365 -nodes -text -out server.crt -keyout
/// server.key -subj "/CN=<cn>"`): self-signed, `basicConstraints` CA:TRUE
/// (OpenSSL's `v3_ca` section), the name only in the subject CN, no SAN, no
/// key usage. The team then gives that same certificate as `root.crt`.
pub fn manual_self_signed(cn: &str) -> ServerTls {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("generate key");
    let cert = params.self_signed(&key).expect("self-sign");
    ServerTls {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// A server certificate for exactly these SANs (DNS names, or IP addresses
/// when they parse as one), with `cn` as the subject CN if given.
fn server_params(names: &[&str], cn: Option<&str>) -> CertificateParams {
    let sans: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(sans).expect("server params");
    params.distinguished_name = DistinguishedName::new();
    if let Some(cn) = cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params
}
