//! A certificate authority made for one test, and a server certificate it signed for
//! `127.0.0.1` and `localhost`, as PEM files in a temp dir: what a TLS redis-server is
//! started with, and what a child process is told to trust (`SSL_CERT_FILE`). Nothing
//! else trusts this CA, so a client that does not name it must refuse the server.
//!
//! ```text
//! ca.pem       the CA certificate (self-signed, CA:TRUE, keyCertSign)
//! server.pem   the server certificate: SAN IP:127.0.0.1, DNS:localhost; serverAuth
//!              and clientAuth (cluster nodes present it to each other)
//! server.key   its private key (PKCS#8)
//! ```

use std::path::PathBuf;

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509Name, X509};
use tempfile::TempDir;

/// How long the certificates are valid, from a day before they were made (so a clock
/// slightly behind does not see them as not yet valid).
const VALID_DAYS: u32 = 7;

/// The PEM files of a test CA and its server certificate; the dir is removed on drop.
pub struct TlsFiles {
    dir: TempDir,
    ca_pem: Vec<u8>,
}

impl TlsFiles {
    /// Makes a fresh CA and server certificate (P-256 keys) and writes them out.
    pub fn generate() -> Self {
        let dir = tempfile::Builder::new().prefix("e2e-tls-").tempdir().expect("create a temp dir");
        let ca_key = new_key();
        let ca = ca_certificate(&ca_key);
        let server_key = new_key();
        let server = server_certificate(&server_key, &ca, &ca_key);
        let ca_pem = ca.to_pem().expect("PEM of the CA certificate");
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        };
        write("ca.pem", &ca_pem);
        write("server.pem", &server.to_pem().expect("PEM of the server certificate"));
        write("server.key", &server_key.private_key_to_pem_pkcs8().expect("PEM of the server key"));
        TlsFiles { dir, ca_pem }
    }

    /// The CA certificate: what `SSL_CERT_FILE`, `--tls-ca-cert-file` and
    /// `redis-cli --cacert` name.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The server certificate (`--tls-cert-file`).
    pub fn cert_file(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    /// The server's private key (`--tls-key-file`).
    pub fn key_file(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }

    /// The CA certificate in PEM, for the harness's own TLS connections.
    pub fn ca_pem(&self) -> &[u8] {
        &self.ca_pem
    }
}

fn new_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("the P-256 curve");
    PKey::from_ec_key(EcKey::generate(&group).expect("an EC key")).expect("a key pair")
}

fn name(common_name: &str) -> X509Name {
    let mut name = X509Name::builder().expect("a name builder");
    name.append_entry_by_nid(Nid::COMMONNAME, common_name).expect("a common name");
    name.build()
}

/// A builder with the parts every certificate here shares: version 3, a random
/// serial, the validity window, the subject and its key.
fn builder(subject: &X509Name, key: &PKey<Private>) -> X509Builder {
    let mut builder = X509Builder::new().expect("an X.509 builder");
    builder.set_version(2).expect("X.509 version 3");
    let mut serial = BigNum::new().expect("a big number");
    serial.rand(64, MsbOption::MAYBE_ZERO, false).expect("a random serial");
    builder.set_serial_number(&serial.to_asn1_integer().expect("an ASN.1 integer")).expect("the serial");
    let day_before = shared_claims::unix_now() - 86_400;
    builder.set_not_before(&Asn1Time::from_unix(day_before).expect("a time")).expect("not before");
    builder.set_not_after(&Asn1Time::days_from_now(VALID_DAYS).expect("a time")).expect("not after");
    builder.set_subject_name(subject).expect("the subject");
    builder.set_pubkey(key).expect("the public key");
    builder
}

fn ca_certificate(key: &PKey<Private>) -> X509 {
    let subject = name("e2e test CA");
    let mut builder = builder(&subject, key);
    builder.set_issuer_name(&subject).expect("the issuer");
    builder.append_extension(BasicConstraints::new().critical().ca().build().expect("basic constraints")).unwrap();
    let usage = KeyUsage::new().critical().key_cert_sign().crl_sign().build().expect("key usage");
    builder.append_extension(usage).unwrap();
    let key_id = SubjectKeyIdentifier::new().build(&builder.x509v3_context(None, None)).expect("a key id");
    builder.append_extension(key_id).unwrap();
    builder.sign(key, MessageDigest::sha256()).expect("self-sign the CA");
    builder.build()
}

fn server_certificate(key: &PKey<Private>, ca: &X509, ca_key: &PKey<Private>) -> X509 {
    let mut builder = builder(&name("localhost"), key);
    builder.set_issuer_name(ca.subject_name()).expect("the issuer");
    builder.append_extension(BasicConstraints::new().build().expect("basic constraints")).unwrap();
    let usage = KeyUsage::new().critical().digital_signature().key_encipherment().build().expect("key usage");
    builder.append_extension(usage).unwrap();
    let extended = ExtendedKeyUsage::new().server_auth().client_auth().build().expect("extended key usage");
    builder.append_extension(extended).unwrap();
    let context = builder.x509v3_context(Some(ca), None);
    let names = SubjectAlternativeName::new().ip("127.0.0.1").dns("localhost").build(&context).expect("the SAN");
    let authority = AuthorityKeyIdentifier::new().keyid(true).build(&context).expect("the authority key id");
    builder.append_extension(names).unwrap();
    builder.append_extension(authority).unwrap();
    builder.sign(ca_key, MessageDigest::sha256()).expect("sign the server certificate");
    builder.build()
}

#[cfg(test)]
mod tests {
    use openssl::stack::Stack;
    use openssl::x509::store::X509StoreBuilder;
    use openssl::x509::X509StoreContext;

    use super::*;

    /// Whether `cert` verifies against a store holding only `ca`.
    fn verifies(cert: &X509, ca: &X509) -> bool {
        let mut store = X509StoreBuilder::new().unwrap();
        store.add_cert(ca.clone()).unwrap();
        let store = store.build();
        let mut context = X509StoreContext::new().unwrap();
        context.init(&store, cert, &Stack::new().unwrap(), |c| c.verify_cert()).unwrap()
    }

    #[test]
    fn the_server_certificate_chains_to_its_own_ca_only() {
        let files = TlsFiles::generate();
        let other = TlsFiles::generate();
        let read = |path: PathBuf| X509::from_pem(&std::fs::read(path).unwrap()).unwrap();
        let server = read(files.cert_file());
        assert!(verifies(&server, &read(files.ca_file())));
        assert!(!verifies(&server, &read(other.ca_file())), "another test's CA must not vouch for it");
        let key = PKey::private_key_from_pem(&std::fs::read(files.key_file()).unwrap()).unwrap();
        assert!(server.public_key().unwrap().public_eq(&key), "the key file holds the certificate's key");
        assert_eq!(files.ca_pem(), std::fs::read(files.ca_file()).unwrap());
    }
}
