//! A throwaway PKI made with rcgen: a CA, a server certificate, a client
//! certificate from the same CA and a "stranger" client certificate from
//! another CA, written as PEM files into a temporary directory.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The files and keys of a test PKI. Files: `ca.pem`, `server.pem`,
/// `server.key`, `client.pem`, `client.key`, `stranger.pem`, `stranger.key`.
#[derive(Debug)]
pub struct Pki {
    dir: tempfile::TempDir,
    /// The CA that signs `server.pem` and `client.pem`.
    pub ca: CertifiedIssuer<'static, KeyPair>,
    /// The server certificate chain, DER.
    pub server_chain: Vec<CertificateDer<'static>>,
    /// The server's private key, PKCS#8 DER.
    pub server_key: PrivateKeyDer<'static>,
}

fn certificate_authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key")).expect("CA")
}

impl Pki {
    /// A PKI whose server certificate is valid for `server_names`.
    pub fn new(server_names: &[&str]) -> Self {
        let ca = certificate_authority("test CA");
        let stranger_ca = certificate_authority("some other CA");
        let dir = tempfile::tempdir().expect("temp dir");
        let names: Vec<String> = server_names.iter().map(|&name| name.to_owned()).collect();
        let server_key = KeyPair::generate().expect("server key");
        let mut params = CertificateParams::new(names).expect("server params");
        params.distinguished_name.push(DnType::CommonName, "server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = params.signed_by(&server_key, &ca).expect("sign server");
        let pki = Self {
            dir,
            server_chain: vec![server.der().clone()],
            server_key: PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
            ca,
        };
        pki.write("ca.pem", &pki.ca.pem());
        pki.write("server.pem", &server.pem());
        pki.write("server.key", &server_key.serialize_pem());
        for (name, issuer) in [("client", &pki.ca), ("stranger", &stranger_ca)] {
            let key = KeyPair::generate().expect("client key");
            pki.write(&format!("{name}.pem"), &client_certificate(&key, issuer));
            pki.write(&format!("{name}.key"), &key.serialize_pem());
        }
        pki
    }

    /// The path of file `name` in the PKI's directory.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    /// The contents of file `name`.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|error| panic!("read {name}: {error}"))
    }

    /// Writes file `name` into the PKI's directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap_or_else(|error| panic!("write {name}: {error}"));
        path
    }

    /// Issues a client certificate from the CA for `key`, as PEM.
    pub fn client_cert(&self, key: &KeyPair) -> String {
        client_certificate(key, &self.ca)
    }
}

fn client_certificate(key: &KeyPair, issuer: &CertifiedIssuer<'_, KeyPair>) -> String {
    let mut params = CertificateParams::new(vec!["probe-client".to_owned()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, "client");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.signed_by(key, issuer).expect("sign client").pem()
}
