//! TLS through rustls: CA bundle, system roots, server name override,
//! `-tls-no-verify`, and mTLS with PKCS#8, SEC1 and RSA (PKCS#1) keys.

use test_support::pki::Pki;

use crate::support::{pem, run, tls_health_server, unwrap_pkcs8};

#[tokio::test]
async fn verified_tls_with_ca_file() {
    let pki = Pki::new(&["localhost", "127.0.0.1"]);
    let (addr, _stop) = tls_health_server(&pki, false).await;
    let ca = format!("-tls-ca-cert={}", pki.path("ca.pem"));
    run(["-addr", &addr, "-tls", &ca, "-v"])
        .await
        .assert_exit(0, &["status: SERVING", "tls handshake done"]);
    // The system roots do not know the test CA.
    run(["-addr", &addr, "-tls"])
        .await
        .assert_exit(2, &["tls handshake failed"]);
    // Nor does a plain connection speak TLS.
    run(["-addr", &addr, "-tls=false"])
        .await
        .assert_exit(2, &["connect service"]);
}

#[tokio::test]
async fn server_name_override_and_no_verify() {
    let pki = Pki::new(&["probe.test"]);
    let (addr, _stop) = tls_health_server(&pki, false).await;
    let ca = format!("-tls-ca-cert={}", pki.path("ca.pem"));
    run(["-addr", &addr, "-tls", &ca])
        .await
        .assert_exit(2, &["tls handshake failed"]);
    run(["-addr", &addr, "-tls", &ca, "-tls-server-name=probe.test"])
        .await
        .assert_exit(0, &["status: SERVING"]);
    run(["-addr", &addr, "-tls", "-tls-no-verify"])
        .await
        .assert_exit(0, &["status: SERVING"]);
}

#[tokio::test]
async fn mtls_with_pkcs8_sec1_and_rsa_keys() {
    let pki = Pki::new(&["localhost"]);
    let (addr, _stop) = tls_health_server(&pki, true).await;
    let ca = format!("-tls-ca-cert={}", pki.path("ca.pem"));
    let addr = format!("localhost:{}", addr.rsplit_once(':').unwrap().1);
    run(["-addr", &addr, "-tls", &ca])
        .await
        .assert_exit(2, &["connect service"]);

    let ec = rcgen::KeyPair::generate().unwrap();
    let rsa = rcgen::KeyPair::from_pem(include_str!("rsa-client.pkcs8.pem")).unwrap();
    let keys = [
        (&ec, pem("PRIVATE KEY", &ec.serialize_der())),
        (
            &ec,
            pem("EC PRIVATE KEY", &unwrap_pkcs8(&ec.serialize_der())),
        ),
        (
            &rsa,
            pem("RSA PRIVATE KEY", &unwrap_pkcs8(&rsa.serialize_der())),
        ),
    ];
    for (key, key_pem) in keys {
        let cert = format!(
            "-tls-client-cert={}",
            pki.write("client.pem", &pki.client_cert(key))
        );
        let key = format!("-tls-client-key={}", pki.write("client.key", &key_pem));
        run(["-addr", &addr, "-tls", &ca, &cert, &key])
            .await
            .assert_exit(0, &["status: SERVING"]);
    }
}
